"""Late answers: changes made in the browser that reached the server after the part closed.

They are held apart from the record (never scored by themselves), shown to the proctor and the
coordinator on the seat, and enter the record only by an audited decision, which re-scores
Part One or updates the Part Two responses before grading starts. Declining is the other
audited decision: the answers stay here (never deleted), marked declined with who, when and why,
and no longer wait."""

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from app import audit
from app.codes import PART_LABELS
from app.exam import services
from app.exam.services import DeliveryError
from app.extensions import db
from app.models import Answer, Attempt, LateAnswer, Reading, Response, Result, Seat, User


@dataclass
class LateSummary:
    """The pending late answers of one attempt, in one sentence for the proctor."""

    part: str
    attempt_id: int
    count: int
    seconds_late: int
    made_before: int  # made before the part closed, per the browser's clock
    made_unknown: int  # the page did not say when
    by_time: bool  # the part closed at its deadline (not a submit)

    @property
    def line(self) -> str:
        answers = f"{self.count} answer{'s' if self.count != 1 else ''}"
        minutes = math.ceil(self.seconds_late / 60)
        late = (
            "under a minute late"
            if minutes <= 1 and self.seconds_late < 60
            else (f"{minutes} min late")
        )
        end = "the deadline" if self.by_time else "the part closed"
        if self.made_before == self.count:
            when_made = f"made offline before {end} per the browser"
        elif self.made_unknown == self.count:
            when_made = "the browser did not say when they were made"
        else:
            when_made = f"{self.made_before} of them made before {end} per the browser"
        return f"{PART_LABELS[self.part]}: {answers} arrived {late}, {when_made}."


def pending(attempt: Attempt) -> list[LateAnswer]:
    """The attempt's late answers that wait for a decision, oldest change first."""
    stmt = select(LateAnswer).where(
        LateAnswer.attempt_id == attempt.id, LateAnswer.decision.is_(None)
    )
    return list(db.session.scalars(stmt.order_by(LateAnswer.seq)))


def _summary(attempt: Attempt, entries: list[LateAnswer]) -> LateSummary:
    closed = attempt.submitted_at or attempt.deadline_at
    latest = max(e.arrived_at for e in entries)
    return LateSummary(
        attempt.part,
        attempt.id,
        len(entries),
        max(0, int((latest - closed).total_seconds())),
        sum(1 for e in entries if e.client_at is not None and e.client_at <= closed),
        sum(1 for e in entries if e.client_at is None),
        attempt.submit_reason == "time",
    )


def seat_waiting(seat_ids: list[int]) -> dict[int, list[LateSummary]]:
    """Per seat, one summary per part that has late answers waiting (one query, for the roster)."""
    if not seat_ids:
        return {}
    stmt = (
        select(LateAnswer, Attempt)
        .join(Attempt, Attempt.id == LateAnswer.attempt_id)
        .where(Attempt.seat_id.in_(seat_ids), LateAnswer.decision.is_(None))
    )
    by_attempt: dict[int, tuple[Attempt, list[LateAnswer]]] = {}
    for entry, attempt in db.session.execute(stmt).all():
        by_attempt.setdefault(attempt.id, (attempt, []))[1].append(entry)
    out: dict[int, list[LateSummary]] = {}
    for attempt, entries in sorted(by_attempt.values(), key=lambda pair: pair[0].started_at):
        out.setdefault(attempt.seat_id, []).append(_summary(attempt, entries))
    return out


@dataclass
class DeclinedBatch:
    """Late answers of one part declined by one decision: how many, by whom, when and why."""

    seat_id: int
    part: str
    count: int
    by: str
    at: datetime
    reason: str

    @property
    def line(self) -> str:
        answers = f"{self.count} late answer{'s' if self.count != 1 else ''}"
        return f"{PART_LABELS[self.part]}: {answers} declined by {self.by}"


def seat_declined(seat_ids: list[int]) -> dict[int, list[DeclinedBatch]]:
    """Per seat, the declined late answers grouped by decision, oldest first (one query)."""
    if not seat_ids:
        return {}
    stmt = (
        select(Attempt.seat_id, Attempt.part, User.name, LateAnswer.decided_at, LateAnswer.reason)
        .join(Attempt, Attempt.id == LateAnswer.attempt_id)
        .join(User, User.id == LateAnswer.decided_by_id)
        .where(Attempt.seat_id.in_(seat_ids), LateAnswer.decision == "declined")
    )
    counts: dict[tuple, int] = {}
    for key in db.session.execute(stmt).all():
        counts[tuple(key)] = counts.get(tuple(key), 0) + 1
    out: dict[int, list[DeclinedBatch]] = {}
    for (seat_id, part, by, at, reason), n in sorted(counts.items(), key=lambda kv: kv[0][3]):
        out.setdefault(seat_id, []).append(DeclinedBatch(seat_id, part, n, by, at, reason))
    return out


