"""Account changes made by the coordinator; services flush, the view commits. All audited."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import audit
from app.auth.accounts import (
    NewAccount,
    account_problems,
    create_user,
    import_accounts,
    parse_tracks,
)
from app.auth.services import end_all_sessions, normalise_email, unlock_account
from app.auth.tokens import send_invitation
from app.coordinator import scheduling_services
from app.coordinator.scheduling_input import Problem
from app.extensions import db
from app.models import User

PER_PAGE = 25


@dataclass
class PersonInput:
    name: str
    email: str
    role: str
    tracks: tuple[str, ...]


def person_input(form) -> PersonInput:
    """The person form's fields, trimmed (checked by the services)."""
    tracks = tuple(form.getlist("tracks")) or parse_tracks(form.get("tracks_text", ""))
    return PersonInput(
        name=(form.get("name") or "").strip(),
        email=normalise_email(form.get("email") or ""),
        role=(form.get("role") or "").strip(),
        tracks=tracks,
    )


def search(query: str, role: str, page: int):
    """People whose name or email contains the query, optionally of one role; paged."""
    stmt = select(User).options(selectinload(User.approvals)).order_by(User.name, User.email)
    if query:
        like = f"%{query.strip().lower()[:100]}%"
        stmt = stmt.where(or_(User.email.like(like), User.name.ilike(like)))
    if role:
        stmt = stmt.where(User.role == role)
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)


def create_person(data: PersonInput, actor: User, now: datetime) -> User:
    """A new account, invited by email to choose its password."""
    account = NewAccount(data.email, data.name, data.role, None, data.tracks)
    try:
        user = create_user(account, actor=actor)
    except ValueError as problems:
        raise Problem(str(problems)) from None
    send_invitation(user, actor, now)
    return user


def import_people(text: str, actor: User, now: datetime) -> list[User]:
    """Every account of a CSV or none; each new account is invited."""
    try:
        users = import_accounts(text, actor=actor)
    except ValueError as problems:
        raise Problem(str(problems)) from None
    for user in users:
        send_invitation(user, actor, now)
    audit.record("users.imported", "csv", actor=actor, now=now, count=len(users))
    return users


def _edit_problems(user: User, data: PersonInput, actor: User) -> list[str]:
    probe = NewAccount(data.email, data.name, data.role, None, data.tracks)
    problems = account_problems(probe)
    taken = select(User.id).where(User.email == data.email, User.id != user.id)
    if data.email and db.session.scalar(taken) is not None:
        problems.append(f"email: an account with email {data.email} already exists")
    if user.id == actor.id and data.role != user.role:
        problems.append("role: you cannot change your own role")
    return problems


def _change_tracks(user: User, tracks: tuple[str, ...], actor: User, now: datetime) -> None:
    # Through the approvals service: it refuses to withdraw a track a pending seat relies on.
    wanted, held = set(tracks), set(user.approved_tracks)
    for track in sorted(held - wanted):
        scheduling_services.withdraw(user.id, track, "People page", actor, now)
    for track in sorted(wanted - held):
        scheduling_services.approve(user.id, track, "People page", actor, now)


def update_person(user: User, data: PersonInput, actor: User, now: datetime) -> dict:
    """Change name, email, role and tracks; returns what changed (audited)."""
    if problems := _edit_problems(user, data, actor):
        raise Problem("; ".join(problems))
    if data.role != "candidate" and user.approved_tracks:
        _change_tracks(user, (), actor, now)
    changes = {
        field: [getattr(user, field), getattr(data, field)]
        for field in ("name", "email", "role")
        if getattr(user, field) != getattr(data, field)
    }
    for field, (_old, new) in changes.items():
        setattr(user, field, new)
    db.session.flush()
    if data.role == "candidate":
        _change_tracks(user, data.tracks, actor, now)
    if "email" in changes or "role" in changes:
        end_all_sessions(user)  # a session must not outlive the identity it was opened for
    if changes:
        audit.record("user.updated", user, actor=actor, now=now, changes=changes)
    return changes


def set_active(user: User, active: bool, actor: User, now: datetime) -> None:
    """Disable (cannot sign in, every session ends) or enable an account."""
    if user.id == actor.id:
        raise Problem("You cannot disable your own account.", 409)
    if user.is_active == active:
        raise Problem(f"The account is already {'enabled' if active else 'disabled'}.", 409)
    user.is_active = active
    if not active:
        end_all_sessions(user)
    audit.record("user.enabled" if active else "user.disabled", user, actor=actor, now=now)


def unlock(user: User, actor: User, now: datetime) -> None:
    """Clear the account's sign-in limits."""
    unlock_account(user, actor, now)


def reinvite(user: User, actor: User, now: datetime) -> None:
    """Send a fresh single-use link to choose a password (older links stop working)."""
    if not user.is_active:
        raise Problem("The account is disabled: enable it before sending a link.", 409)
    send_invitation(user, actor, now)
