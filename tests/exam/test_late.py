"""Late answers through the Flask client: a change arriving after deadline + grace is kept apart,
never scored by itself, shown to the proctor, and enters the record only by an audited accept
that re-scores; the seq ceiling; the closed messages."""

import re
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.exam import proctoring, services
from app.extensions import db
from app.models import (
    Answer,
    Attempt,
    AuditEvent,
    LateAnswer,
    Response,
    Result,
    Seat,
    User,
    now_utc,
)
from tests.conftest import csrf_from, sign_in
from tests.exam.test_delivery import item_ids, save, start, stored
from tests.exam.test_part_two import part_two_seat, start_part_two  # noqa: F401 - fixture


def _deadline(app):
    with app.app_context():
        return db.session.scalar(select(Attempt.deadline_at))


def _late_save(client, public_id, token, item, option, seq, ct, made_at):
    return client.post(
        f"/exam/attempt/{public_id}/save",
        data={
            "item": item,
            "option": option,
            "seq": seq,
            "client": ct,
            "flagged": "",
            "at": str(int(made_at.timestamp() * 1000)),
        },
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )


def _proctored(app, create_user_, seat_id):
    proctor = create_user_("proctor")
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        seat.sitting.proctor_id = proctor.id
        db.session.commit()
        return proctor, seat.sitting_id


def _offline_at_deadline(app, client, exam_seat):
    """Part One with 1 answer saved in time and 3 made before the deadline that arrive late."""
    user, seat_id = exam_seat(n_items=5, minutes=10)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, items = csrf_from(html), item_ids(html)
    assert save(client, public_id, token, items[0], "b", 1, ct).status_code == 200
    deadline = _deadline(app)
    made = deadline - timedelta(seconds=30)
    with time_machine.travel(deadline + timedelta(minutes=2), tick=False):
        for seq, item in enumerate(items[1:4], 2):
            response = _late_save(client, public_id, token, item, "b", seq, ct, made)
            assert response.status_code == 409
            # the page learns that the part is closed and that this answer is kept
            assert response.headers["X-Answer-Kept"] == "1"
            assert "closed" in response.text and "kept" in response.text
        # a replay of the same entry is kept once
        again = _late_save(client, public_id, token, items[1], "b", 2, ct, made)
        assert again.status_code == 409 and again.headers["X-Answer-Kept"] == "1"
    return user, seat_id, public_id, token, items


def test_late_answers_are_kept_apart_and_not_scored(app, client, exam_seat):
    _, _, public_id, _, items = _offline_at_deadline(app, client, exam_seat)
    assert stored(app, public_id) == {items[0]: ("b", 1, False)}
    with app.app_context():
        late = list(db.session.scalars(select(LateAnswer).order_by(LateAnswer.seq)))
        assert [(e.item_id, e.value, e.seq, e.decision) for e in late] == [
            (items[1], "b", 2, None),
            (items[2], "b", 3, None),
            (items[3], "b", 4, None),
        ]
        attempt = db.session.scalar(select(Attempt))
        assert all(e.client_at < attempt.submitted_at < e.arrived_at for e in late)
        assert db.session.scalar(select(Result.score)) == 1  # only the answer in the record


