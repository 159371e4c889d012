"""Single-use links to set a password: invitations and resets. Only a sha256 of each is kept."""

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from app import audit
from app.auth.passwords import hash_password, password_problem
from app.auth.services import (
    ADDRESS_MAX,
    LoginRefused,
    aware,
    end_all_sessions,
    normalise_email,
    unlock_account,
    wait_text,
)
from app.extensions import db
from app.mail import notices
from app.models import AccountToken, ResetRequest, User

INVALID_LINK = (
    "This link does not work any more: it was used already, it expired, or a newer one was "
    "sent. Ask for a new link below."
)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(purpose: str) -> timedelta:
    config = current_app.config
    if purpose == "invite":
        return timedelta(days=config["INVITE_EXPIRY_DAYS"])
    return timedelta(minutes=config["RESET_EXPIRY_MINUTES"])


def issue_token(user: User, purpose: str, now: datetime) -> str:
    """A new link token for the user; earlier unused ones of the same purpose stop working."""
    db.session.execute(
        delete(AccountToken).where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(token),
            created_at=now,
            expires_at=now + _lifetime(purpose),
        )
    )
    db.session.flush()
    return token


def send_invitation(user: User, actor: User | None, now: datetime) -> None:
    """Queue an invitation with a fresh single-use link (audited)."""
    notices.invitation(user, issue_token(user, "invite", now), now)
    audit.record("user.invited", user, actor=actor, now=now)


#: a second reset email to the same account within this span is not sent (no inbox flooding)
RESET_INTERVAL = timedelta(minutes=1)


def _recently_reset(user: User, now: datetime) -> bool:
    recent = select(AccountToken.id).where(
        AccountToken.user_id == user.id,
        AccountToken.purpose == "reset",
        AccountToken.created_at > now - RESET_INTERVAL,
    )
    return db.session.scalar(recent.limit(1)) is not None


def reset_wait(address: str, now: datetime) -> float:
    """Seconds this address must wait after RESET_ADDRESS_REQUESTS requests within
    RESET_ADDRESS_WINDOW_SECONDS: until the oldest of the latest ones leaves the window."""
    config = current_app.config
    window = timedelta(seconds=config["RESET_ADDRESS_WINDOW_SECONDS"])
    boundary = db.session.scalar(
        select(ResetRequest.at)
        .where(ResetRequest.address == address, ResetRequest.at >= now - window)
        .order_by(ResetRequest.at.desc())
        .offset(config["RESET_ADDRESS_REQUESTS"] - 1)
        .limit(1)
    )
    if boundary is None:
        return 0.0
    return max(0.0, (aware(boundary) + window - now).total_seconds())


def request_reset(email: str, address: str, now: datetime) -> None:
    """Queue a reset link when an active account has this email; silent otherwise. Refused
    (LoginRefused, 429) before the email is looked at while the address is over its limit."""
    address = address[:ADDRESS_MAX]
    if wait := reset_wait(address, now):
        raise LoginRefused(
            "Too many requests for a new password from this network. Wait "
            f"{wait_text(wait)} and try again, or ask the coordinator.",
            status=429,
            wait=wait,
        )
    # every request counts, known email or not, so the limit tells nothing about accounts
    db.session.add(ResetRequest(address=address, at=now))
    user = db.session.scalar(
        select(User).where(User.email == normalise_email(email)[:254], User.is_active)
    )
    if user is None or _recently_reset(user, now):
        return
    notices.password_reset(user, issue_token(user, "reset", now), now)
    audit.record("user.password_reset_requested", user, now=now)


def valid_token(token: str, now: datetime) -> AccountToken | None:
    """The unused, unexpired token of an active account, or None."""
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(select(AccountToken).where(AccountToken.token_hash == _digest(token)))
    if found is None or found.used_at is not None or now >= found.expires_at:
        return None
    return found if found.user.is_active else None


def use_token(token: str, new: str, confirm: str, now: datetime) -> User:
    """Set the password from a link: single use, ends every session, clears sign-in limits."""
    found = valid_token(token, now)
    if found is None:
        raise LookupError(INVALID_LINK)
    if new != confirm:
        raise ValueError("The password and its confirmation differ.")
    if problem := password_problem(new):
        raise ValueError(problem)
    user = found.user
    found.used_at = now
    user.password_hash = hash_password(new)
    db.session.flush()
    db.session.execute(  # every other link of the account dies with this one
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
    )
    end_all_sessions(user)
    unlock_account(user, None, now)
    audit.record("user.password_set", user, actor=user, now=now, link=found.purpose)
    return user


def prune_reset_requests(now: datetime) -> None:
    """Forget reset requests that no longer count toward an address's limit (from the sweep)."""
    keep = timedelta(seconds=current_app.config["RESET_ADDRESS_WINDOW_SECONDS"])
    db.session.execute(delete(ResetRequest).where(ResetRequest.at < now - keep))
