"""Data frames from the database: the only module in app.analysis that queries it."""

from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, func, or_, select

from app.analysis.raters import level_position
from app.extensions import db
from app.models import (
    Answer,
    Attempt,
    ExamWindow,
    Form,
    Reading,
    Resolution,
    Result,
    Rubric,
    Seat,
    Sitting,
    User,
)

READING_COLUMNS = [
    "response",
    "criterion",
    "grader",
    "grader_name",
    "slot",
    "level",
    "final",
    "started_at",
    "submitted_at",
]


def readings_frame() -> pd.DataFrame:
    """One row per criterion of every submitted reading (not calibration), with the final level.

    Columns: response (id), criterion (code), grader (user id), grader_name, slot (R1, R2, ADJ,
    BACK), level, final (NaN while the response is not final), started_at, submitted_at, and
    position / final_position: the same on the criterion's scale of levels (0, 1, 2 ...).
    """
    stmt = (
        select(Reading, User.name, Resolution.final_ratings, Resolution.resolved_at)
        .join(User, User.id == Reading.grader_id)
        .outerjoin(Resolution, Resolution.response_id == Reading.response_id)
        .where(Reading.submitted_at.is_not(None), Reading.slot != "CALIB")
    )
    rows, scales = [], {}
    for reading, name, final, resolved_at in db.session.execute(stmt):
        final = final if resolved_at is not None else {}
        if reading.rubric_id not in scales:
            scales[reading.rubric_id] = {
                c["code"]: [lv["score"] for lv in c["levels"]] for c in reading.rubric.criteria
            }
        scale = scales[reading.rubric_id]
        for code, level in reading.ratings.items():
            scores = scale.get(code, [])
            rows.append(
                (
                    reading.response_id,
                    code,
                    reading.grader_id,
                    name,
                    reading.slot,
                    float(level),
                    float(final[code]) if code in final else float("nan"),
                    reading.started_at,
                    reading.submitted_at,
                    level_position(scores, float(level)),
                    level_position(scores, float(final[code])) if code in final else np.nan,
                )
            )
    return pd.DataFrame(rows, columns=[*READING_COLUMNS, "position", "final_position"])


# --- Part One responses, results and Part Two criterion levels (coordinator analytics) -----


class UnknownSelection(LookupError):
    """A form code, version or window name that the database does not hold."""


class MixedVersions(ValueError):
    """Form versions whose items differ cannot be analysed as one test."""


RESULT_COLUMNS = [
    "window",
    "window_opens",
    "endorsement",
    "track",
    "part",
    "form",
    "pass_mark",
    "attempt_no",
    "attempt",
    "percent",
    "passed",
    "released",
]
CRITERION_COLUMNS = [
    "result_id",
    "window",
    "window_opens",
    "endorsement",
    "track",
    "attempt_no",
    "attempt",
    "criterion",
    "label",
    "level",
    "min_level",
    "released",
]


def part_one_forms(code: str, version: int | None = None) -> list[Form]:
    """The Part One form's versions (oldest first), or the one version asked for."""
    stmt = select(Form).where(Form.code == code, Form.part == "MC").order_by(Form.version)
    forms = list(db.session.scalars(stmt))
    if not forms:
        raise UnknownSelection(f"There is no Part One form with code {code!r}.")
    if version is None:
        return forms
    chosen = [form for form in forms if form.version == version]
    if not chosen:
        held = ", ".join(f"v{form.version}" for form in forms)
        raise UnknownSelection(f"Form {code} has no version {version} (it has {held}).")
    return chosen


def window_named(name: str) -> ExamWindow:
    """The exam window of that name."""
    window = db.session.scalar(select(ExamWindow).where(ExamWindow.name == name))
    if window is None:
        raise UnknownSelection(f"There is no exam window named {name!r}.")
    return window


