"""Appeals: a candidate who did not pass Part Two asks for a review; the coordinator accepts or
declines; an accepted appeal sends the response(s), blind, to a grader who has not read them.

The outcome rule (README, "Appeals"): for each response, the review reading replaces the final
levels when it differs from them by more than one level on any criterion; otherwise that final
stands. The appeal is *changed* when any response's final was replaced (the Part Two result is
then recomputed and may pass), *upheld* otherwise. Every step is in the audit log; the
candidate's statement is for the coordinator only and never reaches a grader.
"""

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.extensions import db
from app.grading import results, rules, settings
from app.grading.errors import GradingError
from app.mail import notices
from app.models import Appeal, Attempt, Conflict, Reading, Result, Seat, User
from app.models.grading import Response

STATEMENT_MIN, STATEMENT_MAX = 10, 2000


def appeal_of(result: Result) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.attempt_id == result.attempt_id))


def appeal_closes(result: Result) -> datetime | None:
    """The end of the request window: released + APPEAL_WINDOW_DAYS."""
    return result.released_at + settings.appeal_window() if result.released_at else None


def may_appeal(result: Result, now: datetime) -> bool:
    """A released, failed Part Two, inside the window, with no request yet for the attempt."""
    if result.part != "VIGNETTE" or result.passed or result.released_at is None:
        return False
    return now <= appeal_closes(result) and appeal_of(result) is None


def request_review(candidate: User, result_id: int | None, statement: str, now: datetime) -> Appeal:
    """The candidate's request for a review of their failed Part Two, with a short statement."""
    result = db.session.get(Result, result_id) if result_id is not None else None
    if result is None or result.seat.candidate_id != candidate.id:
        raise GradingError("There is no result of yours to appeal here.", 404)
    if not may_appeal(result, now):
        raise GradingError("This result cannot be appealed (already requested, or too late).", 409)
    statement = statement.strip()
    if not STATEMENT_MIN <= len(statement) <= STATEMENT_MAX or "\x00" in statement:
        raise GradingError(
            f"Say briefly why you ask for a review ({STATEMENT_MIN} to {STATEMENT_MAX:,} "
            "characters).",
            422,
        )
    appeal = Appeal(
        attempt_id=result.attempt_id,
        result_id=result.id,
        candidate_id=candidate.id,
        statement=statement,
        requested_at=now,
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record("appeal.requested", appeal, actor=candidate, now=now, result=result.id)
    return appeal


def all_appeals() -> list[Appeal]:
    """Every appeal, open requests first, newest first within each state."""
    found = db.session.scalars(select(Appeal).order_by(Appeal.requested_at.desc()))
    return sorted(found, key=lambda a: a.status != "requested")


def decide(coordinator: User, appeal_id: int, accept: bool, reason: str, now: datetime) -> Appeal:
    """Accept (responses go to a new blind reader) or decline an appeal, with the reason."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise GradingError("No such appeal.", 404)
    if appeal.status != "requested":
        raise GradingError("This appeal has already been decided.", 409)
    if len(reason.strip()) < 5:
        raise GradingError("Give the reason for the decision (a few words at least).", 422)
    appeal.status = "accepted" if accept else "declined"
    appeal.decided_by_id, appeal.decided_at = coordinator.id, now
    appeal.decision_reason = reason.strip()
    db.session.flush()
    audit.record(
        f"appeal.{appeal.status}", appeal, actor=coordinator, now=now, reason=reason.strip()
    )
    notices.appeal_news(db.session.get(User, appeal.candidate_id), now)
    return appeal


# --- the review reading: in the grader's Next queue -----------------------------------------


def claim_review(grader: User, now: datetime) -> Reading | None:
    """A review reading of an accepted appeal's response this grader has never read, if any."""
    read_by_me = exists().where(Reading.response_id == Response.id, Reading.grader_id == grader.id)
    reviewed = exists().where(Reading.response_id == Response.id, Reading.slot == "APPEAL")
    conflicted = select(Conflict.candidate_id).where(Conflict.grader_id == grader.id)
    stmt = (
        select(Response)
        .join(Appeal, Appeal.attempt_id == Response.attempt_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Appeal.status == "accepted", ~reviewed, ~read_by_me)
        .where(Seat.candidate_id.not_in(conflicted))
        .order_by(Appeal.decided_at, Response.id)
    )
    response = db.session.scalar(stmt.limit(1))
    if response is None:
        return None
    reading = Reading(
        response_id=response.id,
        grader_id=grader.id,
        slot="APPEAL",
        rubric_id=response.attempt.form.rubric_id,
        started_at=now,
    )
    try:
        with db.session.begin_nested():  # one review per response (unique slot index)
            db.session.add(reading)
    except IntegrityError:
        return None
    audit.record("appeal.review.assigned", response, actor=grader, now=now)
    return reading


def review_submitted(reading: Reading, now: datetime) -> Appeal | None:
    """When every response of the appeal has its review: apply the rule and close the appeal."""
    attempt = reading.response.attempt
    appeal = db.session.scalar(select(Appeal).where(Appeal.attempt_id == attempt.id))
    responses = list(db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)))
    reviews = {
        r.response_id: r
        for r in db.session.scalars(
            select(Reading).where(
                Reading.response_id.in_([r.id for r in responses]),
                Reading.slot == "APPEAL",
                Reading.submitted_at.is_not(None),
            )
        )
    }
    if appeal is None or appeal.status != "accepted" or len(reviews) < len(responses):
        return None
    changed = [r for r in responses if _apply_review(r, reviews[r.id], now)]
    before = appeal_result(appeal)
    passed_before = before.passed
    results.write_part_two_result(attempt, now)
    appeal.status, appeal.outcome_at = "decided", now
    appeal.outcome = "changed" if changed else "upheld"
    db.session.flush()
    audit.record(
        "appeal.decided",
        appeal,
        now=now,
        outcome=appeal.outcome,
        responses_changed=[r.id for r in changed],
        passed_before=passed_before,
        passed_after=before.passed,
    )
    notify_candidate_of_outcome(appeal)
    return appeal


def appeal_result(appeal: Appeal) -> Result:
    return db.session.get(Result, appeal.result_id)


def _apply_review(response: Response, review: Reading, now: datetime) -> bool:
    """Replace the response's final levels by the review's when they differ by more than one
    level on any criterion (the documented rule); True when replaced."""
    resolution = response.resolution
    scale = rules.Scale.of(review.rubric.criteria)
    final = resolution.final_ratings
    apart = [
        code
        for code in scale.codes
        if scale.steps_apart(code, final[code], review.ratings[code]) > 1 + rules.EPSILON
    ]
    if not apart:
        return False
    audit.record(
        "appeal.final.replaced",
        response,
        now=now,
        before=dict(final),
        after=dict(review.ratings),
        criteria=apart,
    )
    resolution.final_ratings = {code: float(review.ratings[code]) for code in scale.codes}
    resolution.detail = dict.fromkeys(scale.codes, "appeal")
    db.session.flush()
    return True


def notify_candidate_of_outcome(appeal: Appeal) -> None:
    """Tell the candidate by email that the review is complete (the outcome is on My results)."""
    notices.appeal_news(db.session.get(User, appeal.candidate_id), appeal.outcome_at)
