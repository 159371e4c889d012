"""The proctor console: roster, every action with its audit event, and who may act."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, AuditEvent, Incident, Seat, Sitting
from tests.conftest import csrf_from, sign_in
from tests.exam.test_delivery import save, start


@pytest.fixture
def proctored(app, client, exam_seat, create_user_):
    """(proctor client, candidate client, seat_id, attempt public id) with Part One started."""
    user, seat_id = exam_seat(n_items=3)
    proctor = create_user_("proctor")
    with app.app_context():
        db.session.get(Seat, seat_id).sitting.proctor_id = proctor.id
        db.session.commit()
    candidate = app.test_client()
    sign_in(candidate, user.email)
    public_id, html, ct = start(candidate, seat_id)
    sign_in(client, proctor.email)
    return client, candidate, seat_id, public_id


def act(client, seat_id, action, reason="checked with candidate", minutes=0, **extra):
    """POST one action as its form would (void and force submit come from their confirm page)."""
    page = client.get("/proctor/").text
    if action in ("void", "force_submit"):
        extra.setdefault("confirmed", "yes")
    return client.post(
        f"/proctor/seat/{seat_id}/act",
        data={
            "csrf_token": csrf_from(page),
            "action": action,
            "reason": reason,
            "minutes": minutes,
            **extra,
        },
    )


def attempt_row(app):
    with app.app_context():
        return db.session.scalar(select(Attempt))


def last_audit(app):
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
        return event.action, event.reason, event.data


def test_roster_shows_each_seat_live(app, proctored):
    client, _, seat_id, _ = proctored
    with app.app_context():
        sitting_id = db.session.get(Seat, seat_id).sitting_id
    page = client.get(f"/proctor/sitting/{sitting_id}")
    assert page.status_code == 200 and "in Part One" in page.text
    fragment = client.get(f"/proctor/sitting/{sitting_id}/roster", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text


def test_pause_stops_the_clock_and_resume_moves_the_deadline(app, proctored):
    client, candidate, seat_id, public_id = proctored
    before = attempt_row(app).deadline_at
    t0 = datetime.now(UTC)
    with time_machine.travel(t0, tick=False):
        assert act(client, seat_id, "pause").status_code == 302
    assert last_audit(app)[:2] == ("proctor.pause", "checked with candidate")
    with time_machine.travel(t0 + timedelta(minutes=7), tick=False):
        clock = candidate.get(f"/exam/attempt/{public_id}/clock").text
        assert 'data-state="paused"' in clock
        assert act(client, seat_id, "resume").status_code == 302
    assert attempt_row(app).deadline_at - before == timedelta(minutes=7)
    assert last_audit(app)[2]["paused_seconds"] == 420


def test_extend_moves_the_deadline_and_the_candidate_clock(app, proctored):
    client, candidate, seat_id, public_id = proctored
    left_before = int(
        candidate.get(f"/exam/attempt/{public_id}/clock")
        .text.split('data-seconds-left="')[1]
        .split('"')[0]
    )
    assert act(client, seat_id, "extend", minutes=10).status_code == 302
    left_after = int(
        candidate.get(f"/exam/attempt/{public_id}/clock")
        .text.split('data-seconds-left="')[1]
        .split('"')[0]
    )
    assert 595 <= left_after - left_before <= 600
    assert attempt_row(app).extension_minutes == 10
    assert last_audit(app)[0] == "proctor.extend"


def test_force_submit_closes_and_scores(app, proctored):
    client, candidate, seat_id, public_id = proctored
    assert act(client, seat_id, "force_submit").status_code == 302
    attempt = attempt_row(app)
    assert attempt.submit_reason == "proctor"
    html = candidate.get("/exam/").text
    token = csrf_from(html)
    assert save(candidate, public_id, token, 1, "b", 1, attempt.client_token).status_code in (
        404,
        409,
        422,
    )


def test_void_closes_the_seat(app, proctored):
    client, candidate, seat_id, public_id = proctored
    assert act(client, seat_id, "void", reason="impersonation suspected").status_code == 302
    assert attempt_row(app).submit_reason == "void"
    with app.app_context():
        assert db.session.get(Seat, seat_id).voided_at is not None
    assert last_audit(app)[:2] == ("proctor.void", "impersonation suspected")


def test_credit_grants_back_a_lost_connection_once(app, proctored):
    client, candidate, seat_id, public_id = proctored
    before = attempt_row(app)
    t0 = before.last_seen_at or before.started_at
    with time_machine.travel(t0 + timedelta(minutes=5), tick=False):
        assert act(client, seat_id, "credit").status_code == 302
        again = act(client, seat_id, "credit")
    assert again.status_code == 409
    after = attempt_row(app)
    assert timedelta(minutes=4) < after.deadline_at - before.deadline_at <= timedelta(minutes=5)


def test_action_without_reason_is_refused_and_changes_nothing(app, proctored):
    client, _, seat_id, _ = proctored
    response = act(client, seat_id, "extend", reason="  ", minutes=10)
    assert response.status_code == 422 and "reason" in response.text
    assert attempt_row(app).extension_minutes == 0
    assert act(client, seat_id, "warp", minutes=1).status_code == 422
    assert act(client, seat_id, "extend", minutes=9999).status_code == 422


def test_admit_and_incident(app, client, exam_seat, create_user_):
    user, seat_id = exam_seat(admitted=False)
    proctor = create_user_("proctor")
    with app.app_context():
        sitting = db.session.get(Seat, seat_id).sitting
        sitting.proctor_id = proctor.id
        db.session.commit()
        sitting_id = sitting.id
    sign_in(client, proctor.email)
    assert act(client, seat_id, "admit", reason="", id_checked="yes").status_code == 302
    with app.app_context():
        assert db.session.get(Seat, seat_id).admitted_at is not None
    token = csrf_from(client.get("/proctor/").text)
    response = client.post(
        f"/proctor/sitting/{sitting_id}/incident",
        data={
            "csrf_token": token,
            "seat": seat_id,
            "category": "technical",
            "note": "Wi-Fi dropped <b>twice</b>",
        },
    )
    assert response.status_code == 302
    page = client.get(f"/proctor/sitting/{sitting_id}").text
    assert "Wi-Fi dropped &lt;b&gt;twice&lt;/b&gt;" in page
    with app.app_context():
        assert db.session.scalar(select(Incident.category)) == "technical"
    bad = client.post(
        f"/proctor/sitting/{sitting_id}/incident",
        data={"csrf_token": token, "category": "ufo", "note": "x"},
    )
    assert bad.status_code == 422


def test_another_proctor_cannot_see_or_act(app, proctored, create_user_):
    _, _, seat_id, _ = proctored
    other = app.test_client()
    sign_in(other, create_user_("proctor").email)
    with app.app_context():
        sitting_id = db.session.get(Seat, seat_id).sitting_id
    assert other.get(f"/proctor/sitting/{sitting_id}").status_code == 404
    assert act(other, seat_id, "extend", minutes=5).status_code == 404
    assert attempt_row(app).extension_minutes == 0


def test_roster_polling_stops_when_the_sitting_is_over(app, proctored):
    client, _, seat_id, _ = proctored
    with app.app_context():
        sitting = db.session.get(Seat, seat_id).sitting
        sitting.closed_at = datetime.now(UTC)
        db.session.commit()
        sitting_id = sitting.id
    assert (
        client.get(
            f"/proctor/sitting/{sitting_id}/roster", headers={"HX-Request": "true"}
        ).status_code
        == 286
    )
    with app.app_context():
        assert db.session.get(Sitting, sitting_id).closed_at is not None
