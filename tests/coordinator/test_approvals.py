"""Approvals: the coordinator approves and withdraws candidates per track, each change audited;
a withdrawal that would strand a pending seat is refused."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Approval, Attempt, AuditEvent, Form, Seat, now_utc
from tests.conftest import persist
from tests.coordinator.conftest import SCHEDULE, offer, post

APPROVE, WITHDRAW = f"{SCHEDULE}/approvals/approve", f"{SCHEDULE}/approvals/withdraw"


@pytest.fixture
def candidate(create_user_):
    return create_user_("candidate", name="Blake Candidate", tracks=["IMH-SPECIALIST"])


def _tracks(app, user) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(Approval.track).where(Approval.user_id == user.id)))


def _event(app, action: str) -> AuditEvent | None:
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == action))
        db.session.expunge_all()
        return event


def test_page_lists_candidates_with_their_tracks(coordinator, candidate, create_user_):
    create_user_("proctor", name="Pat Proctor")
    html = coordinator.get(f"{SCHEDULE}/approvals").get_data(as_text=True)
    assert "Blake Candidate" in html and "IMH-E® Mental Health Specialist" in html
    assert "Pat Proctor" not in html  # only candidates are approved for tracks


def test_approve_is_audited(app, coordinator, candidate):
    data = {"candidate_id": candidate.id, "track": "IMH-MENTOR-CLINICAL", "reason": "Board 12/3"}
    response = post(coordinator, APPROVE, data)
    assert response.status_code == 302
    assert _tracks(app, candidate) == ["IMH-MENTOR-CLINICAL", "IMH-SPECIALIST"]
    event = _event(app, "approval.granted")
    assert (event.subject_id, event.data["track"], event.reason) == (
        str(candidate.id),
        "IMH-MENTOR-CLINICAL",
        "Board 12/3",
    )


def test_withdraw_is_audited(app, coordinator, candidate):
    response = post(
        coordinator, WITHDRAW, {"candidate_id": candidate.id, "track": "IMH-SPECIALIST"}
    )
    assert response.status_code == 302
    assert _tracks(app, candidate) == []
    assert _event(app, "approval.withdrawn").data == {"track": "IMH-SPECIALIST"}


def test_approved_after_a_refusal_the_candidate_can_be_seated(app, coordinator, sitting, candidate):
    seat = {"candidate_id": candidate.id, "track": "IMH-MENTOR-POLICY"}
    offer(app, sitting.id, "IMH-MENTOR-POLICY")
    assert post(coordinator, f"{SCHEDULE}/sittings/{sitting.id}/seats", seat).status_code == 422
    post(coordinator, APPROVE, seat)
    assert post(coordinator, f"{SCHEDULE}/sittings/{sitting.id}/seats", seat).status_code == 302


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (APPROVE, {"track": "IMH-SPECIALIST"}, "is already approved for"),
        (WITHDRAW, {"track": "ECMH-SPECIALIST"}, "is not approved for"),
        (APPROVE, {"track": "IMH-ANYTHING"}, "Track: choose one of the eight tracks"),
        (APPROVE, {"candidate_id": "x1"}, "Candidate: choose a candidate from the list."),
        (APPROVE, {"candidate_id": "424242"}, "Candidate: choose a candidate account."),
        (APPROVE, {"reason": "x" * 501}, "Reason is longer than 500 characters."),
    ],
)
def test_bad_approval_changes_are_422_and_change_nothing(
    app, coordinator, candidate, url, data, message
):
    response = post(
        coordinator, url, {"candidate_id": candidate.id, "track": "IMH-MENTOR-POLICY", **data}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _tracks(app, candidate) == ["IMH-SPECIALIST"]


def test_staff_cannot_be_approved(app, coordinator, proctor):
    response = post(coordinator, APPROVE, {"candidate_id": proctor.id, "track": "IMH-SPECIALIST"})
    assert response.status_code == 422
    assert _tracks(app, proctor) == []


def test_withdrawal_refused_while_a_pending_seat_relies_on_it(app, coordinator, sitting, candidate):
    seat = persist(
        app,
        lambda: _add(
            Seat(sitting_id=sitting.id, candidate_id=candidate.id, track="IMH-SPECIALIST")
        ),
    )
    data = {"candidate_id": candidate.id, "track": "IMH-SPECIALIST"}
    response = post(coordinator, WITHDRAW, data)
    assert response.status_code == 409
    assert "holds a seat for this track in “March sitting”" in response.text
    assert _tracks(app, candidate) == ["IMH-SPECIALIST"]

    def start_attempt():
        now = now_utc()
        form = db.session.scalar(select(Form).where(Form.part == "MC"))
        return _add(
            Attempt(
                seat_id=seat.id,
                part="MC",
                form_id=form.id,
                started_at=now,
                deadline_at=now + timedelta(minutes=90),
            )
        )

    persist(app, start_attempt)  # a seat already sat is history: it no longer blocks
    assert post(coordinator, WITHDRAW, data).status_code == 302
    assert _tracks(app, candidate) == []


def _add(obj):
    db.session.add(obj)
    return obj
