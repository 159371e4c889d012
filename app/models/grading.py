"""Blind grading: anonymised responses, readings, resolutions, conflicts, graders, calibration."""

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import sql_in
from app.models.attempts import Answer, Attempt
from app.models.bank import Rubric, Vignette
from app.models.base import Base, now_utc
from app.models.people import User

#: R1/R2 the two blind live readings, ADJ the lead's adjudication, CALIB a calibration
#: reading of a pre-scored response, BACK the lead's quality back-reading of a final response,
#: APPEAL the blind review reading of an accepted appeal (by a grader new to the response)
READING_SLOTS = ("R1", "R2", "ADJ", "CALIB", "BACK", "APPEAL")
LIVE_SLOTS = ("R1", "R2")
CONFLICT_SOURCES = ("grader", "coordinator", "recusal")
APPEAL_STATES = ("requested", "accepted", "declined", "decided")
APPEAL_OUTCOMES = ("upheld", "changed")


def new_response_code() -> str:
    """The only name a grader ever sees for a response: random, unguessable, no sequence."""
    return secrets.token_urlsafe(9)


class Response(Base):
    """One answered vignette of a closed Part Two attempt, as graders see it: a code and text."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("attempt_id", "vignette_id"),
        # the text is the candidate's answer itself, never a copy that could drift
        ForeignKeyConstraint(
            ["attempt_id", "vignette_id"],
            ["answer.attempt_id", "answer.vignette_id"],
            name="fk_response_answer",
        ),
        CheckConstraint("readers >= 0 AND readers <= 2", name="readers_range"),
        Index("ix_response_open", "readers", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, default=new_response_code)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), index=True)
    vignette_id: Mapped[int] = mapped_column(ForeignKey("vignette.id"))
    #: live readings (R1, R2) handed out so far; bumped compare-and-set so never more than two
    readers: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    attempt: Mapped[Attempt] = relationship()
    vignette: Mapped[Vignette] = relationship()
    answer: Mapped[Answer] = relationship(
        primaryjoin="and_(Response.attempt_id == Answer.attempt_id, "
        "Response.vignette_id == Answer.vignette_id)",
        viewonly=True,
    )
    resolution: Mapped["Resolution | None"] = relationship(back_populates="response")

    @property
    def text(self) -> str:
        return self.answer.value


class Reading(Base):
    """One grader's ratings of one response against one rubric version: draft until submitted."""

    __tablename__ = "reading"
    __table_args__ = (
        # one grader reads a response once; calibration rounds may repeat a pre-scored response
        UniqueConstraint("response_id", "grader_id", "calibration_round"),
        CheckConstraint(f"slot IN ({sql_in(READING_SLOTS)})", name="slot_known"),
        CheckConstraint("(slot = 'CALIB') = (calibration_round > 0)", name="round_iff_calibration"),
        CheckConstraint("calibration_round >= 0", name="round_nonnegative"),
        CheckConstraint(
            "submitted_at IS NULL OR submitted_at >= started_at", name="submitted_after_start"
        ),
        # R1, R2, ADJ and BACK exist at most once per response; CALIB once per grader and round
        Index(
            "uq_reading_response_slot",
            "response_id",
            "slot",
            unique=True,
            sqlite_where=text("slot <> 'CALIB'"),
            postgresql_where=text("slot <> 'CALIB'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), index=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    slot: Mapped[str] = mapped_column(String(6))
    #: 0 for live, adjudication and back readings; 1, 2, ... for a grader's calibration rounds
    calibration_round: Mapped[int] = mapped_column(default=0)
    #: the exact rubric version the ratings refer to (rubric versions never change)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubric.id"))
    #: {criterion code: level score}; partial while a draft
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: {criterion code: comment}: becomes the candidate's feedback for that domain
    comments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: for the lead grader and coordinator, never shown to the candidate
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(default=now_utc)
    saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]

    response: Mapped[Response] = relationship()
    grader: Mapped[User] = relationship()
    rubric: Mapped[Rubric] = relationship()

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class Resolution(Base):
    """How a response's two readings became final: the rule applied, and the final ratings."""

    __tablename__ = "resolution"
    __table_args__ = (
        CheckConstraint("needs_adjudication OR resolved_at IS NOT NULL", name="open_only_if_adj"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), unique=True)
    #: the resolution rule kind from the rubric (a key of the rule registry)
    rule: Mapped[str] = mapped_column(String(40))
    #: {criterion code: "equal" | "mean" | "apart" | "adjudicated"}
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: why adjudication was needed, in words, e.g. "THINK: readings 2 levels apart"
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    #: {criterion code: final level}; empty until resolved
    final_ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    needs_adjudication: Mapped[bool] = mapped_column(default=False)
    #: chosen for the lead grader's back-reading sample when it became final
    back_read: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)

    response: Mapped[Response] = relationship(back_populates="resolution")

    @property
    def is_final(self) -> bool:
        return self.resolved_at is not None


class Conflict(Base):
    """A grader must never read this candidate's responses."""

    __tablename__ = "conflict"
    __table_args__ = (
        UniqueConstraint("grader_id", "candidate_id"),
        CheckConstraint("grader_id <> candidate_id", name="not_self"),
        CheckConstraint(f"source IN ({sql_in(CONFLICT_SOURCES)})", name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grader_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    #: grader: declared from the list of names; coordinator: entered; recusal: from a response
    source: Mapped[str] = mapped_column(String(12))
    declared_at: Mapped[datetime] = mapped_column(default=now_utc)

    grader: Mapped[User] = relationship(foreign_keys=[grader_id])
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])


class GraderProfile(Base):
    """A grader's stated capacity, calibration and conflict declaration."""

    __tablename__ = "grader_profile"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), unique=True)
    #: live readings the grader commits to in the grading round (set by the lead grader);
    #: 0 = not reading now
    capacity: Mapped[int]
    #: reached the calibration agreement rate (or the lead grader waived it, audited)
    calibrated_at: Mapped[datetime | None]
    #: the grader went through the list of names; no live response before this
    conflicts_declared_at: Mapped[datetime | None]
    #: the grading round whose list of names the declaration covered (None: before rounds)
    declared_round_id: Mapped[int | None] = mapped_column(ForeignKey("grading_round.id"))

    user: Mapped[User] = relationship()


