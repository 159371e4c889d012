"""Attempts at a part, the answers in them, and results."""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import PARTS, sql_in
from app.models.bank import Form
from app.models.base import Base, now_utc
from app.models.sittings import Seat

SUBMIT_REASONS = ("candidate", "time", "proctor", "void")


def new_public_id() -> str:
    """An unguessable id for URLs: attempt ids must not be a sequence one can walk."""
    return secrets.token_urlsafe(12)


class Attempt(Base):
    """A candidate's timed sitting of one part; the server's deadline is the only clock."""

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("seat_id", "part"),
        CheckConstraint(f"part IN ({sql_in(PARTS)})", name="part_known"),
        CheckConstraint("deadline_at > started_at", name="deadline_after_start"),
        CheckConstraint(
            "(submitted_at IS NULL) = (submit_reason IS NULL)", name="submitted_has_reason"
        ),
        CheckConstraint(
            f"submit_reason IS NULL OR submit_reason IN ({sql_in(SUBMIT_REASONS)})",
            name="submit_reason_known",
        ),
        CheckConstraint("last_seq >= 0", name="last_seq_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True, default=new_public_id)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"), index=True)
    part: Mapped[str] = mapped_column(String(8))
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"))
    started_at: Mapped[datetime]
    #: start + duration x multiplier + extra minutes + extensions + paused spans
    deadline_at: Mapped[datetime]
    #: set while the proctor has paused the attempt; the deadline moves on resume
    paused_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submit_reason: Mapped[str | None] = mapped_column(String(10))
    #: highest client sequence number applied; older or equal saves are harmless no-ops
    last_seq: Mapped[int] = mapped_column(default=0)
    #: Part One: the per-attempt order of item ids and, per item id, of option ids
    item_order: Mapped[list[Any]] = mapped_column(default=list)
    option_order: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the browser session allowed to save (one live session per attempt)
    client_token: Mapped[str | None] = mapped_column(String(32))
    last_seen_at: Mapped[datetime | None]
    focus_losses: Mapped[int] = mapped_column(default=0)
    extension_minutes: Mapped[int] = mapped_column(default=0)
    #: short hash of the recorded answers, shown on the candidate's receipt
    receipt: Mapped[str | None] = mapped_column(String(16))

    seat: Mapped[Seat] = relationship()
    form: Mapped[Form] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan"
    )


class AnswerSnapshot:
    """What a save carries for one question: kept as the answer, or held apart when late."""

    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    vignette_id: Mapped[int | None] = mapped_column(ForeignKey("vignette.id"))
    #: Part One: the chosen option id ("" = cleared); Part Two: the essay exactly as typed
    value: Mapped[str] = mapped_column(Text, default="")
    flagged: Mapped[bool] = mapped_column(default=False)
    #: Part Two: the candidate chose this vignette as one of the k to answer
    chosen: Mapped[bool] = mapped_column(default=False)


class Answer(AnswerSnapshot, Base):
    """The latest whole-answer snapshot for one item or vignette of an attempt."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("attempt_id", "item_id"),
        UniqueConstraint("attempt_id", "vignette_id"),
        CheckConstraint("(item_id IS NULL) <> (vignette_id IS NULL)", name="item_xor_vignette"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime] = mapped_column(default=now_utc)

    attempt: Mapped[Attempt] = relationship(back_populates="answers")


LATE_DECISIONS = ("accepted", "declined")


class LateAnswer(AnswerSnapshot, Base):
    """A journal entry that reached the server after the part closed: kept apart, never scored
    by itself, until a proctor or coordinator accepts it into the record or declines it (both
    audited; a declined answer stays here, never deleted)."""

    __tablename__ = "late_answer"
    __table_args__ = (
        # a replayed entry is stored once: the page's seq numbers one change of one attempt
        UniqueConstraint("attempt_id", "seq"),
        CheckConstraint("(item_id IS NULL) <> (vignette_id IS NULL)", name="item_xor_vignette"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint(
            f"decision IS NULL OR decision IN ({sql_in(LATE_DECISIONS)})", name="decision_known"
        ),
        CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL) AND (decision IS NULL) = (reason IS NULL)",
            name="decision_complete",
        ),
        # one decision column: an answer is never both accepted and declined, and says who
        CheckConstraint("(decision IS NULL) = (decided_by_id IS NULL)", name="decision_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int]
    #: when the browser says the change was made (its clock, corrected by the server's offset)
    client_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(10))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[Attempt] = relationship()


class Result(Base):
    """The outcome of one part for one seat; candidates see it once released."""

    __tablename__ = "result"
    __table_args__ = (
        UniqueConstraint("seat_id", "part"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seat.id"), index=True)
    part: Mapped[str] = mapped_column(String(8))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"))
    score: Mapped[float]
    max_score: Mapped[float]
    percent: Mapped[float]
    passed: Mapped[bool]
    #: per domain code: {"score", "max", "percent"} for Part One; levels and feedback for Part Two
    domain_scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=now_utc)
    released_at: Mapped[datetime | None]

    seat: Mapped[Seat] = relationship()
    attempt: Mapped[Attempt] = relationship()
