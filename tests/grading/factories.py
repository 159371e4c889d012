"""Part Two data built straight in the database: a rubric, a form, sittings, closed attempts."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from app.extensions import db
from app.grading import services
from app.models import (
    Answer,
    Attempt,
    ExamWindow,
    Form,
    GraderProfile,
    Rubric,
    Seat,
    Sitting,
    Vignette,
)
from tests.factories import make_rubric, make_vignette_form

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LEVELS = [
    {"score": 1, "label": "Not yet evident", "descriptor": "Nothing of it shows."},
    {"score": 2, "label": "Emerging", "descriptor": "Some of it shows."},
    {"score": 3, "label": "Meets", "descriptor": "It shows clearly."},
    {"score": 4, "label": "Exceeds", "descriptor": "It shows with depth."},
]
CRITERIA = [
    {
        "code": code,
        "domain": code,
        "label": label,
        "guidance": f"Look for {label.lower()}.",
        "levels": LEVELS,
    }
    for code, label in (
        ("REFL", "Reflection"),
        ("THINK", "Thinking"),
        ("WWO", "Working with others"),
    )
]
PASS_RULE = {"kind": "total_and_floor", "min_total_percent": 75, "min_level": 2}


def rubric(criteria=None, pass_rule=None) -> Rubric:
    found = db.session.query(Rubric).filter_by(key="R-TEST").first()
    if found is not None:
        return found
    made = make_rubric(
        "R-TEST", criteria or CRITERIA, pass_rule or PASS_RULE, {"kind": "adjacent_mean"}
    )
    db.session.add(made)
    return made


def part_two_form(answer_count: int = 2) -> Form:
    found = db.session.query(Form).filter_by(code="P2-TEST").first()
    if found is not None:
        return found
    vignettes = [
        Vignette(
            key=f"V-TEST-{n}",
            version=1,
            title=f"Vignette number {n}",
            tracks=["IMH-SPECIALIST"],
            kind="clinical",
            text=f"A family scenario, part {n}.",
            prompt="What would you do, and why?",
            content_hash=f"{n}" * 64,
        )
        for n in range(1, 4)
    ]
    form = make_vignette_form("P2-TEST", rubric(), vignettes, answer_count)
    db.session.add(form)
    db.session.flush()
    return form


def sitting(name: str = "Test sitting", starts_at: datetime = NOW - timedelta(hours=3)) -> Sitting:
    window = db.session.query(ExamWindow).first() or ExamWindow(
        name="Test window", opens_on=date(2026, 11, 1), closes_on=date(2027, 1, 31)
    )
    made = Sitting(
        window=window, name=name, starts_at=starts_at, ends_at=starts_at + timedelta(hours=5)
    )
    db.session.add(made)
    db.session.flush()
    return made


def closed_attempt(
    candidate_id: int, where: Sitting, texts: list[str], now: datetime = NOW
) -> Attempt:
    """A submitted Part Two attempt with the given essays on the first len(texts) vignettes."""
    form = part_two_form()
    seat = Seat(sitting=where, candidate_id=candidate_id, track="IMH-SPECIALIST", admitted_at=now)
    db.session.add(seat)
    started = now - timedelta(minutes=100)
    attempt = Attempt(
        seat=seat,
        part="VIGNETTE",
        form=form,
        started_at=started,
        deadline_at=started + timedelta(minutes=90),
        submitted_at=started + timedelta(minutes=80),
        submit_reason="candidate",
    )
    for vignette, text in zip(form.vignettes, texts, strict=False):
        attempt.answers.append(Answer(vignette_id=vignette.id, value=text, chosen=True))
    db.session.add(attempt)
    db.session.flush()
    return attempt


def grader_ready(user_id: int, capacity: int = 50, now: datetime = NOW) -> GraderProfile:
    """A grader who declared conflicts and is calibrated."""
    profile = db.session.query(GraderProfile).filter_by(user_id=user_id).first()
    if profile is None:
        profile = GraderProfile(user_id=user_id, capacity=capacity)
        db.session.add(profile)
    profile.capacity, profile.calibrated_at, profile.conflicts_declared_at = capacity, now, now
    db.session.flush()
    return profile


@dataclass
class World:
    """Ids and codes of a small grading world (read them back inside an app context)."""

    graders: list = field(default_factory=list)
    lead: object = None
    candidates: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    sitting_id: int = 0


def build_world(app, create_user_, candidates: list[tuple[str, str]], graders: int = 3) -> World:
    """Graders (ready), a lead grader, and candidates who each answered two vignettes."""
    world = World()
    world.graders = [create_user_("grader", name=f"Grader Person {n}") for n in range(graders)]
    world.lead = create_user_("lead_grader", name="Lead Person")
    world.candidates = [create_user_("candidate", email=e, name=n) for n, e in candidates]
    with app.app_context():
        where = sitting()
        world.sitting_id = where.id
        for user in world.graders:
            grader_ready(user.id)
        grader_ready(world.lead.id, capacity=0)  # the lead adjudicates; no live readings
        for user in world.candidates:
            attempt = closed_attempt(
                user.id,
                where,
                [
                    "My answer <script>alert(1)</script> on the first vignette.",
                    "Second answer & more.",
                ],
            )
            services.create_responses(attempt, NOW)
            world.attempts.append(attempt.id)
        db.session.commit()
    return world
