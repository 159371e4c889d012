"""Conflicts of interest: the declaration against the round's list of names, and recusal.

The list is every candidate of the open grading round, fixed when the round opened, so it never
shrinks to the few still in grading (which would tell a late declarer whose responses remain).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.grading import graders
from app.grading.errors import GradingError
from app.models import Attempt, Conflict, Reading, Resolution, Response, Seat, User
from app.models.grading import LIVE_SLOTS


@dataclass
class NameChoice:
    token: str
    name: str
    checked: bool
    fixed: bool


def conflicts_locked(grader: User) -> bool:
    """Once a grader has seen a response in this round, the list of names is closed to them."""
    since = graders.round_start(graders.open_round())
    stmt = select(Reading.id).where(Reading.grader_id == grader.id, Reading.started_at >= since)
    return bool(db.session.scalar(stmt.limit(1)))


def _name_token(grader: User, candidate_id: int) -> str:
    # opaque per grader: a candidate's user id never reaches a grader's page
    key = current_app.config["SECRET_KEY"].encode()
    message = f"conflict:{grader.id}:{candidate_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def listed_candidates() -> list[User]:
    """The round's candidates as fixed at opening; before any round, those in grading."""
    current = graders.open_round()
    if current is not None:
        ids = [int(i) for i in current.candidate_ids]
        return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))
    final = select(Resolution.response_id).where(Resolution.resolved_at.is_not(None))
    attempts = select(Response.attempt_id).where(Response.id.not_in(final))
    stmt = (
        select(User)
        .join(Seat, Seat.candidate_id == User.id)
        .join(Attempt, Attempt.seat_id == Seat.id)
        .where(Attempt.id.in_(attempts))
        .distinct()
        .order_by(User.name)
    )
    return list(db.session.scalars(stmt))


def name_choices(grader: User) -> list[NameChoice]:
    """The names of the round's candidates, with the grader's recorded conflicts ticked."""
    mine = {
        c.candidate_id: c
        for c in db.session.scalars(select(Conflict).where(Conflict.grader_id == grader.id))
    }
    return [
        NameChoice(
            _name_token(grader, user.id),
            user.name,
            user.id in mine,
            user.id in mine and mine[user.id].source != "grader",
        )
        for user in listed_candidates()
    ]


def declare_conflicts(grader: User, tokens: set[str], now: datetime) -> int:
    """Record the grader's conflicts from the names list (replacing their own earlier marks)."""
    if conflicts_locked(grader):
        raise GradingError(
            "You have already seen responses; ask the coordinator to add a conflict.", 409
        )
    listed = listed_candidates()
    by_token = {_name_token(grader, u.id): u for u in listed}
    if tokens - set(by_token):
        raise GradingError("The list of names has changed; reload the page and try again.", 422)
    chosen = {by_token[t].id for t in tokens}
    listed_ids = {u.id for u in listed}
    for conflict in db.session.scalars(select(Conflict).where(Conflict.grader_id == grader.id)):
        # a grader's own mark outside this list (an earlier round's) stays on record
        unticked = conflict.candidate_id in listed_ids and conflict.candidate_id not in chosen
        if conflict.source == "grader" and unticked:
            db.session.delete(conflict)
        chosen.discard(conflict.candidate_id)
    for candidate_id in chosen:
        db.session.add(
            Conflict(
                grader_id=grader.id,
                candidate_id=candidate_id,
                declared_by_id=grader.id,
                source="grader",
                declared_at=now,
            )
        )
    profile = graders.ensure_profile(grader)
    current = graders.open_round()
    profile.conflicts_declared_at = now
    profile.declared_round_id = current.id if current is not None else None
    db.session.flush()
    count = db.session.scalar(
        select(func.count(Conflict.id)).where(Conflict.grader_id == grader.id)
    )
    audit.record(
        "grading.conflicts.declared",
        grader,
        actor=grader,
        now=now,
        conflicts=count,
        round=profile.declared_round_id,
    )
    return count


def recuse(reading: Reading, now: datetime) -> None:
    """The grader recognises the writer: record the conflict and hand the reading back."""
    if reading.is_submitted:
        raise GradingError("This reading is submitted and can no longer change.", 409)
    if reading.slot == "CALIB":
        raise GradingError("Calibration readings cannot be handed back.", 422)
    response = reading.response
    candidate_id = response.attempt.seat.candidate_id
    if not has_conflict_with(reading.grader_id, candidate_id):
        db.session.add(
            Conflict(
                grader_id=reading.grader_id,
                candidate_id=candidate_id,
                declared_by_id=reading.grader_id,
                source="recusal",
                declared_at=now,
            )
        )
    if reading.slot in LIVE_SLOTS:
        response.readers -= 1
    audit.record("grading.reading.recused", response, actor=reading.grader_id, now=now)
    db.session.delete(reading)
    db.session.flush()


def has_conflict_with(grader_id: int, candidate_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(Conflict.id).where(
                Conflict.grader_id == grader_id, Conflict.candidate_id == candidate_id
            )
        )
    )


def has_conflict(grader: User, response: Response) -> bool:
    return has_conflict_with(grader.id, response.attempt.seat.candidate_id)
