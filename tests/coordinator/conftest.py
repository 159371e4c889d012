"""Scheduling fixtures: a tiny bank (one Part One and one Part Two form), a window, a proctor,
a sitting and a signed-in coordinator; `post` sends a form with the session's CSRF token."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ExamWindow, Form, FormEntry, Item, Sitting, SittingForm
from tests.conftest import csrf_from, persist
from tests.factories import make_rubric, make_vignette_form

SCHEDULE = "/coordinator/schedule"
P1, P2 = "T-P1", "T-IMH-SPECIALIST-P2"


def _tiny_bank() -> Form:
    item = Item(
        key="T-001",
        version=1,
        endorsement="IMH",
        domain="DIRECT",
        stem="Which is best?",
        options=[{"id": "a", "text": "One"}, {"id": "b", "text": "Two"}],
        correct_option="b",
        content_hash="i" * 64,
    )
    mc = Form(
        code=P1,
        version=1,
        title="Test Part One",
        endorsement="IMH",
        part="MC",
        duration_minutes=90,
        content_hash="f" * 64,
        entries=[FormEntry(position=1, item=item)],
    )
    vignette_form = make_vignette_form(P2, make_rubric())
    db.session.add_all([mc, vignette_form])
    return mc


@pytest.fixture
def bank(app):
    """The Part One form (detached); the Part Two form exists too."""
    return persist(app, _tiny_bank)


def stored_window(app, name: str, opens_on: date, closes_on: date) -> ExamWindow:
    """A committed exam window (detached)."""
    return persist(app, lambda: _add(ExamWindow(name=name, opens_on=opens_on, closes_on=closes_on)))


@pytest.fixture
def window(app):
    return stored_window(app, "Feb–Apr 2031", date(2031, 2, 1), date(2031, 4, 30))


def _add(obj):
    db.session.add(obj)
    return obj


@pytest.fixture
def proctor(create_user_):
    return create_user_("proctor", name="Pat Proctor")


@pytest.fixture
def sitting(app, bank, window, proctor):
    def build():
        sitting = Sitting(
            window_id=window.id,
            name="March sitting",
            proctor_id=proctor.id,
            mode="scheduled",
            starts_at=datetime(2031, 3, 10, 14, 0, tzinfo=UTC),
            ends_at=datetime(2031, 3, 10, 18, 0, tzinfo=UTC),
        )
        sitting.forms = [SittingForm(form_code=P1)]
        return _add(sitting)

    return persist(app, build)


@pytest.fixture
def coordinator(signed_in):
    """A test client signed in as a coordinator."""
    client, _user = signed_in("coordinator", name="Casey Coordinator")
    return client


def offer(app, sitting_id: int, track: str = "IMH-SPECIALIST") -> None:
    """Offer the sitting a Part Two form for the track (made if the tiny bank has none), so a
    candidate on that track can be seated for both parts."""

    def build():
        code = P2 if track == "IMH-SPECIALIST" else f"T-{track}-P2"
        if db.session.scalar(select(Form.id).where(Form.code == code)) is None:
            form = make_vignette_form(code, make_rubric(key=f"R-{track}"))
            form.track = form.rubric.tracks[0] = track
            db.session.add(form)
        sitting_form = SittingForm(sitting_id=sitting_id, form_code=code)
        db.session.add(sitting_form)
        return sitting_form

    persist(app, build)


def post(client, url: str, data: dict | None = None):
    """POST a form with the CSRF token of the signed-in session."""
    token = csrf_from(client.get(f"{SCHEDULE}/").get_data(as_text=True))
    return client.post(url, data={**(data or {}), "csrf_token": token})
