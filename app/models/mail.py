"""Sent email (one row per message, with its outcome) and single-use account links."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, now_utc
from app.models.people import User

MAIL_STATUSES = ("pending", "sending", "sent", "failed")
TOKEN_PURPOSES = ("invite", "reset")


class MailMessage(Base):
    """One email: recorded before it is sent, so a failed send is seen and retried."""

    __tablename__ = "mail_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: invitation, password_reset, seat_confirmation, reminder, results_released, grading_open
    kind: Mapped[str] = mapped_column(String(30), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    to_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: an iCalendar attachment (seat confirmations and reminders)
    ics: Mapped[str | None] = mapped_column(Text)
    #: messages carrying a sign-in link have their bodies blanked once sent
    has_secret: Mapped[bool] = mapped_column(default=False)
    #: makes a message once-only (reminders, grading notices): a second insert is refused
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
    last_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    user: Mapped[User | None] = relationship()


class AccountToken(Base):
    """A single-use link to set a password (invitation or reset); only its sha256 is kept."""

    __tablename__ = "account_token"
    __table_args__ = (
        CheckConstraint("purpose IN ('invite', 'reset')", name="purpose_known"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
