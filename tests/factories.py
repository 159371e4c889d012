"""Small builders shared by the test packages: a rubric, a Part Two form and a result (not
committed)."""

from datetime import datetime

from app.models import Attempt, Form, FormEntry, Result, Rubric, Vignette

TRACK = "IMH-SPECIALIST"


def make_rubric(key: str = "R-T", criteria=None, pass_rule=None, resolution=None) -> Rubric:
    """A rubric for the test track with the given rules (empty by default)."""
    return Rubric(
        key=key,
        version=1,
        title="Test rubric",
        tracks=[TRACK],
        criteria=criteria or [],
        pass_rule=pass_rule or {},
        resolution=resolution or {},
        content_hash="r" * 64,
    )


def make_vignette_form(
    code: str, rubric: Rubric, vignettes: list[Vignette] = (), answer_count: int = 2
) -> Form:
    """A 90-minute Part Two form for the test track offering the vignettes."""
    form = Form(
        code=code,
        version=1,
        title="Test Part Two",
        endorsement="IMH",
        part="VIGNETTE",
        track=TRACK,
        duration_minutes=90,
        answer_count=answer_count,
        rubric=rubric,
        content_hash="p" * 64,
    )
    form.entries = [FormEntry(position=n, vignette=v) for n, v in enumerate(vignettes, 1)]
    return form


def make_result(
    attempt: Attempt,
    part: str,
    score: float,
    max_score: float,
    passed: bool,
    released_at: datetime | None = None,
    **extra,
) -> Result:
    """A result of the attempt's seat for the part, released at released_at (None: not yet)."""
    return Result(
        seat_id=attempt.seat_id,
        part=part,
        attempt_id=attempt.id,
        score=score,
        max_score=max_score,
        percent=100.0 * score / max_score,
        passed=passed,
        released_at=released_at,
        **extra,
    )
