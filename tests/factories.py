"""Small builders shared by the test packages: a rubric and a Part Two form (not committed)."""

from app.models import Form, FormEntry, Rubric, Vignette

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
