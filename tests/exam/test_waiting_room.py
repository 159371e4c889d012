"""Arrival, the waiting room's poll, and on-demand admission by access code."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Seat
from tests.conftest import csrf_from, sign_in


def test_opening_the_rules_checks_in_and_the_gate_polls_until_admitted(app, client, exam_seat):
    user, seat_id = exam_seat(admitted=False)
    sign_in(client, user.email)
    page = client.get(f"/exam/seat/{seat_id}/MC").text
    assert "waiting room" in page and 'hx-trigger="every 5s"' in page
    with app.app_context():
        assert db.session.get(Seat, seat_id).checked_in_at is not None
    assert client.get(f"/exam/seat/{seat_id}/MC/gate").status_code == 200
    with app.app_context():
        db.session.get(Seat, seat_id).admitted_at = datetime.now(UTC)
        db.session.commit()
    gate = client.get(f"/exam/seat/{seat_id}/MC/gate")
    assert gate.status_code == 286 and "Start Part One" in gate.text


def test_on_demand_access_code_admits_from_the_start_time(app, client, exam_seat):
    user, seat_id = exam_seat(admitted=False)
    with app.app_context():
        sitting = db.session.get(Seat, seat_id).sitting
        sitting.mode, sitting.access_code = "on_demand", "KX7P2QRW"
        starts = sitting.starts_at
        db.session.commit()
    sign_in(client, user.email)
    token = csrf_from(client.get(f"/exam/seat/{seat_id}/MC").text)
    url = f"/exam/seat/{seat_id}/MC/code"
    with app.app_context():
        db.session.get(Seat, seat_id).sitting.starts_at = starts + timedelta(hours=1)
        db.session.commit()
    early = client.post(url, data={"csrf_token": token, "code": "KX7P2QRW"})
    assert early.status_code == 409 and "opens at" in early.text
    with app.app_context():
        db.session.get(Seat, seat_id).sitting.starts_at = starts
        db.session.commit()
    wrong = client.post(url, data={"csrf_token": token, "code": "WRONG"})
    assert wrong.status_code == 422 and "not right" in wrong.text
    with app.app_context():
        assert db.session.get(Seat, seat_id).admitted_at is None
    assert client.post(url, data={"csrf_token": token, "code": " kx7p2qrw "}).status_code == 302
    with app.app_context():
        assert db.session.get(Seat, seat_id).admitted_at is not None
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "seat.wrong_access_code" in actions and "seat.admitted_by_code" in actions


def test_pre_exam_check_page_renders(client, exam_seat):
    user, _ = exam_seat()
    sign_in(client, user.email)
    page = client.get("/exam/check")
    assert page.status_code == 200 and "data-server-epoch-ms" in page.text
