"""Page contexts for grading templates: exactly what a grader may see, and nothing more."""

from flask import url_for

from app.grading import lead
from app.grading.services import Entry
from app.models import Reading

SLOT_TITLES = {
    "R1": "Reading",
    "R2": "Reading",
    "ADJ": "Adjudication",
    "BACK": "Back-reading",
    "CALIB": "Calibration reading",
}


def reading_urls(reading: Reading) -> dict[str, str]:
    """Where the reading form saves drafts, submits and hands back (calibration has its own)."""
    code = reading.response.code
    if reading.slot == "CALIB":
        return {
            "draft": url_for("grading.calibration_draft", code=code),
            "submit": url_for("grading.calibration_submit", code=code),
            "back": url_for("grading.calibration"),
        }
    return {
        "draft": url_for("grading.draft", code=code),
        "submit": url_for("grading.submit", code=code),
        "recuse": url_for("grading.recuse", code=code),
        "back": url_for("grading.queue"),
    }


def reading_context(reading: Reading, entry: Entry | None = None, error: str = "") -> dict:
    """The reading page: code, vignette, response text, rubric and the grader's own entries."""
    response = reading.response
    return {
        "code": response.code,
        "title": SLOT_TITLES[reading.slot],
        "slot": reading.slot,
        "vignette": response.vignette,
        "text": response.text,
        "criteria": reading.rubric.criteria,
        "ratings": entry.ratings if entry else reading.ratings,
        "comments": entry.comments if entry else reading.comments,
        "overall": entry.overall if entry else reading.overall_comment,
        "submitted": reading.is_submitted,
        "pair": lead.live_pair(reading),
        "reasons": response.resolution.reasons if reading.slot == "ADJ" else [],
        "urls": reading_urls(reading),
        "error": error,
    }
