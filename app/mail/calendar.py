"""The .ics calendar file attached to seat confirmations and reminders (icalendar)."""

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from app.models import Seat


def seat_calendar(seat: Seat, ends_at: datetime, now: datetime, host: str) -> str:
    """One VEVENT for the seat's sitting, in UTC (calendars show it in the reader's zone)."""
    calendar = Calendar()
    calendar.add("prodid", "-//Endorsement exams//Sittings//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"seat-{seat.id}@{host or 'endorsement-exams'}")
    event.add("dtstamp", now)
    event.add("dtstart", seat.sitting.starts_at)
    event.add("dtend", max(ends_at, seat.sitting.starts_at + timedelta(minutes=1)))
    event.add("summary", f"Endorsement exam: {seat.sitting.name}")
    event.add("description", "Sign in to the exam platform a few minutes before the start.")
    calendar.add_component(event)
    return calendar.to_ical().decode()