def _is_over(now: datetime):
    # the SQL form of timing.is_closed: submitted, or past a deadline that a pause (which moves
    # the deadline while it lasts) does not hold open
    return or_(
        Attempt.submitted_at.is_not(None),
        and_(
            Attempt.deadline_at < now,
            or_(Attempt.paused_at.is_(None), Attempt.paused_at > Attempt.deadline_at),
        ),
    )


def closed_attempts(form_ids: list[int], window_id: int | None, now: datetime) -> Select:
    """Ids and form ids of the forms' Part One attempts that are over and not voided."""
    stmt = (
        select(Attempt.id, Attempt.form_id)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Attempt.part == "MC", Attempt.form_id.in_(form_ids), _is_over(now))
        .where(Seat.voided_at.is_(None), _not_voided())
    )
    if window_id is not None:
        stmt = stmt.join(Sitting, Sitting.id == Seat.sitting_id).where(
            Sitting.window_id == window_id
        )
    return stmt


def closed_attempt_counts(form_ids: list[int], now: datetime) -> list[tuple[str, str, int]]:
    """(form code, window name, closed attempts) per form and window, in window order."""
    # one flat join: a subquery joined back to attempt let PostgreSQL pick nested loops over
    # freshly loaded, not yet analysed tables and run for minutes
    stmt = (
        select(Form.code, ExamWindow.name, func.count(Attempt.id))
        .select_from(Attempt)
        .join(Form, Form.id == Attempt.form_id)
        .join(Seat, Seat.id == Attempt.seat_id)
        .join(Sitting, Sitting.id == Seat.sitting_id)
        .join(ExamWindow, ExamWindow.id == Sitting.window_id)
        .where(Attempt.part == "MC", Attempt.form_id.in_(form_ids), _is_over(now))
        .where(Seat.voided_at.is_(None), _not_voided())
        .group_by(Form.code, ExamWindow.name, ExamWindow.opens_on)
        .order_by(ExamWindow.opens_on)
    )
    return list(db.session.execute(stmt).tuples())


def part_one_responses(
    code: str,
    now: datetime,
    version: int | None = None,
    window: str | None = None,
    first_only: bool = False,
) -> tuple[pd.DataFrame, pd.Series]:
    """The wide responses frame and the key for a Part One form's closed attempts.

    Rows are attempts (index `attempt_id`), columns item keys in the form's order, values the
    chosen option id (NaN = omitted). All versions of the form are pooled unless `version`
    is given; pooling is refused (MixedVersions) when the versions' items or keys differ.
    With first_only, only candidates' first Part One attempts (see first_attempt_ids).
    """
    forms = part_one_forms(code, version)
    window_id = window_named(window).id if window is not None else None
    attempts = closed_attempts([form.id for form in forms], window_id, now)
    attempt_form = dict(db.session.execute(attempts).tuples().all())
    if first_only:
        firsts = first_attempt_ids()
        attempt_form = {a: f for a, f in attempt_form.items() if a in firsts}
    used = [form for form in forms if form.id in set(attempt_form.values())] or forms[-1:]
    columns, key, key_of_item = _pooled_items(used)
    stmt = select(Answer.attempt_id, Answer.item_id, Answer.value).where(
        Answer.attempt_id.in_(attempts.with_only_columns(Attempt.id)),
        Answer.item_id.is_not(None),
    )
    # plain tuples from the connection: pandas probing each Row for fields, through the ORM
    # layer, cost seconds at 10,000 attempts
    rows = db.session.connection().execute(stmt).fetchall()
    answers = pd.DataFrame.from_records([tuple(row) for row in rows], columns=["a", "i", "v"])
    return _wide(answers, sorted(attempt_form), key_of_item, columns), key


def first_attempt_ids() -> set[int]:
    """Ids of each candidate's first Part One attempt (by start, then id; voided ones skipped),
    the same rule as attempt_no in results_frame."""
    number = (
        func.row_number()
        .over(partition_by=Seat.candidate_id, order_by=(Attempt.started_at, Attempt.id))
        .label("number")
    )
    ranked = (
        select(Attempt.id, number)
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Attempt.part == "MC", Seat.voided_at.is_(None), _not_voided())
        .subquery()
    )
    return set(db.session.scalars(select(ranked.c.id).where(ranked.c.number == 1)))


