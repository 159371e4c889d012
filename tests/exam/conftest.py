"""Exam fixtures: a tiny bank, a sitting, and admitted seats ready to start."""

import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from app.bank.importer import import_bank
from app.bank.loader import read_bank
from app.extensions import db
from app.models import ExamWindow, Seat, Sitting, SittingForm, User

DOMAINS = ["DIRECT", "REFL", "THINK", "WWO", "DIRECT"]


def tiny_bank(n_items: int, minutes: int, pass_mark: int = 80) -> str:
    """A bank of n items whose key is always 'b', with rationales that must never leak."""
    items = "".join(
        textwrap.dedent(f"""
        [[item]]
        key = "T-{n:03d}"
        endorsement = "IMH"
        domain = "{DOMAINS[n % len(DOMAINS)]}"
        stem = "Stem number {n}?"
        correct = "b"
        rationale = "SECRET-RATIONALE-{n}"
        options = [{{ id = "a", text = "Alpha {n}" }}, {{ id = "b", text = "Bravo {n}" }},
                   {{ id = "c", text = "Charlie {n}" }}, {{ id = "d", text = "Delta {n}" }}]
        """)
        for n in range(1, n_items + 1)
    )
    keys = ", ".join(f'"T-{n:03d}"' for n in range(1, n_items + 1))
    form = textwrap.dedent(f"""
        [[form]]
        code = "T-P1"
        title = "Tiny Part One"
        endorsement = "IMH"
        part = "MC"
        duration_minutes = {minutes}
        pass_mark = {pass_mark}
        item_count = {n_items}
        items = [{keys}]
        """)
    return items + form


@pytest.fixture
def exam_seat(app, create_user_, tmp_path):
    """exam_seat(n_items=5, minutes=90, multiplier=1.0, extra=0, admitted=True) -> (user, seat_id)."""

    def make(n_items=5, minutes=90, multiplier=1.0, extra=0, admitted=True, user=None):
        bank = tmp_path / "bank"
        bank.mkdir(exist_ok=True)
        (bank / "bank.toml").write_text(tiny_bank(n_items, minutes))
        user = user or create_user_("candidate", tracks=["IMH-SPECIALIST"])
        with app.app_context():
            import_bank(read_bank(bank))
            now = datetime.now(UTC)
            window = db.session.query(ExamWindow).first() or ExamWindow(
                name="Test window",
                opens_on=now.date() - timedelta(days=1),
                closes_on=now.date() + timedelta(days=30),
            )
            sitting = db.session.query(Sitting).first() or Sitting(
                window=window,
                name="Test sitting",
                starts_at=now - timedelta(minutes=5),
                ends_at=now + timedelta(hours=4),
                forms=[SittingForm(form_code="T-P1")],
            )
            seat = Seat(
                sitting=sitting,
                candidate=db.session.get(User, user.id),
                track="IMH-SPECIALIST",
                time_multiplier=multiplier,
                extra_minutes=extra,
                admitted_at=now if admitted else None,
            )
            db.session.add(seat)
            db.session.commit()
            return user, seat.id

    return make