class CalibrationItem(Base):
    """A pre-scored response in the calibration set, with the key ratings graders must match."""

    __tablename__ = "calibration_item"
    __table_args__ = (
        CheckConstraint("retired_at IS NULL OR retired_at >= added_at", name="retired_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id"), unique=True)
    #: {criterion code: level score}, whole levels only
    key_ratings: Mapped[dict[str, Any]]
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: out of the set from then on; earlier calibration readings keep their meaning
    retired_at: Mapped[datetime | None]

    response: Mapped[Response] = relationship()


class GradingRound(Base):
    """A stretch of grading (an exam window's responses): capacities count readings taken in it,
    and its list of candidates for conflict declarations is fixed when it opens."""

    __tablename__ = "grading_round"
    __table_args__ = (
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_open"),
        # open_marker is true while open and NULL once closed; UNIQUE makes one open round
        CheckConstraint("(open_marker IS NULL) = (closed_at IS NOT NULL)", name="marker_iff_open"),
        CheckConstraint("open_marker IS NULL OR open_marker", name="marker_true"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("exam_window.id"))
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(default=now_utc)
    closed_at: Mapped[datetime | None]
    open_marker: Mapped[bool | None] = mapped_column(unique=True, default=True)
    #: user ids of every candidate of the round, fixed at opening (never shrinks as responses
    #: become final, so the last grader to declare sees the same list as the first)
    candidate_ids: Mapped[list[Any]] = mapped_column(default=list)


class Appeal(Base):
    """A candidate's request for a review of a failed Part Two, and what became of it."""

    __tablename__ = "appeal"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(APPEAL_STATES)})", name="status_known"),
        CheckConstraint(
            f"outcome IS NULL OR outcome IN ({sql_in(APPEAL_OUTCOMES)})", name="outcome_known"
        ),
        CheckConstraint(
            "(status = 'requested') = (decided_at IS NULL)", name="decided_iff_not_new"
        ),
        CheckConstraint("(status = 'decided') = (outcome IS NOT NULL)", name="outcome_iff_decided"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one request per attempt
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id"), unique=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("result.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: the candidate's words; for the coordinator only, never shown to a grader
    statement: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=now_utc)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: the coordinator's reason for accepting or declining (the candidate reads it)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    #: upheld: the result stands; changed: a review reading replaced a final
    outcome: Mapped[str | None] = mapped_column(String(10))
    outcome_at: Mapped[datetime | None]

    attempt: Mapped[Attempt] = relationship()
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id])
