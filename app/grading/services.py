"""Grader-side state changes: responses from closed attempts, the queue, readings, conflicts.

Services only flush; the view commits once. Nothing here returns identity to a grader: readings
are found by the grader and the response's random code, never by an id a grader could walk.
"""

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import exists, func, select, update

from app import audit
from app.extensions import db
from app.grading import allocation, settings
from app.grading.errors import GradingError
from app.grading.parsing import whole_number
from app.grading.rules import Scale
from app.models import (
    Answer,
    Attempt,
    Conflict,
    GraderProfile,
    Reading,
    Resolution,
    Response,
    Seat,
    User,
)
from app.models.grading import LIVE_SLOTS

GRADER_ROLES = ("grader", "lead_grader")


# --- responses from a closed Part Two attempt ----------------------------------------------


def _is_closed(attempt: Attempt, now: datetime) -> bool:
    # submitted, or past a deadline that is not standing still for a pause
    return attempt.submitted_at is not None or (
        attempt.paused_at is None and now > attempt.deadline_at
    )


def create_responses(attempt: Attempt, now: datetime) -> list[Response]:
    """One anonymised Response per chosen, answered vignette of a closed Part Two attempt."""
    if attempt.part != "VIGNETTE":
        raise GradingError("Only Part Two attempts are graded by readers.", 422)
    if not _is_closed(attempt, now):
        raise GradingError("The attempt is still open; responses are made when it closes.", 409)
    if attempt.submit_reason == "void":
        return []
    have = {r.vignette_id: r for r in _attempt_responses(attempt)}
    # read the answers from the database: the attempt's collection may predate the last save
    answers = db.session.scalars(
        select(Answer).where(Answer.attempt_id == attempt.id, Answer.vignette_id.is_not(None))
    )
    created = False
    for answer in answers:
        answered = answer.chosen and answer.value.strip()
        if answered and answer.vignette_id not in have:
            created = True
            have[answer.vignette_id] = Response(
                attempt_id=attempt.id, vignette_id=answer.vignette_id, created_at=now
            )
            db.session.add(have[answer.vignette_id])
            audit.record("grading.response.created", attempt, now=now, vignette=answer.vignette_id)
    db.session.flush()
    if created:
        _tell_graders(attempt, now)
    if not have:
        from app.grading import results  # a blank Part Two is final at once: nothing to read

        results.write_part_two_result(attempt, now)
    return list(have.values())


def _tell_graders(attempt: Attempt, now: datetime) -> None:
    # Once per grader per sitting (the dedupe key): the first response of a round opens it.
    from app.mail import notices  # mail composes from the exam package, which imports this one

    graders = select(User).where(User.role.in_(GRADER_ROLES), User.is_active)
    for grader in db.session.scalars(graders.order_by(User.id)):
        notices.grading_open(grader, f"sitting-{attempt.seat.sitting_id}", now)


def _attempt_responses(attempt: Attempt) -> list[Response]:
    return list(db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)))


def create_missing_responses(now: datetime) -> int:
    """Responses for every closed, unvoided Part Two attempt that has none yet (idempotent)."""
    graded = select(Response.attempt_id)
    stmt = select(Attempt).where(Attempt.part == "VIGNETTE", Attempt.id.not_in(graded))
    count = 0
    for attempt in db.session.scalars(stmt):
        if _is_closed(attempt, now) and attempt.submit_reason != "void":
            count += len(create_responses(attempt, now))
    return count


# --- graders: profile, eligibility, queue ------------------------------------------------


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


def _eligible_profiles() -> list[GraderProfile]:
    stmt = (
        select(GraderProfile)
        .join(User, User.id == GraderProfile.user_id)
        .where(User.is_active.is_(True), User.role.in_(GRADER_ROLES))
        .where(GraderProfile.capacity > 0, GraderProfile.conflicts_declared_at.is_not(None))
        .order_by(GraderProfile.user_id)
    )
    return [p for p in db.session.scalars(stmt) if is_calibrated(p)]


def _unresolved():
    return ~exists().where(Resolution.response_id == Reading.response_id)


