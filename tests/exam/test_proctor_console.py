"""The console's per-row actions: admission with an ID check, Admit all waiting, the confirmation
step of void and force submit; each refused request writes nothing."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Seat
from tests.conftest import csrf_from, sign_in
from tests.exam import test_proctor
from tests.exam.test_proctor import act, attempt_row

proctored = test_proctor.proctored  # the shared fixture: Part One started, proctor signed in


@pytest.fixture
def waiting_room(app, client, exam_seat, create_user_):
    """(proctor client, sitting id, [waiting seat ids], not-arrived seat id), proctor signed in."""
    proctor = create_user_("proctor")
    seats = [exam_seat(admitted=False)[1] for _ in range(3)]
    with app.app_context():
        for seat_id in seats[:2]:
            db.session.get(Seat, seat_id).checked_in_at = datetime.now(UTC)
        sitting = db.session.get(Seat, seats[0]).sitting
        sitting.proctor_id = proctor.id
        db.session.commit()
        sitting_id = sitting.id
    sign_in(client, proctor.email)
    return client, sitting_id, seats[:2], seats[2]


def seat(app, seat_id) -> Seat:
    with app.app_context():
        found = db.session.get(Seat, seat_id)
        db.session.expunge(found)
        return found


def audit_count(app, action="proctor.%") -> int:
    """Audit events of proctor actions (set-up writes others: bank import, sign-ins)."""
    with app.app_context():
        stmt = select(func.count()).where(AuditEvent.action.like(action))
        return db.session.scalar(stmt)


def admit_all(client, sitting_id, seat_ids, ticked=True, token=None):
    token = token or csrf_from(client.get(f"/proctor/sitting/{sitting_id}").text)
    data = {"csrf_token": token, "seat": [str(s) for s in seat_ids]}
    if ticked:
        data["ids_checked"] = "yes"
    return client.post(f"/proctor/sitting/{sitting_id}/admit-all", data=data)


def test_the_roster_row_offers_admission_with_an_id_check(app, waiting_room):
    client, sitting_id, (first, _), _ = waiting_room
    page = client.get(f"/proctor/sitting/{sitting_id}").text
    row = page.split(f'data-seat="{first}"')[1].split("</tr>")[0]
    assert 'name="id_checked"' in row and "ID checked" in row and "Admit" in row
    assert "Admit all 2 waiting" in page


def test_admission_without_the_id_check_is_refused_and_writes_nothing(app, waiting_room):
    client, _, (first, _), _ = waiting_room
    response = act(client, first, "admit", reason="", id_note="looked fine")
    assert response.status_code == 422 and "ID checked" in response.text
    assert seat(app, first).admitted_at is None and seat(app, first).id_checked_at is None
    assert audit_count(app) == 0


def test_admission_records_the_id_check_on_the_seat_audit_and_roster(app, waiting_room):
    client, sitting_id, (first, _), _ = waiting_room
    response = act(client, first, "admit", reason="", id_checked="yes", id_note="married name")
    assert response.status_code == 302
    admitted = seat(app, first)
    assert admitted.admitted_at is not None and admitted.id_checked_at == admitted.admitted_at
    assert admitted.id_check_note == "married name"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "proctor.admit"))
        assert event.reason == "married name" and event.data["id_checked"] is True
        assert event.actor_id is not None and event.subject_id == str(first)
    row = client.get(f"/proctor/sitting/{sitting_id}").text.split(f'data-seat="{first}"')[1]
    assert "ID checked" in row.split("</tr>")[0] and "married name" in row.split("</tr>")[0]
    again = act(client, first, "admit", reason="", id_checked="yes")
    assert again.status_code == 409 and audit_count(app, "proctor.admit") == 1


def test_admit_all_admits_each_listed_waiting_seat_with_its_own_audit_event(app, waiting_room):
    client, sitting_id, waiting, absent = waiting_room
    response = admit_all(client, sitting_id, [*waiting, absent, waiting[0]])  # one twice
    assert response.status_code == 302
    for seat_id in waiting:
        assert seat(app, seat_id).admitted_at is not None
        assert seat(app, seat_id).id_checked_at is not None
    assert seat(app, absent).admitted_at is None  # not arrived: never admitted in bulk
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "proctor.admit"))
        assert sorted(int(e.subject_id) for e in events) == sorted(waiting)
    assert "Admitted 2" in client.get(f"/proctor/sitting/{sitting_id}").text


@pytest.mark.parametrize(
    "seats, ticked, status",
    [("waiting", False, 422), ("none", True, 422), ("junk", True, 422), ("absent", True, 409)],
)
def test_admit_all_refusals_write_nothing(app, waiting_room, seats, ticked, status):
    client, sitting_id, waiting, absent = waiting_room
    listed = {"waiting": waiting, "none": [], "junk": ["x1"], "absent": [absent]}[seats]
    assert admit_all(client, sitting_id, listed, ticked).status_code == status
    assert all(seat(app, s).admitted_at is None for s in [*waiting, absent])
    assert audit_count(app) == 0


def test_admit_all_needs_the_csrf_token_and_the_sittings_proctor(app, waiting_room, create_user_):
    client, sitting_id, waiting, _ = waiting_room
    assert admit_all(client, sitting_id, waiting, token="forged").status_code == 400
    other = app.test_client()
    sign_in(other, create_user_("proctor").email)
    token = csrf_from(other.get("/proctor/").text)
    assert admit_all(other, sitting_id, waiting, token=token).status_code == 404
    candidate = app.test_client()
    sign_in(candidate, create_user_("candidate").email)
    token = csrf_from(candidate.get("/exam/").text)
    assert admit_all(candidate, sitting_id, waiting, token=token).status_code == 403
    assert all(seat(app, s).admitted_at is None for s in waiting) and audit_count(app) == 0


def test_a_live_row_offers_every_action_and_the_two_confirmations(app, proctored):
    client, _, seat_id, _ = proctored
    sitting_id = seat(app, seat_id).sitting_id
    row = client.get(f"/proctor/sitting/{sitting_id}").text.split(f'data-seat="{seat_id}"')[1]
    row = row.split("</tr>")[0]
    for action in ("pause", "extend", "credit"):
        assert f'value="{action}"' in row
    assert 'name="category"' in row  # incident
    assert f"/proctor/seat/{seat_id}/confirm?action=void" in row
    assert f"/proctor/seat/{seat_id}/confirm?action=force_submit" in row


@pytest.mark.parametrize("action", ["void", "force_submit"])
def test_void_and_force_submit_without_confirmation_write_nothing(app, proctored, action):
    client, _, seat_id, _ = proctored
    response = act(client, seat_id, action, confirmed="")
    assert response.status_code == 422 and "confirmed on their own page" in response.text
    assert attempt_row(app).submitted_at is None and seat(app, seat_id).voided_at is None
    assert audit_count(app, f"proctor.{action}") == 0


@pytest.mark.parametrize(
    "action, words",
    [("void", "Voiding cannot be undone"), ("force_submit", "Force submit cannot be undone")],
)
def test_the_confirmation_page_names_the_candidate_and_the_consequence(
    app, proctored, action, words
):
    client, _, seat_id, _ = proctored
    with app.app_context():
        name = db.session.get(Seat, seat_id).candidate.name
    page = client.get(f"/proctor/seat/{seat_id}/confirm?action={action}")
    assert page.status_code == 200
    assert words in page.text and name in page.text.split('id="consequence"')[1]
    assert 'name="confirmed" value="yes"' in page.text
    assert attempt_row(app).submitted_at is None  # opening the page changes nothing


def test_the_confirmation_page_refuses_other_actions_and_other_proctors(
    app, proctored, create_user_
):
    client, _, seat_id, _ = proctored
    assert client.get(f"/proctor/seat/{seat_id}/confirm?action=warp").status_code == 422
    other = app.test_client()
    sign_in(other, create_user_("proctor").email)
    assert other.get(f"/proctor/seat/{seat_id}/confirm?action=void").status_code == 404


def test_void_twice_is_refused(app, proctored):
    client, _, seat_id, _ = proctored
    assert act(client, seat_id, "void").status_code == 302
    assert act(client, seat_id, "void").status_code == 409
    assert audit_count(app, "proctor.void") == 1
