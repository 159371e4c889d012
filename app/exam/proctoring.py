"""The proctor's console: the live roster and the actions on a seat, each with a reason."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import audit
from app.exam import late, services, timing
from app.exam.late import LateSummary
from app.exam.services import DeliveryError
from app.extensions import db
from app.models import Answer, Attempt, Incident, Seat, Sitting, User

#: no save and no poll for this long while a part is open: the proctor sees "connection lost"
LOST_AFTER = timedelta(seconds=60)
ACTIONS = ("admit", "pause", "resume", "extend", "credit", "force_submit", "void")
INCIDENT_CATEGORIES = ("technical", "environment", "conduct", "other")


@dataclass
class RosterRow:
    seat: Seat
    status: str
    attempt: Attempt | None
    answered: int
    seconds_left: int | None
    since_seen: int | None
    connection_lost: bool
    #: late answers waiting for a decision, one summary per part (see app/exam/late.py)
    late: list[LateSummary] = field(default_factory=list)


def sitting_for(user: User, sitting_id: int) -> Sitting:
    """The sitting if this user proctors it (coordinators see every sitting), else 404."""
    sitting = db.session.get(Sitting, sitting_id)
    if sitting is None or (user.role != "coordinator" and sitting.proctor_id != user.id):
        raise DeliveryError("No such sitting.", 404)
    return sitting


def seat_for(user: User, seat_id: int) -> Seat:
    """A seat in a sitting this user proctors, else 404."""
    seat = db.session.get(Seat, seat_id)
    if seat is None:
        raise DeliveryError("No such seat.", 404)
    sitting_for(user, seat.sitting_id)
    return seat


def attempts_by_seat(seat_ids: list[int]) -> dict[int, list[Attempt]]:
    """Every attempt of these seats, grouped by seat id."""
    out: dict[int, list[Attempt]] = {}
    for attempt in db.session.scalars(select(Attempt).where(Attempt.seat_id.in_(seat_ids))):
        out.setdefault(attempt.seat_id, []).append(attempt)
    return out


def _answered_counts(attempt_ids: list[int]) -> dict[int, int]:
    answered = (Answer.value != "") & ((Answer.item_id.is_not(None)) | Answer.chosen)
    stmt = (
        select(Answer.attempt_id, func.count())
        .where(Answer.attempt_id.in_(attempt_ids), answered)
        .group_by(Answer.attempt_id)
    )
    return dict(db.session.execute(stmt).all())


def _status(seat: Seat, attempts: list[Attempt], now: datetime) -> tuple[str, Attempt | None]:
    if seat.voided_at is not None:
        return "voided", None
    by_part = {a.part: a for a in attempts}
    for part, label in (("VIGNETTE", "Part Two"), ("MC", "Part One")):
        attempt = by_part.get(part)
        if attempt is None:
            continue
        state = timing.attempt_state(attempt, now)
        if state in ("open", "paused"):
            return f"in {label}" + (" (paused)" if state == "paused" else ""), attempt
        if part == "MC" and seat.sits("VIGNETTE"):  # a Part One retake ends here
            return "break (Part One submitted)", attempt
        return "submitted", attempt
    if seat.admitted_at is not None:
        return "admitted", None
    return ("waiting" if seat.checked_in_at else "not arrived"), None


def _seats(sitting: Sitting) -> list[Seat]:
    # candidates loaded with their seats: the roster shows each name, every few seconds
    return list(
        db.session.scalars(
            select(Seat)
            .where(Seat.sitting_id == sitting.id)
            .options(selectinload(Seat.candidate))
            .order_by(Seat.id)
        )
    )


def _row(
    seat: Seat,
    attempts: list[Attempt],
    counts: dict[int, int],
    waiting: list[LateSummary],
    now: datetime,
) -> RosterRow:
    status, attempt = _status(seat, attempts, now)
    live = attempt is not None and not timing.is_closed(attempt, now)
    seen = attempt.last_seen_at if attempt else None
    since = int((now - seen).total_seconds()) if live and seen else None
    return RosterRow(
        seat,
        status,
        attempt,
        counts.get(attempt.id, 0) if attempt else 0,
        timing.seconds_left(attempt, now) if live else None,
        since,
        live and attempt.paused_at is None and since is not None and since > LOST_AFTER.seconds,
        waiting,
    )


def roster(sitting: Sitting, now: datetime) -> list[RosterRow]:
    """Every seat's status, answered count, time left and signs of life, in three queries."""
    seats = _seats(sitting)
    attempts = attempts_by_seat([s.id for s in seats])
    counts = _answered_counts([a.id for group in attempts.values() for a in group])
    late_lines = late.seat_waiting([s.id for s in seats])
    return [
        _row(seat, attempts.get(seat.id, []), counts, late_lines.get(seat.id, []), now)
        for seat in seats
    ]