def live_load(grader: User) -> int:
    """Live readings the grader holds on responses whose pair is not complete yet."""
    stmt = select(func.count(Reading.id)).where(
        Reading.grader_id == grader.id, Reading.slot.in_(LIVE_SLOTS), _unresolved()
    )
    return db.session.scalar(stmt) or 0


@dataclass
class QueueState:
    """What the grader's queue page shows: their own work only."""

    profile: GraderProfile | None
    load: int
    drafts: list[Reading] = field(default_factory=list)
    finished: list[Reading] = field(default_factory=list)
    waiting: int = 0
    blocked: str = ""

    @property
    def capacity(self) -> int:
        return self.profile.capacity if self.profile else settings.default_capacity()


def queue_state(grader: User) -> QueueState:
    """The grader's drafts, finished readings, load and why they cannot take more (if so)."""
    profile = profile_of(grader)
    own = select(Reading).where(Reading.grader_id == grader.id, Reading.slot != "CALIB")
    readings = list(db.session.scalars(own.order_by(Reading.id.desc())))
    waiting = db.session.scalar(select(func.count(Response.id)).where(Response.readers < 2))
    return QueueState(
        profile=profile,
        load=live_load(grader),
        drafts=[r for r in readings if not r.is_submitted],
        finished=[r for r in readings if r.is_submitted],
        waiting=waiting or 0,
        blocked=_blocked_reason(grader, profile),
    )


def _blocked_reason(grader: User, profile: GraderProfile | None) -> str:
    if profile is None or profile.conflicts_declared_at is None:
        return "conflicts"
    if not is_calibrated(profile):
        return "calibration"
    if profile.capacity <= 0:
        return "capacity"
    return ""


# --- next response ------------------------------------------------------------------------


def next_response(grader: User, now: datetime) -> Reading | None:
    """The grader's unfinished reading, or a newly allocated one; None when nothing fits."""
    draft = db.session.scalar(
        select(Reading)
        .where(Reading.grader_id == grader.id, Reading.submitted_at.is_(None))
        .where(Reading.slot.in_(LIVE_SLOTS))
        .limit(1)
    )
    if draft is not None:
        return draft
    blocked = _blocked_reason(grader, profile_of(grader))
    if blocked:
        raise GradingError(BLOCKED_MESSAGES[blocked], 409)
    for _ in range(3):  # another grader may take the same slot first: recompute and retry
        assignment = _allocate_for(grader)
        if assignment is None:
            return None
        reading = _claim(assignment, grader, now)
        if reading is not None:
            return reading
    return None


BLOCKED_MESSAGES = {
    "conflicts": "Declare your conflicts of interest before you receive responses.",
    "calibration": "Reach the calibration agreement rate before you receive live responses.",
    "capacity": "Your capacity is 0: ask the lead grader to set how many readings you take.",
}


def _window(grader: User) -> list[allocation.Need]:
    read_by_me = exists().where(Reading.response_id == Response.id, Reading.grader_id == grader.id)
    conflicted = select(Conflict.candidate_id).where(Conflict.grader_id == grader.id)
    stmt = (
        select(Response.id, Seat.candidate_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Response.readers < 2, ~read_by_me, Seat.candidate_id.not_in(conflicted))
        # finish half-read responses first, so pairs resolve and results come sooner
        .order_by(Response.readers.desc(), Response.id)
        .limit(settings.WINDOW)
    )
    return [allocation.Need(r, c) for r, c in db.session.execute(stmt)]


def _allocate_for(grader: User) -> allocation.Assignment | None:
    window = _window(grader)
    if not window:
        return None
    profiles = _eligible_profiles()
    graders = [p.user_id for p in profiles]
    if grader.id not in graders:
        return None
    existing = db.session.execute(
        select(Reading.response_id, Reading.grader_id).where(
            Reading.slot.in_(LIVE_SLOTS), _unresolved()
        )
    ).all()
    candidates = {n.candidate for n in window}
    conflicts = db.session.execute(
        select(Conflict.grader_id, Conflict.candidate_id).where(
            Conflict.candidate_id.in_(candidates)
        )
    ).all()
    assignments = allocation.allocate(
        window,
        graders,
        {tuple(c) for c in conflicts},
        {p.user_id: p.capacity for p in profiles},
        [tuple(e) for e in existing],
    )
    return next((a for a in assignments if a.grader == grader.id), None)


