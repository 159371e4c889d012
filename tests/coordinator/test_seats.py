"""Seats: only approved candidates, one seat per candidate per sitting, accommodations parsed
defensively and audited with before/after, removal only while no attempt exists."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app import audit
from app.extensions import db
from app.models import Attempt, AuditEvent, Form, Incident, Seat, now_utc
from tests.conftest import persist
from tests.coordinator.conftest import SCHEDULE, offer, post


@pytest.fixture(autouse=True)
def _offers_part_two(app, sitting):
    """The sitting offers both parts for the candidate's track (a seat needs a form per part)."""
    offer(app, sitting.id)


@pytest.fixture
def candidate(create_user_):
    return create_user_("candidate", name="Avery Candidate", tracks=["IMH-SPECIALIST"])


@pytest.fixture
def seat(app, sitting, candidate):
    def build():
        seat = Seat(sitting_id=sitting.id, candidate_id=candidate.id, track="IMH-SPECIALIST")
        db.session.add(seat)
        return seat

    return persist(app, build)


def _seats(app) -> list[tuple]:
    with app.app_context():
        return [
            (s.candidate_id, s.track, s.time_multiplier, s.extra_minutes, s.accommodation_note)
            for s in db.session.scalars(select(Seat).order_by(Seat.id))
        ]


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return events


def _add_seat(client, sitting, candidate, **fields):
    data = {"candidate_id": str(candidate.id), "track": "IMH-SPECIALIST", **fields}
    return post(client, f"{SCHEDULE}/sittings/{sitting.id}/seats", data)


def test_approved_candidate_is_seated_with_accommodations(app, coordinator, sitting, candidate):
    response = _add_seat(
        coordinator,
        sitting,
        candidate,
        time_multiplier="1,5",
        extra_minutes="15",
        accommodation_note="Screen reader",
    )
    assert response.status_code == 302
    assert _seats(app) == [(candidate.id, "IMH-SPECIALIST", 1.5, 15, "Screen reader")]
    [event] = _events(app, "seat.created")
    assert event.data["accommodations"]["time_multiplier"] == 1.5
    page = coordinator.get(f"{SCHEDULE}/sittings/{sitting.id}").get_data(as_text=True)
    assert "Avery Candidate" in page and "× 1.5" in page


def test_unapproved_track_is_422_and_nobody_is_seated(app, coordinator, sitting, candidate):
    response = _add_seat(coordinator, sitting, candidate, track="ECMH-SPECIALIST")
    assert response.status_code == 422
    assert (
        "Avery Candidate is not approved for ECMH-E® Mental Health Specialist"
        in response.get_data(as_text=True)
    )
    assert _seats(app) == []


def test_only_candidates_can_be_seated(app, coordinator, sitting, proctor):
    response = _add_seat(coordinator, sitting, proctor)
    assert response.status_code == 422
    assert "Candidate: choose a candidate account." in response.text
    assert _seats(app) == []


