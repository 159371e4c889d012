"""Standard setting (modified Angoff): studies of a Part One form version, panels, ratings."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.bank import Form
from app.models.base import Base, now_utc
from app.models.people import User

STUDY_STATUSES = ("round1", "round2", "closed")


class AngoffStudy(Base):
    """One standard-setting study of one Part One form version."""

    __tablename__ = "angoff_study"
    __table_args__ = (
        CheckConstraint("status IN ('round1', 'round2', 'closed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="round1")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: the form version made when the study's cut was adopted as pass mark
    adopted_form_id: Mapped[int | None] = mapped_column(ForeignKey("form.id"))

    form: Mapped[Form] = relationship(foreign_keys=[form_id])
    adopted_form: Mapped[Form | None] = relationship(foreign_keys=[adopted_form_id])
    opened_by: Mapped[User] = relationship()
    panellists: Mapped[list["AngoffPanellist"]] = relationship(
        back_populates="study", cascade="all, delete-orphan", order_by="AngoffPanellist.id"
    )


class AngoffPanellist(Base):
    """A staff account named to a study's panel."""

    __tablename__ = "angoff_panellist"
    __table_args__ = (UniqueConstraint("study_id", "user_id", name="once_per_study"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("angoff_study.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)

    study: Mapped[AngoffStudy] = relationship(back_populates="panellists")
    user: Mapped[User] = relationship()


class AngoffRating(Base):
    """A panellist's judgement of one item in one round: the probability (0-100, steps of 5)
    that a minimally competent candidate answers it correctly."""

    __tablename__ = "angoff_rating"
    __table_args__ = (
        UniqueConstraint("study_id", "user_id", "item_id", "round", name="one_per_round"),
        CheckConstraint("round IN (1, 2)", name="round_known"),
        CheckConstraint("value >= 0 AND value <= 100 AND value % 5 = 0", name="value_step"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("angoff_study.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    round: Mapped[int]
    value: Mapped[int]
    saved_at: Mapped[datetime] = mapped_column(default=now_utc)
