"""Shared helpers for the security tests: a whole-database fingerprint and a demo-like world
(the `demo` command's data plus attempts, responses, a reading, an incident and a conflict)."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select

from app.extensions import db
from app.models import Base, Seat, Sitting, User
from tests.conftest import csrf_from, sign_in

DEMO_PASSWORD = "endorse-demo"
CLIENT_TOKEN = re.compile(r'data-client="([^"]+)"')


def fingerprint(app) -> dict[str, tuple[int, str]]:
    """Per table (the audit log included): its row count and a digest of every row's values.

    Counts alone would miss an UPDATE; the digest catches any change to any column."""
    out = {}
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            count = db.session.scalar(select(func.count()).select_from(table))
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns))
            digest = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            out[table.name] = (count, digest)
        db.session.rollback()
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    """The tables whose count or contents differ, with the counts before -> after."""
    return [
        f"{name}: {before[name][0]} -> {after[name][0]} rows"
        + ("" if before[name][0] != after[name][0] else " (contents changed)")
        for name in before
        if before[name] != after[name]
    ]


@dataclass
class World:
    """Ids, codes and accounts of the demo-like world (every password is DEMO_PASSWORD)."""

    sitting_id: int = 0
    window_id: int = 0
    seat_ids: dict[str, int] = field(default_factory=dict)  # candidate email -> seat id
    #: candidate01's closed Part Two and Part One attempts; candidate02's open Part One
    closed_public_id: str = ""
    closed_mc_public_id: str = ""
    open_public_id: str = ""
    response_codes: list[str] = field(default_factory=list)
    #: the response code of grader1's allocated reading
    reading_code: str = ""
    grader_ids: dict[str, int] = field(default_factory=dict)
    conflict_id: int = 0
    incident_id: int = 0

    def url_args(self) -> dict[str, str]:
        """Real values for every URL argument name the app's routes use."""
        return {
            "seat_id": str(self.seat_ids["candidate01@demo.example"]),
            "sitting_id": str(self.sitting_id),
            "window_id": str(self.window_id),
            "part": "MC",
            "public_id": self.open_public_id,
            "code": self.reading_code or (self.response_codes or ["nocode"])[0],
            "user_id": str(self.grader_ids.get("grader1@demo.example", 1)),
            "conflict_id": str(self.conflict_id or 1),
            "filename": "css/app.css",
        }


def _start(seat_id: int, part: str, now: datetime):
    from app.exam import services

    attempt = services.start_attempt(db.session.get(Seat, seat_id), part, now)
    services.claim_client(attempt)
    return attempt


def _closed_part_two(seat_id: int, essay: str, now: datetime):
    """candidate01: Part One submitted, Part Two answered (essays) and submitted."""
    from app.exam import services

    mc = _start(seat_id, "MC", now)
    first = mc.item_order[0]
    services.save_choice(mc, first, mc.option_order[str(first)][0], False, 1, mc.client_token, now)
    services.finalise(mc, now, "candidate")
    attempt = _start(seat_id, "VIGNETTE", now)
    for seq, vignette in enumerate(attempt.form.vignettes[: attempt.form.answer_count], 1):
        services.save_essay(attempt, vignette.id, essay, True, seq, attempt.client_token, now)
    services.finalise(attempt, now, "candidate")
    return mc, attempt


def _ready_grader(user: User, now: datetime) -> None:
    from app.grading import graders as grading

    profile = grading.ensure_profile(user)
    profile.calibrated_at = profile.conflicts_declared_at = now
    current = grading.open_round()
    profile.declared_round_id = current.id if current is not None else None
    profile.capacity = max(profile.capacity, 5)
    db.session.flush()


def build_world(app, runner, essay: str = "An essay about the family's first visit.") -> World:
    """Run the `demo` command, then add attempts, responses, a reading, an incident, a conflict."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, (result.output, result.exception)
    from app import audit
    from app.grading import queue as grading
    from app.models import Conflict, ExamWindow, Incident, Response

    world = World()
    now = datetime.now(UTC)
    with app.app_context():
        # the live sitting of the demo (it also makes an earlier one, already graded in part)
        sitting = db.session.scalar(
            select(Sitting).join(Seat).join(User).where(User.email == "candidate01@demo.example")
        )
        world.sitting_id, world.window_id = sitting.id, sitting.window_id
        assert db.session.get(ExamWindow, sitting.window_id) is not None
        world.seat_ids = {s.candidate.email: s.id for s in sitting.seats}
        mc, closed = _closed_part_two(world.seat_ids["candidate01@demo.example"], essay, now)
        world.closed_public_id, world.closed_mc_public_id = closed.public_id, mc.public_id
        world.open_public_id = _start(
            world.seat_ids["candidate02@demo.example"], "MC", now
        ).public_id
        graders = db.session.scalars(select(User).where(User.role.in_(("grader", "lead_grader"))))
        world.grader_ids = {g.email: g.id for g in graders}
        grader1 = db.session.get(User, world.grader_ids["grader1@demo.example"])
        _ready_grader(grader1, now)
        reading = grading.next_response(grader1, now).reading
        world.reading_code = reading.response.code if reading else ""
        world.response_codes = list(
            db.session.scalars(select(Response.code).where(Response.attempt_id == closed.id))
        )
        candidate03 = db.session.scalar(select(User).where(User.email.like("candidate03@%")))
        conflict = Conflict(
            grader_id=world.grader_ids["grader3@demo.example"],
            candidate_id=candidate03.id,
            declared_by_id=world.grader_ids["grader3@demo.example"],
            source="grader",
            declared_at=now,
        )
        incident = Incident(
            sitting_id=sitting.id,
            author_id=sitting.proctor_id,
            category="technical",
            note="Projector flickered",
            at=now,
        )
        db.session.add_all([conflict, incident])
        db.session.flush()
        audit.record("proctor.incident", incident, actor=sitting.proctor_id, now=now)
        world.conflict_id, world.incident_id = conflict.id, incident.id
        db.session.commit()
    return world


def demo_client(app, email: str):
    """A test client signed in as a demo account."""
    client = app.test_client()
    response = sign_in(client, email, DEMO_PASSWORD)
    assert response.status_code == 302, (email, response.status_code)
    return client


def token_of(client, url: str | None = None) -> str:
    """The session's CSRF token, read from a page the client may open (any signed-in user may
    open the password page)."""
    return csrf_from(client.get(url or "/account/password").get_data(as_text=True))
