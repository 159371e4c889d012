"""The coordinator's side of grading: results per sitting, release, conflicts, break-glass.

Identity meets responses here only: a seat's responses are listed by code only once final.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.grading import graders
from app.grading.errors import GradingError
from app.mail import notices
from app.models import Attempt, Conflict, Reading, Resolution, Response, Result, Seat, Sitting, User


@dataclass
class SittingRow:
    sitting: Sitting
    results: int
    released: int
    responses: int
    final: int


def sittings_overview() -> list[SittingRow]:
    """Every sitting with its results (released or not) and Part Two grading progress."""
    rows = []
    for sitting in db.session.scalars(select(Sitting).order_by(Sitting.starts_at.desc())):
        seat_ids = select(Seat.id).where(Seat.sitting_id == sitting.id)
        results = list(db.session.scalars(select(Result).where(Result.seat_id.in_(seat_ids))))
        responses, final = _grading_progress(seat_ids)
        released = sum(r.released_at is not None for r in results)
        rows.append(SittingRow(sitting, len(results), released, responses, final))
    return rows


def _grading_progress(seat_ids) -> tuple[int, int]:
    base = (
        select(func.count(Response.id))
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Attempt.seat_id.in_(seat_ids))
    )
    final = base.join(Resolution, Resolution.response_id == Response.id).where(
        Resolution.resolved_at.is_not(None)
    )
    return db.session.scalar(base) or 0, db.session.scalar(final) or 0


def sitting(sitting_id: int) -> Sitting:
    found = db.session.get(Sitting, sitting_id)
    if found is None:
        raise GradingError("No such sitting.", 404)
    return found


@dataclass
class SeatRow:
    """One seat: the candidate, each part's result, and how far Part Two grading has got."""

    seat: Seat
    results: dict[str, Result] = field(default_factory=dict)
    responses: int = 0
    final: int = 0

    @property
    def outcome(self) -> str:
        if any(not r.passed for r in self.results.values()):
            return "not passed"
        return "passed" if {"MC", "VIGNETTE"} <= set(self.results) else "pending"


def sitting_results(found: Sitting) -> list[SeatRow]:
    """Results of every seat in the sitting (identity is fine here: coordinator only)."""
    rows = []
    for seat in found.seats:
        row = SeatRow(seat)
        for result in db.session.scalars(select(Result).where(Result.seat_id == seat.id)):
            row.results[result.part] = result
        row.responses, row.final = _grading_progress(select(Seat.id).where(Seat.id == seat.id))
        rows.append(row)
    return rows


def release(coordinator: User, found: Sitting, now: datetime) -> int:
    """Release the sitting's unreleased results, both parts, to their candidates."""
    seat_ids = select(Seat.id).where(Seat.sitting_id == found.id)
    pending = list(
        db.session.scalars(
            select(Result).where(Result.seat_id.in_(seat_ids), Result.released_at.is_(None))
        )
    )
    if not pending:
        raise GradingError("There are no unreleased results in this sitting.", 409)
    for result in pending:
        result.released_at = now
    db.session.flush()
    for candidate in {result.seat.candidate for result in pending}:
        notices.results_released(candidate, now)  # no score in the email: a link to My results
    audit.record(
        "results.released",
        found,
        actor=coordinator,
        now=now,
        results=[r.id for r in pending],
    )
    return len(pending)


@dataclass
class SeatDetail:
    seat: Seat
    results: dict[str, Result]
    final_responses: list[Response]
    in_grading: int


def seat_detail(seat_id: int) -> SeatDetail:
    """A seat's results and its final responses by code (never one still in grading)."""
    seat = db.session.get(Seat, seat_id)
    if seat is None:
        raise GradingError("No such seat.", 404)
    results = {
        r.part: r for r in db.session.scalars(select(Result).where(Result.seat_id == seat.id))
    }
    responses = list(
        db.session.scalars(
            select(Response)
            .join(Attempt, Attempt.id == Response.attempt_id)
            .where(Attempt.seat_id == seat.id)
            .order_by(Response.id)
        )
    )
    final = [r for r in responses if r.resolution is not None and r.resolution.is_final]
    return SeatDetail(seat, results, final, len(responses) - len(final))


