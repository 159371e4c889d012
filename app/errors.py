"""Error pages: a clear message, the right status, a fragment for htmx, never a stack trace."""

from flask import Flask, current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from app.extensions import db, htmx

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Already closed",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
}


def render_error(status: int, message: str, title: str | None = None):
    """The error page (or fragment, for htmx) with the given status (and a title for it)."""
    template = "errors/_error.html" if htmx else "errors/error.html"
    title = title or TITLES.get(status, "Error")
    return render_template(template, status=status, title=title, message=message), status


def _http_error(error: HTTPException):
    return render_error(error.code or 500, error.description or TITLES.get(error.code, ""))


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "This form has expired or did not come from this site. Reload the page and try again; "
        "your saved answers are kept.",
    )


def _too_large(error: RequestEntityTooLarge):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    size = f" (the limit is {limit / 1024 / 1024:.0f} MB)" if limit >= 1024 * 1024 else ""
    if htmx:
        message = f"Too large to send{size}; nothing was saved."
    else:
        message = (
            f"What was sent is larger than this site accepts{size}, so it was not read and "
            "nothing was saved. Go back, shorten it or send it in parts, and try again."
        )
    return render_error(413, message)


def _server_error(error: Exception):
    db.session.rollback()  # nothing half-done may be committed by a later request
    # the operator needs the cause; the person sees only that nothing was changed
    current_app.logger.error("Unhandled error", exc_info=error)
    return render_error(500, "The server could not finish this request. Nothing was changed.")


def register(app: Flask) -> None:
    """Install the handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.register_error_handler(Exception, _server_error)
