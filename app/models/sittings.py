"""Exam windows, sittings and seats (a candidate's place in a sitting, with accommodations)."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import TRACKS, sql_in
from app.models.base import Base, now_utc
from app.models.people import User


class ExamWindow(Base):
    """A period in which sittings are scheduled, following an application deadline."""

    __tablename__ = "exam_window"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="closes_after_opens"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    opens_on: Mapped[date]
    closes_on: Mapped[date]

    sittings: Mapped[list["Sitting"]] = relationship(
        back_populates="window", order_by="Sitting.starts_at"
    )


class Sitting(Base):
    """A proctored session on a date, run by one proctor, for seats of any tracks."""

    __tablename__ = "sitting"
    __table_args__ = (
        CheckConstraint("mode IN ('scheduled', 'on_demand')", name="mode_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("exam_window.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime]
    #: the scheduled end; accommodations are never cut by it (deadlines come from the seat)
    ends_at: Mapped[datetime]
    proctor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: scheduled: the proctor admits each seat; on_demand: the access code admits from starts_at
    mode: Mapped[str] = mapped_column(String(12), default="scheduled")
    access_code: Mapped[str | None] = mapped_column(String(20))
    #: set when the proctor closes the sitting; the roster then stops polling
    closed_at: Mapped[datetime | None]

    window: Mapped[ExamWindow] = relationship(back_populates="sittings")
    proctor: Mapped[User | None] = relationship()
    seats: Mapped[list["Seat"]] = relationship(back_populates="sitting", order_by="Seat.id")
    forms: Mapped[list["SittingForm"]] = relationship(cascade="all, delete-orphan")

    @property
    def form_codes(self) -> list[str]:
        return sorted(f.form_code for f in self.forms)


class SittingForm(Base):
    """A form (by code) offered in a sitting; an attempt pins the latest version when it starts."""

    __tablename__ = "sitting_form"
    __table_args__ = (UniqueConstraint("sitting_id", "form_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(
        ForeignKey("sitting.id", ondelete="CASCADE"), index=True
    )
    form_code: Mapped[str] = mapped_column(String(40))


class Seat(Base):
    """One candidate's place in a sitting for one track, with accommodations."""

    __tablename__ = "seat"
    __table_args__ = (
        UniqueConstraint("sitting_id", "candidate_id"),
        CheckConstraint(f"track IN ({sql_in(TRACKS)})", name="track_known"),
        CheckConstraint("time_multiplier >= 1 AND time_multiplier <= 4", name="multiplier_range"),
        CheckConstraint("extra_minutes >= 0", name="extra_minutes_nonnegative"),
        # the ID is checked as part of admitting the seat, never on its own
        CheckConstraint(
            "id_checked_at IS NULL OR admitted_at IS NOT NULL", name="id_check_at_admission"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    track: Mapped[str] = mapped_column(String(30))
    #: accommodation: each part's duration is multiplied by this (1.5 = time and a half)
    time_multiplier: Mapped[float] = mapped_column(default=1.0)
    #: accommodation: minutes added to each part after the multiplier
    extra_minutes: Mapped[int] = mapped_column(default=0)
    accommodation_note: Mapped[str] = mapped_column(Text, default="")
    checked_in_at: Mapped[datetime | None]
    admitted_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    #: when a proctor saw the candidate's photo ID at admission (None: not checked); who did
    #: it is the actor of the `proctor.admit` audit event written in the same step
    id_checked_at: Mapped[datetime | None]
    #: the proctor's optional note on the ID check (e.g. "name differs: married name")
    id_check_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    sitting: Mapped[Sitting] = relationship(back_populates="seats")
    candidate: Mapped[User] = relationship()

    @property
    def endorsement(self) -> str:
        return self.track.split("-", 1)[0]


class Incident(Base):
    """A proctor's note of something that happened in a sitting."""

    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(
            "category IN ('technical', 'environment', 'conduct', 'other')", name="category_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sitting.id"), index=True)
    seat_id: Mapped[int | None] = mapped_column(ForeignKey("seat.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    category: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=now_utc)
