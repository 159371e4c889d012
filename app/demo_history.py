"""Simulated past exam windows for the demo, so the coordinator's analytics have data.

`flask --app wsgi demo --history` adds, idempotently, the HISTORY_WINDOWS exam windows before
the current one, each with one closed sitting of synthetic candidates (history001@demo.example
...) across the eight tracks: a completed Part One attempt per seat, its answers and a released
Part One result. Candidates who fail come back in the next window (a retake). Answers follow a
three-parameter logistic model of ability, so item statistics behave as on a real test, and a
few items are built to be flagged: one too easy, one too hard, one that barely discriminates,
and one whose strongest candidates prefer a distractor (as a mis-keyed item would look).

Everything is seeded: the same `now` gives the same data. Rows are bulk-inserted and every
synthetic candidate shares one password hash (the demo password), so it runs in seconds.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
from flask import current_app
from sqlalchemy import insert, select

from app import audit
from app.auth.passwords import hash_password
from app.codes import TRACKS, track_endorsement
from app.coordinator.windows import window_bounds, window_name
from app.demo import DEMO_PASSWORD
from app.exam import scoring
from app.extensions import db
from app.localtime import association_zone, parse_local, to_local
from app.models import (
    Answer,
    Approval,
    Attempt,
    ExamWindow,
    Form,
    Result,
    Seat,
    Sitting,
    SittingForm,
    User,
)

HISTORY_WINDOWS = 4
CANDIDATES = 320
SEED = 20261124
EMAIL = "history{:03d}@demo.example"
SITTING_NAME = "Past sitting (simulated), {}"
PART_ONE_CODES = {"IMH": "IMH-P1-SAMPLE", "ECMH": "ECMH-P1-SAMPLE"}
#: most candidates are Specialists; the Mentor tracks are small, as in practice
TRACK_WEIGHTS = (0.24, 0.09, 0.05, 0.05, 0.29, 0.12, 0.08, 0.08)
RETAKE_SHARE = 0.7  #: of those who failed, how many sit again in the next window
RETAKE_GAIN = 0.4  #: ability gained by studying before a retake
GUESS = 0.2  #: lower asymptote: a guess among five-ish plausible options
#: item positions built to be flagged: far too easy, far too hard, flat (barely discriminates),
#: lure (the strongest candidates prefer a distractor, as a mis-keyed item would look)
SPECIAL_ITEMS = {4: "easy", 11: "hard", 17: "flat", 29: "lure"}
FIRST = (
    "Alex Bay Cam Dee Eden Fin Gray Hollis Indy Jules Kai Lane Mika Noor Oakley Parker Quinn "
    "Remy Sasha Tate"
)
LAST = (
    "Abara Brandt Costa Duval Ekwueme Farrow Gallo Holm Ivanova Jensen Kaur Lund Moreau Nwosu "
    "Ortiz Price Quist Rossi Sato Tran"
)


@dataclass
class HistorySummary:
    """What one run added (zero everywhere when the history was already there)."""

    windows: list[str] = field(default_factory=list)
    candidates: int = 0
    attempts: int = 0
    answers: int = 0

    def __str__(self) -> str:
        if not self.windows:
            return "already in place (nothing added)"
        return (
            f"{len(self.windows)} past window(s) ({', '.join(self.windows)}), "
            f"{self.candidates} new candidate(s), {self.attempts} attempt(s) with "
            f"{self.answers} answer(s) and released results"
        )


@dataclass(frozen=True)
class Pool:
    """The synthetic candidates: emails, names, tracks and abilities (fixed by the seed)."""

    emails: list[str]
    names: list[str]
    tracks: list[str]
    ability: np.ndarray


def load_history(now: datetime, seed: int = SEED) -> HistorySummary:
    """Add the simulated past windows that are not there yet (flushes; the caller commits)."""
    rng = np.random.default_rng(seed)
    pool, forms = _pool(rng), _part_one_forms()
    proctor = db.session.scalar(select(User).where(User.email == "proctor@demo.example"))
    summary = HistorySummary()
    user_ids = _ensure_candidates(pool, summary)
    sat_before: dict[int, int] = {}  # pool position -> attempts in earlier windows
    retakers: list[int] = []
    zone = association_zone()
    for position, (opens_on, closes_on) in enumerate(_past_windows(to_local(now).date())):
        # every window is simulated, present or not, so the random stream never depends on
        # what an earlier run already stored
        cohort = _first_timers(position) + retakers
        # 09:00 local on the window's middle day, whatever the association's zone
        starts_at = parse_local(opens_on + (closes_on - opens_on) / 2, time(9), zone)
        sitting = _simulate(pool, cohort, sat_before, forms, rng, starts_at)
        failed = [m for m in cohort if not sitting.scores[m].passed]
        retakers = [m for m in failed if rng.random() < RETAKE_SHARE]
        for member in cohort:
            sat_before[member] = sat_before.get(member, 0) + 1
        window = _ensure_window(opens_on, closes_on)
        if not _has_history(window):
            _insert_sitting(window, sitting, user_ids, proctor, now, summary)
    if summary.windows:
        audit.record("demo.history_loaded", "demo", now=now, summary=str(summary))
    return summary


def _pool(rng: np.random.Generator) -> Pool:
    names = [f"{first} {last}" for last in LAST.split() for first in FIRST.split()]
    order = rng.permutation(len(names))[:CANDIDATES]
    tracks = rng.choice(len(TRACKS), size=CANDIDATES, p=TRACK_WEIGHTS)
    return Pool(
        emails=[EMAIL.format(n) for n in range(1, CANDIDATES + 1)],
        names=[names[i] for i in order],
        tracks=[TRACKS[t] for t in tracks],
        ability=rng.normal(0.2, 0.9, CANDIDATES),
    )


def _part_one_forms() -> dict[str, Form]:
    """The newest sample Part One form of each endorsement."""
    forms = {}
    for endorsement, code in PART_ONE_CODES.items():
        stmt = select(Form).where(Form.code == code, Form.part == "MC")
        forms[endorsement] = db.session.scalar(stmt.order_by(Form.version.desc()).limit(1))
        if forms[endorsement] is None:
            raise RuntimeError(f"no Part One form {code}: import the sample bank first")
    return forms


def _ensure_candidates(pool: Pool, summary: HistorySummary) -> list[int]:
    """User ids of the pool, creating the missing accounts in bulk with one password hash."""
    existing = _ids_by_email(pool.emails)
    new = [i for i, email in enumerate(pool.emails) if email not in existing]
    if new:
        password_hash = hash_password(DEMO_PASSWORD)  # once: argon2 is slow by design
        users = [
            {"email": pool.emails[i], "name": pool.names[i], "role": "candidate"}
            | {"password_hash": password_hash}
            for i in new
        ]
        db.session.execute(insert(User), users)
        existing = _ids_by_email(pool.emails)
        approvals = [{"user_id": existing[pool.emails[i]], "track": pool.tracks[i]} for i in new]
        db.session.execute(insert(Approval), approvals)
        summary.candidates = len(new)
    return [existing[email] for email in pool.emails]


def _ids_by_email(emails: list[str]) -> dict[str, int]:
    stmt = select(User.email, User.id).where(User.email.in_(emails))
    return dict(db.session.execute(stmt).tuples().all())


def _past_windows(today: date) -> list[tuple[date, date]]:
    """(opens_on, closes_on) of the HISTORY_WINDOWS windows before today's, oldest first."""
    deadlines = current_app.config["WINDOW_DEADLINES"]
    opens_on, _ = window_bounds(today, deadlines)
    windows = []
    for _ in range(HISTORY_WINDOWS):
        opens_on, closes_on = window_bounds(opens_on - timedelta(days=1), deadlines)
        windows.append((opens_on, closes_on))
    return windows[::-1]


