"""Turning two blind readings into a final score, by the rule the rubric names; all audited."""

import hashlib
from datetime import datetime

from sqlalchemy import select

from app import audit
from app.extensions import db
from app.grading import results, rules, settings
from app.models import Reading, Resolution, Response, Rubric
from app.models.grading import LIVE_SLOTS


def readings_of(response: Response, slots=LIVE_SLOTS) -> list[Reading]:
    """The response's submitted readings in the given slots, in slot order."""
    stmt = select(Reading).where(
        Reading.response_id == response.id,
        Reading.slot.in_(slots),
        Reading.submitted_at.is_not(None),
    )
    return sorted(db.session.scalars(stmt), key=lambda r: slots.index(r.slot))


def _rules_of(rubric: Rubric):
    return (
        rules.Scale.of(rubric.criteria),
        rules.pass_rule(rubric.pass_rule),
        rules.resolution_rule(rubric.resolution),
    )


def resolve_if_ready(response: Response, now: datetime) -> Resolution | None:
    """Once both live readings are in: final by the rubric's rule, or sent to adjudication."""
    pair = readings_of(response)
    if len(pair) < 2 or response.resolution is not None:
        return response.resolution
    first, second = pair
    scale, pass_rule, rule = _rules_of(first.rubric)
    decision = rule.resolve(scale, pass_rule, first.ratings, second.ratings)
    resolution = Resolution(
        response=response,
        rule=rule.kind,
        detail=decision.detail,
        reasons=decision.reasons,
        final_ratings=decision.final or {},
        needs_adjudication=decision.needs_adjudication,
        created_at=now,
        resolved_at=None if decision.needs_adjudication else now,
    )
    db.session.add(resolution)
    db.session.flush()
    action = "grading.adjudication.needed" if decision.needs_adjudication else "grading.resolved"
    audit.record(
        action,
        response,
        now=now,
        reason="; ".join(decision.reasons),
        rule=rule.kind,
        detail=decision.detail,
        final=resolution.final_ratings,
    )
    if resolution.is_final:
        _finalise(resolution, now)
    return resolution


def complete_adjudication(adjudication: Reading, now: datetime) -> Resolution:
    """The lead grader's third reading settles the disputed criteria (or all, if pass/fail was)."""
    response = adjudication.response
    resolution = response.resolution
    first, second = readings_of(response)
    scale, pass_rule, rule = _rules_of(first.rubric)
    decision = rule.adjudicate(
        scale, pass_rule, first.ratings, second.ratings, adjudication.ratings
    )
    resolution.final_ratings, resolution.detail = decision.final, decision.detail
    resolution.resolved_at = now
    db.session.flush()
    audit.record(
        "grading.adjudicated",
        response,
        actor=adjudication.grader_id,
        now=now,
        reason="; ".join(resolution.reasons),
        rule=rule.kind,
        detail=decision.detail,
        final=decision.final,
    )
    _finalise(resolution, now)
    return resolution


def sampled_for_back_reading(code: str, share: float) -> bool:
    """A stable draw from the response's random code: the same response, the same answer."""
    draw = int.from_bytes(hashlib.sha256(code.encode()).digest()[:8], "big") / 2**64
    return draw < share


def _finalise(resolution: Resolution, now: datetime) -> None:
    resolution.back_read = sampled_for_back_reading(
        resolution.response.code, settings.back_read_share()
    )
    db.session.flush()
    results.write_part_two_result(resolution.response.attempt, now)