def seat_row(seat: Seat, now: datetime) -> RosterRow:
    """One seat's roster row (for the confirmation page of a void or force-submit)."""
    attempts = attempts_by_seat([seat.id]).get(seat.id, [])
    counts = _answered_counts([a.id for a in attempts])
    return _row(seat, attempts, counts, late.seat_waiting([seat.id]).get(seat.id, []), now)


def waiting(rows: list[RosterRow]) -> list[RosterRow]:
    """The rows of candidates in the waiting room: arrived, not admitted, not voided."""
    return [r for r in rows if r.status == "waiting"]


def sitting_is_over(sitting: Sitting, rows: list[RosterRow], now: datetime) -> bool:
    """Closed by the proctor, or past its end with no part still open (the roster stops)."""
    if sitting.closed_at is not None:
        return True
    return now >= sitting.ends_at and all(r.seconds_left is None for r in rows)


def _open_attempt(seat: Seat, now: datetime) -> Attempt:
    for part in ("VIGNETTE", "MC"):
        attempt = services.attempt_for(seat, part)
        if attempt is not None and not timing.is_closed(attempt, now):
            return attempt
    raise DeliveryError("This candidate has no part in progress.", 409)


def _pause(attempt: Attempt, now: datetime, minutes: int) -> dict:
    if attempt.paused_at is not None:
        raise DeliveryError("Already paused.", 409)
    attempt.paused_at = now
    return {}


def _resume(attempt: Attempt, now: datetime, minutes: int) -> dict:
    if attempt.paused_at is None:
        raise DeliveryError("Not paused.", 409)
    before = attempt.deadline_at
    attempt.deadline_at = timing.effective_deadline(attempt, now)  # the paused span moves it
    attempt.paused_at = None
    return {"paused_seconds": int((attempt.deadline_at - before).total_seconds())}


def _extend(attempt: Attempt, now: datetime, minutes: int) -> dict:
    if not 1 <= minutes <= 240:
        raise DeliveryError("Extend by 1 to 240 minutes.")
    attempt.deadline_at += timedelta(minutes=minutes)
    attempt.extension_minutes += minutes
    return {"minutes": minutes}


def lost_span(attempt: Attempt, now: datetime) -> timedelta:
    """How long the server has not heard from the page (no saves, no polls)."""
    seen = attempt.last_seen_at or attempt.started_at
    span = now - seen
    return span if span > LOST_AFTER else timedelta(0)


def _credit(attempt: Attempt, now: datetime, minutes: int) -> dict:
    span = lost_span(attempt, now)
    if not span:
        raise DeliveryError("No lost connection to credit: the page was heard from recently.", 409)
    attempt.deadline_at += span
    attempt.last_seen_at = now  # the same span is never credited twice
    return {"credited_seconds": int(span.total_seconds())}


def _force_submit(attempt: Attempt, now: datetime, minutes: int) -> dict:
    services.finalise(attempt, now, "proctor", actor=None)
    return {}


CLOCK_ACTIONS = {
    "pause": _pause,
    "resume": _resume,
    "extend": _extend,
    "credit": _credit,
    "force_submit": _force_submit,
}


@dataclass(frozen=True)
class SeatAction:
    """What the proctor asked for on one seat, as parsed from the form."""

    action: str
    reason: str = ""
    minutes: int = 0
    id_checked: bool = False
    id_note: str = ""
    confirmed: bool = False


#: these cannot be undone, so they arrive only from the page that names the candidate
NEEDS_CONFIRMATION = ("void", "force_submit")
NOTE_LIMIT = 500


