"""A small exam history built row by row: one Part One form of four items, two windows,
attempts in every state (submitted, expired, open, voided), a retake and results.

Attempts, in id order (the rows of the responses frame):
  c1  Window One  submitted  a b c d      4/4  passed
  c2  Window One  submitted  a _ a -      1/4  failed  (_ cleared, - never answered)
  c3  Window One  expired    b - - -      0/4  (no result: not swept yet)
  c4  Window One  open       a b c d      left out: still running
  c5  Window One  voided     a b c d      left out, and its result too
  c2  Window Two  submitted  a b c d      4/4  passed  (c2's retake)
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from app.extensions import db
from app.models import (
    Answer,
    Attempt,
    ExamWindow,
    Form,
    FormEntry,
    Item,
    Result,
    Seat,
    Sitting,
    User,
    now_utc,
)
from tests.factories import make_rubric, make_vignette_form

CODE = "T-P1"
KEY = {"T-001": "a", "T-002": "b", "T-003": "c", "T-004": "d"}
W1, W2 = "Window One", "Window Two"
PAST = datetime(2024, 3, 10, 14, 0, tzinfo=UTC)
LATER = datetime(2024, 6, 10, 14, 0, tzinfo=UTC)
ANSWERS = {
    "c1": {"T-001": "a", "T-002": "b", "T-003": "c", "T-004": "d"},
    "c2": {"T-001": "a", "T-002": "", "T-003": "a"},
    "c3": {"T-001": "b"},
    "c4": {"T-001": "a", "T-002": "b", "T-003": "c", "T-004": "d"},
    "c5": {"T-001": "a", "T-002": "b", "T-003": "c", "T-004": "d"},
    "retake": {"T-001": "a", "T-002": "b", "T-003": "c", "T-004": "d"},
}


@dataclass
class World:
    """Ids of what the tests look at; the objects themselves live in the database."""

    attempts: dict[str, int]
    form_id: int
    users: dict[str, int]


def make_item(key: str, version: int = 1, correct: str | None = None) -> Item:
    return Item(
        key=key,
        version=version,
        endorsement="IMH",
        domain="DIRECT",
        stem=f"Stem of {key} v{version}: which is best?",
        options=[{"id": o, "text": f"Option {o} of {key}"} for o in "abcd"],
        correct_option=correct or KEY[key],
        content_hash=f"{key}-{version}".ljust(64, "0"),
    )


def make_form(items: list[Item], version: int = 1, code: str = CODE) -> Form:
    return Form(
        code=code,
        version=version,
        title="Test Part One",
        endorsement="IMH",
        part="MC",
        duration_minutes=90,
        pass_mark=75,
        content_hash=f"{code}-{version}".ljust(64, "0"),
        entries=[FormEntry(position=n, item=item) for n, item in enumerate(items, 1)],
    )


def window(name: str, opens: date, closes: date) -> ExamWindow:
    return ExamWindow(name=name, opens_on=opens, closes_on=closes)


def sitting(win: ExamWindow, starts: datetime) -> Sitting:
    return Sitting(
        window=win,
        name=f"Sitting {win.name}",
        starts_at=starts,
        ends_at=starts + timedelta(hours=4),
    )


def candidate(name: str) -> User:
    return User(email=f"{name}@test.example", name=name, role="candidate", password_hash="!")


def attempt(seat: Seat, form: Form, started: datetime, state: str) -> Attempt:
    """An MC attempt in a state: submitted, expired (past deadline), open, voided."""
    deadline = started + timedelta(minutes=90)
    made = Attempt(seat=seat, part="MC", form=form, started_at=started, deadline_at=deadline)
    if state in ("submitted", "voided"):
        made.submitted_at = started + timedelta(minutes=60)
        made.submit_reason = "candidate" if state == "submitted" else "void"
    return made


def answer(made: Attempt, form: Form, answers: dict[str, str]) -> None:
    for item in form.items:
        if item.key in answers:
            db.session.add(Answer(attempt=made, item_id=item.id, value=answers[item.key], seq=1))


def result(made: Attempt, percent: float, passed: bool, part: str = "MC", **extra) -> Result:
    return Result(
        seat=made.seat,
        part=part,
        attempt=made,
        score=percent / 25,
        max_score=4,
        percent=percent,
        passed=passed,
        released_at=made.submitted_at,
        **extra,
    )


def build_world() -> World:
    """The history of the module docstring (flushes; the caller commits)."""
    form = make_form([make_item(key) for key in KEY])
    one = window(W1, date(2024, 2, 1), date(2024, 4, 30))
    two = window(W2, date(2024, 5, 1), date(2024, 7, 31))
    first, second = sitting(one, PAST), sitting(two, LATER)
    people = {name: candidate(name) for name in ("c1", "c2", "c3", "c4", "c5")}
    db.session.add_all([form, first, second, *people.values()])
    db.session.flush()
    now = now_utc()
    made = {}
    for name, state in (("c1", "submitted"), ("c2", "submitted"), ("c3", "expired"),
                        ("c4", "open"), ("c5", "voided")):  # fmt: skip
        seat = Seat(sitting=first, candidate=people[name], track="IMH-SPECIALIST")
        started = now - timedelta(minutes=10) if state == "open" else PAST
        made[name] = attempt(seat, form, started, state)
    retake_seat = Seat(sitting=second, candidate=people["c2"], track="IMH-SPECIALIST")
    made["retake"] = attempt(retake_seat, form, LATER, "submitted")
    db.session.add_all(made.values())
    db.session.flush()
    for name, answers in ANSWERS.items():
        answer(made[name], form, answers)
    db.session.add_all(
        [
            result(made["c1"], 100, True),
            result(made["c2"], 25, False),
            result(made["c5"], 100, True),
            result(made["retake"], 100, True),
        ]
    )
    db.session.flush()
    return World(
        attempts={name: a.id for name, a in made.items()},
        form_id=form.id,
        users={name: u.id for name, u in people.items()},
    )


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        built = build_world()
        db.session.commit()
        return built


def add_part_two_result(levels: dict[str, float], floor: float = 2) -> None:
    """A Part Two form, rubric, attempt and result for c1's Window One seat."""
    rubric = make_rubric(
        pass_rule={"kind": "total_and_floor", "min_total_percent": 75, "min_level": floor}
    )
    form = make_vignette_form("T-P2", rubric)
    seat = db.session.scalar(
        db.select(Seat).join(User).where(User.name == "c1").order_by(Seat.id).limit(1)
    )
    made = Attempt(seat=seat, part="VIGNETTE", form=form, started_at=PAST,
                   deadline_at=PAST + timedelta(minutes=90),
                   submitted_at=PAST + timedelta(minutes=80), submit_reason="candidate")  # fmt: skip
    scores = {
        code: {"criterion": f"Label {code}", "level": level} for code, level in levels.items()
    }
    db.session.add(result(made, 80, True, part="VIGNETTE", domain_scores=scores))
    db.session.flush()


@pytest.fixture
def coordinator(signed_in):
    """A test client signed in as a coordinator."""
    client, _user = signed_in("coordinator")
    return client
