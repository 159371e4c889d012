"""People: accounts, roles and the tracks a candidate is approved for."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import ROLES, TRACKS, sql_in
from app.models.base import Base, now_utc


class User(Base):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint(f"role IN ({sql_in(ROLES)})", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    #: bumped at logout and password change; cookies carrying an older version are refused
    session_version: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    approvals: Mapped[list["Approval"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def approved_tracks(self) -> list[str]:
        return sorted(a.track for a in self.approvals)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class Approval(Base):
    """A candidate approved by the coordinator to sit the exam of one track."""

    __tablename__ = "approval"
    __table_args__ = (
        UniqueConstraint("user_id", "track"),
        CheckConstraint(f"track IN ({sql_in(TRACKS)})", name="track_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    track: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="approvals")


class ResetRequest(Base):
    """A *Forgot password?* request, kept briefly to limit requests per address (whatever the
    email: counting only known ones would tell which emails have accounts, so none is stored)."""

    __tablename__ = "reset_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)


class LoginFailure(Base):
    """A failed login, kept briefly to rate-limit guessing per account and per address."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=now_utc, index=True)
