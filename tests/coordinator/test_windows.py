"""Exam windows: dates suggested from the deadlines, defaulted names, validation that writes
nothing, and edits that keep the window's sittings inside it."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ExamWindow
from tests.coordinator.conftest import SCHEDULE, post

NEW = f"{SCHEDULE}/windows/new"


def _windows(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.execute(select(ExamWindow).order_by(ExamWindow.id)).scalars()
        return [(w.name, w.opens_on.isoformat(), w.closes_on.isoformat()) for w in rows]


def test_dates_and_name_are_suggested_for_a_chosen_day(coordinator):
    html = coordinator.get(f"{NEW}?day=2031-11-15").get_data(as_text=True)
    assert 'value="2031-11-01"' in html and 'value="2032-01-31"' in html
    assert 'value="Nov 2031 – Jan 2032"' in html


def test_a_deadline_day_belongs_to_the_window_it_closes(coordinator):
    html = coordinator.get(f"{NEW}?day=2031-04-30").get_data(as_text=True)
    assert 'value="2031-02-01"' in html and 'value="2031-04-30"' in html


def test_junk_suggestion_day_is_422_naming_the_field(coordinator):
    response = coordinator.get(f"{NEW}?day=next-tuesday")
    assert response.status_code == 422
    assert "Suggest dates for is not a date" in response.get_data(as_text=True)


def test_create_window_with_default_name_is_audited(app, coordinator):
    data = {"name": "", "opens_on": "2031-05-01", "closes_on": "2031-07-31"}
    response = post(coordinator, NEW, data)
    assert response.status_code == 302
    assert _windows(app) == [("May 2031 – Jul 2031", "2031-05-01", "2031-07-31")]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "window.created"))
        assert event.data["after"]["closes_on"] == "2031-07-31"
    assert "May 2031 – Jul 2031" in coordinator.get(response.headers["Location"]).text


def test_closes_before_opens_is_422_and_writes_nothing(app, coordinator):
    data = {"name": "Backwards", "opens_on": "2031-05-01", "closes_on": "2031-04-30"}
    response = post(coordinator, NEW, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The window closes before it opens" in html
    assert 'value="Backwards"' in html  # the entries come back for correction
    assert _windows(app) == []


def test_duplicate_name_is_422_and_writes_nothing(app, coordinator, window):
    data = {"name": window.name.upper(), "opens_on": "2031-05-01", "closes_on": "2031-07-31"}
    response = post(coordinator, NEW, data)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert len(_windows(app)) == 1


def test_junk_dates_are_422_naming_the_field(app, coordinator):
    for field, label in (("opens_on", "Opens on"), ("closes_on", "Closes on")):
        data = {"opens_on": "2031-05-01", "closes_on": "2031-07-31", field: "2031-02-30"}
        response = post(coordinator, NEW, data)
        assert response.status_code == 422
        assert f"{label} is not a date" in response.get_data(as_text=True)
    data = {"name": "x\x00y", "opens_on": "2031-05-01", "closes_on": "2031-07-31"}
    response = post(coordinator, NEW, data)
    assert response.status_code == 422
    assert "Name contains a character that cannot be stored" in response.get_data(as_text=True)
    assert _windows(app) == []


def test_edit_window(app, coordinator, window):
    data = {"name": "Spring 2031", "opens_on": "2031-02-01", "closes_on": "2031-05-15"}
    response = post(coordinator, f"{SCHEDULE}/windows/{window.id}/edit", data)
    assert response.status_code == 302
    assert _windows(app) == [("Spring 2031", "2031-02-01", "2031-05-15")]


def test_edit_that_would_strand_a_sitting_is_refused(app, coordinator, window, sitting):
    data = {"name": window.name, "opens_on": "2031-03-15", "closes_on": "2031-04-30"}
    response = post(coordinator, f"{SCHEDULE}/windows/{window.id}/edit", data)
    assert response.status_code == 422
    assert "“March sitting” on 2031-03-10 would fall outside" in response.get_data(as_text=True)
    assert _windows(app) == [(window.name, "2031-02-01", "2031-04-30")]
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "window.updated")
            )
            == 0
        )
