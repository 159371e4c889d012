"""What a candidate has passed and failed, by the content of the form (endorsement and part).

Part One is one form per endorsement, shared by its four tracks; Part Two is written per track.
Both the coordinator's seating rules and the candidate's combined result read these."""

from sqlalchemy import select

from app.codes import track_endorsement
from app.extensions import db
from app.models import Attempt, Form, Result, Seat


def part_results(candidate_id: int, endorsement: str, exclude_seat: int | None = None):
    """(Result, Form) of the candidate's non-voided seats whose form is of the endorsement."""
    stmt = (
        select(Result, Form)
        .join(Seat, Seat.id == Result.seat_id)
        .join(Attempt, Attempt.id == Result.attempt_id)
        .join(Form, Form.id == Attempt.form_id)
        .where(Seat.candidate_id == candidate_id, Seat.voided_at.is_(None))
        .where(Form.endorsement == endorsement)
    )
    if exclude_seat is not None:
        stmt = stmt.where(Seat.id != exclude_seat)
    return db.session.execute(stmt).tuples()


def same_content(result: Result, form: Form, track: str) -> bool:
    """Whether a result is for the content a seat on this track sits."""
    return result.part == "MC" or form.track == track


def carried_passes(
    candidate_id: int, track: str, exclude_seat: int | None = None
) -> dict[str, Result]:
    """Per part, the candidate's latest released pass of the same content, if any."""
    passes: dict[str, Result] = {}
    for result, form in part_results(candidate_id, track_endorsement(track), exclude_seat):
        counts = result.passed and result.released_at is not None
        if not counts or not same_content(result, form, track):
            continue
        if result.part not in passes or result.computed_at > passes[result.part].computed_at:
            passes[result.part] = result
    return passes