def analysis_fingerprint(
    code: str, now: datetime, version: int | None = None, window: str | None = None
) -> str:
    """What an item analysis was computed from: count, id sum and latest close of the closed
    attempts. An attempt closing (submitted or timed out) or being voided changes it."""
    forms = part_one_forms(code, version)
    window_id = window_named(window).id if window is not None else None
    closed = closed_attempts([form.id for form in forms], window_id, now).subquery()
    ended = func.coalesce(Attempt.submitted_at, Attempt.deadline_at)
    stmt = select(func.count(closed.c.id), func.sum(closed.c.id), func.max(ended)).join(
        Attempt, Attempt.id == closed.c.id
    )
    count, total, latest = db.session.execute(stmt).one()
    stamp = latest.isoformat() if hasattr(latest, "isoformat") else str(latest)
    # a voided attempt or seat anywhere can change who is on a first attempt
    voided = db.session.scalar(
        select(func.count(Attempt.id))
        .join(Seat, Seat.id == Attempt.seat_id)
        .where(Attempt.part == "MC", or_(Seat.voided_at.is_not(None), ~_not_voided()))
    )
    forms_used = ",".join(str(form.id) for form in forms)
    return f"{count}:{total or 0}:{stamp}:{voided}:{forms_used}"


def results_frame() -> pd.DataFrame:
    """One row per result of a seat that was not voided, for pass rates (RESULT_COLUMNS).

    attempt_no is 1 for the candidate's first attempt at that part (by started_at, then id),
    2 for the first retake, ...; attempt is "first" or "retake". percent is 0-100.
    """
    stmt = (
        select(
            ExamWindow.name,
            ExamWindow.opens_on,
            Seat.track,
            Result.part,
            Form.code,
            Form.pass_mark,
            Seat.candidate_id,
            Attempt.started_at,
            Attempt.id,
            Result.percent,
            Result.passed,
            Result.released_at.is_not(None),
        )
        .join(Seat, Seat.id == Result.seat_id)
        .join(Sitting, Sitting.id == Seat.sitting_id)
        .join(ExamWindow, ExamWindow.id == Sitting.window_id)
        .join(Attempt, Attempt.id == Result.attempt_id)
        .join(Form, Form.id == Attempt.form_id)
        .where(Seat.voided_at.is_(None), _not_voided())
    )
    raw = pd.DataFrame(
        db.session.execute(stmt).tuples().all(),
        columns=[
            "window",
            "window_opens",
            "track",
            "part",
            "form",
            "pass_mark",
            "candidate",
            "started_at",
            "attempt_id",
            "percent",
            "passed",
            "released",
        ],
    )
    return _numbered(raw)[RESULT_COLUMNS]


