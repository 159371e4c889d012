"""The grader's queue: what they hold and may take, and handing out the next response.

Allocation happens when a grader asks (app.grading.allocation holds the rule): nothing is
reserved for a grader who is not there. Services only flush; the view commits once.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased

from app.extensions import db
from app.grading import allocation, graders
from app.grading.errors import GradingError
from app.models import Attempt, Conflict, GraderProfile, GradingRound, Reading, Response, Seat, User
from app.models.grading import LIVE_SLOTS

#: an unfinished reading of these slots comes back before anything new is handed out
OWN_SLOTS = (*LIVE_SLOTS, "APPEAL")


@dataclass
class QueueState:
    """What the grader's queue page shows: their own work only."""

    profile: GraderProfile | None
    round: GradingRound | None
    taken: int
    done: int
    drafts: list[Reading] = field(default_factory=list)
    finished: list[Reading] = field(default_factory=list)
    waiting: int = 0
    blocked: str = ""

    @property
    def capacity(self) -> int:
        return self.profile.capacity if self.profile else 0

    @property
    def full(self) -> bool:
        return self.taken >= self.capacity


def queue_state(grader: User) -> QueueState:
    """The grader's drafts, finished readings, round progress and why they cannot take more."""
    profile, current = graders.profile_of(grader), graders.open_round()
    own = select(Reading).where(Reading.grader_id == grader.id, Reading.slot != "CALIB")
    readings = list(db.session.scalars(own.order_by(Reading.id.desc())))
    waiting = db.session.scalar(select(func.count(Response.id)).where(Response.readers < 2))
    return QueueState(
        profile=profile,
        round=current,
        taken=graders.taken_in_round(current).get(grader.id, 0),
        done=graders.taken_in_round(current, submitted_only=True).get(grader.id, 0),
        drafts=[r for r in readings if not r.is_submitted],
        finished=[r for r in readings if r.is_submitted],
        waiting=waiting or 0,
        blocked=graders.blocked_reason(profile, current),
    )


@dataclass
class Handout:
    """The reading handed out, or why there is none ('' when one was handed out)."""

    reading: Reading | None
    why_none: str = ""


def next_response(grader: User, now: datetime) -> Handout:
    """The grader's unfinished reading, an appeal review, or a response chosen now."""
    draft = db.session.scalar(
        select(Reading)
        .where(Reading.grader_id == grader.id, Reading.submitted_at.is_(None))
        .where(Reading.slot.in_(OWN_SLOTS))
        .limit(1)
    )
    if draft is not None:
        return Handout(draft)
    profile, current = graders.profile_of(grader), graders.open_round()
    blocked = graders.blocked_reason(profile, current)
    if blocked:
        raise GradingError(graders.BLOCKED_MESSAGES[blocked], 409)
    from app.grading import appeals  # appeals build on the queue; imported late, one way

    review = appeals.claim_review(grader, now)
    if review is not None:
        return Handout(review)
    standing, outlook = _standing(grader, profile, current)
    if not standing.under_capacity:
        return Handout(None, f"You have taken the {profile.capacity} readings you committed to.")
    for _ in range(5):  # another grader may claim the same response first: choose again
        chosen = allocation.choose(_options(grader), standing, outlook, grader.id)
        if chosen is None:
            return Handout(None, "No response is waiting for you right now.")
        reading = claim(chosen.response, grader, now)
        if reading is not None:
            return Handout(reading)
    return Handout(None, "Other graders took the waiting responses first; try again.")


def _standing(grader: User, profile: GraderProfile, current):
    """The grader's standing against their share, and the outlook for the rest of the round."""
    team = graders.eligible_profiles(current)
    taken = graders.taken_in_round(current)
    standing = allocation.Standing(
        taken=taken.get(grader.id, 0),
        capacity=profile.capacity,
        team_taken=sum(taken.get(p.user_id, 0) for p in team),
        team_capacity=sum(p.capacity for p in team),
    )
    unread = db.session.scalar(select(func.count(Response.id)).where(Response.readers == 0))
    half_read = db.session.execute(
        select(Reading.grader_id, func.count(Reading.id))
        .join(Response, Response.id == Reading.response_id)
        .where(Response.readers == 1, Reading.slot.in_(LIVE_SLOTS))
        .group_by(Reading.grader_id)
    ).all()
    remaining = {p.user_id: max(0, p.capacity - taken.get(p.user_id, 0)) for p in team}
    return standing, allocation.Outlook(unread or 0, dict(half_read), remaining)


def _options(grader: User) -> list[allocation.Waiting]:
    """The oldest response waiting for a first reading and the oldest waiting for a second one
    that this grader may take (a response waits from its arrival)."""
    read_by_me = exists().where(Reading.response_id == Response.id, Reading.grader_id == grader.id)
    conflicted = select(Conflict.candidate_id).where(Conflict.grader_id == grader.id)
    base = (
        select(Response.id, Seat.candidate_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(~read_by_me, Seat.candidate_id.not_in(conflicted))
    )
    first = db.session.execute(
        base.add_columns(Response.created_at)
        .where(Response.readers == 0)
        .order_by(Response.created_at, Response.id)
        .limit(1)
    ).first()
    held = aliased(Reading)
    second = db.session.execute(
        base.add_columns(Response.created_at, held.grader_id)
        .join(held, held.response_id == Response.id)
        .where(Response.readers == 1, held.slot.in_(LIVE_SLOTS))
        .order_by(Response.created_at, Response.id)
        .limit(1)
    ).first()
    options = []
    if first is not None:
        options.append(allocation.Waiting(first[0], first[1], frozenset(), first[2]))
    if second is not None:
        options.append(allocation.Waiting(second[0], second[1], frozenset({second[3]}), second[2]))
    return options


def claim(response_id: int, grader: User, now: datetime) -> Reading | None:
    """A live reading of the response for the grader, or None if another claim got there first."""
    response = db.session.get(Response, response_id)
    taken = set(
        db.session.scalars(
            select(Reading.slot).where(
                Reading.response_id == response.id, Reading.slot.in_(LIVE_SLOTS)
            )
        )
    )
    if len(taken) >= allocation.READINGS_PER_RESPONSE:
        return None
    # compare-and-set: only one claim can move readers from n to n + 1
    moved = db.session.execute(
        update(Response)
        .where(Response.id == response.id, Response.readers == len(taken))
        .values(readers=len(taken) + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        db.session.expire(response)
        return None
    db.session.refresh(response)
    reading = Reading(
        response_id=response.id,
        grader_id=grader.id,
        slot=next(s for s in LIVE_SLOTS if s not in taken),
        rubric_id=response.attempt.form.rubric_id,
        started_at=now,
    )
    db.session.add(reading)
    db.session.flush()
    return reading
