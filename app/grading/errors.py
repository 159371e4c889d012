"""The one error grading services raise: a refusal with its HTTP status and a clear message."""


class GradingError(Exception):
    """A grading action the platform cannot honour; nothing was changed."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.message = message
        self.status = status