@dataclass
class LateRow:
    """One held change as the proctor reads it: what it would record, and when it was made."""

    entry: LateAnswer
    target: str
    shown: str


@dataclass
class PartLate:
    attempt: Attempt
    label: str
    summary: LateSummary | None
    waiting: list[LateRow]
    decided: list[LateRow]


def _row(attempt: Attempt, entry: LateAnswer, order: dict[int, int]) -> LateRow:
    if entry.item_id is not None:
        item = next(i for i in attempt.form.items if i.id == entry.item_id)
        shown = item.option_text(entry.value) if entry.value else "(answer cleared)"
        flag = " · flagged" if entry.flagged else ""
        return LateRow(entry, f"Question {order.get(entry.item_id, '?')}", shown + flag)
    vignette = next(v for v in attempt.form.vignettes if v.id == entry.vignette_id)
    words = len(entry.value.split())
    chosen = "chosen" if entry.chosen else "not chosen"
    return LateRow(entry, f"Vignette: {vignette.title}", f"{words} words, {chosen}")


def seat_late_answers(seat: Seat) -> list[PartLate]:
    """Every part of the seat that has late answers, waiting and decided, for the review page."""
    out = []
    attempts = db.session.scalars(
        select(Attempt).where(Attempt.seat_id == seat.id).order_by(Attempt.started_at)
    )
    for attempt in attempts:
        entries = list(
            db.session.scalars(
                select(LateAnswer)
                .where(LateAnswer.attempt_id == attempt.id)
                .order_by(LateAnswer.seq)
            )
        )
        if not entries:
            continue
        order = {item_id: n for n, item_id in enumerate(attempt.item_order or [], 1)}
        waiting = [e for e in entries if e.decision is None]
        out.append(
            PartLate(
                attempt,
                PART_LABELS[attempt.part],
                _summary(attempt, waiting) if waiting else None,
                [_row(attempt, e, order) for e in waiting],
                [_row(attempt, e, order) for e in entries if e.decision is not None],
            )
        )
    return out


