"""Candidate delivery: seats, attempts, autosave, submit and scoring; services flush only."""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.exam import scoring, timing
from app.exam.content import form_content
from app.extensions import db
from app.localtime import local_label
from app.models import Answer, Attempt, Form, FormEntry, LateAnswer, Result, Seat, SittingForm, User


class DeliveryError(Exception):
    """A request the exam cannot honour; carries the HTTP status and the message to show."""

    status = 422
    title: str | None = None

    def __init__(self, message: str, status: int | None = None, title: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status or self.status
        self.title = title or self.title


class AttemptClosed(DeliveryError):
    """The attempt is submitted or past its deadline: nothing more is written to the record.

    `kept` tells the page it may forget the change it sent: the server holds it (as a late
    answer, or it was already in the record)."""

    status = 409
    title = "This part is closed"

    def __init__(self, message: str, kept: bool = False):
        super().__init__(message)
        self.kept = kept


class OtherWindow(DeliveryError):
    """A newer window of the same attempt is the live one; this one stops saving."""

    status = 409
    title = "Opened in another window"


#: the highest client sequence number the server takes: the page never numbers past it, and it
#: leaves room below the 32-bit column's limit, so a runaway counter is refused, not stored
SEQ_CEILING = 2**31 - 2**20


@dataclass
class SaveOutcome:
    """What an autosave did: applied, or ignored as stale (an older or repeated snapshot)."""

    applied: bool
    answer: Answer
    seconds_left: int
    saved_at: datetime
    seq: int  # the stored snapshot's (so the reply needs no reload after the commit)


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["SAVE_GRACE_SECONDS"])


def candidate_seats(candidate: User, now: datetime) -> list[Seat]:
    """The candidate's seats, newest sitting first."""
    stmt = select(Seat).where(Seat.candidate_id == candidate.id).order_by(Seat.id.desc())
    return list(db.session.scalars(stmt))


def seat_of(candidate: User, seat_id: int) -> Seat:
    """The candidate's own seat, or 404: another candidate's seat does not exist for them."""
    seat = db.session.get(Seat, seat_id)
    if seat is None or seat.candidate_id != candidate.id:
        raise DeliveryError("No such exam seat.", 404)
    return seat


def attempt_of(candidate: User, public_id: str) -> Attempt:
    """The candidate's own attempt by its unguessable id, or 404."""
    # one query on the autosave path: the ownership check is part of the lookup
    stmt = (
        select(Attempt)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Attempt.public_id == public_id, Seat.candidate_id == candidate.id)
    )
    attempt = db.session.scalar(stmt)
    if attempt is None:
        raise DeliveryError("No such attempt.", 404)
    return attempt


def attempt_for(seat: Seat, part: str) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(Attempt.seat_id == seat.id, Attempt.part == part)
    )


def form_for(seat: Seat, part: str) -> Form | None:
    """The newest version of the sitting's form for this seat's endorsement (MC) or track."""
    codes = select(SittingForm.form_code).where(SittingForm.sitting_id == seat.sitting_id)
    stmt = select(Form).where(Form.code.in_(codes), Form.part == part)
    stmt = (
        stmt.where(Form.endorsement == seat.endorsement)
        if part == "MC"
        else stmt.where(Form.track == seat.track)
    )
    return db.session.scalar(stmt.order_by(Form.version.desc(), Form.id.desc()).limit(1))


def entry_count(form: Form) -> int:
    """How many items (Part One) or vignettes (Part Two) the form holds, counted in SQL."""
    column = FormEntry.item_id if form.part == "MC" else FormEntry.vignette_id
    stmt = select(func.count()).where(FormEntry.form_id == form.id, column.is_not(None))
    return db.session.scalar(stmt) or 0


def _shuffled(values: list, rng: random.Random, shuffle: bool) -> list:
    values = list(values)
    if shuffle:
        rng.shuffle(values)
    return values


_NOT_LOOKED_UP = object()


def start_problem(seat: Seat, part: str, now: datetime, form=_NOT_LOOKED_UP) -> str | None:
    """Why this part cannot start now, or None (`form`: form_for's answer, if already asked)."""
    if seat.voided_at is not None:
        return "This seat was voided by the proctor."
    if not seat.sits(part):
        return "This seat is a retake of the other part only: your pass of this part carries over."
    if seat.admitted_at is None:
        if seat.sitting.mode == "on_demand":
            return "Enter the sitting's access code to begin."
        return "You are in the waiting room: the proctor has not admitted you yet."
    if part == "VIGNETTE" and seat.sits("MC"):
        first = attempt_for(seat, "MC")
        if first is None or not timing.is_closed(first, now):
            return "Part Two opens when Part One is submitted."
    if form is _NOT_LOOKED_UP:
        form = form_for(seat, part)
    if form is None:
        return "No form for this part is set up for your sitting; please tell the proctor."
    return None


