"""Part Two results from final responses, the retake rule, and the candidate's released results."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.grading import rules
from app.models import Attempt, Reading, Result, Seat, User
from app.models.grading import Response
from app.retakes import carried_passes

FEEDBACK_SLOTS = ("R1", "R2", "ADJ", "APPEAL")


def _feedback(responses: list[Response], code: str) -> list[list[str]]:
    """Readers' comments on the criterion, one group per response (in the order the candidate
    answered). Within a group the comments are in alphabetical order, never in reading-slot
    order, so where a lead grader's comment sits does not tell that a response was adjudicated;
    the readers stay unnamed."""
    if not responses:
        return []
    stmt = (
        select(Reading)
        .where(Reading.response_id.in_([r.id for r in responses]))
        .where(Reading.slot.in_(FEEDBACK_SLOTS), Reading.submitted_at.is_not(None))
    )
    by_response: dict[int, list[str]] = {r.id: [] for r in responses}
    for reading in db.session.scalars(stmt):
        if reading.comments.get(code):
            by_response[reading.response_id].append(reading.comments[code])
    return [sorted(comments, key=str.casefold) for comments in by_response.values()]


def write_part_two_result(attempt: Attempt, now: datetime) -> Result | None:
    """Write (or update) the Part Two Result once every response of the attempt is final."""
    responses = list(
        db.session.scalars(
            select(Response).where(Response.attempt_id == attempt.id).order_by(Response.id)
        )
    )
    if any(r.resolution is None or not r.resolution.is_final for r in responses):
        return None
    rubric = attempt.form.rubric
    scale, rule = rules.Scale.of(rubric.criteria), rules.pass_rule(rubric.pass_rule)
    required = attempt.form.answer_count or len(responses)
    profile = rules.part_profile(scale, [r.resolution.final_ratings for r in responses], required)
    score, max_score = sum(profile.values()), scale.max_total()
    domains = {
        c["code"]: {
            "domain": c["domain"],
            "criterion": c["label"],
            "level": profile[c["code"]],
            "max": scale.highest(c["code"]),
            "label": scale.label(c["code"], profile[c["code"]]),
            "feedback": _feedback(responses, c["code"]),
            "responses": len(responses),
            "required": required,
        }
        for c in rubric.criteria
    }
    return _upsert_result(attempt, score, max_score, rule.passes(scale, profile), domains, now)


def _upsert_result(attempt, score, max_score, passed, domains, now) -> Result:
    result = db.session.scalar(
        select(Result).where(Result.seat_id == attempt.seat_id, Result.part == "VIGNETTE")
    )
    if result is None:
        result = Result(seat_id=attempt.seat_id, part="VIGNETTE")
        db.session.add(result)
    result.attempt_id, result.score, result.max_score = attempt.id, score, max_score
    result.percent = round(100 * score / max_score, 2) if max_score else 0.0
    result.passed, result.domain_scores, result.computed_at = passed, domains, now
    db.session.flush()
    audit.record("result.computed", result, now=now, part="VIGNETTE", score=score, passed=passed)
    return result


# --- retakes ---------------------------------------------------------------------------


def retake_from(part_result: Result, wait_days: int) -> datetime:
    """When a failed part may be taken again: the waiting period counts from the day it was sat."""
    attempt = part_result.attempt
    sat = attempt.submitted_at or attempt.deadline_at
    return sat + timedelta(days=wait_days)


def may_retake(part_result: Result | None, now: datetime, wait_days: int) -> bool:
    """A released, failed part may be retaken once the waiting period has passed."""
    if part_result is None or part_result.passed or part_result.released_at is None:
        return False
    return now >= retake_from(part_result, wait_days)


# --- the candidate's released results --------------------------------------------------------


@dataclass
class SeatOutcome:
    """One sitting's released results for the candidate, and the exam outcome they make."""

    seat: Seat
    parts: dict[str, Result] = field(default_factory=dict)
    #: a retake seat sits only the failed part: the earlier pass of the other part counts here
    carried: dict[str, Result] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        combined = self.carried | self.parts
        if any(not r.passed for r in combined.values()):
            return "not passed"
        return "passed" if {"MC", "VIGNETTE"} <= set(combined) else "pending"


def candidate_results(candidate: User) -> list[SeatOutcome]:
    """The candidate's released results, newest sitting first (unreleased ones do not show)."""
    stmt = (
        select(Result)
        .join(Seat, Seat.id == Result.seat_id)
        .where(Seat.candidate_id == candidate.id, Result.released_at.is_not(None))
        .order_by(Seat.id.desc(), Result.part)
    )
    outcomes: dict[int, SeatOutcome] = {}
    for result in db.session.scalars(stmt):
        outcomes.setdefault(result.seat_id, SeatOutcome(result.seat)).parts[result.part] = result
    for outcome in outcomes.values():
        outcome.carried = carried_into(outcome.seat)
    return list(outcomes.values())


def carried_into(seat: Seat) -> dict[str, Result]:
    """The passes a retake seat carries over for the parts it does not sit."""
    skipped = [p for p in ("MC", "VIGNETTE") if not seat.sits(p)]
    if not skipped:
        return {}
    passes = carried_passes(seat.candidate_id, seat.track, exclude_seat=seat.id)
    return {part: passes[part] for part in skipped if part in passes}