def attempt_of_seat(seat: Seat, attempt_id: int) -> Attempt:
    """One of the seat's attempts, else 404."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.seat_id != seat.id:
        raise DeliveryError("No such part for this seat.", 404)
    return attempt


def _refuse_if_final(attempt: Attempt) -> None:
    if attempt.seat.voided_at is not None:
        raise DeliveryError("This seat is voided: late answers cannot enter its record.", 409)
    result = db.session.scalar(
        select(Result).where(Result.seat_id == attempt.seat_id, Result.part == attempt.part)
    )
    if result is not None and result.released_at is not None:
        raise DeliveryError("The result of this part is released: its record is final.", 409)
    if attempt.part == "VIGNETTE":
        read = select(Reading.id).join(Response, Response.id == Reading.response_id)
        if db.session.scalar(read.where(Response.attempt_id == attempt.id).limit(1)):
            raise DeliveryError(
                "Grading of these responses has begun: late answers can no longer enter them.",
                409,
            )


def _apply(attempt: Attempt, entries: list[LateAnswer], now: datetime) -> int:
    """Write the newest held change per question into the record, if newer than the stored."""
    newest: dict[tuple, LateAnswer] = {}
    for entry in entries:
        newest[(entry.item_id, entry.vignette_id)] = entry
    applied = 0
    for (item_id, vignette_id), entry in newest.items():
        stored = db.session.scalar(
            select(Answer).where(
                Answer.attempt_id == attempt.id,
                Answer.item_id == item_id
                if item_id is not None
                else Answer.vignette_id == vignette_id,
            )
        )
        if stored is None:
            stored = Answer(attempt_id=attempt.id, item_id=item_id, vignette_id=vignette_id)
            db.session.add(stored)
        elif entry.seq <= stored.seq:
            continue
        stored.value, stored.seq, stored.saved_at = entry.value, entry.seq, now
        stored.flagged, stored.chosen = entry.flagged, entry.chosen
        attempt.last_seq = max(attempt.last_seq, entry.seq)
        applied += 1
    db.session.flush()
    return applied


def _rescore_part_two(attempt: Attempt, now: datetime) -> None:
    from app.grading.services import create_responses  # grading owns the responses

    chosen = sum(1 for a in attempt.answers if a.vignette_id is not None and a.chosen)
    if attempt.form.answer_count and chosen > attempt.form.answer_count:
        raise DeliveryError(
            f"Accepting these would choose {chosen} vignettes where the candidate answers "
            f"{attempt.form.answer_count}; nothing was changed.",
            409,
        )
    unanswered = [
        a.vignette_id
        for a in attempt.answers
        if a.vignette_id is not None and not (a.chosen and a.value.strip())
    ]
    if unanswered:  # no reading exists yet (checked above), so these go without loss
        db.session.execute(
            delete(Response).where(
                Response.attempt_id == attempt.id, Response.vignette_id.in_(unanswered)
            )
        )
    # a blank Part Two was final at once; with answers now in it, it goes to the graders
    db.session.execute(
        delete(Result).where(Result.seat_id == attempt.seat_id, Result.part == "VIGNETTE")
    )
    db.session.flush()
    create_responses(attempt, now)


REASON_MAX = 500


def _checked_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DeliveryError("Give a reason: it goes into the audit log.")
    if len(reason) > REASON_MAX:
        raise DeliveryError(f"Keep the reason to {REASON_MAX} characters or fewer.")
    return reason


def _waiting_batch(attempt: Attempt, count: int | None) -> list[LateAnswer]:
    """The answers a decision covers: all waiting, and exactly as many as the person saw."""
    entries = pending(attempt)
    if not entries:
        decided = db.session.scalars(
            select(LateAnswer.decision)
            .where(LateAnswer.attempt_id == attempt.id, LateAnswer.decision.is_not(None))
            .distinct()
        ).all()
        if not decided:
            raise DeliveryError("No late answers wait for a decision in this part.", 409)
        raise DeliveryError(
            f"These late answers of {PART_LABELS[attempt.part]} were already "
            f"{' and '.join(sorted(decided))}: "
            "none wait for a decision, and nothing was changed.",
            409,
            "Already decided",
        )
    if count is not None and count != len(entries):
        # another answer arrived (or another person decided) since the page was shown
        raise DeliveryError(
            f"{len(entries)} late answers now wait in {PART_LABELS[attempt.part]}, not {count}: "
            "review them again; nothing was changed.",
            409,
        )
    return entries


def _mark(
    attempt: Attempt, entries: list[LateAnswer], decision: str, actor: User, reason: str, now
) -> None:
    """Record the decision on exactly these entries, if still undecided; else 409."""
    marked = db.session.execute(
        update(LateAnswer)
        .where(LateAnswer.id.in_([e.id for e in entries]), LateAnswer.decision.is_(None))
        .values(decision=decision, decided_at=now, decided_by_id=actor.id, reason=reason)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if marked != len(entries):
        # another proctor or coordinator decided some of them in the meantime
        raise DeliveryError(
            f"Someone else decided late answers of {PART_LABELS[attempt.part]} meanwhile; "
            "review them again: nothing was changed.",
            409,
        )


def decline_preview(attempt: Attempt) -> LateSummary:
    """What a decline of this part would cover, for the confirmation page (409 if nothing)."""
    return _summary(attempt, _waiting_batch(attempt, None))


def decline(
    attempt: Attempt, actor: User, reason: str, now: datetime, count: int | None = None
) -> str:
    """Mark the part's waiting late answers declined (kept, never deleted; audited)."""
    reason = _checked_reason(reason)
    entries = _waiting_batch(attempt, count)
    _mark(attempt, entries, "declined", actor, reason, now)
    audit.record(
        "attempt.late_answers_declined",
        attempt,
        actor=actor,
        reason=reason,
        now=now,
        late_answers=len(entries),
        seqs=[e.seq for e in entries],
    )
    n = len(entries)
    return (
        f"{n} late answer{'s' if n != 1 else ''} of {attempt.seat.candidate.name} declined in "
        f"{PART_LABELS[attempt.part]}: they stay kept, outside the record."
    )


def accept(
    attempt: Attempt, actor: User, reason: str, now: datetime, count: int | None = None
) -> str:
    """Move the attempt's waiting late answers into its record and re-score it (audited)."""
    reason = _checked_reason(reason)
    entries = _waiting_batch(attempt, count)
    _refuse_if_final(attempt)
    before = services.recorded_answers(attempt)
    receipt_before = attempt.receipt
    applied = _apply(attempt, entries, now)
    _mark(attempt, entries, "accepted", actor, reason, now)
    db.session.expire(attempt, ["answers"])
    data: dict = {}
    if attempt.part == "MC":
        old = db.session.scalar(
            select(Result.score).where(Result.seat_id == attempt.seat_id, Result.part == "MC")
        )
        result = services.record_mc_result(attempt, now)
        data = {"score_before": old, "score": result.score}
        told = f"Score now {result.score:g} of {result.max_score:g}."
    else:
        _rescore_part_two(attempt, now)
        told = "The responses go to the graders as they now stand."
    recorded = services.recorded_answers(attempt)
    attempt.receipt = services.receipt_code(attempt, recorded)
    db.session.flush()
    audit.record(
        "attempt.late_answers_accepted",
        attempt,
        actor=actor,
        reason=reason,
        now=now,
        late_answers=len(entries),
        applied=applied,
        answers_before=len(before),
        answers=len(recorded),
        receipt_before=receipt_before,
        receipt=attempt.receipt,
        **data,
    )
    n = len(entries)
    return (
        f"{n} late answer{'s' if n != 1 else ''} of {attempt.seat.candidate.name} accepted "
        f"into {PART_LABELS[attempt.part]}. {told}"
    )
