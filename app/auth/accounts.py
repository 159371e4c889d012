"""Creating accounts one by one or a cohort from CSV, with per-row errors.

New accounts are invited by default: no password is stored until the person chooses one from
the emailed link. Scripted set-ups without mail may still give passwords (`--with-passwords`)."""

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
CSV_COLUMNS = ("email", "name", "role", "tracks")
#: the password hash of an invited account that has not chosen a password: matches nothing
UNUSABLE_PASSWORD = "!invited"  # noqa: S105 - a marker, not a password
TRACK_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass
class NewAccount:
    email: str
    name: str
    role: str
    #: None: invited, the person chooses a password from the emailed link
    password: str | None = None
    tracks: tuple[str, ...] = ()


def account_problems(account: NewAccount) -> list[str]:
    """What is wrong with one new account, as 'field: problem' for the person importing it."""
    problems = []
    if len(account.email) > 254:
        problems.append("email: longer than 254 characters")
    elif not EMAIL_PATTERN.match(account.email):
        problems.append(f"email: {account.email!r} is not a valid address")
    if not account.name.strip():
        problems.append("name: is empty")
    elif len(account.name.strip()) > 200:
        problems.append("name: longer than 200 characters")
    if account.role not in ROLES:
        problems.append(f"role: {account.role!r} is unknown; use one of {', '.join(ROLES)}")
    problems += [f"tracks: {t!r} is unknown" for t in account.tracks if t not in TRACKS]
    if account.tracks and account.role != "candidate":
        problems.append("tracks: only candidates are approved for tracks")
    if account.password is not None and (problem := password_problem(account.password)):
        problems.append(f"password: {problem}")
    return problems


def _existing_emails(emails: list[str]) -> set[str]:
    return set(db.session.scalars(select(User.email).where(User.email.in_(emails))))


def create_user(account: NewAccount, actor=None) -> User:
    """Create one account (flushes); ValueError naming every problem."""
    account.email = normalise_email(account.email)
    problems = account_problems(account)
    if _existing_emails([account.email]):
        problems.append(f"email: an account with email {account.email} already exists")
    if problems:
        raise ValueError("; ".join(problems))
    invited = account.password is None
    user = User(
        email=account.email,
        name=account.name.strip(),
        role=account.role,
        password_hash=UNUSABLE_PASSWORD if invited else hash_password(account.password),
    )
    user.approvals = [Approval(track=t) for t in account.tracks]
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        user,
        actor=actor,
        role=user.role,
        tracks=list(account.tracks),
        invited=invited,
    )
    return user


def has_password(user: User) -> bool:
    """False for an invited account whose person has not chosen a password yet."""
    return user.password_hash != UNUSABLE_PASSWORD


def parse_tracks(raw: str) -> tuple[str, ...]:
    return tuple(t for t in TRACK_SEPARATORS.split(raw.strip()) if t)


def _row_account(row: dict, with_passwords: bool) -> NewAccount:
    return NewAccount(
        email=normalise_email(row.get("email") or ""),
        name=(row.get("name") or "").strip(),
        role=(row.get("role") or "candidate").strip() or "candidate",
        password=(row.get("password") or "") if with_passwords else None,
        tracks=parse_tracks(row.get("tracks") or ""),
    )


def _reader(text: str) -> csv.DictReader:
    text = text.removeprefix("\ufeff")  # spreadsheets save a byte-order mark
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    reader.fieldnames = [(f or "").strip().lower() for f in (reader.fieldnames or [])]
    return reader


def _header_problems(fields: list[str], with_passwords: bool) -> list[str]:
    needed = ("email", "name", "password") if with_passwords else ("email", "name")
    expected = ", ".join(CSV_COLUMNS + (("password",) if with_passwords else ()))
    if missing := [c for c in needed if c not in fields]:
        return [f"row 1: columns: missing {', '.join(missing)}; expected {expected}"]
    if "password" in fields and not with_passwords:
        return [
            "row 1: password: this file has a password column; remove it: each person "
            "chooses a password from the emailed invitation"
        ]
    return []


def read_accounts_csv(
    text: str, with_passwords: bool = False
) -> tuple[list[NewAccount], list[str]]:
    """Accounts from CSV text (comma or semicolon) and every problem as 'row N: field: ...'."""
    reader = _reader(text)
    if problems := _header_problems(reader.fieldnames, with_passwords):
        return [], problems
    accounts, problems, seen = [], [], {}
    for n, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line at the end of a spreadsheet export
        account = _row_account(row, with_passwords)
        problems += [f"row {n}: {p}" for p in account_problems(account)]
        if account.email in seen:
            problems.append(f"row {n}: email: {account.email} repeats row {seen[account.email]}")
        seen.setdefault(account.email, n)
        accounts.append(account)
    if not accounts and not problems:
        problems.append("row 2: the file has no accounts")
    taken = _existing_emails([a.email for a in accounts])
    problems += [
        f"row {seen[e]}: email: an account with email {e} already exists" for e in sorted(taken)
    ]
    return accounts, problems


def import_accounts(text: str, actor=None, with_passwords: bool = False) -> list[User]:
    """Create every account of a CSV, or none: ValueError listing every row's problems."""
    accounts, problems = read_accounts_csv(text, with_passwords)
    if problems:
        raise ValueError("\n".join(problems))
    return [create_user(a, actor=actor) for a in accounts]