def test_the_proctor_sees_late_answers_and_accepting_rescores_with_an_audit(
    app, client, exam_seat, create_user_
):
    user, seat_id, public_id, _, items = _offline_at_deadline(app, client, exam_seat)
    with app.app_context():
        receipt_before = db.session.scalar(select(Attempt.receipt))
    proctor, sitting_id = _proctored(app, create_user_, seat_id)
    desk = app.test_client()
    sign_in(desk, proctor.email)
    roster = desk.get(f"/proctor/sitting/{sitting_id}/roster").text
    assert (
        "Part One (multiple choice): 3 answers arrived 2 min late, "
        "made offline before the deadline per the browser." in roster
    )
    page = desk.get(f"/proctor/seat/{seat_id}/late").text
    action = re.search(r'action="([^"]+/accept)"', page).group(1)
    token = csrf_from(page)
    # a reason is required, and a refusal changes nothing
    refused = desk.post(action, data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 422
    assert len(stored(app, public_id)) == 1
    accepted = desk.post(action, data={"csrf_token": token, "reason": "power cut at 10:58"})
    assert accepted.status_code == 302
    assert len(stored(app, public_id)) == 4
    with app.app_context():
        assert db.session.scalar(select(Result.score)) == 4
        assert {e.decision for e in db.session.scalars(select(LateAnswer))} == {"accepted"}
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "attempt.late_answers_accepted")
        )
        assert event.actor_id == proctor.id and event.reason == "power cut at 10:58"
        assert (event.data["score_before"], event.data["score"]) == (1, 4)
        assert event.data["receipt_before"] == receipt_before
        assert db.session.scalar(select(Attempt.receipt)) != receipt_before
    # decided: the roster no longer asks, and a second accept has nothing to do
    assert "arrived" not in desk.get(f"/proctor/sitting/{sitting_id}/roster").text
    assert desk.post(action, data={"csrf_token": token, "reason": "again"}).status_code == 409
    # the candidate's receipt now counts the accepted answers
    sign_in(client, user.email)
    receipt = client.get(f"/exam/attempt/{public_id}/receipt").text
    assert re.search(r'id="recorded-count">4<', receipt)


def test_the_coordinator_sees_late_answers_on_the_seat_page(app, client, exam_seat, create_user_):
    _, seat_id, *_ = _offline_at_deadline(app, client, exam_seat)
    coordinator = create_user_("coordinator")
    desk = app.test_client()
    sign_in(desk, coordinator.email)
    page = desk.get(f"/coordinator/schedule/seats/{seat_id}/edit").text
    assert "3 answers arrived 2 min late" in page
    assert f"/proctor/seat/{seat_id}/late" in page
    assert desk.get(f"/proctor/seat/{seat_id}/late").status_code == 200


def test_another_proctor_cannot_see_or_accept_late_answers(app, client, exam_seat, create_user_):
    _, seat_id, *_ = _offline_at_deadline(app, client, exam_seat)
    _proctored(app, create_user_, seat_id)
    stranger = create_user_("proctor")
    desk = app.test_client()
    sign_in(desk, stranger.email)
    assert desk.get(f"/proctor/seat/{seat_id}/late").status_code == 404
    with app.app_context():
        attempt_id = db.session.scalar(select(Attempt.id))
    token = csrf_from(desk.get("/proctor/").text)
    response = desk.post(
        f"/proctor/seat/{seat_id}/late/{attempt_id}/accept",
        data={"csrf_token": token, "reason": "x"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(LateAnswer.decision).limit(1)) is None


def test_a_late_replay_of_what_is_recorded_is_not_held(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=3, minutes=10)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, items = csrf_from(html), item_ids(html)
    assert save(client, public_id, token, items[0], "b", 1, ct).status_code == 200
    with time_machine.travel(_deadline(app) + timedelta(minutes=1), tick=False):
        replay = save(client, public_id, token, items[0], "b", 1, ct)
    assert replay.status_code == 409 and replay.headers["X-Answer-Kept"] == "1"
    assert "already recorded" in replay.text
    with app.app_context():
        assert db.session.scalar(select(LateAnswer.id)) is None


def test_late_essay_is_accepted_into_part_two_before_grading(app, client, request, create_user_):
    user, seat_id = request.getfixturevalue("part_two_seat")
    sign_in(client, user.email)
    public_id, html, ct, vignettes = start_part_two(client, seat_id)
    token = csrf_from(html)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.public_id == public_id))
        deadline = attempt.deadline_at
    with time_machine.travel(deadline + timedelta(minutes=3), tick=False):
        response = client.post(
            f"/exam/attempt/{public_id}/save",
            data={"vignette": vignettes[0], "text": "Written offline.", "chosen": "1"}
            | {"seq": 5, "client": ct, "at": str(int(deadline.timestamp() * 1000) - 5000)},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
    assert response.status_code == 409 and response.headers["X-Answer-Kept"] == "1"
    with app.app_context():
        # the blank part was final at once; nothing reaches the graders by itself
        assert db.session.scalar(select(Response.id)) is None
        attempt_id = db.session.scalar(select(Attempt.id).where(Attempt.public_id == public_id))
    proctor, _ = _proctored(app, create_user_, seat_id)
    desk = app.test_client()
    sign_in(desk, proctor.email)
    page = desk.get(f"/proctor/seat/{seat_id}/late").text
    assert "Part Two (vignettes): 1 answer arrived 3 min late" in page
    desk.post(
        f"/proctor/seat/{seat_id}/late/{attempt_id}/accept",
        data={"csrf_token": csrf_from(page), "reason": "outage confirmed"},
    )
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.attempt_id == attempt_id))
        assert (answer.value, answer.chosen) == ("Written offline.", True)
        assert db.session.scalar(select(Response.vignette_id)) == vignettes[0]
        assert db.session.scalar(select(Result).where(Result.part == "VIGNETTE")) is None


