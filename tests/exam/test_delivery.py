"""Part One through the Flask client: start, autosave, idempotence, deadline, submit, scoring."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Attempt, AuditEvent, Result
from tests.conftest import csrf_from, sign_in


def start(client, seat_id):
    page = client.get(f"/exam/seat/{seat_id}/MC")
    assert page.status_code == 200
    response = client.post(
        f"/exam/seat/{seat_id}/MC/start", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 302
    public_id = response.headers["Location"].rsplit("/", 1)[-1]
    sit = client.get(f"/exam/attempt/{public_id}")
    assert sit.status_code == 200
    client_token = re.search(r'data-client="([^"]+)"', sit.text).group(1)
    return public_id, sit.text, client_token


def item_ids(page_html):
    return [int(i) for i in re.findall(r'name="item" value="(\d+)"', page_html)]


def save(client, public_id, token, item, option, seq, client_token, flagged=""):
    return client.post(
        f"/exam/attempt/{public_id}/save",
        data={
            "item": item,
            "option": option,
            "seq": seq,
            "client": client_token,
            "flagged": flagged,
        },
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )


def stored(app, public_id):
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        return {a.item_id: (a.value, a.seq, a.flagged) for a in attempt.answers}


def audit_actions(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_full_attempt_is_scored_on_the_server(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=5)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token = csrf_from(html)
    ids = item_ids(html)
    assert len(ids) == 5
    for seq, item in enumerate(ids[:4], 1):  # four right ('b' is the key), one omitted
        response = save(client, public_id, token, item, "b", seq, ct)
        assert response.status_code == 200
        assert 'id="save-status" hx-swap-oob="true"' in response.text
        assert "Saved" in response.text and "data-seconds-left" in response.text
    response = client.post(f"/exam/attempt/{public_id}/submit", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    receipt = client.get(response.headers["Location"]).text
    assert "Your answers are recorded" in receipt
    assert re.search(r'id="recorded-count">4<', receipt)
    with app.app_context():
        result = db.session.scalar(select(Result))
        assert (result.score, result.max_score, result.percent, result.passed) == (4, 5, 80.0, True)
        assert result.released_at is None
        assert db.session.scalar(select(Attempt.submit_reason)) == "candidate"
    assert audit_actions(app)[-2:] == ["attempt.started", "attempt.submitted"]
    home = client.get("/exam/").text
    assert "80.0%" not in home  # results appear only once released


def test_starting_twice_returns_the_same_attempt(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    first, *_ = start(client, seat_id)
    second, *_ = start(client, seat_id)
    assert first == second
    with app.app_context():
        assert len(db.session.scalars(select(Attempt)).all()) == 1


def test_deadline_includes_accommodations(app, client, exam_seat):
    user, seat_id = exam_seat(minutes=60, multiplier=1.5, extra=10)
    sign_in(client, user.email)
    start(client, seat_id)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.deadline_at - attempt.started_at == timedelta(minutes=100)


def test_stale_and_duplicate_saves_are_harmless(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    assert save(client, public_id, token, item, "c", 5, ct).status_code == 200
    assert save(client, public_id, token, item, "a", 3, ct).status_code == 200  # older: ignored
    assert save(client, public_id, token, item, "d", 5, ct).status_code == 200  # repeat: ignored
    assert stored(app, public_id)[item] == ("c", 5, False)
    assert save(client, public_id, token, item, "a", 6, ct, flagged="1").status_code == 200
    assert stored(app, public_id)[item] == ("a", 6, True)


def test_bad_saves_get_422_and_change_nothing(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    for data in (
        {"item": item, "option": "a", "seq": "x"},
        {"item": item, "option": "a", "seq": "0"},
        {"item": "abc", "option": "a", "seq": "1"},
        {"item": 999999, "option": "a", "seq": "1"},
        {"item": item, "option": "z", "seq": "1"},
        {"option": "a", "seq": "1"},
    ):
        response = client.post(
            f"/exam/attempt/{public_id}/save",
            data={**data, "client": ct},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
        assert response.status_code == 422, data
        assert "<html" not in response.text and 'role="alert"' in response.text
    assert stored(app, public_id) == {}


def test_save_after_deadline_plus_grace_is_refused_and_closes(app, client, exam_seat):
    user, seat_id = exam_seat(minutes=10)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    with app.app_context():
        deadline = db.session.scalar(select(Attempt.deadline_at))
    grace = app.config["SAVE_GRACE_SECONDS"]
    with time_machine.travel(deadline + timedelta(seconds=grace - 1), tick=False):
        assert save(client, public_id, token, item, "b", 1, ct).status_code == 200
    with time_machine.travel(deadline + timedelta(seconds=grace + 1), tick=False):
        late = save(client, public_id, token, item, "a", 2, ct)
        assert late.status_code == 409 and "closed" in late.text
        assert client.get(f"/exam/attempt/{public_id}").headers["Location"].endswith("/receipt")
    assert stored(app, public_id)[item] == ("b", 1, False)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.submit_reason == "time" and attempt.submitted_at == deadline
    # the late change is not in the record, but it is not thrown away either (see test_late)
    assert "attempt.late_answer_kept" in audit_actions(app)
    assert "attempt.expired" in audit_actions(app)


def test_save_after_submit_is_refused(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    client.post(f"/exam/attempt/{public_id}/submit", data={"csrf_token": token})
    assert save(client, public_id, token, item, "b", 1, ct).status_code == 409
    assert stored(app, public_id) == {}


def test_another_candidates_attempt_is_not_found(app, client, exam_seat, create_user_):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    item = item_ids(html)[0]
    other = app.test_client()
    sign_in(other, create_user_("candidate").email)
    token = csrf_from(other.get("/exam/").text)
    assert other.get(f"/exam/attempt/{public_id}").status_code == 404
    assert other.get(f"/exam/attempt/{public_id}/receipt").status_code == 404
    assert other.get(f"/exam/seat/{seat_id}/MC").status_code == 404
    assert save(other, public_id, token, item, "b", 1, ct).status_code == 404
    assert (
        other.post(f"/exam/attempt/{public_id}/submit", data={"csrf_token": token}).status_code
        == 404
    )
    assert stored(app, public_id) == {}


def test_attempt_ids_are_not_a_sequence(client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, *_ = start(client, seat_id)
    assert not public_id.isdigit() and len(public_id) >= 16


def test_unadmitted_seat_cannot_start(app, client, exam_seat):
    user, seat_id = exam_seat(admitted=False)
    sign_in(client, user.email)
    page = client.get(f"/exam/seat/{seat_id}/MC")
    assert "has not admitted you yet" in page.text
    response = client.post(
        f"/exam/seat/{seat_id}/MC/start", data={"csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalars(select(Attempt)).all() == []


def test_a_second_window_takes_over_and_the_first_stops_saving(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, first_client = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    second_page = client.get(f"/exam/attempt/{public_id}").text
    second_client = re.search(r'data-client="([^"]+)"', second_page).group(1)
    assert save(client, public_id, token, item, "a", 1, first_client).status_code == 409
    assert save(client, public_id, token, item, "b", 2, second_client).status_code == 200
    assert stored(app, public_id)[item][0] == "b"


def test_sweep_finalises_abandoned_attempts(app, client, runner, exam_seat):
    user, seat_id = exam_seat(minutes=5)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    save(client, public_id, csrf_from(html), item_ids(html)[0], "b", 1, ct)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=30), tick=False):
        # expired on every read, before any job has run
        assert "Your answers are recorded" in client.get(f"/exam/attempt/{public_id}/receipt").text
        result = runner.invoke(args=["sittings", "sweep"])
    assert "Finalised 1 expired attempt(s)" in result.output
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.submit_reason == "time" and attempt.receipt
        assert db.session.scalar(select(Result.score)) == 1
    assert "Finalised 0" in runner.invoke(args=["sittings", "sweep"]).output


def test_timer_submit_records_reason_time(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, _ = start(client, seat_id)
    client.post(
        f"/exam/attempt/{public_id}/submit", data={"csrf_token": csrf_from(html), "reason": "time"}
    )
    with app.app_context():
        assert db.session.scalar(select(Attempt.submit_reason)) == "time"


def test_answers_are_restored_from_the_server_on_reload(app, client, exam_seat):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    item = item_ids(html)[2]
    save(client, public_id, csrf_from(html), item, "c", 1, ct, flagged="1")
    reloaded = client.get(f"/exam/attempt/{public_id}").text
    radio = re.search(rf'name="item" value="{item}".*?value="c"( checked)?>', reloaded, re.S)
    assert radio.group(1) == " checked"
    with app.app_context():
        assert db.session.scalar(select(Answer.flagged)) is True
