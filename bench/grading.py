"""Benchmark: "next response" and "submit reading" with 10,000 responses queued.

A fresh SQLite file (WAL, synchronous=FULL, as in production) is migrated and seeded straight in
the database with 5,000 closed Part Two attempts of two answered vignettes each: 10,000
responses waiting for readers. Three calibrated graders then take turns through the Flask test
client: POST /grading/next (allocation over the waiting responses, a new reading) and POST the
reading's form (validation, audit, and the pair's resolution when it is the second reading).
Each request is timed on its own; the figures are printed, never asserted.

Run: .venv/bin/python bench/grading.py [--responses 10000] [--rounds 600]
"""

import argparse
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.accounts import NewAccount, create_user  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import (  # noqa: E402
    Answer,
    Attempt,
    ExamWindow,
    Form,
    FormEntry,
    GraderProfile,
    Response,
    Rubric,
    Seat,
    Sitting,
    User,
    Vignette,
)

PASSWORD = "bench-grading-1"  # noqa: S105 - throwaway accounts in a throwaway database
NOW = datetime.now(UTC)
CODES = ("REFL", "THINK", "WWO")
LEVELS = [
    {"score": s, "label": f"Level {s}", "descriptor": f"Descriptor {s}."} for s in (1, 2, 3, 4)
]
ESSAY = "A reflective, relationship-based response to the scenario. " * 40


def _bank() -> Form:
    rubric = Rubric(
        key="R-BENCH",
        version=1,
        title="Bench rubric",
        tracks=["IMH-SPECIALIST"],
        criteria=[{"code": c, "domain": c, "label": c, "levels": LEVELS} for c in CODES],
        pass_rule={"kind": "total_and_floor", "min_total_percent": 75, "min_level": 2},
        resolution={"kind": "adjacent_mean"},
        content_hash="b" * 64,
    )
    vignettes = [
        Vignette(
            key=f"V-BENCH-{n}",
            version=1,
            title=f"Vignette {n}",
            tracks=["IMH-SPECIALIST"],
            kind="clinical",
            text="Scenario. " * 60,
            prompt="What would you do?",
            content_hash=str(n) * 64,
        )
        for n in range(3)
    ]
    form = Form(
        code="P2-BENCH",
        version=1,
        title="Bench Part Two",
        endorsement="IMH",
        part="VIGNETTE",
        track="IMH-SPECIALIST",
        duration_minutes=90,
        answer_count=2,
        rubric=rubric,
        content_hash="f" * 64,
    )
    form.entries = [FormEntry(position=n, vignette=v) for n, v in enumerate(vignettes, 1)]
    db.session.add(form)
    db.session.flush()
    return form


def seed(responses: int) -> list[str]:
    """Graders, candidates, closed attempts and their responses; returns the graders' emails."""
    form = _bank()
    window = ExamWindow(
        name="Bench window", opens_on=date(2026, 1, 1), closes_on=date(2026, 12, 31)
    )
    sitting = Sitting(
        window=window,
        name="Bench sitting",
        starts_at=NOW - timedelta(hours=4),
        ends_at=NOW - timedelta(hours=1),
    )
    db.session.add(sitting)
    db.session.flush()
    attempts = responses // 2
    db.session.execute(
        insert(User),
        [
            {
                "email": f"c{n}@bench.example",
                "name": f"Candidate {n}",
                "password_hash": "x",
                "role": "candidate",
            }
            for n in range(attempts)
        ],
    )
    users = db.session.scalars(select(User.id).where(User.role == "candidate").order_by(User.id))
    db.session.execute(
        insert(Seat),
        [
            {"sitting_id": sitting.id, "candidate_id": uid, "track": "IMH-SPECIALIST"}
            for uid in users
        ],
    )
    started = NOW - timedelta(hours=3)
    seats = db.session.scalars(select(Seat.id).order_by(Seat.id))
    db.session.execute(
        insert(Attempt),
        [
            {
                "seat_id": sid,
                "part": "VIGNETTE",
                "form_id": form.id,
                "started_at": started,
                "deadline_at": started + timedelta(minutes=90),
                "submitted_at": started + timedelta(minutes=80),
                "submit_reason": "candidate",
                "public_id": secrets.token_urlsafe(12),
            }
            for sid in seats
        ],
    )
    attempt_ids = list(db.session.scalars(select(Attempt.id).order_by(Attempt.id)))
    chosen = [v.id for v in form.vignettes[:2]]
    pairs = [(aid, vid) for aid in attempt_ids for vid in chosen]
    db.session.execute(
        insert(Answer),
        [{"attempt_id": a, "vignette_id": v, "value": ESSAY, "chosen": True} for a, v in pairs],
    )
    db.session.execute(
        insert(Response),
        [
            {"attempt_id": a, "vignette_id": v, "code": secrets.token_urlsafe(9), "created_at": NOW}
            for a, v in pairs
        ],
    )
    emails = []
    for n in range(3):
        grader = create_user(
            NewAccount(f"g{n}@bench.example", f"Grader {n}", "grader", PASSWORD, ())
        )
        db.session.add(
            GraderProfile(
                user_id=grader.id, capacity=100_000, calibrated_at=NOW, conflicts_declared_at=NOW
            )
        )
        emails.append(grader.email)
    db.session.commit()
    return emails


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app, email: str):
    client = app.test_client()
    token = _csrf(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client, _csrf(client.get("/grading/").get_data(as_text=True))


def timed(call):
    start = time.perf_counter()
    response = call()
    return (time.perf_counter() - start) * 1000, response


def summary(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[max(0, round(0.95 * len(ms)) - 1)]
    return (
        f"{name:<16} n={len(ms):<5} p50={statistics.median(ms):6.1f} ms  "
        f"p95={p95:6.1f} ms  max={ms[-1]:6.1f} ms"
    )


def run(responses: int, rounds: int) -> None:
    tmp = tempfile.mkdtemp(prefix="bench-grading-")
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(settings | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        started = time.perf_counter()
        emails = seed(responses)
        print(f"seeded {responses} responses in {time.perf_counter() - started:.1f} s")
    graders = [signed_in(app, email) for email in emails]
    rng = random.Random(20261124)
    next_ms, submit_ms = [], []
    for n in range(rounds):
        client, token = graders[n % len(graders)]
        ms, response = timed(
            lambda c=client, t=token: c.post("/grading/next", data={"csrf_token": t})
        )
        code = response.headers["Location"].rsplit("/", 1)[1]
        next_ms.append(ms)
        form = {f"rating-{c}": str(rng.choice((2, 3, 3, 4))) for c in CODES}
        form |= {f"comment-{c}": "Specific, kind feedback on this domain." for c in CODES}
        form |= {"overall": "", "csrf_token": token}
        ms, response = timed(lambda c=client, f=form, k=code: c.post(f"/grading/read/{k}", data=f))
        assert response.status_code == 302, response.status_code
        submit_ms.append(ms)
    with app.app_context():
        left = db.session.scalar(select(Response.id).where(Response.readers < 2).limit(1))
        assert left is not None
        db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"{responses} responses queued, {rounds} readings by {len(graders)} graders "
        f"(SQLite file, Flask test client)"
    )
    print(summary("next response", next_ms))
    print(summary("submit reading", submit_ms))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=600)
    args = parser.parse_args()
    run(args.responses, args.rounds)
