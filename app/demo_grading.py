"""Demo data for grading: four candidates who sat both parts yesterday, so the demo graders
have Part Two responses waiting for them as soon as the demo is loaded."""

import random
from datetime import datetime, timedelta

from sqlalchemy import select

from app.exam import services
from app.extensions import db
from app.grading.rounds import open_demo_round
from app.grading.services import enable_demo_graders
from app.models import Answer, Attempt, ExamWindow, Seat, Sitting, SittingForm, User

EARLIER_SITTING = "Demo sitting (yesterday)"
#: written for the demo, marked as samples, deliberately of mixed quality so readings differ
SAMPLE_ESSAYS = [
    "[Sample response written for the demo]\n\nBefore deciding anything I would want to slow "
    "down and notice my own reaction: I felt a pull to fix this quickly. I wonder what the "
    "parent is carrying and what the child's behaviour might be communicating. I would share "
    "what I see with the family, ask what they make of it, and plan next steps together, "
    "bringing the case to reflective supervision to think about the parallel process.",
    "[Sample response written for the demo]\n\nThe child needs a referral for an evaluation and "
    "the parent should be told to follow the plan. I would give the family written "
    "instructions and check at the next visit whether they have done them.",
    "[Sample response written for the demo]\n\nI would first make sure everyone is safe, then "
    "get curious with the caregiver about the routines and relationships around the child. I "
    "would coordinate with the other professionals involved, with consent, and keep the "
    "family's own goals at the centre. I would also think with my supervisor about how this "
    "family's story touches my own experience.",
    "[Sample response written for the demo]\n\nIt is hard to know what is going on. Maybe the "
    "child is tired. I would watch for a few more weeks before doing anything.",
]
EARLIER_CANDIDATES = [
    ("candidate13@demo.example", "Mara Quinlan", "IMH-SPECIALIST"),
    ("candidate14@demo.example", "Noor Siddiqui", "IMH-MENTOR-CLINICAL"),
    ("candidate15@demo.example", "Owen Tallis", "ECMH-SPECIALIST"),
    ("candidate16@demo.example", "Priya Raman", "ECMH-MENTOR-POLICY"),
]


def _sit_part_one(seat: Seat, start: datetime, rng: random.Random) -> None:
    attempt = services.start_attempt(seat, "MC", start, rng)
    ability = rng.uniform(0.6, 0.95)
    for item in attempt.form.items:
        wrong = [o["id"] for o in item.options if o["id"] != item.correct_option]
        value = item.correct_option if rng.random() < ability else rng.choice(wrong)
        db.session.add(
            Answer(attempt_id=attempt.id, item_id=item.id, value=value, seq=1, saved_at=start)
        )
    db.session.flush()
    db.session.expire(attempt, ["answers"])
    services.finalise(attempt, start + timedelta(minutes=70), "candidate")


def _sit_part_two(seat: Seat, start: datetime, rng: random.Random) -> None:
    attempt = services.start_attempt(seat, "VIGNETTE", start, rng)
    chosen = attempt.form.vignettes[: attempt.form.answer_count]
    for vignette in chosen:
        db.session.add(
            Answer(
                attempt_id=attempt.id,
                vignette_id=vignette.id,
                chosen=True,
                value=rng.choice(SAMPLE_ESSAYS),
                seq=1,
                saved_at=start,
            )
        )
    db.session.flush()
    db.session.expire(attempt, ["answers"])
    services.finalise(attempt, start + timedelta(minutes=80), "candidate")


def ensure_graded_examples(
    now: datetime, window: ExamWindow, proctor: User, candidates: list[User], codes: list[str]
) -> Sitting:
    """Yesterday's sitting with both parts sat (idempotent); graders are then enabled."""
    sitting = db.session.scalar(select(Sitting).where(Sitting.name == EARLIER_SITTING))
    if sitting is None:
        start = now - timedelta(days=1)
        sitting = Sitting(
            window=window,
            name=EARLIER_SITTING,
            starts_at=start,
            ends_at=start + timedelta(hours=5),
            proctor=proctor,
            mode="scheduled",
        )
        sitting.forms = [SittingForm(form_code=code) for code in codes]
        db.session.add(sitting)
        rng = random.Random(2026)  # the same demo every time
        for user in candidates:
            seat = Seat(
                sitting=sitting, candidate=user, track=user.approved_tracks[0], admitted_at=start
            )
            db.session.add(seat)
            db.session.flush()
            _sit_part_one(seat, start, rng)
            _sit_part_two(seat, start + timedelta(minutes=90), rng)
    enable_demo_graders(now)
    open_demo_round(window, now)
    return sitting


def earlier_attempts() -> list[Attempt]:
    """The demo's completed attempts (for tests and the README's promise)."""
    stmt = select(Attempt).join(Seat).join(Sitting).where(Sitting.name == EARLIER_SITTING)
    return list(db.session.scalars(stmt))
