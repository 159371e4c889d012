"""Calibration: pre-scored responses a grader must match before reading live responses."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from app import audit
from app.extensions import db
from app.grading import graders, rules, settings
from app.grading.errors import GradingError
from app.grading.parsing import whole_number
from app.models import CalibrationItem, Conflict, Reading, Resolution, Response, User


def active_items() -> list[CalibrationItem]:
    stmt = select(CalibrationItem).where(CalibrationItem.retired_at.is_(None))
    return list(db.session.scalars(stmt.order_by(CalibrationItem.id)))


def _items_for(grader: User) -> list[CalibrationItem]:
    # never a response of a candidate they know, nor one they have already read live
    conflicted = set(
        db.session.scalars(select(Conflict.candidate_id).where(Conflict.grader_id == grader.id))
    )
    read_live = set(
        db.session.scalars(
            select(Reading.response_id).where(
                Reading.grader_id == grader.id, Reading.slot != "CALIB"
            )
        )
    )
    return [
        item
        for item in active_items()
        if item.response_id not in read_live
        and item.response.attempt.seat.candidate_id not in conflicted
    ]


def _round_readings(grader: User, round_: int) -> list[Reading]:
    stmt = select(Reading).where(
        Reading.grader_id == grader.id,
        Reading.slot == "CALIB",
        Reading.calibration_round == round_,
    )
    return list(db.session.scalars(stmt))


def _current_round(grader: User) -> int:
    stmt = select(func.max(Reading.calibration_round)).where(
        Reading.grader_id == grader.id, Reading.slot == "CALIB"
    )
    return db.session.scalar(stmt) or 0


@dataclass
class CalibrationState:
    """Where the grader stands: the round, what is read, and the agreement reached."""

    required: float
    calibrated: bool
    round: int
    items: list[CalibrationItem]
    readings: dict[int, Reading] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        done = {rid for rid, r in self.readings.items() if r.is_submitted}
        return bool(self.items) and {i.response_id for i in self.items} <= done

    @property
    def agreement(self) -> float | None:
        return exact_agreement(self.items, self.readings) if self.complete else None


def exact_agreement(items: list[CalibrationItem], readings: dict[int, Reading]) -> float:
    """Share of criteria, over the set, where the grader chose exactly the key's level."""
    pairs = [
        (level, readings[item.response_id].ratings.get(code))
        for item in items
        for code, level in item.key_ratings.items()
    ]
    return sum(key == given for key, given in pairs) / len(pairs) if pairs else 0.0


def calibration_state(grader: User) -> CalibrationState:
    """The grader's calibration round and its readings."""
    round_ = _current_round(grader)
    return CalibrationState(
        required=settings.calibration_rate(),
        calibrated=graders.is_calibrated(graders.profile_of(grader)),
        round=round_,
        items=_items_for(grader),
        readings={r.response_id: r for r in _round_readings(grader, round_)},
    )


def start_reading(grader: User, now: datetime) -> Reading:
    """The grader's next calibration reading: unfinished first, then the next response."""
    if not graders.has_declared(graders.profile_of(grader), graders.open_round()):
        raise GradingError(graders.BLOCKED_MESSAGES["conflicts"], 409)
    state = calibration_state(grader)
    if state.calibrated:
        raise GradingError("You are calibrated: your live responses are in your queue.", 409)
    if not state.items:
        raise GradingError("The calibration set is empty: ask the lead grader.", 409)
    round_ = state.round + 1 if state.round == 0 or state.complete else state.round
    readings = state.readings if round_ == state.round else {}
    draft = next((r for r in readings.values() if not r.is_submitted), None)
    if draft is not None:
        return draft
    item = next(i for i in state.items if i.response_id not in readings)
    reading = Reading(
        response_id=item.response_id,
        grader_id=grader.id,
        slot="CALIB",
        calibration_round=round_,
        rubric_id=item.response.attempt.form.rubric_id,
        started_at=now,
    )
    db.session.add(reading)
    db.session.flush()
    return reading


def own_reading(grader: User, code: str) -> Reading:
    """The grader's calibration reading of this response in their current round, or 404."""
    reading = db.session.scalar(
        select(Reading)
        .join(Response, Response.id == Reading.response_id)
        .where(Response.code == code, Reading.grader_id == grader.id, Reading.slot == "CALIB")
        .where(Reading.calibration_round == _current_round(grader))
    )
    if reading is None:
        raise GradingError("There is no calibration reading of yours with this code.", 404)
    return reading