def test_one_seat_per_candidate_per_sitting(app, coordinator, sitting, candidate, seat):
    response = _add_seat(coordinator, sitting, candidate)
    assert response.status_code == 422
    assert "Avery Candidate already has a seat in this sitting." in response.text
    assert len(_seats(app)) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_multiplier": "lots"}, "Time multiplier must be a number from 1 to 4"),
        ({"time_multiplier": "0.5"}, "Time multiplier must be a number from 1 to 4"),
        ({"time_multiplier": "4.5"}, "Time multiplier must be a number from 1 to 4"),
        ({"time_multiplier": "nan"}, "Time multiplier must be a number from 1 to 4"),
        ({"extra_minutes": "-5"}, "Extra minutes must be a whole number from 0 to 600"),
        ({"extra_minutes": "2.5"}, "Extra minutes must be a whole number from 0 to 600"),
        ({"extra_minutes": "99999999999"}, "Extra minutes must be a whole number from 0 to 600"),
        ({"track": "IMH-EVERYTHING"}, "Track: choose one of the eight tracks"),
        ({"candidate_id": "abc"}, "Candidate: choose a candidate from the list."),
        ({"accommodation_note": "x" * 2001}, "Accommodation note is longer than 2000 characters"),
    ],
)
def test_junk_seat_fields_are_422_naming_the_field(
    app, coordinator, sitting, candidate, fields, message
):
    response = _add_seat(coordinator, sitting, candidate, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _seats(app) == []


def test_accommodations_change_is_audited_with_before_and_after(app, coordinator, seat):
    data = {
        "time_multiplier": "1.25",
        "extra_minutes": "10",
        "accommodation_note": "Breaks",
        "reason": "Letter from the candidate's clinician",
    }
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/edit", data)
    assert response.status_code == 302
    assert _seats(app)[0][2:] == (1.25, 10, "Breaks")
    [event] = _events(app, "seat.accommodations_changed")
    assert event.reason == "Letter from the candidate's clinician"
    assert event.data["before"] == {"time_multiplier": 1.0, "extra_minutes": 0, "note": ""}
    assert event.data["after"] == {"time_multiplier": 1.25, "extra_minutes": 10, "note": "Breaks"}
    assert (event.subject_type, event.subject_id) == ("seat", str(seat.id))
    assert event.actor_id is not None
    with app.app_context():
        assert audit.verify_chain() == []


def test_accommodations_change_needs_a_reason(app, coordinator, seat):
    data = {"time_multiplier": "2", "extra_minutes": "0", "reason": " "}
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/edit", data)
    assert response.status_code == 422
    assert "Reason: say why the accommodations change" in response.text
    assert _seats(app)[0][2] == 1.0
    assert _events(app, "seat.accommodations_changed") == []


def test_saving_unchanged_accommodations_records_nothing(app, coordinator, seat):
    data = {"time_multiplier": "1", "extra_minutes": "0", "accommodation_note": ""}
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/edit", data)
    assert response.status_code == 302
    assert _events(app, "seat.accommodations_changed") == []


def test_junk_accommodations_edit_is_422_and_changes_nothing(app, coordinator, seat):
    data = {"time_multiplier": "1.5x", "extra_minutes": "0", "reason": "because"}
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/edit", data)
    assert response.status_code == 422
    assert "Time multiplier must be a number" in response.text
    assert _seats(app)[0][2] == 1.0


def test_seat_without_attempt_is_removed_and_audited(app, coordinator, seat):
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/remove", {"reason": "Withdrew"})
    assert response.status_code == 302
    assert _seats(app) == []
    [event] = _events(app, "seat.removed")
    assert event.reason == "Withdrew" and event.data["track"] == "IMH-SPECIALIST"


def test_seat_with_an_attempt_cannot_be_removed(app, coordinator, seat, bank):
    def build():
        now = now_utc()
        attempt = Attempt(
            seat=db.session.get(Seat, seat.id),
            part="MC",
            form=db.session.get(Form, bank.id),
            started_at=now,
            deadline_at=now + timedelta(minutes=90),
        )
        db.session.add(attempt)
        return attempt

    persist(app, build)
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/remove")
    assert response.status_code == 409
    assert "This seat has an attempt, so it cannot be removed" in response.text
    assert len(_seats(app)) == 1
    assert _events(app, "seat.removed") == []
    page = coordinator.get(f"{SCHEDULE}/seats/{seat.id}/edit").get_data(as_text=True)
    assert "Remove this seat" not in page


def test_seat_with_an_incident_cannot_be_removed(app, coordinator, seat, proctor):
    def build():
        incident = Incident(
            sitting_id=seat.sitting_id,
            seat_id=seat.id,
            author_id=proctor.id,
            category="technical",
            note="Lost connection",
        )
        db.session.add(incident)
        return incident

    persist(app, build)
    response = post(coordinator, f"{SCHEDULE}/seats/{seat.id}/remove")
    assert response.status_code == 409
    assert len(_seats(app)) == 1


def test_no_seats_are_added_to_a_closed_sitting(app, coordinator, sitting, candidate):
    with app.app_context():
        from app.models import Sitting

        db.session.get(Sitting, sitting.id).closed_at = now_utc()
        db.session.commit()
    response = _add_seat(coordinator, sitting, candidate)
    assert response.status_code == 409
    assert _seats(app) == []


def _failed_earlier(app, sitting, candidate, days_before: int) -> None:
    """An earlier, released, failed Part One for the candidate on the same track."""
    from app.models import Result, Sitting

    def build():
        now = sitting.starts_at - timedelta(days=days_before)
        earlier = Sitting(
            window_id=sitting.window_id,
            name="Earlier",
            proctor_id=sitting.proctor_id,
            mode="scheduled",
            starts_at=now,
            ends_at=now + timedelta(hours=4),
        )
        seat = Seat(sitting=earlier, candidate_id=candidate.id, track="IMH-SPECIALIST")
        form = db.session.scalar(select(Form).where(Form.part == "MC"))
        attempt = Attempt(
            seat=seat,
            part="MC",
            form=form,
            started_at=now,
            deadline_at=now + timedelta(minutes=90),
            submitted_at=now + timedelta(minutes=80),
            submit_reason="candidate",
        )
        result = Result(
            seat=seat,
            part="MC",
            attempt=attempt,
            score=30,
            max_score=60,
            percent=50.0,
            passed=False,
            released_at=now + timedelta(days=7),
        )
        db.session.add(result)
        return result

    persist(app, build)


def test_a_failed_part_is_retaken_only_after_the_waiting_period(
    app, coordinator, sitting, candidate
):
    wait = app.config["RETAKE_WAIT_DAYS"]
    _failed_earlier(app, sitting, candidate, days_before=wait - 10)
    response = _add_seat(coordinator, sitting, candidate)
    assert response.status_code == 409
    assert "a retake is possible from" in response.get_data(as_text=True)
    assert [s for s in _seats(app) if s[0] == candidate.id and s[1] == "IMH-SPECIALIST"] == [
        (candidate.id, "IMH-SPECIALIST", 1.0, 0, "")
    ]  # only the earlier seat


def test_after_the_waiting_period_the_candidate_can_be_seated_again(
    app, coordinator, sitting, candidate
):
    _failed_earlier(app, sitting, candidate, days_before=app.config["RETAKE_WAIT_DAYS"] + 5)
    assert _add_seat(coordinator, sitting, candidate).status_code == 302