def _first_timers(position: int) -> list[int]:
    """The slice of the pool that sits for the first time in the window at this position."""
    size = CANDIDATES // HISTORY_WINDOWS
    return list(range(position * size, (position + 1) * size))


@dataclass
class SimulatedSitting:
    """Per pool position: track, form, chosen option per item id, score, minutes taken."""

    starts_at: datetime
    tracks: dict[int, str] = field(default_factory=dict)
    forms: dict[int, Form] = field(default_factory=dict)
    choices: dict[int, dict[int, str]] = field(default_factory=dict)
    scores: dict[int, scoring.McScore] = field(default_factory=dict)
    minutes: dict[int, int] = field(default_factory=dict)


def _simulate(pool, cohort, sat_before, forms, rng, starts_at) -> SimulatedSitting:
    """Answers and scores of every seat in one sitting; a retaker has studied a little more."""
    sitting = SimulatedSitting(starts_at)
    for endorsement, form in forms.items():
        members = [m for m in cohort if track_endorsement(pool.tracks[m]) == endorsement]
        if not members:
            continue
        retakes = np.array([sat_before.get(m, 0) for m in members])
        chosen = _answers(form, pool.ability[members] + RETAKE_GAIN * retakes, rng)
        minutes = rng.integers(40, form.duration_minutes + 1, len(members))
        for row, member in enumerate(members):
            picks = {item.id: str(chosen[row, col]) for col, item in enumerate(form.items)}
            sitting.tracks[member], sitting.forms[member] = pool.tracks[member], form
            sitting.choices[member] = picks
            sitting.scores[member] = scoring.score_mc(form.items, picks, form.pass_mark)
            sitting.minutes[member] = int(minutes[row])
    return sitting


