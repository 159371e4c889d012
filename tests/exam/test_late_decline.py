"""Declining late answers: kept (never deleted), marked declined with who, when and why, no
longer waiting, shown on the seat page and in the sitting report; audited; a decided batch is
refused with 409 and nothing written; roles checked on the server."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.exam import late
from app.exam.services import DeliveryError
from app.extensions import db
from app.models import Attempt, AuditEvent, LateAnswer, Result, Seat, User, now_utc
from tests.conftest import csrf_from, sign_in
from tests.exam.test_delivery import stored
from tests.exam.test_late import _offline_at_deadline, _proctored


@pytest.fixture
def held(app, client, exam_seat, create_user_):
    """Three late answers held on Part One of a proctored seat: (proctor, seat, sitting, public)."""
    _, seat_id, public_id, *_ = _offline_at_deadline(app, client, exam_seat)
    proctor, sitting_id = _proctored(app, create_user_, seat_id)
    return proctor, seat_id, sitting_id, public_id


def _attempt_id(app):
    with app.app_context():
        return db.session.scalar(select(Attempt.id))


def _decisions(app):
    with app.app_context():
        entries = db.session.scalars(select(LateAnswer).order_by(LateAnswer.seq))
        return [(e.decision, e.decided_by_id, e.reason) for e in entries]


def _audits(app, action="attempt.late_answers_declined"):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        )


def _desk(app, user):
    desk = app.test_client()
    sign_in(desk, user.email)
    return desk


# --- the service ---------------------------------------------------------------------------


def test_declining_keeps_the_answers_marked_and_changes_no_record(app, held):
    proctor, seat_id, _, public_id = held
    before = stored(app, public_id)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        actor = db.session.get(User, proctor.id)
        told = late.decline(attempt, actor, "  made after the bell  ", now_utc(), count=3)
        db.session.commit()
        assert "3 late answers" in told and "declined" in told
        assert late.pending(attempt) == []
        assert late.seat_waiting([seat_id]) == {}
        [batch] = late.seat_declined([seat_id])[seat_id]
        assert (batch.count, batch.by, batch.reason) == (3, actor.name, "made after the bell")
        assert db.session.scalar(select(Result.score)) == 1  # not re-scored
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "attempt.late_answers_declined")
        )
        assert event.actor_id == proctor.id and event.reason == "made after the bell"
        assert event.data["late_answers"] == 3 and event.data["seqs"] == [2, 3, 4]
    # every held answer is still there, declined by the proctor with the reason
    assert _decisions(app) == [("declined", proctor.id, "made after the bell")] * 3
    assert stored(app, public_id) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * (late.REASON_MAX + 1)])
def test_declining_needs_a_short_reason_and_writes_nothing(app, held, reason):
    proctor, *_ = held
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        with pytest.raises(DeliveryError) as refused:
            late.decline(attempt, db.session.get(User, proctor.id), reason, now_utc())
        assert refused.value.status == 422
        db.session.rollback()
    assert _decisions(app) == [(None, None, None)] * 3 and _audits(app) == 0


def test_a_decided_batch_is_refused_either_way(app, held):
    proctor, *_ = held
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        actor = db.session.get(User, proctor.id)
        late.decline(attempt, actor, "first", now_utc())
        db.session.commit()
        for decide in (late.decline, late.accept):
            with pytest.raises(DeliveryError) as refused:
                decide(attempt, actor, "second", now_utc())
            assert refused.value.status == 409 and "already declined" in refused.value.message
            db.session.rollback()
    assert _decisions(app) == [("declined", proctor.id, "first")] * 3
    assert _audits(app) == 1 and _audits(app, "attempt.late_answers_accepted") == 0


def test_a_decision_made_meanwhile_by_someone_else_is_not_overwritten(app, held, monkeypatch):
    proctor, *_ = held
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        actor = db.session.get(User, proctor.id)
        seen = late.pending(attempt)  # what a second desk read before the first one decided
        late.decline(attempt, actor, "first", now_utc())
        db.session.commit()
        monkeypatch.setattr(late, "pending", lambda _attempt: seen)
        for decide in (late.decline, late.accept):
            with pytest.raises(DeliveryError) as refused:
                decide(attempt, actor, "second", now_utc())
            assert refused.value.status == 409 and "meanwhile" in refused.value.message
            db.session.rollback()
    assert _decisions(app) == [("declined", proctor.id, "first")] * 3
    assert _audits(app, "attempt.late_answers_accepted") == 0


def test_a_decision_covers_only_what_the_person_was_shown(app, held):
    proctor, *_ = held
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        with pytest.raises(DeliveryError) as refused:
            late.decline(attempt, db.session.get(User, proctor.id), "r", now_utc(), count=2)
        assert refused.value.status == 409 and "3 late answers now wait" in refused.value.message
        db.session.rollback()
    assert _decisions(app) == [(None, None, None)] * 3


@pytest.mark.parametrize(
    "values",
    [
        {"decision": "both"},  # not a known outcome
        {"decision": "declined", "decided_by_id": None},  # a decision names who made it
        {"decision": "declined", "reason": None},
    ],
)
def test_the_database_keeps_one_complete_decision_per_answer(app, held, values):
    proctor, *_ = held
    with app.app_context():
        complete = {
            "decision": "declined",
            "decided_at": now_utc(),
            "decided_by_id": proctor.id,
            "reason": "r",
        }
        with pytest.raises(IntegrityError):
            db.session.execute(update(LateAnswer).values(complete | values))
            db.session.flush()
        db.session.rollback()
    assert _decisions(app) == [(None, None, None)] * 3


# --- the routes ----------------------------------------------------------------------------


def test_the_proctor_declines_from_the_roster_through_a_confirmation(app, held):
    proctor, seat_id, sitting_id, public_id = held
    desk = _desk(app, proctor)
    roster = desk.get(f"/proctor/sitting/{sitting_id}/roster").text
    link = re.search(r'href="([^"]+/decline/confirm\?back=console)"', roster).group(1)
    page = desk.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    with app.app_context():
        name = db.session.get(Seat, seat_id).candidate.name
    assert f"Decline 3 late answers of {name}?" in page.text
    assert "will not enter" in page.text and "not deleted" in page.text
    token = csrf_from(page.text)
    action = f"/proctor/seat/{seat_id}/late/{_attempt_id(app)}/decline"
    form = {"csrf_token": token, "count": "3", "back": "console"}
    # a missing, blank or forged reason or count is refused and writes nothing
    for bad in (
        form,
        form | {"reason": "  "},
        form | {"reason": "y" * 501},
        form | {"reason": "ok", "count": "three"},
        form | {"reason": "ok", "count": "2"},
    ):
        response = desk.post(action, data=bad)
        assert 400 <= response.status_code < 500, bad
    assert _decisions(app) == [(None, None, None)] * 3 and _audits(app) == 0
    done = desk.post(action, data=form | {"reason": "made after the bell"})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/proctor/sitting/{sitting_id}")
    assert _decisions(app) == [("declined", proctor.id, "made after the bell")] * 3
    assert len(stored(app, public_id)) == 1
    # no longer waiting on the roster; shown as declined with the reason on the review page
    assert "arrived" not in desk.get(f"/proctor/sitting/{sitting_id}/roster").text
    review = desk.get(f"/proctor/seat/{seat_id}/late").text
    assert review.count("declined") >= 3 and "made after the bell" in review
    assert "/accept" not in review and "/decline" not in review
    # deciding again is refused with a clear 409 and writes nothing
    again = desk.post(action, data=form | {"reason": "again"})
    assert again.status_code == 409 and "already declined" in again.text
    accept = desk.post(action.replace("/decline", "/accept"), data=form | {"reason": "x"})
    assert accept.status_code == 409 and "already declined" in accept.text
    assert desk.get(link.replace("&amp;", "&")).status_code == 409
    assert _audits(app) == 1 and _audits(app, "attempt.late_answers_accepted") == 0


def test_declining_needs_the_csrf_token(app, held):
    proctor, seat_id, *_ = held
    desk = _desk(app, proctor)
    response = desk.post(
        f"/proctor/seat/{seat_id}/late/{_attempt_id(app)}/decline", data={"reason": "r"}
    )
    assert response.status_code == 400
    assert _decisions(app) == [(None, None, None)] * 3


@pytest.mark.parametrize("role", ["candidate", "grader", "lead_grader", "other proctor"])
def test_only_the_sittings_proctor_or_a_coordinator_may_decline(app, held, create_user_, role):
    user = create_user_("proctor" if role == "other proctor" else role)
    desk = _desk(app, user)
    token = csrf_from(desk.get("/account/password").text)
    seat_id = held[1]
    url = f"/proctor/seat/{seat_id}/late/{_attempt_id(app)}/decline"
    expected = 404 if role == "other proctor" else 403
    assert desk.get(f"{url}/confirm").status_code == expected
    assert desk.post(url, data={"csrf_token": token, "reason": "r"}).status_code == expected
    assert _decisions(app) == [(None, None, None)] * 3 and _audits(app) == 0


def test_the_coordinator_declines_from_the_seat_page_and_sees_it_there(app, held, create_user_):
    _, seat_id, *_ = held
    coordinator = create_user_("coordinator")
    desk = _desk(app, coordinator)
    seat_page = desk.get(f"/coordinator/schedule/seats/{seat_id}/edit").text
    link = re.search(r'href="([^"]+/decline/confirm\?back=seat)"', seat_page).group(1)
    page = desk.get(link).text
    reason = "<b>not</b> an outage"
    response = desk.post(
        f"/proctor/seat/{seat_id}/late/{_attempt_id(app)}/decline",
        data={"csrf_token": csrf_from(page), "reason": reason, "count": "3", "back": "seat"},
    )
    assert response.headers["Location"].endswith(f"/coordinator/schedule/seats/{seat_id}/edit")
    seat_page = desk.get(f"/coordinator/schedule/seats/{seat_id}/edit").text
    assert "3 answers arrived" not in seat_page and "/decline" not in seat_page
    line = re.search(r'<p class="late-declined">([^\n]+)</p>', seat_page).group(1)
    assert "Part One (multiple choice): 3 late answers declined by" in line
    assert "&lt;b&gt;not&lt;/b&gt; an outage" in line  # escaped
    assert _decisions(app) == [("declined", coordinator.id, reason)] * 3


def test_the_sitting_report_shows_declined_answers_with_the_reason(app, held):
    proctor, _, sitting_id, _ = held
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        late.decline(attempt, db.session.get(User, proctor.id), "after the bell", now_utc())
        db.session.commit()
    desk = _desk(app, proctor)
    page = desk.get(f"/proctor/sitting/{sitting_id}/report").text
    cell = page.split('class="late-answers">')[1].split("</td>")[0]
    assert cell.startswith("3") and "3 late answers declined by" in cell
    assert "after the bell" in cell
    lines = list(
        csv.DictReader(io.StringIO(desk.get(f"/proctor/sitting/{sitting_id}/report.csv").text))
    )
    assert lines[0]["late_answers"] == "3"
    assert "3 late answers declined by" in lines[0]["late_answers_declined"]
    assert lines[0]["late_answers_declined"].endswith(": after the bell")
