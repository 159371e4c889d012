"""Grading rounds and the lead grader's view of them: capacity committed against the readings
still needed, responses waiting too long for a second reading, and assigning them by name."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.grading import conflicts, graders, queue, settings
from app.grading.errors import GradingError
from app.models import Attempt, ExamWindow, GradingRound, Reading, Response, Seat, Sitting, User
from app.models.grading import LIVE_SLOTS


def windows() -> list[ExamWindow]:
    return list(db.session.scalars(select(ExamWindow).order_by(ExamWindow.opens_on.desc())))


def _round_candidates(window: ExamWindow) -> list[int]:
    # everyone seated in the window, plus anyone whose responses are still being read
    seated = select(Seat.candidate_id).join(Sitting).where(Sitting.window_id == window.id)
    in_grading = (
        select(Seat.candidate_id)
        .join(Attempt, Attempt.seat_id == Seat.id)
        .join(Response, Response.attempt_id == Attempt.id)
        .where(Response.readers < 2)
    )
    ids = set(db.session.scalars(seated)) | set(db.session.scalars(in_grading))
    return sorted(ids)


def open_round(lead: User, window_id: int | None, now: datetime) -> GradingRound:
    """Open a round for an exam window (closing the one before): its names list is fixed now."""
    window = db.session.get(ExamWindow, window_id) if window_id is not None else None
    if window is None:
        raise GradingError("Choose the exam window this round grades.", 422)
    current = graders.open_round()
    if current is not None:
        current.closed_at, current.open_marker = now, None
        db.session.flush()
    made = GradingRound(
        name=window.name,
        window_id=window.id,
        opened_by_id=lead.id,
        opened_at=now,
        candidate_ids=_round_candidates(window),
    )
    db.session.add(made)
    db.session.flush()
    audit.record(
        "grading.round.opened",
        made,
        actor=lead,
        now=now,
        window=window.id,
        candidates=len(made.candidate_ids),
        closed=current.id if current is not None else None,
    )
    return made


def open_demo_round(window: ExamWindow, now: datetime) -> GradingRound | None:
    """The demo's grading round for its window, opened by the demo lead grader (idempotent)."""
    lead = db.session.scalar(select(User).where(User.role == "lead_grader").order_by(User.id))
    if graders.open_round() is not None or lead is None:
        return graders.open_round()
    return open_round(lead, window.id, now)


@dataclass
class Coverage:
    """Readings still needed against the capacity the eligible graders have left."""

    needed: int
    remaining_capacity: int

    @property
    def short(self) -> bool:
        return self.remaining_capacity < self.needed


def coverage() -> Coverage:
    """Are the round's remaining commitments enough for the readings still needed?"""
    needed = db.session.scalar(select(func.sum(2 - Response.readers)).where(Response.readers < 2))
    current = graders.open_round()
    taken = graders.taken_in_round(current)
    left = sum(
        max(0, p.capacity - taken.get(p.user_id, 0)) for p in graders.eligible_profiles(current)
    )
    return Coverage(int(needed or 0), left)


@dataclass
class Overdue:
    """A response waiting too long: for its second reading, or on a reading nobody finishes."""

    response: Response
    since: datetime
    held_by: User | None


def overdue(now: datetime) -> list[Overdue]:
    """Responses waiting longer than the configured time for their second reading."""
    cutoff = now - settings.second_reading_wait()
    stmt = (
        select(Reading)
        .join(Response, Response.id == Reading.response_id)
        .where(Reading.slot.in_(LIVE_SLOTS), Reading.started_at < cutoff, graders.unresolved())
        .order_by(Reading.started_at)
    )
    found: dict[int, Overdue] = {}
    for reading in db.session.scalars(stmt):
        response = reading.response
        if response.resolution is not None or response.id in found:
            continue
        if response.readers == 1 and reading.is_submitted:
            found[response.id] = Overdue(response, reading.started_at, None)
        elif not reading.is_submitted:
            found[response.id] = Overdue(response, reading.started_at, reading.grader)
    return list(found.values())


def assignable(response: Response) -> list[User]:
    """Graders who may read this response: active, not a reader of it, no conflict."""
    readers = set(
        db.session.scalars(select(Reading.grader_id).where(Reading.response_id == response.id))
    )
    users = db.session.scalars(
        select(User)
        .where(User.role.in_(graders.GRADER_ROLES), User.is_active.is_(True))
        .order_by(User.name)
    )
    return [u for u in users if u.id not in readers and not conflicts.has_conflict(u, response)]


def assign(lead: User, code: str, grader_id: int | None, now: datetime) -> Reading:
    """Give an overdue response's reading to a named grader (a stale draft is released)."""
    item = next((o for o in overdue(now) if o.response.code == code), None)
    if item is None:
        raise GradingError("This response is not waiting too long (any more).", 409)
    grader = db.session.get(User, grader_id) if grader_id is not None else None
    if grader is None or grader not in assignable(item.response):
        raise GradingError("Choose a grader who has not read it and has no conflict.", 422)
    if item.held_by is not None:
        _release(item.response, item.held_by, lead, now)
    reading = queue.claim(item.response.id, grader, now)
    if reading is None:
        raise GradingError("Another grader took this response just now.", 409)
    audit.record(
        "grading.reading.assigned",
        item.response,
        actor=lead,
        now=now,
        grader=grader.id,
        slot=reading.slot,
        released_from=item.held_by.id if item.held_by else None,
    )
    return reading


def _release(response: Response, holder: User, lead: User, now: datetime) -> None:
    draft = db.session.scalar(
        select(Reading).where(
            Reading.response_id == response.id,
            Reading.grader_id == holder.id,
            Reading.slot.in_(LIVE_SLOTS),
            Reading.submitted_at.is_(None),
        )
    )
    response.readers -= 1
    db.session.delete(draft)
    db.session.flush()
    audit.record("grading.reading.released", response, actor=lead, now=now, grader=holder.id)
