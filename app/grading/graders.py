"""Who may read: grader profiles, calibration, the open grading round and its capacity counts.

Shared by the queue, calibration, conflicts and the lead grader's pages (it imports none of
them, so they no longer import each other).
"""

from datetime import UTC, datetime

from sqlalchemy import exists, func, select

from app.extensions import db
from app.grading import settings
from app.models import GraderProfile, GradingRound, Reading, Resolution, User
from app.models.grading import LIVE_SLOTS

GRADER_ROLES = ("grader", "lead_grader")
#: before any round is opened every live reading counts towards capacity
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

BLOCKED_MESSAGES = {
    "conflicts": "Declare your conflicts of interest before you receive responses.",
    "calibration": "Reach the calibration agreement rate before you receive live responses.",
    "capacity": "Your capacity is 0: ask the lead grader to set how many readings you take.",
}


def profile_of(user: User) -> GraderProfile | None:
    return db.session.scalar(select(GraderProfile).where(GraderProfile.user_id == user.id))


def ensure_profile(user: User) -> GraderProfile:
    """The grader's profile, created with the default capacity on first need."""
    profile = profile_of(user)
    if profile is None:
        profile = GraderProfile(user_id=user.id, capacity=settings.default_capacity())
        db.session.add(profile)
        db.session.flush()
    return profile


def is_calibrated(profile: GraderProfile | None) -> bool:
    return settings.calibration_rate() <= 0 or (
        profile is not None and profile.calibrated_at is not None
    )


def open_round() -> GradingRound | None:
    """The grading round in progress, if the lead grader has opened one."""
    return db.session.scalar(select(GradingRound).where(GradingRound.closed_at.is_(None)))


def round_start(current: GradingRound | None) -> datetime:
    return current.opened_at if current is not None else EPOCH


def has_declared(profile: GraderProfile | None, current: GradingRound | None) -> bool:
    """Declared against the open round's list of names (or at all, before rounds exist)."""
    if profile is None or profile.conflicts_declared_at is None:
        return False
    return current is None or profile.declared_round_id == current.id


def blocked_reason(profile: GraderProfile | None, current: GradingRound | None) -> str:
    """Why a grader cannot take live readings now ('' when they can)."""
    if not has_declared(profile, current):
        return "conflicts"
    if not is_calibrated(profile):
        return "calibration"
    if profile.capacity <= 0:
        return "capacity"
    return ""


def eligible_profiles(current: GradingRound | None) -> list[GraderProfile]:
    """Active graders who may take live readings in the round (declared, calibrated, capacity)."""
    stmt = (
        select(GraderProfile)
        .join(User, User.id == GraderProfile.user_id)
        .where(User.is_active.is_(True), User.role.in_(GRADER_ROLES))
        .where(GraderProfile.capacity > 0)
        .order_by(GraderProfile.user_id)
    )
    return [p for p in db.session.scalars(stmt) if blocked_reason(p, current) == ""]


def taken_in_round(current: GradingRound | None, submitted_only: bool = False) -> dict[int, int]:
    """Live readings each grader took (or finished) since the round opened, by grader id."""
    stmt = select(Reading.grader_id, func.count(Reading.id)).where(
        Reading.slot.in_(LIVE_SLOTS), Reading.started_at >= round_start(current)
    )
    if submitted_only:
        stmt = stmt.where(Reading.submitted_at.is_not(None))
    return dict(db.session.execute(stmt.group_by(Reading.grader_id)).all())


def unresolved():
    """Readings whose response has no resolution yet (the pair is not complete)."""
    return ~exists().where(Resolution.response_id == Reading.response_id)


def live_load(grader: User) -> int:
    """Live readings the grader holds on responses whose pair is not complete yet."""
    stmt = select(func.count(Reading.id)).where(
        Reading.grader_id == grader.id, Reading.slot.in_(LIVE_SLOTS), unresolved()
    )
    return db.session.scalar(stmt) or 0
