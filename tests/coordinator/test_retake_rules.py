"""Scheduling rules that hold: the retake wait follows the failed content (endorsement + part),
an unreleased fail still counts, a retake seat sits only the failed part (the other pass carries
over), the refusal names an allowed date, moving a sitting earlier re-checks its seats, a seat
needs a form for each part it sits, and exam windows do not overlap."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.coordinator import scheduling_services, seat_rules
from app.coordinator.scheduling_input import Problem, SittingInput
from app.exam import services as delivery
from app.extensions import db
from app.grading.results import candidate_results
from app.models import Attempt, Form, Result, Seat, Sitting, User
from tests.conftest import persist, sign_in
from tests.coordinator.conftest import SCHEDULE, offer, post

WAIT = 90


@pytest.fixture(autouse=True)
def _wait(app, monkeypatch):
    monkeypatch.setitem(app.config, "RETAKE_WAIT_DAYS", WAIT)


@pytest.fixture
def candidate(create_user_):
    return create_user_(
        "candidate", name="Riley Retake", tracks=["IMH-SPECIALIST", "IMH-MENTOR-CLINICAL"]
    )


def _earlier(app, sitting, candidate, outcomes: dict, sat_at: datetime, released=True, track=None):
    """An earlier seat of the candidate with results per part: {"MC": passed?, ...}."""

    def build():
        earlier = Sitting(
            window_id=sitting.window_id,
            name="Earlier sitting",
            proctor_id=sitting.proctor_id,
            mode="scheduled",
            starts_at=sat_at - timedelta(hours=1),
            ends_at=sat_at + timedelta(hours=4),
        )
        seat = Seat(sitting=earlier, candidate_id=candidate.id, track=track or "IMH-SPECIALIST")
        for part, passed in outcomes.items():
            form = db.session.scalar(
                select(Form)
                .where(Form.part == part)
                .where((Form.part == "MC") | (Form.track == seat.track))
            )
            attempt = Attempt(
                seat=seat,
                part=part,
                form=form,
                started_at=sat_at - timedelta(minutes=80),
                deadline_at=sat_at + timedelta(minutes=10),
                submitted_at=sat_at,
                submit_reason="candidate",
            )
            db.session.add(
                Result(
                    seat=seat,
                    part=part,
                    attempt=attempt,
                    score=50 if passed else 10,
                    max_score=60,
                    percent=83.0 if passed else 17.0,
                    passed=passed,
                    released_at=sat_at + timedelta(days=7) if released else None,
                )
            )
        db.session.add(seat)
        return seat

    return persist(app, build)


def _seat(client, sitting, candidate, track="IMH-SPECIALIST"):
    data = {"candidate_id": str(candidate.id), "track": track}
    return post(client, f"{SCHEDULE}/sittings/{sitting.id}/seats", data)


def _seats_of(app, candidate, sitting) -> list[tuple[str, str]]:
    with app.app_context():
        stmt = select(Seat.track, Seat.parts).where(
            Seat.candidate_id == candidate.id, Seat.sitting_id == sitting.id
        )
        return [tuple(row) for row in db.session.execute(stmt)]


def test_failing_part_one_blocks_another_track_of_the_same_endorsement(
    app, coordinator, sitting, candidate
):
    offer(app, sitting.id, "IMH-MENTOR-CLINICAL")
    _earlier(app, sitting, candidate, {"MC": False}, sitting.starts_at - timedelta(days=78))
    response = _seat(coordinator, sitting, candidate, "IMH-MENTOR-CLINICAL")
    assert response.status_code == 409
    assert "did not pass IMH Part One (multiple choice)" in response.text
    assert _seats_of(app, candidate, sitting) == []


def test_an_unreleased_fail_still_blocks_an_early_retake_and_says_so(
    app, coordinator, sitting, candidate
):
    offer(app, sitting.id)
    sat = sitting.starts_at - timedelta(days=30)
    _earlier(app, sitting, candidate, {"MC": False}, sat, released=False)
    response = _seat(coordinator, sitting, candidate)
    assert response.status_code == 409
    assert "(that result is not released yet)" in response.text
    assert _seats_of(app, candidate, sitting) == []


@pytest.mark.parametrize("zone", ["UTC", "America/Denver"])
def test_the_date_named_in_the_refusal_is_itself_allowed(
    app, sitting, candidate, zone, monkeypatch
):
    monkeypatch.setitem(app.config, "TIME_ZONE", zone)
    sat = datetime(2030, 12, 5, 10, 0, tzinfo=UTC)  # 90 days later is 2031-03-05 10:00 UTC
    _earlier(app, sitting, candidate, {"MC": False}, sat)
    with app.app_context():
        user = db.session.get(User, candidate.id)
        day_before = datetime(2031, 3, 4, 23, 0, tzinfo=UTC)
        refusal = seat_rules.retake_wait_problem(
            user, "IMH-SPECIALIST", ("MC", "VIGNETTE"), day_before, WAIT
        )
        named = re.search(r"possible from (\d{4}-\d{2}-\d{2})", refusal).group(1)
        that_morning = datetime.fromisoformat(named).replace(hour=9, tzinfo=ZoneInfo(zone))
        assert that_morning - sat >= timedelta(days=WAIT), "never shorter than the wait"
        assert (
            seat_rules.retake_wait_problem(
                user, "IMH-SPECIALIST", ("MC", "VIGNETTE"), that_morning, WAIT
            )
            is None
        )


def test_a_retake_seat_sits_only_the_failed_part(app, coordinator, sitting, candidate):
    sat = sitting.starts_at - timedelta(days=WAIT + 10)
    _earlier(app, sitting, candidate, {"MC": True, "VIGNETTE": False}, sat)
    offer(app, sitting.id)
    response = _seat(coordinator, sitting, candidate)
    assert response.status_code == 302
    assert _seats_of(app, candidate, sitting) == [("IMH-SPECIALIST", "VIGNETTE")]


def test_a_sitting_offering_no_form_for_the_track_refuses_the_seat(
    app, coordinator, sitting, candidate
):
    response = _seat(coordinator, sitting, candidate)  # the sitting offers Part One only
    assert response.status_code == 409
    assert (
        "The sitting offers no Part Two (vignettes) form for IMH-E® Mental Health Specialist"
        in response.text
    )
    assert _seats_of(app, candidate, sitting) == []


def test_a_part_two_retake_needs_only_the_part_two_form(app, coordinator, sitting, candidate):
    sat = sitting.starts_at - timedelta(days=WAIT + 10)
    _earlier(app, sitting, candidate, {"MC": True, "VIGNETTE": False}, sat)
    with app.app_context():
        stored = db.session.get(Sitting, sitting.id)
        stored.forms.clear()
        db.session.commit()
    offer(app, sitting.id)  # Part Two only
    assert _seat(coordinator, sitting, candidate).status_code == 302


def _moved(sitting, days: int) -> SittingInput:
    return SittingInput(
        name=sitting.name,
        starts_at=sitting.starts_at + timedelta(days=days),
        ends_at=sitting.ends_at + timedelta(days=days),
        proctor_id=sitting.proctor_id,
        mode="scheduled",
        form_codes=sitting.form_codes,
    )


def test_moving_a_sitting_earlier_rechecks_every_seat(app, coordinator, sitting, candidate):
    offer(app, sitting.id)
    _earlier(app, sitting, candidate, {"MC": False}, sitting.starts_at - timedelta(days=WAIT + 2))
    assert _seat(coordinator, sitting, candidate).status_code == 302
    with app.app_context():
        stored = db.session.get(Sitting, sitting.id)
        coordinator_user = db.session.scalar(select(User).where(User.role == "coordinator"))
        with pytest.raises(Problem) as refused:
            scheduling_services.update_sitting(stored, _moved(stored, -5), coordinator_user, now())
        assert refused.value.status == 409
        assert "Riley Retake did not pass IMH Part One" in refused.value.message
        db.session.rollback()
        stored = db.session.get(Sitting, sitting.id)
        scheduling_services.update_sitting(stored, _moved(stored, -1), coordinator_user, now())
        db.session.rollback()


def now() -> datetime:
    return datetime(2031, 3, 1, tzinfo=UTC)


def test_exam_windows_may_not_overlap(app, coordinator, window):
    response = post(
        coordinator,
        f"{SCHEDULE}/windows/new",
        {"name": "Overlapping", "opens_on": "2031-04-15", "closes_on": "2031-07-31"},
    )
    assert response.status_code == 422
    assert "The window would overlap “Feb–Apr 2031” (2031-02-01 to 2031-04-30)" in response.text
    after = post(
        coordinator,
        f"{SCHEDULE}/windows/new",
        {"name": "May–Jul 2031", "opens_on": "2031-05-01", "closes_on": "2031-07-31"},
    )
    assert after.status_code == 302


def test_part_two_retake_carries_the_part_one_pass_into_the_combined_result(
    app, coordinator, sitting, candidate, client
):
    sat = sitting.starts_at - timedelta(days=WAIT + 10)
    _earlier(app, sitting, candidate, {"MC": True, "VIGNETTE": False}, sat)
    offer(app, sitting.id)
    assert _seat(coordinator, sitting, candidate).status_code == 302
    with app.app_context():
        seat = db.session.scalar(select(Seat).where(Seat.sitting_id == sitting.id))
        seat.admitted_at = sitting.starts_at
        assert "other part only" in delivery.start_problem(seat, "MC", sitting.starts_at)
        assert delivery.start_problem(seat, "VIGNETTE", sitting.starts_at) is None
        attempt = delivery.start_attempt(seat, "VIGNETTE", sitting.starts_at)
        assert attempt.form.part == "VIGNETTE"
        db.session.add(
            Result(
                seat=seat,
                part="VIGNETTE",
                attempt=attempt,
                score=9,
                max_score=12,
                percent=75.0,
                passed=True,
                released_at=sitting.starts_at + timedelta(days=10),
            )
        )
        db.session.commit()
        [retake, first] = candidate_results(db.session.get(User, candidate.id))
        assert retake.seat.id == seat.id and set(retake.parts) == {"VIGNETTE"}
        assert retake.carried["MC"].passed and retake.outcome == "passed"
        assert first.outcome == "not passed"
    sign_in(client, candidate.email)
    page = client.get("/results/mine").get_data(as_text=True)
    assert "the pass carries over" in page
    exams = client.get("/exam/").get_data(as_text=True)
    assert f"/exam/seat/{seat.id}/MC" not in exams