def _claim(assignment: allocation.Assignment, grader: User, now: datetime) -> Reading | None:
    response = db.session.get(Response, assignment.response)
    taken = set(
        db.session.scalars(
            select(Reading.slot).where(
                Reading.response_id == response.id, Reading.slot.in_(LIVE_SLOTS)
            )
        )
    )
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
    slot = next(s for s in LIVE_SLOTS if s not in taken)
    reading = Reading(
        response_id=response.id,
        grader_id=grader.id,
        slot=slot,
        rubric_id=response.attempt.form.rubric_id,
        started_at=now,
    )
    db.session.add(reading)
    db.session.flush()
    return reading


# --- a grader's own reading ---------------------------------------------------------------


def own_reading(grader: User, code: str) -> Reading:
    """The grader's live, adjudication or back reading of the response with this code, or 404."""
    reading = db.session.scalar(
        select(Reading)
        .join(Response, Response.id == Reading.response_id)
        .where(Response.code == code, Reading.grader_id == grader.id, Reading.slot != "CALIB")
    )
    if reading is None:
        raise GradingError("There is no reading of yours with this code.", 404)
    return reading


@dataclass
class Entry:
    """What a grader entered in the reading form, checked against the rubric."""

    ratings: dict[str, int]
    comments: dict[str, str]
    overall: str
    missing: list[str]
    problems: list[str]


def parse_entry(reading: Reading, form) -> Entry:
    """Ratings, comments and the overall comment from the form; unknown levels are problems."""
    scale = Scale.of(reading.rubric.criteria)
    ratings, comments, missing, problems = {}, {}, [], []
    for criterion in reading.rubric.criteria:
        code = criterion["code"]
        raw = form.get(f"rating-{code}", "").strip()
        level = whole_number(raw)
        if not raw:
            missing.append(criterion["label"])
        elif level is not None and level in scale.scores(code):
            ratings[code] = level
        else:
            problems.append(f"{criterion['label']}: choose one of the levels shown.")
        comment = form.get(f"comment-{code}", "").strip()
        if len(comment) > settings.COMMENT_MAX:
            problems.append(f"{criterion['label']}: keep the comment under 4,000 characters.")
        elif comment:
            comments[code] = comment
    overall = form.get("overall", "").strip()
    if len(overall) > settings.COMMENT_MAX:
        problems.append("Overall comment: keep it under 4,000 characters.")
    if any("\x00" in text for text in [overall, *comments.values()]):
        problems.append("A comment contains a character that cannot be stored (NUL).")
    return Entry(ratings, comments, overall, missing, problems)


def _refuse_if_submitted(reading: Reading) -> None:
    if reading.is_submitted:
        raise GradingError("This reading is submitted and can no longer change.", 409)


def save_draft(reading: Reading, entry: Entry, now: datetime) -> Reading:
    """Keep what the grader has entered so far (a whole snapshot of the form)."""
    _refuse_if_submitted(reading)
    if entry.problems:
        raise GradingError(" ".join(entry.problems), 422)
    reading.ratings, reading.comments = entry.ratings, entry.comments
    reading.overall_comment, reading.saved_at = entry.overall, now
    db.session.flush()
    return reading


