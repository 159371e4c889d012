"""The lead grader's work: adjudication, back-reading, and the graders' capacity."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.grading import conflicts, graders
from app.grading import resolution as resolving
from app.grading.errors import GradingError
from app.models import GraderProfile, Reading, Resolution, Response, User


@dataclass
class Pending:
    """A response waiting for the lead grader, by code only."""

    response: Response
    reasons: list[str]
    taken_by_other: bool
    mine: Reading | None


def _pending(lead: User, resolutions, slot: str) -> list[Pending]:
    out = []
    for res in resolutions:
        response = res.response
        readings = {
            r.slot: r
            for r in db.session.scalars(select(Reading).where(Reading.response_id == response.id))
        }
        graders = {r.grader_id for r in readings.values()}
        claimed = readings.get(slot)
        if claimed is not None and claimed.is_submitted:
            continue
        mine = claimed if claimed is not None and claimed.grader_id == lead.id else None
        if mine is None and (lead.id in graders or conflicts.has_conflict(lead, response)):
            continue  # a lead never adjudicates or back-reads what they read, or whom they know
        out.append(Pending(response, res.reasons, claimed is not None and mine is None, mine))
    return out


def adjudication_queue(lead: User) -> list[Pending]:
    """Responses whose readings need the lead grader's third reading."""
    stmt = select(Resolution).where(
        Resolution.needs_adjudication.is_(True), Resolution.resolved_at.is_(None)
    )
    return _pending(lead, db.session.scalars(stmt.order_by(Resolution.id)), "ADJ")


def back_reading_queue(lead: User) -> list[Pending]:
    """Final responses drawn for back-reading and not yet back-read."""
    stmt = select(Resolution).where(
        Resolution.back_read.is_(True), Resolution.resolved_at.is_not(None)
    )
    return _pending(lead, db.session.scalars(stmt.order_by(Resolution.id)), "BACK")


@dataclass
class BackRead:
    """A finished back-reading against the final levels: the biggest gap, in levels."""

    response: Response
    reading: Reading
    gaps: dict[str, float]

    @property
    def largest(self) -> float:
        return max(self.gaps.values(), default=0.0)


def back_readings_done() -> list[BackRead]:
    stmt = select(Reading).where(Reading.slot == "BACK", Reading.submitted_at.is_not(None))
    done = []
    for reading in db.session.scalars(stmt.order_by(Reading.id.desc())):
        final = reading.response.resolution.final_ratings
        gaps = {c: abs(reading.ratings[c] - final[c]) for c in final if c in reading.ratings}
        done.append(BackRead(reading.response, reading, gaps))
    return done


def _response(code: str) -> Response:
    response = db.session.scalar(select(Response).where(Response.code == code))
    if response is None:
        raise GradingError("No response has this code.", 404)
    return response


def claim(lead: User, code: str, slot: str, now: datetime) -> Reading:
    """Take (or resume) the adjudication or back-reading of a response."""
    queue = adjudication_queue(lead) if slot == "ADJ" else back_reading_queue(lead)
    pending = next((p for p in queue if p.response.code == code), None)
    if pending is None:
        _response(code)  # 404 for an unknown code, else it is simply not waiting for this lead
        raise GradingError("This response is not waiting for you.", 409)
    if pending.mine is not None:
        return pending.mine
    if pending.taken_by_other:
        raise GradingError("Another lead grader is already reading this response.", 409)
    if not graders.has_declared(graders.profile_of(lead), graders.open_round()):
        raise GradingError(graders.BLOCKED_MESSAGES["conflicts"], 409)
    reading = Reading(
        response_id=pending.response.id,
        grader_id=lead.id,
        slot=slot,
        rubric_id=pending.response.attempt.form.rubric_id,
        started_at=now,
    )
    db.session.add(reading)
    db.session.flush()
    return reading


def live_pair(reading: Reading) -> list[Reading]:
    """For an adjudication: the two readings it settles (lead graders may see them)."""
    if reading.slot != "ADJ":
        return []
    return resolving.readings_of(reading.response)


@dataclass
class GraderRow:
    user: User
    profile: GraderProfile | None
    load: int
    taken: int
    done: int

    @property
    def committed(self) -> int:
        return self.profile.capacity if self.profile else 0


def graders_rows() -> list[GraderRow]:
    """Every grader and lead grader: capacity (committed), readings taken and done this round."""
    users = db.session.scalars(
        select(User).where(User.role.in_(graders.GRADER_ROLES)).order_by(User.name)
    )
    current = graders.open_round()
    taken = graders.taken_in_round(current)
    done = graders.taken_in_round(current, submitted_only=True)
    return [
        GraderRow(
            u,
            graders.profile_of(u),
            graders.live_load(u),
            taken.get(u.id, 0),
            done.get(u.id, 0),
        )
        for u in users
    ]


def grader(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in graders.GRADER_ROLES:
        raise GradingError("No such grader.", 404)
    return user


def set_capacity(lead: User, user: User, capacity: int, now: datetime) -> GraderProfile:
    """The live readings this grader commits to in the round (0 stops new allocations)."""
    if not 0 <= capacity <= 10_000:
        raise GradingError("Capacity is a whole number from 0 to 10,000.", 422)
    profile = graders.ensure_profile(user)
    before, profile.capacity = profile.capacity, capacity
    audit.record("grading.capacity.set", user, actor=lead, now=now, before=before, after=capacity)
    db.session.flush()
    return profile
