"""Exam windows follow the application deadlines: a window opens the day after one deadline
and closes on the next."""

from datetime import date, timedelta


def _deadlines_around(day: date, deadlines) -> list[date]:
    return sorted(
        date(y, m, d) for y in (day.year - 1, day.year, day.year + 1) for m, d in deadlines
    )


def window_bounds(day: date, deadlines) -> tuple[date, date]:
    """The (opens_on, closes_on) of the window containing the day."""
    all_deadlines = _deadlines_around(day, deadlines)
    closes = next(d for d in all_deadlines if d >= day)
    previous = max(d for d in all_deadlines if d < closes)
    return previous + timedelta(days=1), closes


def window_name(opens_on: date, closes_on: date) -> str:
    """A readable window name, e.g. 'Nov 2026 – Jan 2027'."""
    return f"{opens_on:%b %Y} – {closes_on:%b %Y}"
