"""Scheduled mail: the day-before reminders (run from cron; safe to run any number of times)."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.mail import notices
from app.models import Seat, Sitting, User

#: a sitting starting within this span from now gets its reminders
REMINDER_AHEAD = timedelta(hours=24)


def queue_reminders(now: datetime) -> int:
    """Queue a reminder for every live seat of a sitting starting in the next 24 hours, once."""
    stmt = (
        select(Seat)
        .join(Sitting)
        .join(User, Seat.candidate_id == User.id)
        .where(Sitting.starts_at > now, Sitting.starts_at <= now + REMINDER_AHEAD)
        .where(Sitting.closed_at.is_(None), Seat.voided_at.is_(None), User.is_active)
        .options(joinedload(Seat.sitting), joinedload(Seat.candidate))
        .order_by(Seat.id)
    )
    return sum(notices.reminder(seat, now) is not None for seat in db.session.scalars(stmt))
