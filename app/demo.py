"""Demo data: sample accounts across the eight tracks, the sample bank and a live sitting."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.auth.accounts import NewAccount, create_user
from app.bank.importer import import_bank
from app.bank.loader import read_bank
from app.codes import TRACKS
from app.coordinator.windows import window_bounds, window_name
from app.demo_grading import EARLIER_CANDIDATES, ensure_graded_examples
from app.extensions import db
from app.localtime import to_local
from app.models import ExamWindow, Form, Seat, Sitting, SittingForm, User

DEMO_PASSWORD = "endorse-demo"  # noqa: S105 - published demo password, printed by the command
WAITING_SEATS = 2
SAMPLE_BANK = Path(__file__).resolve().parent.parent / "question_bank"
CANDIDATE_NAMES = [
    "Avery Lindqvist",
    "Blake Okafor",
    "Carmen Ruiz",
    "Dana Whitfield",
    "Eli Nakamura",
    "Farah Haddad",
    "Gus Petrov",
    "Hana Mensah",
    "Ivy Castellano",
    "Jonah Reyes",
    "Kiri Walker",
    "Lena Fischer",
]


@dataclass
class DemoAccount:
    email: str
    name: str
    role: str
    track: str = ""


def demo_accounts() -> list[DemoAccount]:
    """Staff, a dozen candidates cycling through the eight tracks, and four who sat yesterday."""
    staff = [
        DemoAccount("coordinator@demo.example", "Casey Morgan", "coordinator"),
        DemoAccount("proctor@demo.example", "Pat Alvarez", "proctor"),
        DemoAccount("grader1@demo.example", "Gale Thompson", "grader"),
        DemoAccount("grader2@demo.example", "Robin Asante", "grader"),
        DemoAccount("grader3@demo.example", "Sam Kowalski", "grader"),
        DemoAccount("lead@demo.example", "Lee Oduya", "lead_grader"),
    ]
    candidates = [
        DemoAccount(
            f"candidate{n:02d}@demo.example", name, "candidate", TRACKS[(n - 1) % len(TRACKS)]
        )
        for n, name in enumerate(CANDIDATE_NAMES, 1)
    ]
    candidates += [
        DemoAccount(e, name, "candidate", track) for e, name, track in EARLIER_CANDIDATES
    ]
    return staff + candidates


#: every demo account's email ends so; any other account means a real database
DEMO_DOMAIN = "@demo.example"


def real_accounts() -> list[str]:
    """Emails of accounts that are not demo accounts (at most three, for the message)."""
    return list(
        db.session.scalars(
            select(User.email)
            .where(User.email.not_like(f"%{DEMO_DOMAIN}"))
            .order_by(User.id)
            .limit(3)
        )
    )


def _ensure_user(account: DemoAccount) -> User:
    user = db.session.scalar(select(User).where(User.email == account.email))
    if user is None:
        tracks = (account.track,) if account.track else ()
        user = create_user(
            NewAccount(account.email, account.name, account.role, DEMO_PASSWORD, tracks)
        )
    return user


def _ensure_window(now: datetime) -> ExamWindow:
    opens, closes = window_bounds(to_local(now).date(), current_app.config["WINDOW_DEADLINES"])
    window = db.session.scalar(select(ExamWindow).where(ExamWindow.opens_on == opens))
    if window is None:
        window = ExamWindow(name=window_name(opens, closes), opens_on=opens, closes_on=closes)
        db.session.add(window)
        db.session.flush()
    return window


def _latest_codes() -> list[str]:
    return sorted(set(db.session.scalars(select(Form.code).where(Form.is_sample.is_(True)))))


def _ensure_live_sitting(now: datetime, proctor: User, candidates: list[User]) -> Sitting:
    name = f"Demo sitting {to_local(now):%Y-%m-%d}"
    sitting = db.session.scalar(select(Sitting).where(Sitting.name == name))
    if sitting is None:
        codes, window = _latest_codes(), _ensure_window(now)
        sitting = Sitting(
            window=window,
            name=name,
            starts_at=now,
            ends_at=now + timedelta(hours=5),
            proctor=proctor,
            mode="scheduled",
        )
        sitting.forms = [SittingForm(form_code=code) for code in codes]
        db.session.add(sitting)
        db.session.flush()
    seated = {s.candidate_id for s in sitting.seats}
    for n, user in enumerate(candidates, 1):
        if user.id not in seated:
            # most seats start admitted; the last ones wait for the proctor to admit them
            admitted = now if n <= len(candidates) - WAITING_SEATS else None
            seat = Seat(sitting=sitting, candidate=user, track=user.approved_tracks[0])
            seat.admitted_at = admitted
            db.session.add(seat)
    db.session.flush()
    return sitting


def load_demo(now: datetime) -> tuple[list[DemoAccount], Sitting]:
    """Create (idempotently) the demo accounts, the sample bank and a sitting starting now."""
    content = read_bank(SAMPLE_BANK)
    import_bank(content)
    accounts = demo_accounts()
    users = {a.email: _ensure_user(a) for a in accounts}
    earlier = {email for email, _, _ in EARLIER_CANDIDATES}
    candidates = [users[a.email] for a in accounts if a.role == "candidate"]
    proctor = users["proctor@demo.example"]
    sitting = _ensure_live_sitting(now, proctor, [c for c in candidates if c.email not in earlier])
    ensure_graded_examples(
        now, sitting.window, proctor, [c for c in candidates if c.email in earlier], _latest_codes()
    )
    return accounts, sitting