def check_round(grader: User, now: datetime) -> None:
    """When a round is complete: calibrated if the agreement reaches the required rate."""
    state = calibration_state(grader)
    if not state.complete or state.calibrated:
        return
    passed = state.agreement >= state.required
    if passed:
        graders.ensure_profile(grader).calibrated_at = now
    audit.record(
        "grading.calibration.passed" if passed else "grading.calibration.round_failed",
        grader,
        actor=grader,
        now=now,
        round=state.round,
        agreement=round(state.agreement, 4),
        required=state.required,
    )


# --- the lead grader's side ----------------------------------------------------------------


def final_response(code: str) -> Response:
    """A final response by its code (calibration needs a pre-scored one), or 404/409."""
    response = db.session.scalar(select(Response).where(Response.code == code.strip()))
    if response is None:
        raise GradingError("No response has this code.", 404)
    if response.resolution is None or not response.resolution.is_final:
        raise GradingError("Only final (pre-scored) responses can join the calibration set.", 409)
    return response


def suggested_key(response: Response) -> dict[str, int]:
    """The final levels rounded to whole levels, as a starting point for the key."""
    scale = rules.Scale.of(response.attempt.form.rubric.criteria)
    key = {}
    for code, level in response.resolution.final_ratings.items():
        key[code] = min(scale.scores(code), key=lambda s, level=level: (abs(s - level), -s))
    return key


def mark(lead: User, response: Response, key: dict[str, int], now: datetime) -> CalibrationItem:
    """Put a final response in the calibration set with its key levels (or change its key)."""
    item = db.session.scalar(
        select(CalibrationItem).where(CalibrationItem.response_id == response.id)
    )
    if item is None:
        item = CalibrationItem(response_id=response.id, added_by_id=lead.id, added_at=now)
        db.session.add(item)
    item.key_ratings, item.retired_at = key, None
    db.session.flush()
    audit.record("grading.calibration.marked", response, actor=lead, now=now, key=key)
    return item


def retire(lead: User, response: Response, now: datetime) -> None:
    """Take a response out of the calibration set; readings already made keep their meaning."""
    item = db.session.scalar(
        select(CalibrationItem).where(CalibrationItem.response_id == response.id)
    )
    if item is None or item.retired_at is not None:
        raise GradingError("This response is not in the calibration set.", 409)
    item.retired_at = now
    audit.record("grading.calibration.retired", response, actor=lead, now=now)
    db.session.flush()


def exemplars(limit: int = 20) -> list[Response]:
    """Final responses both readers scored identically, not yet in the set: good candidates."""
    in_set = select(CalibrationItem.response_id)
    stmt = (
        select(Response)
        .join(Resolution, Resolution.response_id == Response.id)
        .where(Resolution.resolved_at.is_not(None), Resolution.needs_adjudication.is_(False))
        .where(Response.id.not_in(in_set))
        .order_by(Resolution.resolved_at.desc())
    )
    agreed = []
    for response in db.session.scalars(stmt.limit(limit * 5)):
        if all(d == "equal" for d in response.resolution.detail.values()):
            agreed.append(response)
        if len(agreed) == limit:
            break
    return agreed


def waive(actor: User, grader: User, reason: str, now: datetime) -> None:
    """Record a grader as calibrated without the set (e.g. no pre-scored responses yet); a lead
    grader's waiver is the coordinator's to make, never their own or another lead's."""
    if grader.role not in graders.GRADER_ROLES:
        raise GradingError("Only graders are calibrated.", 422)
    if grader.role == "lead_grader" and actor.role != "coordinator":
        raise GradingError("A lead grader's calibration is waived by the coordinator.", 403)
    if len(reason.strip()) < 5:
        raise GradingError("Say why calibration is waived (a few words at least).", 422)
    profile = graders.ensure_profile(grader)
    profile.calibrated_at = now
    audit.record("grading.calibration.waived", grader, actor=actor, now=now, reason=reason.strip())
    db.session.flush()


def parse_key(response: Response, form) -> dict[str, int]:
    """Whole key levels for every criterion of the response's rubric, or a 422 naming the gaps."""
    scale = rules.Scale.of(response.attempt.form.rubric.criteria)
    key, problems = {}, []
    for criterion in scale.criteria:
        code = criterion["code"]
        level = whole_number(form.get(f"rating-{code}", "").strip())
        if level is not None and level in scale.scores(code):
            key[code] = level
        else:
            problems.append(f"{criterion['label']}: choose the key level.")
    if problems:
        raise GradingError(" ".join(problems), 422)
    return key
