"""What the candidate's templates show, built from an attempt; never the key or statistics."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from app.codes import PART_LABELS
from app.exam import late, services, timing
from app.exam.content import form_content
from app.extensions import db
from app.models import Attempt, Result, Seat


@dataclass
class Question:
    n: int
    item_id: int
    stem: Markup  # rendered bank text
    options: list[tuple[str, Markup]]  # (option id, rendered text) in this attempt's order
    chosen: str
    flagged: bool


def questions(attempt: Attempt) -> list[Question]:
    """The attempt's items in its own order, options in its own order, with saved answers."""
    # the stems and options come prepared for the form version; only the order and the
    # answers are this attempt's, read fresh
    items = form_content(attempt.form).items
    answers = {a.item_id: a for a in attempt.answers if a.item_id is not None}
    out = []
    for n, item_id in enumerate(attempt.item_order, 1):
        item, answer = items[item_id], answers.get(item_id)
        order = attempt.option_order[str(item_id)]
        options = [(oid, item.options.get(oid, Markup(""))) for oid in order]
        out.append(
            Question(
                n,
                item_id,
                item.stem,
                options,
                answer.value if answer else "",
                bool(answer and answer.flagged),
            )
        )
    return out


def part_minutes(seat: Seat, form) -> int:
    return round(timing.allowed_duration(form, seat).total_seconds() / 60)


@dataclass
class PartCard:
    part: str
    label: str
    state: str  # not_started, open, paused, submitted, expired, unavailable
    attempt: Attempt | None
    problem: str | None
    result: Result | None
    break_until: datetime | None = None


def _part_card(seat: Seat, part: str, now: datetime) -> PartCard:
    attempt = services.attempt_for(seat, part)
    result = next((r for r in _results(seat) if r.part == part and r.released_at), None)
    if attempt is not None:
        state = timing.attempt_state(attempt, now)
        return PartCard(part, PART_LABELS[part], state, attempt, None, result)
    problem = services.start_problem(seat, part, now)
    ends = services.break_ends_at(seat) if part == "VIGNETTE" else None
    state = "unavailable" if problem else "not_started"
    on_break = ends if ends and ends > now else None
    return PartCard(part, PART_LABELS[part], state, None, problem, result, on_break)


def _results(seat: Seat) -> list[Result]:
    return list(db.session.scalars(select(Result).where(Result.seat_id == seat.id)))


def seat_cards(seats: list[Seat], now: datetime) -> list[tuple[Seat, list[PartCard]]]:
    """Each seat with a card per part saying what the candidate can do now."""
    return [(s, [_part_card(s, p, now) for p in s.part_list]) for s in seats]


def awaiting_proctor(seat: Seat) -> bool:
    """The seat waits for the proctor's admission (not a code): its page polls for it."""
    return seat.voided_at is None and seat.admitted_at is None and seat.sitting.mode != "on_demand"


def home_context(seats: list[Seat], now: datetime) -> dict:
    """My exams: the seat cards, and whether the page must poll for an admission."""
    cards = seat_cards(seats, now)
    return {"seats": cards, "polling": any(awaiting_proctor(seat) for seat, _ in cards)}


def rules_context(seat: Seat, part: str, now: datetime) -> dict:
    """What the rules page states: duration with accommodations, size, pass mark, the end."""
    form = services.form_for(seat, part)
    return {
        "seat": seat,
        "part": part,
        "label": PART_LABELS[part],
        "form": form,
        # counted, not loaded: every candidate of a sitting opens this page, the 60 items
        # would be read for a number
        "entry_count": services.entry_count(form) if form else 0,
        "minutes": part_minutes(seat, form) if form else None,
        "problem": services.start_problem(seat, part, now, form=form),
        "attempt": services.attempt_for(seat, part),
    }


def gate_context(seat: Seat, part: str, now: datetime) -> dict:
    """The waiting room's poll: why the seat still waits, or the way in (no form details)."""
    # polled every 5 s by every waiting candidate: only what _gate.html shows
    return {
        "seat": seat,
        "part": part,
        "label": PART_LABELS[part],
        "problem": services.start_problem(seat, part, now),
        "attempt": services.attempt_for(seat, part),
    }


@dataclass
class Offered:
    vignette: object
    text: str
    chosen: bool


def offered_vignettes(attempt: Attempt) -> list[Offered]:
    """Part Two: every offered vignette with the candidate's saved text and choice."""
    answers = {a.vignette_id: a for a in attempt.answers if a.vignette_id is not None}
    return [
        Offered(
            v,
            answers[v.id].value if v.id in answers else "",
            bool(v.id in answers and answers[v.id].chosen),
        )
        for v in attempt.form.vignettes
    ]


def unscored(offered: list[Offered]) -> list[tuple[int, Offered]]:
    """Vignettes (numbered as on the page) with text that will not be scored: not chosen."""
    return [(n, o) for n, o in enumerate(offered, 1) if not o.chosen and o.text.strip()]


def sit_context(attempt: Attempt, now: datetime) -> dict:
    """The exam page's data: questions, seconds left, the live-session token."""
    return {
        "attempt": attempt,
        "questions": questions(attempt) if attempt.part == "MC" else [],
        "offered": offered_vignettes(attempt) if attempt.part == "VIGNETTE" else [],
        "seconds_left": timing.seconds_left(attempt, now),
        "state": timing.attempt_state(attempt, now),
        "label": PART_LABELS[attempt.part],
        # the page dates its changes by the server's clock (for late answers) and never
        # numbers a change past what the server takes
        "server_ms": int(now.timestamp() * 1000),
        "seq_ceiling": services.SEQ_CEILING,
    }


def review_context(attempt: Attempt, now: datetime) -> dict:
    """Unanswered and flagged questions (Part One), or the chosen responses (Part Two)."""
    if attempt.part == "VIGNETTE":
        offered = offered_vignettes(attempt)
        chosen = [o for o in offered if o.chosen]
        return {
            "attempt": attempt,
            "offered": offered,
            "chosen": chosen,
            "seconds_left": timing.seconds_left(attempt, now),
            "missing": max(0, attempt.form.answer_count - len(chosen)),
            "unscored": unscored(offered),
        }
    qs = questions(attempt)
    return {
        "attempt": attempt,
        "questions": qs,
        "unanswered": [q for q in qs if not q.chosen],
        "flagged": [q for q in qs if q.flagged],
        "seconds_left": timing.seconds_left(attempt, now),
    }


def receipt_context(attempt: Attempt, now: datetime) -> dict:
    """The receipt: when the part closed, how many answers are recorded, their short hash."""
    recorded = services.recorded_answers(attempt)
    closed_at = attempt.submitted_at or (
        timing.closing_time(attempt, now) if timing.is_expired(attempt, now) else None
    )
    return {
        "attempt": attempt,
        "closed_at": closed_at,
        "late": late.pending(attempt),
        "voided": attempt.seat.voided_at is not None or attempt.submit_reason == "void",
        "recorded": len(recorded),
        "receipt": attempt.receipt or services.receipt_code(attempt, recorded),
        "state": timing.attempt_state(attempt, now),
        "label": PART_LABELS[attempt.part],
        "grace": current_app.config["SAVE_GRACE_SECONDS"],
    }
