"""Sittings in the association's zone (America/Denver here): entered as local date, start and
end, stored as UTC, and shown in local time with MST/MDT on every role's pages."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ExamWindow, Seat, Sitting, SittingForm
from tests.conftest import PASSWORD, sign_in
from tests.coordinator.conftest import P1, P2, SCHEDULE, post, stored_window
from tests.factories import make_result
from tests.grading import factories


@pytest.fixture
def denver(app, monkeypatch):
    """The app's zone is America/Denver for this test (the session's app is restored after)."""
    monkeypatch.setitem(app.config, "TIME_ZONE", "America/Denver")


@pytest.fixture
def year_window(app):
    return stored_window(app, "All 2031", date(2031, 1, 1), date(2031, 12, 31))


def _add(obj):
    db.session.add(obj)
    return obj


def _entry(proctor, day: str, starts: str, ends: str) -> dict:
    return {
        "name": f"Sitting {day}",
        "date": day,
        "starts": starts,
        "ends": ends,
        "proctor_id": str(proctor.id),
        "mode": "scheduled",
        "form_codes": [P1, P2],
    }


def _stored(app) -> list[tuple[datetime, datetime]]:
    with app.app_context():
        return [
            (s.starts_at, s.ends_at)
            for s in db.session.scalars(select(Sitting).order_by(Sitting.id))
        ]


@pytest.mark.parametrize(
    ("day", "starts_at", "ends_at", "shown"),
    [
        (
            "2031-01-15",
            datetime(2031, 1, 15, 23, tzinfo=UTC),
            datetime(2031, 1, 16, 3, tzinfo=UTC),
            "2031-01-15 16:00 MST to 20:00 MST",
        ),
        (
            "2031-07-15",
            datetime(2031, 7, 15, 22, tzinfo=UTC),
            datetime(2031, 7, 16, 2, tzinfo=UTC),
            "2031-07-15 16:00 MDT to 20:00 MDT",
        ),
    ],
)
def test_a_16_to_20_denver_sitting_lands_at_the_right_utc_instants(
    app, denver, coordinator, year_window, proctor, bank, day, starts_at, ends_at, shown
):
    url = f"{SCHEDULE}/windows/{year_window.id}/sittings/new"
    response = post(coordinator, url, _entry(proctor, day, "16:00", "20:00"))
    assert response.status_code == 302
    assert _stored(app) == [(starts_at, ends_at)]
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert shown in page  # the confirmation repeats the local times
    start_label = shown.split(" to ")[0]
    assert f"<dd>{start_label}</dd>" in page and "UTC" not in page


def test_a_sitting_ending_after_local_midnight_is_accepted_and_said_so(
    app, denver, coordinator, year_window, proctor, bank
):
    url = f"{SCHEDULE}/windows/{year_window.id}/sittings/new"
    response = post(coordinator, url, _entry(proctor, "2031-01-15", "19:00", "01:00"))
    assert response.status_code == 302  # refused before: "The end time must be after ..."
    assert _stored(app) == [
        (datetime(2031, 1, 16, 2, tzinfo=UTC), datetime(2031, 1, 16, 8, tzinfo=UTC))
    ]
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "ending the next day (2031-01-16)" in page
    assert "<dd>2031-01-16 01:00 MST</dd>" in page


def test_the_form_states_the_zone_and_uses_24_hour_text_fields(
    denver, coordinator, year_window, bank
):
    page = coordinator.get(f"{SCHEDULE}/windows/{year_window.id}/sittings/new").get_data(
        as_text=True
    )
    assert "Times are in America/Denver (MST/MDT)" in page
    assert "An end time earlier than the start time means the next day" in page
    assert 'type="time"' not in page  # a time picker shows AM/PM in many locales
    assert page.count('inputmode="numeric" pattern="[0-2][0-9]:[0-5][0-9]"') == 2


def test_a_skipped_local_time_is_a_clear_422(app, denver, coordinator, year_window, proctor, bank):
    url = f"{SCHEDULE}/windows/{year_window.id}/sittings/new"
    response = post(coordinator, url, _entry(proctor, "2031-03-09", "02:30", "06:00"))
    assert response.status_code == 422
    assert "2031-03-09 02:30 does not exist in America/Denver" in response.text
    assert _stored(app) == []


def test_a_repeated_local_time_takes_the_first_and_says_so(
    app, denver, coordinator, year_window, proctor, bank
):
    url = f"{SCHEDULE}/windows/{year_window.id}/sittings/new"
    response = post(coordinator, url, _entry(proctor, "2031-11-01", "22:00", "01:30"))
    assert response.status_code == 302
    assert _stored(app)[0][1] == datetime(2031, 11, 2, 7, 30, tzinfo=UTC)  # 01:30 MDT
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "2031-11-02 01:30 happens twice" in page and "first occurrence" in page


def test_the_window_holds_sittings_by_local_date(app, denver, coordinator, proctor, bank):
    window = stored_window(app, "Jan 2031", date(2031, 1, 1), date(2031, 1, 31))
    # 18:00 MST on the last day is already 1 February in UTC: still inside the window
    url = f"{SCHEDULE}/windows/{window.id}/sittings/new"
    response = post(coordinator, url, _entry(proctor, "2031-01-31", "18:00", "22:00"))
    assert response.status_code == 302
    assert _stored(app)[0][0] == datetime(2031, 2, 1, 1, tzinfo=UTC)


def test_editing_prefills_local_values(app, denver, coordinator, sitting):
    # the fixture's 14:00-18:00 UTC on 10 March 2031 is 08:00-12:00 MDT (DST began 9 March)
    page = coordinator.get(f"{SCHEDULE}/sittings/{sitting.id}/edit").get_data(as_text=True)
    assert 'value="2031-03-10"' in page and 'value="08:00"' in page and 'value="12:00"' in page


@pytest.fixture
def world(app, create_user_):
    """A January sitting (16:00-20:00 MST) with a waiting seat, and a July one (16:00 MDT)
    whose Part Two result is released to the same candidate."""
    proctor = create_user_("proctor")
    candidate = create_user_("candidate", tracks=["IMH-SPECIALIST", "IMH-MENTOR-CLINICAL"])
    with app.app_context():
        window = _add(
            ExamWindow(name="All 2031", opens_on=date(2031, 1, 1), closes_on=date(2031, 12, 31))
        )
        january = Sitting(
            window=window,
            name="January evening",
            proctor_id=proctor.id,
            starts_at=datetime(2031, 1, 15, 23, tzinfo=UTC),
            ends_at=datetime(2031, 1, 16, 3, tzinfo=UTC),
        )
        january.forms = [SittingForm(form_code=P1)]
        waiting = _add(
            Seat(sitting=january, candidate_id=candidate.id, track="IMH-MENTOR-CLINICAL")
        )
        july = factories.sitting("July evening", datetime(2031, 7, 15, 22, tzinfo=UTC))
        july.proctor_id = proctor.id
        attempt = factories.closed_attempt(candidate.id, july, ["An answer."])
        released = datetime(2031, 8, 1, 18, tzinfo=UTC)
        db.session.add(make_result(attempt, "VIGNETTE", 9, 12, passed=True, released_at=released))
        db.session.commit()
        ids = {"window": window.id, "january": january.id, "july": july.id, "seat": waiting.id}
    return proctor, candidate, ids


def _page(app, email: str, url: str) -> str:
    client = app.test_client()
    assert sign_in(client, email, PASSWORD).status_code == 302
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_every_role_sees_local_time_with_the_abbreviation(app, denver, create_user_, world):
    proctor, candidate, ids = world
    coordinator = create_user_("coordinator")
    expected = {
        (coordinator.email, f"{SCHEDULE}/windows/{ids['window']}"): [
            "2031-01-15 16:00 MST",
            "2031-01-15 20:00 MST",
            "2031-07-15 16:00 MDT",
        ],
        (coordinator.email, f"{SCHEDULE}/sittings/{ids['january']}"): [
            "2031-01-15 16:00 MST",
            "2031-01-15 20:00 MST",
        ],
        (coordinator.email, "/coordinator/results/"): ["2031-07-15 16:00 MDT"],
        (coordinator.email, f"/coordinator/results/sittings/{ids['july']}"): [
            "2031-07-15 16:00 MDT"
        ],
        (proctor.email, "/proctor/"): ["2031-01-15 16:00 MST", "2031-07-15 16:00 MDT"],
        (proctor.email, f"/proctor/sitting/{ids['january']}"): [
            "2031-01-15 16:00 MST to 2031-01-15 20:00 MST"
        ],
        (candidate.email, "/exam/"): [
            '<time datetime="2031-01-15T23:00:00Z" data-local-instant data-zone="America/Denver">2031-01-15 16:00 MST</time>'
        ],
        (candidate.email, f"/exam/seat/{ids['seat']}/MC"): [
            'data-local-instant data-zone="America/Denver">2031-01-15 16:00 MST</time>'
        ],
        (candidate.email, "/results/mine"): [
            '<time datetime="2031-07-15T22:00:00Z" data-local-instant data-zone="America/Denver">2031-07-15 16:00 MDT</time>'
        ],
    }
    for (email, url), texts in expected.items():
        html = _page(app, email, url)
        for text in texts:
            assert text in html, (url, text)
        assert " UTC" not in html, url


def test_the_grader_queue_shows_no_sitting_time(app, denver, create_user_, world):
    grader = create_user_("grader")
    html = _page(app, grader.email, "/grading/")
    assert "2031" not in html and "MDT" not in html and "MST" not in html