def _answers(form: Form, theta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Chosen option ids (candidates x items, "" = omitted) for the abilities theta."""
    items = form.items
    traits = np.random.default_rng([SEED, len(items), *form.code.encode()])  # fixed per form
    difficulty = traits.normal(-0.9, 0.8, len(items))
    slope = traits.uniform(0.7, 1.9, len(items))
    special = {col: kind for col, kind in SPECIAL_ITEMS.items() if col < len(items)}
    for col, kind in special.items():
        difficulty[col], slope[col] = {"easy": (-6.0, 1.0), "hard": (3.2, 1.0)}.get(
            kind, (difficulty[col], 0.05 if kind == "flat" else slope[col])
        )
    logit = 1.7 * slope * (theta[:, None] - difficulty)
    correct = rng.random(logit.shape) < GUESS + (1 - GUESS) / (1 + np.exp(-logit))
    lure = rng.random(len(theta)) < 1 / (1 + np.exp(-2.5 * (theta - 0.3)))
    omits = (theta[:, None] < -0.8) & (rng.random(logit.shape) < 0.15)
    spread = rng.random(logit.shape)
    chosen = np.empty(logit.shape, dtype=object)
    for col, item in enumerate(items):
        key = item.correct_option
        distractors = np.array([o["id"] for o in item.options if o["id"] != key], dtype=object)
        # the first distractor is the most tempting, the last the least
        pull = np.arange(len(distractors), 0, -1).cumsum() / sum(range(len(distractors) + 1))
        wrong = distractors[np.minimum(np.searchsorted(pull, spread[:, col]), len(pull) - 1)]
        if special.get(col) == "lure":  # the strong prefer a distractor: looks mis-keyed
            chosen[:, col] = np.where(lure, distractors[0], key)
        else:
            chosen[:, col] = np.where(correct[:, col], key, wrong)
            chosen[omits[:, col] & ~correct[:, col], col] = ""
    return chosen


def _ensure_window(opens_on: date, closes_on: date) -> ExamWindow:
    name = window_name(opens_on, closes_on)
    window = db.session.scalar(select(ExamWindow).where(ExamWindow.opens_on == opens_on))
    window = window or db.session.scalar(select(ExamWindow).where(ExamWindow.name == name))
    if window is None:
        window = ExamWindow(name=name, opens_on=opens_on, closes_on=closes_on)
        db.session.add(window)
        db.session.flush()
    return window


def _has_history(window: ExamWindow) -> bool:
    name = SITTING_NAME.format(window.name)
    return db.session.scalar(select(Sitting.id).where(Sitting.name == name)) is not None


def _insert_sitting(window, simulated, user_ids, proctor, now, summary) -> None:
    """The closed sitting, its seats, attempts, answers and released results, in bulk."""
    starts_at = simulated.starts_at
    sitting = Sitting(
        window=window,
        name=SITTING_NAME.format(window.name),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=4),
        proctor=proctor,
        mode="scheduled",
        closed_at=starts_at + timedelta(hours=4),
    )
    sitting.forms = [
        SittingForm(form_code=c) for c in sorted({f.code for f in simulated.forms.values()})
    ]
    db.session.add(sitting)
    db.session.flush()
    members = sorted(simulated.choices)
    db.session.execute(insert(Seat), [_seat_row(sitting, m, user_ids, simulated) for m in members])
    seat_of = _pairs(select(Seat.candidate_id, Seat.id).where(Seat.sitting_id == sitting.id))
    attempts = [_attempt_row(seat_of[user_ids[m]], m, simulated) for m in members]
    db.session.execute(insert(Attempt), attempts)
    attempt_of = _pairs(
        select(Attempt.seat_id, Attempt.id).where(Attempt.seat_id.in_(list(seat_of.values())))
    )
    released = min(starts_at + timedelta(days=21), now)
    answers, results = [], []
    for member, attempt in zip(members, attempts, strict=True):
        attempt_id = attempt_of[attempt["seat_id"]]
        answers += [
            {"attempt_id": attempt_id, "item_id": item_id, "value": value, "seq": 1}
            | {"saved_at": attempt["submitted_at"]}
            for item_id, value in simulated.choices[member].items()
        ]
        results.append(_result_row(simulated.scores[member], attempt, attempt_id, released))
    db.session.execute(insert(Answer), answers)
    db.session.execute(insert(Result), results)
    summary.windows.append(window.name)
    summary.attempts += len(attempts)
    summary.answers += len(answers)


def _seat_row(sitting: Sitting, member: int, user_ids: list[int], simulated) -> dict:
    return {
        "sitting_id": sitting.id,
        "candidate_id": user_ids[member],
        "track": simulated.tracks[member],
        "checked_in_at": simulated.starts_at,
        "admitted_at": simulated.starts_at,
        "created_at": simulated.starts_at,
    }


def _attempt_row(seat_id: int, member: int, simulated: SimulatedSitting) -> dict:
    """A Part One attempt submitted by the candidate after the minutes they took."""
    form = simulated.forms[member]
    started = simulated.starts_at + timedelta(minutes=5)
    recorded = {
        f"{item.key} v{item.version}": simulated.choices[member][item.id]
        for item in form.items
        if simulated.choices[member][item.id]
    }
    return {
        "seat_id": seat_id,
        "part": "MC",
        "form_id": form.id,
        "started_at": started,
        "deadline_at": started + timedelta(minutes=form.duration_minutes),
        "submitted_at": started + timedelta(minutes=simulated.minutes[member]),
        "submit_reason": "candidate",
        "last_seq": 1,
        "item_order": [item.id for item in form.items],
        "option_order": {str(i.id): [o["id"] for o in i.options] for i in form.items},
        "receipt": scoring.receipt_hash(recorded),
    }


def _result_row(score: scoring.McScore, attempt: dict, attempt_id: int, released) -> dict:
    return {
        "seat_id": attempt["seat_id"],
        "part": "MC",
        "attempt_id": attempt_id,
        "score": score.score,
        "max_score": score.max_score,
        "percent": score.percent,
        "passed": score.passed,
        "domain_scores": score.domains,
        "computed_at": attempt["submitted_at"],
        "released_at": released,
    }


def _pairs(stmt) -> dict[int, int]:
    return dict(db.session.execute(stmt).tuples().all())