def submit_reading(reading: Reading, entry: Entry, now: datetime) -> Reading:
    """Submit a complete reading; the pair, adjudication or calibration moves on from it."""
    from app.grading import calibration, resolution

    _refuse_if_submitted(reading)
    if entry.problems or entry.missing:
        raise GradingError(
            " ".join(entry.problems + [f"{m}: choose a level." for m in entry.missing]), 422
        )
    reading.ratings, reading.comments = entry.ratings, entry.comments
    reading.overall_comment, reading.saved_at, reading.submitted_at = entry.overall, now, now
    db.session.flush()
    audit.record(
        "grading.reading.submitted",
        reading,
        actor=reading.grader_id,
        now=now,
        slot=reading.slot,
        response=reading.response_id,
        rubric=reading.rubric_id,
        ratings=reading.ratings,
    )
    if reading.slot in LIVE_SLOTS:
        resolution.resolve_if_ready(reading.response, now)
    elif reading.slot == "ADJ":
        resolution.complete_adjudication(reading, now)
    elif reading.slot == "CALIB":
        calibration.check_round(reading.grader, now)
    return reading


def recuse(reading: Reading, now: datetime) -> None:
    """The grader recognises the writer: record the conflict and hand the reading back."""
    _refuse_if_submitted(reading)
    if reading.slot == "CALIB":
        raise GradingError("Calibration readings cannot be handed back.", 422)
    response = reading.response
    candidate_id = response.attempt.seat.candidate_id
    if not _has_conflict(reading.grader_id, candidate_id):
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


def _has_conflict(grader_id: int, candidate_id: int) -> bool:
    return bool(
        db.session.scalar(
            select(Conflict.id).where(
                Conflict.grader_id == grader_id, Conflict.candidate_id == candidate_id
            )
        )
    )


def has_conflict(grader: User, response: Response) -> bool:
    return _has_conflict(grader.id, response.attempt.seat.candidate_id)


# --- conflict declaration (names only, before any response) ---------------------------------


@dataclass
class NameChoice:
    token: str
    name: str
    checked: bool
    fixed: bool


def conflicts_locked(grader: User) -> bool:
    """Once a grader has seen a response, the list of names is closed to them."""
    return bool(db.session.scalar(select(Reading.id).where(Reading.grader_id == grader.id)))


def _name_token(grader: User, candidate_id: int) -> str:
    # opaque per grader: a candidate's user id never reaches a grader's page
    key = current_app.config["SECRET_KEY"].encode()
    message = f"conflict:{grader.id}:{candidate_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def _listed_candidates() -> list[User]:
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
    """The names of candidates whose responses are in grading, with the grader's conflicts."""
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
        for user in _listed_candidates()
    ]


def declare_conflicts(grader: User, tokens: set[str], now: datetime) -> int:
    """Record the grader's conflicts from the names list (replacing their own earlier marks)."""
    if conflicts_locked(grader):
        raise GradingError(
            "You have already seen responses; ask the coordinator to add a conflict.", 409
        )
    by_token = {_name_token(grader, u.id): u for u in _listed_candidates()}
    if tokens - set(by_token):
        raise GradingError("The list of names has changed; reload the page and try again.", 422)
    chosen = {by_token[t].id for t in tokens}
    for conflict in db.session.scalars(select(Conflict).where(Conflict.grader_id == grader.id)):
        if conflict.source == "grader" and conflict.candidate_id not in chosen:
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
    profile = ensure_profile(grader)
    profile.conflicts_declared_at = now
    db.session.flush()
    count = db.session.scalar(
        select(func.count(Conflict.id)).where(Conflict.grader_id == grader.id)
    )
    audit.record("grading.conflicts.declared", grader, actor=grader, now=now, conflicts=count)
    return count


# --- the demo ----------------------------------------------------------------------------


def enable_demo_graders(now: datetime) -> list[GraderProfile]:
    """Make every active grader able to read at once: a profile with the default capacity and
    calibration waived (a new platform has no pre-scored responses to calibrate on)."""
    graders = db.session.scalars(
        select(User).where(User.role == "grader", User.is_active.is_(True)).order_by(User.id)
    )
    profiles = []
    for user in graders:
        profile = ensure_profile(user)
        if profile.calibrated_at is None:
            profile.calibrated_at = now
            audit.record(
                "grading.calibration.waived",
                user,
                now=now,
                reason="demo data: no pre-scored responses exist yet",
            )
        profiles.append(profile)
    create_missing_responses(now)
    db.session.flush()
    return profiles
