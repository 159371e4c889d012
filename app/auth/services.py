"""Account services: authenticate with rate limiting, change passwords, end sessions."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

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

    def __init__(self, message: str, status: int = 401, wait: float = 0.0):
        super().__init__(message)
        self.message = message
        self.status = status
        #: seconds until a retry may succeed (sent as Retry-After), when known
        self.wait = wait


WRONG_CREDENTIALS = "That email and password do not match an account."


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class LoginCandidate:
    """What a sign-in needs from the database, read before the (slow) password check."""

    email: str
    user_id: int | None
    password_hash: str | None


#: the email column's length: no account's address is longer, and a failure must still be stored
EMAIL_MAX = 254
#: the address column's length (an IPv6 address with a zone fits)
ADDRESS_MAX = 64


def aware(value: datetime) -> datetime:
    # an aggregate over the column may come back naive from SQLite; it is UTC either way
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def wait_text(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def account_wait(email: str, address: str, now: datetime) -> float:
    """Seconds this account must wait at this address: none for the first LOGIN_FREE_FAILURES
    failures, then LOGIN_FIRST_WAIT_SECONDS after the last one, doubling with each failure."""
    config = current_app.config
    since = now - timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    count, last = db.session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(
            LoginFailure.email == email, LoginFailure.address == address, LoginFailure.at >= since
        )
    ).one()
    extra = count - config["LOGIN_FREE_FAILURES"]
    if extra < 0:
        return 0.0
    wait = config["LOGIN_FIRST_WAIT_SECONDS"] * 2 ** min(extra, 30)
    wait = min(wait, config["LOGIN_MAX_WAIT_SECONDS"])
    return max(0.0, (aware(last) + timedelta(seconds=wait) - now).total_seconds())


def address_wait(address: str, now: datetime) -> float:
    """Seconds this address must wait after failing on LOGIN_ADDRESS_ACCOUNTS distinct accounts
    within LOGIN_ADDRESS_WINDOW_SECONDS (credential stuffing): until the count drops below."""
    config = current_app.config
    window = timedelta(seconds=config["LOGIN_ADDRESS_WINDOW_SECONDS"])
    latest = func.max(LoginFailure.at)
    # each account's latest failure, newest first: the limit-th one leaves the window last
    boundary = db.session.scalar(
        select(latest)
        .where(LoginFailure.address == address, LoginFailure.at >= now - window)
        .group_by(LoginFailure.email)
        .order_by(latest.desc())
        .offset(config["LOGIN_ADDRESS_ACCOUNTS"] - 1)
        .limit(1)
    )
    if boundary is None:
        return 0.0
    return max(0.0, (aware(boundary) + window - now).total_seconds())


def find_login(email: str, address: str, now: datetime) -> LoginCandidate:
    """Read the account and its waits; LoginRefused (429) saying how long while one runs."""
    email = normalise_email(email)[:EMAIL_MAX]
    address = address[:ADDRESS_MAX]
    if wait := account_wait(email, address, now):
        raise LoginRefused(
            f"Too many failed sign-ins for this account from here. Wait {wait_text(wait)} and "
            "try again, or ask the coordinator to unlock your account.",
            status=429,
        )
    if wait := address_wait(address, now):
        raise LoginRefused(
            "Too many failed sign-ins on different accounts from this network. Wait "
            f"{wait_text(wait)} and try again, or ask the coordinator.",
            status=429,
        )
    row = db.session.execute(
        select(User.id, User.password_hash).where(User.email == email, User.is_active)
    ).first()
    return LoginCandidate(email, row[0], row[1]) if row else LoginCandidate(email, None, None)


def complete_login(candidate: LoginCandidate, password: str, address: str, now: datetime) -> User:
    """Check the password, then record the failure or clear this address's failures of the
    account (flushes only)."""
    address = address[:ADDRESS_MAX]
    if candidate.password_hash is None:
        dummy_check(password)
    elif check_password(candidate.password_hash, password):
        user = db.session.get(User, candidate.user_id)
        if needs_rehash(user.password_hash):  # cost settings changed since it was stored
            user.password_hash = hash_password(password)
        # Only this pair: the owner's success must not reset a guesser's wait elsewhere.
        db.session.execute(
            delete(LoginFailure).where(
                LoginFailure.email == candidate.email, LoginFailure.address == address
            )
        )
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
    """Forget failures that no longer count toward any wait (called from the sweep)."""
    config = current_app.config
    keep = max(config["LOGIN_WINDOW_SECONDS"], config["LOGIN_ADDRESS_WINDOW_SECONDS"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=keep)))


def find_user(email: str) -> User | None:
    """The account with this email (any case), active or not."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def unlock_account(user: User, actor: User | None, now: datetime) -> None:
    """Clear the account's failed sign-ins from every address (audited), so its owner can sign
    in at once; a coordinator's unlock and a password reset call this."""
    cleared = db.session.execute(delete(LoginFailure).where(LoginFailure.email == user.email))
    audit.record("user.unlocked", user, actor=actor, now=now, failures_cleared=cleared.rowcount)


def failure_count(user: User, now: datetime) -> int:
    """Failed sign-ins of the account (any address) that still count toward a wait."""
    since = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    stmt = select(func.count()).where(LoginFailure.email == user.email, LoginFailure.at >= since)
    return db.session.scalar(stmt) or 0
