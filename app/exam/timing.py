"""Time rules of an attempt, as plain functions of an explicit `now` (the server owns time)."""

import math
from datetime import datetime, timedelta

from app.models import Attempt, Form, Seat


def allowed_duration(form: Form, seat: Seat) -> timedelta:
    """The part's duration with the seat's accommodations: minutes x multiplier + extra minutes."""
    return timedelta(minutes=form.duration_minutes * seat.time_multiplier + seat.extra_minutes)


def initial_deadline(started_at: datetime, form: Form, seat: Seat) -> datetime:
    """The deadline set when the attempt starts."""
    return started_at + allowed_duration(form, seat)


def effective_deadline(attempt: Attempt, now: datetime) -> datetime:
    """The deadline as of now: while paused, the clock stands still, so the deadline moves."""
    if attempt.paused_at is not None and now > attempt.paused_at:
        return attempt.deadline_at + (now - attempt.paused_at)
    return attempt.deadline_at


def seconds_left(attempt: Attempt, now: datetime) -> int:
    """Whole seconds until the deadline (0 once passed or submitted)."""
    if attempt.submitted_at is not None:
        return 0
    left = (effective_deadline(attempt, now) - now).total_seconds()
    return max(0, math.ceil(left))


def is_expired(attempt: Attempt, now: datetime) -> bool:
    """Past the deadline and not submitted: treated as submitted on every read."""
    return attempt.submitted_at is None and now > effective_deadline(attempt, now)


def is_closed(attempt: Attempt, now: datetime) -> bool:
    """Submitted, or past its deadline."""
    return attempt.submitted_at is not None or is_expired(attempt, now)


def accepts_writes(attempt: Attempt, now: datetime, grace: timedelta) -> bool:
    """A save counts until the deadline plus a small grace for requests already in flight."""
    return attempt.submitted_at is None and now <= effective_deadline(attempt, now) + grace


def attempt_state(attempt: Attempt, now: datetime) -> str:
    """One word for pages and the roster: open, paused, submitted or expired."""
    if attempt.submitted_at is not None:
        return "submitted"
    if is_expired(attempt, now):
        return "expired"
    return "paused" if attempt.paused_at is not None else "open"


def closing_time(attempt: Attempt, now: datetime) -> datetime:
    """When an expired attempt ended: its deadline, not the moment someone noticed."""
    return min(now, effective_deadline(attempt, now))
