"""The rules a seat must meet: which parts it sits, the retake wait, the forms on offer.

Retakes are keyed to what was failed, the form's content (endorsement and part), not to the
seat's track: Part One is one form per endorsement, so failing IMH Part One on one track and
being seated on another IMH track is still a retake of the same content. A retake seat sits only
the parts the candidate has not passed (a released pass carries over into the combined result).
Plain functions of an explicit start time; queries only, no writes."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from app.codes import PART_LABELS, PARTS, track_endorsement, track_label
from app.extensions import db
from app.grading.results import retake_from
from app.localtime import association_zone, to_local
from app.models import Form, Result, User
from app.retakes import carried_passes, part_results


def retake_day(result: Result, wait_days: int) -> datetime:
    """The first whole local day a failed part may be sat again (its midnight, in UTC), never
    before the wait ends: a message naming that date must not refuse a sitting held on it."""
    zone = association_zone()
    exact = to_local(retake_from(result, wait_days), zone)
    day = exact.date() if exact.time() == time.min else exact.date() + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def parts_to_sit(candidate: User, track: str) -> tuple[str, ...]:
    """Both parts, or on a retake only those not yet passed (empty when both are passed)."""
    carried = carried_passes(candidate.id, track)
    return tuple(p for p in PARTS if p not in carried)


def retake_wait_problem(
    candidate: User,
    track: str,
    parts: tuple[str, ...],
    starts_at: datetime,
    wait_days: int,
    exclude_seat: int | None = None,
) -> str | None:
    """Why the candidate may not sit these parts at starts_at: a failed part is too recent.

    A failed result counts whether or not it is released: an unreleased fail is still a fail."""
    for result, _form in part_results(candidate.id, track_endorsement(track), exclude_seat):
        if result.passed or result.part not in parts:
            continue
        allowed_from = retake_day(result, wait_days)
        if starts_at >= allowed_from:
            continue
        sat = to_local(result.attempt.submitted_at or result.attempt.deadline_at)
        pending = " (that result is not released yet)" if result.released_at is None else ""
        return (
            f"{candidate.name} did not pass {track_endorsement(track)} "
            f"{PART_LABELS[result.part]} sat on {sat:%Y-%m-%d}{pending}; a retake is possible "
            f"from {to_local(allowed_from):%Y-%m-%d} ({wait_days} days' wait)."
        )
    return None


def offered_forms_problem(form_codes: list[str], track: str, parts: tuple[str, ...]) -> str | None:
    """Why the sitting cannot seat this track: a part it sits has no form on offer."""
    if not form_codes:
        return f"The sitting offers no form for {track_label(track)}."
    forms = db.session.scalars(select(Form).where(Form.code.in_(form_codes)))
    endorsement = track_endorsement(track)
    covered = {
        f.part
        for f in forms
        if (f.part == "MC" and f.endorsement == endorsement)
        or (f.part == "VIGNETTE" and f.track == track)
    }
    missing = [PART_LABELS[p] for p in parts if p not in covered]
    if not missing:
        return None
    return (
        f"The sitting offers no {' or '.join(missing)} form for {track_label(track)}: "
        "add the form to the sitting first."
    )