def test_seq_above_the_ceiling_is_refused(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=2)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    at_ceiling = save(client, public_id, token, item, "a", services.SEQ_CEILING, ct)
    assert at_ceiling.status_code == 200
    for seq in (services.SEQ_CEILING + 1, 2**31 - 1, 2**31, 10**30):
        response = save(client, public_id, token, item, "b", seq, ct)
        assert response.status_code == 422, seq
        assert "at most" in response.text
    assert stored(app, public_id)[item] == ("a", services.SEQ_CEILING, False)


def test_malformed_client_time_is_refused(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=2)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    for at in ("yesterday", "-5", str(10**16)):
        response = client.post(
            f"/exam/attempt/{public_id}/save",
            data={"item": item, "option": "a", "seq": 1, "client": ct, "at": at},
            headers={"X-CSRFToken": token, "HX-Request": "true"},
        )
        assert response.status_code == 422, at
    assert stored(app, public_id) == {}


def test_refusals_say_who_closed_the_part(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=2)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    # a second window makes itself the live one: the first is told so, not "closed"
    second = client.get(f"/exam/attempt/{public_id}").text
    other = save(client, public_id, token, item, "a", 1, ct)
    assert other.status_code == 409 and other.headers.get("X-Other-Window") == "1"
    assert "another window" in other.text and "Already closed" not in other.text
    ct = re.search(r'data-client="([^"]+)"', second).group(1)
    client.post(f"/exam/attempt/{public_id}/submit", data={"csrf_token": token})
    own = save(client, public_id, token, item, "a", 2, ct)
    assert own.status_code == 409 and "You submitted this part at" in own.text
    assert "when time ended" not in own.text and "time ended" not in own.text


def test_late_submit_of_an_expired_part_goes_to_the_receipt(app, client, exam_seat):
    user, seat_id = exam_seat(n_items=2, minutes=10)
    sign_in(client, user.email)
    public_id, html, _ = start(client, seat_id)
    with time_machine.travel(_deadline(app) + timedelta(minutes=5), tick=False):
        response = client.post(
            f"/exam/attempt/{public_id}/submit",
            data={"csrf_token": csrf_from(html), "reason": "time"},
        )
    assert response.status_code == 302 and response.headers["Location"].endswith("/receipt")
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.submit_reason == "time" and attempt.submitted_at == attempt.deadline_at


def test_a_voided_seat_keeps_no_late_answers_and_says_nothing_more_is_saved(
    app, client, exam_seat, create_user_
):
    user, seat_id = exam_seat(n_items=2)
    sign_in(client, user.email)
    public_id, html, ct = start(client, seat_id)
    token, item = csrf_from(html), item_ids(html)[0]
    proctor, _ = _proctored(app, create_user_, seat_id)
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        proctoring.act_on_seat(
            seat,
            proctoring.SeatAction("void", "conduct", confirmed=True),
            db.session.get(User, proctor.id),
            now_utc(),
        )
        db.session.commit()
    response = save(client, public_id, token, item, "b", 1, ct)
    assert response.status_code == 409 and "voided" in response.text
    assert "nothing more is saved" in response.text
    with app.app_context():
        assert db.session.scalar(select(LateAnswer.id)) is None
