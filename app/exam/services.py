"""Candidate delivery services: seats, attempts, answers; they flush, the view commits."""

from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import Seat, User


def candidate_seats(candidate: User, now: datetime) -> list[Seat]:
    """The candidate's seats, newest sitting first."""
    return list(
        db.session.scalars(
            select(Seat).where(Seat.candidate_id == candidate.id).order_by(Seat.id.desc())
        )
    )