def check_in(seat: Seat, now: datetime) -> bool:
    """The candidate has arrived (opened a part's page): the proctor sees them waiting."""
    if seat.checked_in_at is not None:
        return False
    seat.checked_in_at = now
    db.session.flush()
    return True


def admit_by_code(seat: Seat, code: str, now: datetime) -> None:
    """On-demand sittings: the access code admits the seat from the sitting's start time."""
    sitting = seat.sitting
    if seat.admitted_at is not None:
        return
    if sitting.mode != "on_demand" or not sitting.access_code:
        raise DeliveryError("This sitting is started by the proctor, not by a code.", 409)
    if now < sitting.starts_at:
        raise DeliveryError(f"The sitting opens at {local_label(sitting.starts_at)}.", 409)
    if not secrets.compare_digest(code.strip().upper(), sitting.access_code.upper()):
        audit.record("seat.wrong_access_code", seat, actor=seat.candidate_id, now=now)
        raise DeliveryError("That access code is not right.")
    seat.admitted_at = now
    db.session.flush()
    audit.record("seat.admitted_by_code", seat, actor=seat.candidate_id, now=now)


def break_ends_at(seat: Seat) -> datetime | None:
    """Part One submitted and Part Two not started: the optional break's end."""
    first, second = attempt_for(seat, "MC"), attempt_for(seat, "VIGNETTE")
    if first is None or first.submitted_at is None or second is not None:
        return None
    return first.submitted_at + timedelta(minutes=current_app.config["BREAK_MINUTES"])


def start_attempt(
    seat: Seat, part: str, now: datetime, rng: random.Random | None = None
) -> Attempt:
    """Start (or return the already started) attempt; the deadline is fixed by the server now."""
    existing = attempt_for(seat, part)
    if existing is not None:
        return existing
    form = form_for(seat, part)
    if problem := start_problem(seat, part, now, form=form):
        raise DeliveryError(problem, 409)
    rng = rng or random.Random(secrets.randbits(64))
    attempt = Attempt(
        seat=seat,
        part=part,
        form=form,
        started_at=now,
        deadline_at=timing.initial_deadline(now, form, seat),
    )
    if part == "MC":
        items = form_content(form).items
        attempt.item_order = _shuffled(list(items), rng, form.shuffle_items)
        attempt.option_order = {
            str(i): _shuffled(list(items[i].options), rng, form.shuffle_options) for i in items
        }
    db.session.add(attempt)
    db.session.flush()
    audit.record(
        "attempt.started",
        attempt,
        actor=seat.candidate_id,
        now=now,
        part=part,
        form=f"{form.code} v{form.version}",
        deadline=attempt.deadline_at.isoformat(),
    )
    return attempt


def claim_client(attempt: Attempt) -> str:
    """Make this browser window the attempt's one live session; an older window stops saving."""
    attempt.client_token = secrets.token_hex(8)
    db.session.flush()
    return attempt.client_token


def _stored_answer(
    attempt: Attempt, item_id: int | None = None, vignette_id: int | None = None
) -> Answer | None:
    # one row, not the attempt's whole answer list: this runs on every autosave
    target = Answer.item_id == item_id if item_id is not None else Answer.vignette_id == vignette_id
    return db.session.scalar(select(Answer).where(Answer.attempt_id == attempt.id, target))


def closed_message(attempt: Attempt) -> str:
    """Why nothing more can be written, in the words of who closed the part."""
    if attempt.submit_reason == "candidate":
        return (
            f"You submitted this part at {local_label(attempt.submitted_at)}: "
            "nothing in it changes now."
        )
    if attempt.submit_reason == "void":
        return "This seat was voided by the proctor: nothing more is saved."
    if attempt.submit_reason == "proctor":
        return "The proctor submitted this part: nothing more is saved."
    return "This part closed when its time ended: everything saved by then is recorded."


def _unchanged(stored: Answer | None, new: dict) -> bool:
    fields = {k: v for k, v in new.items() if k in ("value", "flagged", "chosen")}
    if stored is None:
        return not any(fields.values())
    return all(getattr(stored, k) == v for k, v in fields.items())


def _keep_late(
    attempt: Attempt, new: dict, seq: int, client_at: datetime | None, now: datetime
) -> bool:
    """Hold a change that arrived after the part closed apart from the record; True if new."""
    stored = _stored_answer(attempt, new.get("item_id"), new.get("vignette_id"))
    if (stored is not None and seq <= stored.seq) or _unchanged(stored, new):
        return False  # the record already has it (a replay), or it changes nothing
    held = select(LateAnswer.id).where(LateAnswer.attempt_id == attempt.id, LateAnswer.seq == seq)
    if db.session.scalar(held) is not None:
        return False  # the same entry replayed again
    db.session.add(
        LateAnswer(attempt_id=attempt.id, seq=seq, client_at=client_at, arrived_at=now, **new)
    )
    db.session.flush()
    return True


