"""Page contexts for grading templates: exactly what a grader may see, and nothing more."""

from collections.abc import MutableMapping

from flask import url_for

from app.grading import graders, lead
from app.grading.services import Entry
from app.models import Reading

#: session key: {vignette id: code of the reading where the grader first read it}
SEEN_KEY = "seen_vignettes"
SEEN_MAX = 40

SLOT_TITLES = {
    "R1": "Reading",
    "R2": "Reading",
    "ADJ": "Adjudication",
    "BACK": "Back-reading",
    "CALIB": "Calibration reading",
    "APPEAL": "Reading",
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
        "recuse": url_for("grading.ask_recuse", code=code),
        "back": url_for("grading.queue"),
    }


def vignette_seen_before(session: MutableMapping, vignette_id: int, code: str) -> bool:
    """Has the grader read this vignette with another response in this session? Remembers
    this one, so the vignette opens in full only on its first reading."""
    seen = dict(session.get(SEEN_KEY, {}))
    first_code = seen.get(str(vignette_id))
    if first_code is None:
        seen[str(vignette_id)] = code
        session[SEEN_KEY] = dict(list(seen.items())[-SEEN_MAX:])
    return first_code is not None and first_code != code


def progress(reading: Reading) -> tuple[int, int] | None:
    """(done, committed) live readings in the round, for the grader's live readings only."""
    if reading.slot not in ("R1", "R2"):
        return None
    current = graders.open_round()
    profile = graders.profile_of(reading.grader)
    done = graders.taken_in_round(current, submitted_only=True).get(reading.grader_id, 0)
    return done, profile.capacity if profile else 0


def reading_context(
    reading: Reading, session: MutableMapping, entry: Entry | None = None, error: str = ""
) -> dict:
    """The reading page: code, vignette, response text, rubric and the grader's own entries."""
    response = reading.response
    return {
        "code": response.code,
        "title": SLOT_TITLES[reading.slot],
        "slot": reading.slot,
        "vignette": response.vignette,
        "vignette_collapsed": vignette_seen_before(session, response.vignette_id, response.code),
        "text": response.text,
        "criteria": reading.rubric.criteria,
        "ratings": entry.ratings if entry else reading.ratings,
        "comments": entry.comments if entry else reading.comments,
        "overall": entry.overall if entry else reading.overall_comment,
        "submitted": reading.is_submitted,
        "pair": lead.live_pair(reading),
        "reasons": response.resolution.reasons if reading.slot == "ADJ" else [],
        "urls": reading_urls(reading),
        "progress": progress(reading),
        "error": error,
    }