def _admit(seat: Seat, request: SeatAction, actor: User, now: datetime) -> dict:
    if seat.voided_at is not None:
        raise DeliveryError("This seat is voided.", 409)
    if seat.admitted_at is not None:
        raise DeliveryError(f"{seat.candidate.name} is already admitted.", 409)
    if not request.id_checked:
        raise DeliveryError("Tick 'ID checked' once you have seen the candidate's photo ID.")
    if len(request.id_note) > NOTE_LIMIT:
        raise DeliveryError(f"Keep the ID note under {NOTE_LIMIT} characters.")
    seat.admitted_at = seat.id_checked_at = now
    seat.id_check_note = request.id_note.strip()
    return {"id_checked": True, "id_note": seat.id_check_note}


def _void(seat: Seat, now: datetime, actor: User) -> dict:
    if seat.voided_at is not None:
        raise DeliveryError("This seat is already voided.", 409)
    seat.voided_at = now
    for part in ("MC", "VIGNETTE"):
        attempt = services.attempt_for(seat, part)
        if attempt is not None and attempt.submitted_at is None:
            services.finalise(attempt, now, "void", actor=actor)
    return {}


def _check(request: SeatAction) -> None:
    if request.action not in ACTIONS:
        raise DeliveryError("Unknown action.")
    if request.action != "admit" and not request.reason.strip():
        raise DeliveryError("Give a reason: it goes into the audit log.")
    if len(request.reason) > NOTE_LIMIT:
        raise DeliveryError(f"Keep the reason under {NOTE_LIMIT} characters.")
    if request.action in NEEDS_CONFIRMATION and not request.confirmed:
        raise DeliveryError(
            "Void and force submit are confirmed on their own page: "
            "open it from the candidate's row on the roster."
        )


def act_on_seat(seat: Seat, request: SeatAction, actor: User, now: datetime) -> str:
    """Carry out one proctor action with its reason (audited); returns what to tell the proctor."""
    _check(request)
    action, subject = request.action, seat
    if action == "admit":
        data = _admit(seat, request, actor, now)
    elif action == "void":
        data = _void(seat, now, actor)
    else:
        subject = _open_attempt(seat, now)
        data = CLOCK_ACTIONS[action](subject, now, request.minutes)
    db.session.flush()
    # an admission's justification is the ID check itself; its note stands as the reason
    reason = request.reason.strip() or (seat.id_check_note or "ID checked")
    audit.record(
        f"proctor.{action}", subject, actor=actor, reason=reason, now=now, seat=seat.id, **data
    )
    return f"{action.replace('_', ' ').capitalize()}: done for {seat.candidate.name}."


def admit_all_waiting(
    sitting: Sitting, seat_ids: list[int], ids_checked: bool, actor: User, now: datetime
) -> list[Seat]:
    """Admit every listed seat still waiting, each ID-checked and audited on its own."""
    if not ids_checked:
        raise DeliveryError(
            "Tick the box once you have seen the photo ID of every waiting candidate."
        )
    rows = {r.seat.id: r for r in waiting(roster(sitting, now))}
    # only those the proctor saw listed: someone who arrived since is admitted on their own
    seats = [rows[i].seat for i in dict.fromkeys(seat_ids) if i in rows]
    if not seats:
        raise DeliveryError("Nobody listed is waiting any more.", 409)
    request = SeatAction("admit", id_checked=True)
    for seat in seats:
        data = _admit(seat, request, actor, now)
        db.session.flush()
        audit.record(
            "proctor.admit",
            seat,
            actor=actor,
            reason="ID checked (admit all)",
            now=now,
            seat=seat.id,
            admit_all=True,
            **data,
        )
    return seats


def record_incident(
    sitting: Sitting, seat_id: int | None, category: str, note: str, actor: User, now: datetime
) -> Incident:
    """Write an incident note (audited)."""
    if category not in INCIDENT_CATEGORIES:
        raise DeliveryError("Choose a category for the incident.")
    if not note.strip():
        raise DeliveryError("Write what happened.")
    if seat_id is not None and seat_id not in {s.id for s in sitting.seats}:
        raise DeliveryError("That seat is not in this sitting.")
    incident = Incident(
        sitting_id=sitting.id,
        seat_id=seat_id,
        author_id=actor.id,
        category=category,
        note=note.strip(),
        at=now,
    )
    db.session.add(incident)
    db.session.flush()
    audit.record("proctor.incident", incident, actor=actor, reason=category, now=now, seat=seat_id)
    return incident


def incidents(sitting: Sitting) -> list[Incident]:
    return list(
        db.session.scalars(
            select(Incident).where(Incident.sitting_id == sitting.id).order_by(Incident.at.desc())
        )
    )
