"""Creating accounts one by one or a cohort from CSV, with per-row errors."""

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy import select

from app import audit
from app.auth.passwords import hash_password, password_problem
from app.auth.services import normalise_email
from app.codes import ROLES, TRACKS
from app.extensions import db
from app.models import Approval, User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CSV_COLUMNS = ("email", "name", "role", "tracks", "password")


@dataclass
class NewAccount:
    email: str
    name: str
    role: str
    password: str
    tracks: tuple[str, ...] = ()


def account_problems(account: NewAccount) -> list[str]:
    """What is wrong with one new account, in words for the person importing it."""
    problems = []
    if len(account.email) > 254:
        problems.append("email is longer than 254 characters")
    elif not EMAIL_PATTERN.match(account.email):
        problems.append(f"email {account.email!r} is not a valid address")
    if not account.name.strip():
        problems.append("name is empty")
    if account.role not in ROLES:
        problems.append(f"role {account.role!r} is unknown; use one of {', '.join(ROLES)}")
    problems += [f"track {t!r} is unknown" for t in account.tracks if t not in TRACKS]
    if account.tracks and account.role != "candidate":
        problems.append("only candidates are approved for tracks")
    if problem := password_problem(account.password):
        problems.append(problem)
    return problems


def _existing_emails(emails: list[str]) -> set[str]:
    return set(db.session.scalars(select(User.email).where(User.email.in_(emails))))


def create_user(account: NewAccount, actor=None) -> User:
    """Create one account (flushes); ValueError naming every problem."""
    account.email = normalise_email(account.email)
    problems = account_problems(account)
    if _existing_emails([account.email]):
        problems.append(f"an account with email {account.email} already exists")
    if problems:
        raise ValueError("; ".join(problems))
    user = User(
        email=account.email,
        name=account.name.strip(),
        role=account.role,
        password_hash=hash_password(account.password),
    )
    user.approvals = [Approval(track=t) for t in account.tracks]
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", user, actor=actor, role=user.role, tracks=list(account.tracks))
    return user


def _row_account(row: dict) -> NewAccount:
    tracks = tuple(
        t.strip() for t in (row.get("tracks") or "").replace(";", " ").split() if t.strip()
    )
    return NewAccount(
        email=normalise_email(row.get("email") or ""),
        name=(row.get("name") or "").strip(),
        role=(row.get("role") or "candidate").strip(),
        password=row.get("password") or "",
        tracks=tracks,
    )


def read_accounts_csv(text: str) -> tuple[list[NewAccount], list[str]]:
    """Accounts from CSV text and every problem as 'row N: ...' (row 1 is the header)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("email", "name", "password") if c not in (reader.fieldnames or [])]
    if missing:
        return [], [
            f"row 1: missing column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}"
        ]
    accounts, problems, seen = [], [], {}
    for n, row in enumerate(reader, start=2):
        account = _row_account(row)
        problems += [f"row {n}: {p}" for p in account_problems(account)]
        if account.email in seen:
            problems.append(f"row {n}: email {account.email} repeats row {seen[account.email]}")
        seen.setdefault(account.email, n)
        accounts.append(account)
    taken = _existing_emails([a.email for a in accounts])
    problems += [f"row {seen[e]}: an account with email {e} already exists" for e in sorted(taken)]
    return accounts, problems


def import_accounts(text: str, actor=None) -> list[User]:
    """Create every account of a CSV, or none: ValueError listing every row's problems."""
    accounts, problems = read_accounts_csv(text)
    if problems:
        raise ValueError("\n".join(problems))
    return [create_user(a, actor=actor) for a in accounts]