def criterion_levels_frame() -> pd.DataFrame:
    """Part Two: one row per criterion of every VIGNETTE result (CRITERION_COLUMNS).

    level is the result's final level of the criterion; min_level is the lowest level the
    rubric's pass rule accepts for any criterion (NaN when the rule sets no such floor).
    """
    stmt = (
        select(
            ExamWindow.name,
            ExamWindow.opens_on,
            Seat.track,
            Seat.candidate_id,
            Attempt.started_at,
            Attempt.id,
            Result.id,
            Result.domain_scores,
            Rubric.pass_rule,
            Result.released_at.is_not(None),
        )
        .join(Seat, Seat.id == Result.seat_id)
        .join(Sitting, Sitting.id == Seat.sitting_id)
        .join(ExamWindow, ExamWindow.id == Sitting.window_id)
        .join(Attempt, Attempt.id == Result.attempt_id)
        .join(Form, Form.id == Attempt.form_id)
        .outerjoin(Rubric, Rubric.id == Form.rubric_id)
        .where(Result.part == "VIGNETTE", Seat.voided_at.is_(None), _not_voided())
    )
    rows = []
    for *seat_attempt, scores, rule, released in db.session.execute(stmt).tuples():
        floor = float((rule or {}).get("min_level", float("nan")))
        for code, entry in (scores or {}).items():
            entry = entry if isinstance(entry, dict) else {}
            level = entry.get("level")
            level = float("nan") if level is None else float(level)
            label = entry.get("criterion", code)
            rows.append((*seat_attempt, code, label, level, floor, released))
    raw = pd.DataFrame(
        rows,
        columns=[
            "window",
            "window_opens",
            "track",
            "candidate",
            "started_at",
            "attempt_id",
            "result_id",
            "criterion",
            "label",
            "level",
            "min_level",
            "released",
        ],
    )
    return _numbered(raw, part_column=False)[CRITERION_COLUMNS]


def _not_voided():
    """Attempts the proctor voided are not results of the exam, whatever they scored."""
    return or_(Attempt.submit_reason.is_(None), Attempt.submit_reason != "void")


def _pooled_items(forms: list[Form]) -> tuple[list[str], pd.Series, dict[int, str]]:
    """Item keys in the newest form's order, the key per item key, and item id -> item key."""
    newest = forms[-1]
    columns = [item.key for item in newest.items]
    key = {item.key: item.correct_option for item in newest.items}
    key_of_item = {}
    for form in forms:
        keys = {item.key for item in form.items}
        if keys != set(columns):
            differ = sorted(keys.symmetric_difference(columns))
            raise MixedVersions(
                f"Form {form.code} v{form.version} and v{newest.version} have different items"
                f" ({', '.join(differ)}): choose one version."
            )
        for item in form.items:
            if item.correct_option != key[item.key]:
                raise MixedVersions(
                    f"Item {item.key} has a different key in form {form.code} v{form.version}"
                    f" and v{newest.version}: choose one version."
                )
            key_of_item[item.id] = item.key
    return columns, pd.Series(key, name="key").reindex(columns), key_of_item


def _wide(
    answers: pd.DataFrame, attempt_ids: list[int], key_of_item: dict[int, str], columns: list
) -> pd.DataFrame:
    """Long (attempt, item id, value) answers as attempts x item keys; blank or absent = NaN."""
    index = pd.Index(attempt_ids, name="attempt_id")
    answers = answers.assign(item=answers["i"].map(key_of_item), v=answers["v"].astype(object))
    answers = answers[answers["item"].notna() & (answers["v"] != "")]
    if answers.empty:
        return pd.DataFrame(np.nan, index=index, columns=columns, dtype=object)
    wide = answers.pivot(index="a", columns="item", values="v").reindex(
        index=index, columns=columns
    )
    wide.columns.name = None
    return wide.astype(object)


def _numbered(raw: pd.DataFrame, part_column: bool = True) -> pd.DataFrame:
    """Add endorsement, attempt_no and attempt; rows in window then attempt order."""
    part = raw["part"] if part_column else pd.Series("VIGNETTE", index=raw.index)
    ordered = raw.assign(_part=part).sort_values(["candidate", "_part", "started_at", "attempt_id"])
    # one attempt can carry several rows (criteria): number attempts, not rows
    firsts = ~ordered.duplicated(["candidate", "_part", "attempt_id"])
    number = firsts.astype(int).groupby([ordered["candidate"], ordered["_part"]]).cumsum()
    numbered = ordered.assign(
        endorsement=ordered["track"].str.split("-", n=1).str[0],
        attempt_no=number.astype(int),
        attempt=np.where(number == 1, "first", "retake"),
        released=ordered["released"].astype(bool),
    )
    return numbered.sort_values(["window_opens", "attempt_id"], kind="stable").reset_index(
        drop=True
    )
