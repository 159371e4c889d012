"""Sittings: local date and times (UTC under the default zone), a real proctor, a mode with an access code for on-demand
sittings, offered forms stored as rows; each validation message is a 422 that writes nothing."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Sitting, SittingForm
from tests.coordinator.conftest import P1, P2, SCHEDULE, post


@pytest.fixture
def good(proctor, bank):
    return {
        "name": "April sitting",
        "date": "2031-04-02",
        "starts": "13:30",
        "ends": "17:00",
        "proctor_id": str(proctor.id),
        "mode": "scheduled",
        "form_codes": [P1, P2],
    }


def _sittings(app) -> list[Sitting]:
    with app.app_context():
        sittings = list(db.session.scalars(select(Sitting).order_by(Sitting.id)))
        for s in sittings:
            s.form_codes  # noqa: B018 - load before the session closes
        db.session.expunge_all()
        return sittings


def test_create_scheduled_sitting(app, coordinator, window, proctor, good):
    response = post(coordinator, f"{SCHEDULE}/windows/{window.id}/sittings/new", good)
    assert response.status_code == 302
    [sitting] = _sittings(app)
    assert sitting.starts_at == datetime(2031, 4, 2, 13, 30, tzinfo=UTC)
    assert sitting.ends_at == datetime(2031, 4, 2, 17, 0, tzinfo=UTC)
    assert (sitting.proctor_id, sitting.mode, sitting.access_code) == (
        proctor.id,
        "scheduled",
        None,
    )
    assert sitting.form_codes == sorted([P1, P2])
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "2031-04-02 13:30 UTC" in page and "Pat Proctor" in page


def test_on_demand_gets_an_access_code_kept_on_edit_and_dropped_when_scheduled(
    app, coordinator, window, good
):
    post(coordinator, f"{SCHEDULE}/windows/{window.id}/sittings/new", {**good, "mode": "on_demand"})
    [sitting] = _sittings(app)
    code = sitting.access_code
    assert code and len(code) == 8 and code.isalnum() and code.isupper()
    assert code in coordinator.get(f"{SCHEDULE}/sittings/{sitting.id}").get_data(as_text=True)
    edit = f"{SCHEDULE}/sittings/{sitting.id}/edit"
    post(coordinator, edit, {**good, "mode": "on_demand", "name": "Renamed"})
    assert _sittings(app)[0].access_code == code
    post(coordinator, edit, {**good, "mode": "scheduled"})
    assert _sittings(app)[0].access_code is None


def test_edit_keeps_unchanged_forms_and_is_audited(app, coordinator, sitting, good):
    before = _form_rows(app)
    data = {**good, "date": "2031-03-10", "form_codes": [P1, P2]}
    response = post(coordinator, f"{SCHEDULE}/sittings/{sitting.id}/edit", data)
    assert response.status_code == 302
    after = _form_rows(app)
    assert after[P1] == before[P1] and set(after) == {P1, P2}
    post(coordinator, f"{SCHEDULE}/sittings/{sitting.id}/edit", {**data, "form_codes": [P2]})
    assert set(_form_rows(app)) == {P2}
    with app.app_context():
        first_edit = select(AuditEvent).where(AuditEvent.action == "sitting.updated")
        event = db.session.scalar(first_edit.order_by(AuditEvent.id))
        assert event.data["before"]["forms"] == [P1] and event.actor_id is not None


def _form_rows(app) -> dict[str, int]:
    with app.app_context():
        return {f.form_code: f.id for f in db.session.scalars(select(SittingForm))}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends": "13:30"}, "The end time is the same as the start time"),
        ({"date": "2031-05-01"}, "The sitting must start within the window (2031-02-01 to"),
        ({"date": "2031-01-31"}, "The sitting must start within the window"),
        ({"form_codes": []}, "Offer at least one form."),
        ({"form_codes": ["NOPE"]}, "Unknown form code(s): NOPE."),
        ({"proctor_id": "999999"}, "The chosen proctor is not an active proctor account."),
        ({"proctor_id": "99999999999"}, "Proctor: choose a proctor from the list."),
        ({"proctor_id": ""}, "Proctor: choose a proctor from the list."),
        ({"date": "02/04/2031"}, "Date is not a date"),
        ({"starts": "1pm"}, "Start time is not a 24-hour time: use HH:MM"),
        ({"ends": "25:00"}, "End time is not a 24-hour time: use HH:MM"),
        ({"ends": "17:60"}, "End time is not a 24-hour time"),
        ({"mode": "sometimes"}, "Mode: choose scheduled or on demand."),
        ({"name": "  "}, "Name is required."),
        ({"name": "x" * 121}, "Name is longer than 120 characters."),
    ],
)
def test_invalid_sitting_is_422_and_writes_nothing(app, coordinator, window, good, change, message):
    response = post(coordinator, f"{SCHEDULE}/windows/{window.id}/sittings/new", {**good, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _sittings(app) == []


def test_a_candidate_cannot_be_the_proctor(app, coordinator, window, good, create_user_):
    candidate = create_user_("candidate")
    data = {**good, "proctor_id": str(candidate.id)}
    response = post(coordinator, f"{SCHEDULE}/windows/{window.id}/sittings/new", data)
    assert response.status_code == 422
    assert "The chosen proctor is not an active proctor account." in response.text


def test_invalid_edit_changes_nothing(app, coordinator, sitting, good):
    data = {**good, "name": "Changed", "date": "2031-03-10", "ends": good["starts"]}
    response = post(coordinator, f"{SCHEDULE}/sittings/{sitting.id}/edit", data)
    assert response.status_code == 422
    assert 'value="Changed"' in response.text  # the coordinator's entries come back
    [stored] = _sittings(app)
    assert (stored.name, stored.form_codes) == ("March sitting", [P1])
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert actions == {"user.created"}