def readings_of(response: Response) -> list[Reading]:
    stmt = select(Reading).where(Reading.response_id == response.id, Reading.slot != "CALIB")
    return list(db.session.scalars(stmt.order_by(Reading.id)))


# --- conflicts and lead graders ----------------------------------------------------------


def lead_graders() -> list[User]:
    return people(("lead_grader",))


def lead_grader(user_id: int) -> User:
    found = db.session.get(User, user_id)
    if found is None or found.role != "lead_grader":
        raise GradingError("No such lead grader.", 404)
    return found


def conflicts() -> list[Conflict]:
    return list(db.session.scalars(select(Conflict).order_by(Conflict.declared_at.desc())))


def people(role_names) -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.role.in_(role_names)).order_by(User.name))
    )


def add_conflict(coordinator: User, grader_id: int, candidate_id: int, now: datetime) -> Conflict:
    """Record that a grader must never read a candidate; their unfinished reading goes back."""
    grader, candidate = db.session.get(User, grader_id), db.session.get(User, candidate_id)
    if grader is None or grader.role not in graders.GRADER_ROLES:
        raise GradingError("Choose a grader.", 422)
    if candidate is None or candidate.role != "candidate":
        raise GradingError("Choose a candidate.", 422)
    exists = db.session.scalar(
        select(Conflict).where(
            Conflict.grader_id == grader.id, Conflict.candidate_id == candidate.id
        )
    )
    if exists is not None:
        raise GradingError("This conflict is already recorded.", 409)
    conflict = Conflict(
        grader_id=grader.id,
        candidate_id=candidate.id,
        declared_by_id=coordinator.id,
        source="coordinator",
        declared_at=now,
    )
    db.session.add(conflict)
    released = _release_drafts(grader, candidate, now)
    audit.record(
        "grading.conflict.added", conflict, actor=coordinator, now=now, drafts_released=released
    )
    return conflict


def _release_drafts(grader: User, candidate: User, now: datetime) -> int:
    stmt = (
        select(Reading)
        .join(Response, Response.id == Reading.response_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Reading.grader_id == grader.id, Seat.candidate_id == candidate.id)
        .where(Reading.submitted_at.is_(None), Reading.slot != "CALIB")
    )
    drafts = list(db.session.scalars(stmt))
    for reading in drafts:
        if reading.slot in ("R1", "R2"):
            reading.response.readers -= 1
        db.session.delete(reading)
    db.session.flush()
    return len(drafts)


def remove_conflict(coordinator: User, conflict_id: int, now: datetime) -> None:
    """Remove a recorded conflict (audited)."""
    conflict = db.session.get(Conflict, conflict_id)
    if conflict is None:
        raise GradingError("No such conflict.", 404)
    audit.record(
        "grading.conflict.removed",
        conflict,
        actor=coordinator,
        now=now,
        grader=conflict.grader_id,
        candidate=conflict.candidate_id,
    )
    db.session.delete(conflict)
    db.session.flush()


# --- break-glass ---------------------------------------------------------------------------


def reveal(coordinator: User, code: str, reason: str, now: datetime) -> Seat:
    """Whose response this is, before it is final: only with a stated reason, always audited."""
    if len(reason.strip()) < 10:
        raise GradingError("State the reason for revealing an identity (10 characters or more).")
    response = db.session.scalar(select(Response).where(Response.code == code.strip()))
    if response is None:
        raise GradingError("No response has this code.", 404)
    audit.record(
        "grading.identity.revealed", response, actor=coordinator, now=now, reason=reason.strip()
    )
    return response.attempt.seat