def _check_live(
    attempt: Attempt,
    client: str,
    now: datetime,
    new: dict,
    seq: int,
    client_at: datetime | None,
) -> None:
    if not timing.accepts_writes(attempt, now, grace()):
        if attempt.submitted_at is None:
            finalise(attempt, now, "time")
        if attempt.submit_reason == "void":
            # the candidate is told plainly that nothing more is saved; a voided seat has no
            # record for a late answer to enter
            raise AttemptClosed(closed_message(attempt), kept=True)
        if _keep_late(attempt, new, seq, client_at, now):
            audit.record(
                "attempt.late_answer_kept",
                attempt,
                actor=attempt.seat.candidate_id,
                now=now,
                seq=seq,
            )
            message = (
                f"{closed_message(attempt)} This answer arrived after that; it is kept, and the "
                "proctor decides whether it counts."
            )
        else:
            audit.record(
                "attempt.late_save_refused", attempt, actor=attempt.seat.candidate_id, now=now
            )
            message = f"{closed_message(attempt)} This answer is already recorded."
        raise AttemptClosed(message, kept=True)
    if attempt.client_token and client != attempt.client_token:
        raise OtherWindow(
            "This exam was opened in another window or tab, which now saves your answers; "
            "continue there, or continue here to make this window the live one."
        )


def _apply_snapshot(
    attempt: Attempt, answer: Answer | None, new: dict, seq: int, now: datetime, validate=None
) -> SaveOutcome:
    """Write a whole-answer snapshot if its seq is newer than the stored one (idempotent)."""
    applied = answer is None or seq > answer.seq
    if applied and validate:
        validate()
    if answer is None:
        answer = Answer(
            attempt_id=attempt.id, item_id=new.get("item_id"), vignette_id=new.get("vignette_id")
        )
        db.session.add(answer)
    if applied:
        for field in ("value", "flagged", "chosen"):
            if field in new:
                setattr(answer, field, new[field])
        answer.seq, answer.saved_at = seq, now
        attempt.last_seq = max(attempt.last_seq, seq)
    attempt.last_seen_at = now
    db.session.flush()
    return SaveOutcome(
        applied, answer, timing.seconds_left(attempt, now), answer.saved_at, answer.seq
    )


def _check_seq(seq: int) -> None:
    if seq > SEQ_CEILING:
        raise DeliveryError(f"The save number seq must be at most {SEQ_CEILING}.")


def save_choice(
    attempt: Attempt,
    item_id: int,
    option: str,
    flagged: bool,
    seq: int,
    client: str,
    now: datetime,
    client_at: datetime | None = None,
) -> SaveOutcome:
    """Store one item's whole answer if its seq is newer than the stored one (idempotent)."""
    _check_seq(seq)
    if str(item_id) not in attempt.option_order:
        raise DeliveryError("That question is not part of this exam.")
    if option and option not in attempt.option_order[str(item_id)]:
        raise DeliveryError("That choice is not one of the question's options.")
    new = {"item_id": item_id, "value": option, "flagged": flagged}
    _check_live(attempt, client, now, new, seq, client_at)
    answer = _stored_answer(attempt, item_id=item_id)
    return _apply_snapshot(attempt, answer, new, seq, now)


MAX_ESSAY_CHARS = 60_000


def _check_choice(attempt: Attempt, vignette_id: int, chosen: bool) -> None:
    if not chosen:
        return
    others = sum(1 for a in attempt.answers if a.chosen and a.vignette_id != vignette_id)
    if others >= attempt.form.answer_count:
        raise DeliveryError(
            f"You answer {attempt.form.answer_count} of {len(attempt.form.vignettes)} vignettes: "
            "set another one aside before choosing this one."
        )


def save_essay(
    attempt: Attempt,
    vignette_id: int,
    text: str,
    chosen: bool,
    seq: int,
    client: str,
    now: datetime,
    client_at: datetime | None = None,
) -> SaveOutcome:
    """Store one vignette's whole response (text as typed, and whether it is chosen)."""
    _check_seq(seq)
    if vignette_id not in {v.id for v in attempt.form.vignettes}:
        raise DeliveryError("That vignette is not part of this exam.")
    if len(text) > MAX_ESSAY_CHARS:
        raise DeliveryError(f"A response can be at most {MAX_ESSAY_CHARS:,} characters.", 413)
    new = {"vignette_id": vignette_id, "value": text, "chosen": chosen}
    _check_live(attempt, client, now, new, seq, client_at)
    return _apply_snapshot(
        attempt,
        _stored_answer(attempt, vignette_id=vignette_id),
        new,
        seq,
        now,
        validate=lambda: _check_choice(attempt, vignette_id, chosen),
    )


