"""Account services: authenticate with rate limiting, change passwords, end sessions."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from app import audit
from app.auth.passwords import (
    check_password,
    dummy_check,
    hash_password,
    needs_rehash,
    password_problem,
)
from app.extensions import db
from app.models import LoginFailure, User


class LoginRefused(Exception):
    """A sign-in that may not proceed, with the message to show."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message = message
        self.status = status


WRONG_CREDENTIALS = "That email and password do not match an account."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _recent_failures(email: str, address: str, now: datetime) -> tuple[int, int]:
    since = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    recent = select(func.count()).where(LoginFailure.at >= since)
    by_account = db.session.scalar(recent.where(LoginFailure.email == email))
    by_address = db.session.scalar(recent.where(LoginFailure.address == address))
    return by_account or 0, by_address or 0


@dataclass(frozen=True)
class LoginCandidate:
    """What a sign-in needs from the database, read before the (slow) password check."""

    email: str
    user_id: int | None
    password_hash: str | None


#: the email column's length: no account's address is longer, and a failure must still be stored
EMAIL_MAX = 254


def find_login(email: str, address: str, now: datetime) -> LoginCandidate:
    """Read the account and the recent failures; LoginRefused (429) when over the limit."""
    email = normalise_email(email)[:EMAIL_MAX]
    limit = current_app.config["LOGIN_MAX_ATTEMPTS"]
    by_account, by_address = _recent_failures(email, address, now)
    # An address may try several accounts (a shared exam room), so it gets a larger budget.
    if by_account >= limit or by_address >= limit * 5:
        raise LoginRefused(
            "Too many failed sign-ins. Wait 15 minutes or ask the coordinator to reset your "
            "password.",
            status=429,
        )
    row = db.session.execute(
        select(User.id, User.password_hash).where(User.email == email, User.is_active)
    ).first()
    return LoginCandidate(email, row[0], row[1]) if row else LoginCandidate(email, None, None)


def complete_login(candidate: LoginCandidate, password: str, address: str, now: datetime) -> User:
    """Check the password, then record the failure or clear the failures (flushes only)."""
    if candidate.password_hash is None:
        dummy_check(password)
    elif check_password(candidate.password_hash, password):
        user = db.session.get(User, candidate.user_id)
        if needs_rehash(user.password_hash):  # cost settings changed since it was stored
            user.password_hash = hash_password(password)
        db.session.execute(delete(LoginFailure).where(LoginFailure.email == candidate.email))
        return user
    db.session.add(LoginFailure(email=candidate.email, address=address, at=now))
    db.session.flush()
    raise LoginRefused(WRONG_CREDENTIALS)


def authenticate(email: str, password: str, address: str, now: datetime) -> User:
    """The user for these credentials, or LoginRefused; failures count toward the rate limit."""
    return complete_login(find_login(email, address, now), password, address, now)


def end_all_sessions(user: User) -> None:
    """Invalidate every session cookie of the user (all browsers, all devices)."""
    user.session_version += 1
    db.session.flush()


def change_password(user: User, current: str, new: str, confirm: str) -> None:
    """Set a new password after checking the current one; ends every other session."""
    if not check_password(user.password_hash, current):
        raise ValueError("The current password is not right.")
    if new != confirm:
        raise ValueError("The new password and its confirmation differ.")
    problem = password_problem(new)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(new)
    end_all_sessions(user)
    audit.record("user.password_changed", user, actor=user)


def load_user(session_id: str) -> User | None:
    """The user for a session id "user_id:version", or None when the version is stale."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def prune_login_failures(now: datetime) -> None:
    """Forget failures older than the window (called from the sweep)."""
    since = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    db.session.execute(delete(LoginFailure).where(or_(LoginFailure.at < since)))


def unlock_account(user: User, actor: User | None, now: datetime) -> None:
    """Clear the account's sign-in failure counters so it may sign in at once (audited)."""
    result = db.session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    audit.record("user.unlocked", user, actor=actor, now=now, failures=result.rowcount or 0)


def failure_count(user: User, now: datetime) -> int:
    """Failed sign-ins that count against the account now."""
    since = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    stmt = select(func.count()).where(LoginFailure.email == user.email, LoginFailure.at >= since)
    return db.session.scalar(stmt) or 0
