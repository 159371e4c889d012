"""Time rules as table tests with an explicit now: before, during, at grace, after."""

from datetime import UTC, datetime, timedelta

import pytest

from app.exam import timing
from app.models import Attempt, Form, Seat

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
GRACE = timedelta(seconds=5)


def attempt(minutes=90, multiplier=1.0, extra=0, paused_at=None, submitted_at=None):
    form = Form(duration_minutes=minutes)
    seat = Seat(time_multiplier=multiplier, extra_minutes=extra)
    a = Attempt(started_at=T0, deadline_at=timing.initial_deadline(T0, form, seat))
    a.paused_at, a.submitted_at = paused_at, submitted_at
    return a


@pytest.mark.parametrize(
    ("minutes", "multiplier", "extra", "expected_minutes"),
    [
        (90, 1.0, 0, 90),
        (90, 1.5, 0, 135),
        (90, 1.0, 15, 105),
        (90, 2.0, 10, 190),
        (60, 1.25, 0, 75),
    ],
)
def test_deadline_applies_multiplier_then_extra_minutes(
    minutes, multiplier, extra, expected_minutes
):
    a = attempt(minutes, multiplier, extra)
    assert a.deadline_at - T0 == timedelta(minutes=expected_minutes)


@pytest.mark.parametrize(
    ("offset", "state", "writable", "left"),
    [
        (timedelta(minutes=-1), "open", True, 91 * 60),  # clock skew before start: still open
        (timedelta(minutes=30), "open", True, 60 * 60),
        (timedelta(minutes=90), "open", True, 0),  # exactly at the deadline
        (timedelta(minutes=90, seconds=5), "expired", True, 0),  # within grace: still saved
        (timedelta(minutes=90, seconds=6), "expired", False, 0),  # past grace: refused
        (timedelta(hours=5), "expired", False, 0),
    ],
)
def test_phases_around_the_deadline(offset, state, writable, left):
    a, now = attempt(), T0 + offset
    assert timing.attempt_state(a, now) == state
    assert timing.accepts_writes(a, now, GRACE) is writable
    assert timing.seconds_left(a, now) == left


def test_pause_stops_the_clock():
    a = attempt(paused_at=T0 + timedelta(minutes=80))
    now = T0 + timedelta(minutes=120)  # paused 40 minutes ago, would have expired at 90
    assert timing.attempt_state(a, now) == "paused"
    assert timing.seconds_left(a, now) == 10 * 60
    assert timing.accepts_writes(a, now, GRACE)


def test_submitted_is_closed_whatever_the_clock():
    a = attempt(submitted_at=T0 + timedelta(minutes=10))
    now = T0 + timedelta(minutes=20)
    assert timing.is_closed(a, now) and not timing.accepts_writes(a, now, GRACE)
    assert timing.seconds_left(a, now) == 0


def test_expired_attempt_closes_at_its_deadline_not_when_noticed():
    a = attempt()
    assert timing.closing_time(a, T0 + timedelta(hours=3)) == T0 + timedelta(minutes=90)
