"""Grader-side state changes: responses from closed attempts and the grader's own readings.

Services only flush; the view commits once. Nothing here returns identity to a grader: readings
are found by the grader and the response's random code, never by an id a grader could walk.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.grading import graders, settings
from app.grading.errors import GradingError
from app.grading.parsing import whole_number
from app.grading.rules import Scale
from app.models import Answer, Attempt, GraderProfile, Reading, Response, User
from app.models.grading import LIVE_SLOTS

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

    staff = select(User).where(User.role.in_(graders.GRADER_ROLES), User.is_active)
    for grader in db.session.scalars(staff.order_by(User.id)):
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
    from app.grading import appeals, calibration, resolution

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
    elif reading.slot == "APPEAL":
        appeals.review_submitted(reading, now)
    return reading


# --- the demo ----------------------------------------------------------------------------


def enable_demo_graders(now: datetime) -> list[GraderProfile]:
    """Make every active grader able to read at once: a profile with the default capacity and
    calibration waived (a new platform has no pre-scored responses to calibrate on)."""
    users = db.session.scalars(
        select(User).where(User.role == "grader", User.is_active.is_(True)).order_by(User.id)
    )
    profiles = []
    for user in users:
        profile = graders.ensure_profile(user)
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