SEEN_EVERY = timedelta(seconds=30)
FOCUS_EVENTS = {"blur", "hidden"}


def seen_due(attempt: Attempt, now: datetime) -> bool:
    """Whether a poll now would write the attempt's "seen" mark (coarse: most polls do not)."""
    if timing.is_closed(attempt, now):
        return False
    return attempt.last_seen_at is None or now - attempt.last_seen_at >= SEEN_EVERY


def note_seen(attempt: Attempt, now: datetime) -> bool:
    """Remember that the page is alive (coarsely, so polls rarely write); True if written."""
    if not seen_due(attempt, now):
        return False
    attempt.last_seen_at = now
    db.session.flush()
    return True


def record_focus_loss(attempt: Attempt, kind: str, now: datetime) -> None:
    """Count a focus loss or hidden page while the attempt is open."""
    if kind not in FOCUS_EVENTS:
        raise DeliveryError("Unknown page event.")
    if not timing.is_closed(attempt, now):
        attempt.focus_losses += 1
        db.session.flush()


def recorded_answers(attempt: Attempt) -> dict[str, str]:
    """The recorded answers by item 'KEY v1' (Part One) or vignette key (Part Two)."""
    entries = {("i", i.id): i for i in attempt.form.items}
    entries |= {("v", v.id): v for v in attempt.form.vignettes}
    out = {}
    for answer in attempt.answers:
        if answer.item_id is not None and answer.value:
            entry = entries[("i", answer.item_id)]
        elif answer.vignette_id is not None and answer.chosen and answer.value.strip():
            entry = entries[("v", answer.vignette_id)]
        else:
            continue
        out[f"{entry.key} v{entry.version}"] = answer.value
    return out


def receipt_code(attempt: Attempt, recorded: dict[str, str]) -> str:
    """The receipt code of these recorded answers of this attempt (keyed by the app's secret)."""
    return scoring.receipt_hash(attempt.id, recorded, current_app.config["SECRET_KEY"])


def record_mc_result(attempt: Attempt, now: datetime) -> Result:
    """Score Part One from its recorded answers and write (or rewrite) its Result."""
    chosen = {a.item_id: a.value for a in attempt.answers if a.item_id is not None}
    outcome = scoring.score_mc(attempt.form.items, chosen, attempt.form.pass_mark)
    result = db.session.scalar(
        select(Result).where(Result.seat_id == attempt.seat_id, Result.part == "MC")
    ) or Result(seat_id=attempt.seat_id, part="MC")
    result.attempt = attempt
    result.score, result.max_score = outcome.score, outcome.max_score
    result.percent, result.passed = outcome.percent, outcome.passed
    result.domain_scores, result.computed_at = outcome.domains, now
    db.session.add(result)
    return result


def finalise(attempt: Attempt, now: datetime, reason: str, actor=None) -> Attempt:
    """Close the attempt for good: stamp it, make the receipt, score or queue it for grading."""
    if attempt.submitted_at is not None:
        return attempt
    ended_by_time = reason == "time"
    attempt.submitted_at = timing.closing_time(attempt, now) if ended_by_time else now
    attempt.submit_reason = reason
    attempt.paused_at = None
    recorded = recorded_answers(attempt)
    attempt.receipt = receipt_code(attempt, recorded)
    if attempt.part == "MC":
        record_mc_result(attempt, now)
    else:
        from app.grading.services import create_responses  # grading owns what happens next

        create_responses(attempt, now)
    db.session.flush()
    audit.record(
        "attempt.expired" if ended_by_time else "attempt.submitted",
        attempt,
        actor=actor if actor is not None else attempt.seat.candidate_id,
        now=now,
        reason=reason,
        receipt=attempt.receipt,
        answers=len(recorded),
    )
    return attempt


def submit_attempt(attempt: Attempt, now: datetime, by_timer: bool = False) -> Attempt:
    """The candidate (or their page's timer at zero) submits; a closed part stays as it closed."""
    if not timing.accepts_writes(attempt, now, grace()):
        # already submitted, or time ran out: the receipt says how it ended (a page that waited
        # offline to send its journal submits late, and that must not read as an error)
        return finalise(attempt, now, "time")
    return finalise(attempt, now, "time" if by_timer else "candidate")


def sweep(now: datetime) -> int:
    """Finalise every attempt past its deadline that nobody submitted (the abandoned ones)."""
    open_attempts = db.session.scalars(select(Attempt).where(Attempt.submitted_at.is_(None)))
    expired = [a for a in open_attempts if timing.is_expired(a, now)]
    for attempt in expired:
        finalise(attempt, now, "time")
    return len(expired)
