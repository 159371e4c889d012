"""Coordinator analytics: item analysis per form, pass rates, scores and Part Two criteria.

Read-only: the frames come from app.analysis.frames, the figures from the pure functions of
app.analysis. A selection the database does not hold (form, version, window, item) is an
AnalyticsError with status 404 and a message saying which; a bad filter value is a 400.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from flask import current_app
from sqlalchemy import func, select

from app.analysis import frames
from app.analysis.items import FlagThresholds
from app.analysis.outcomes import (
    DEFAULT_BY,
    GROUPS,
    criterion_rates,
    parse_by,
    shown_together,
    window_order,
)
from app.analysis.rates import cut_score_impact, score_distribution
from app.codes import ENDORSEMENTS, PARTS
from app.extensions import db
from app.models import ExamWindow, Form, Result, Seat, Sitting

SCORE_BINS = tuple(range(0, 101, 5))
ATTEMPT_KINDS = ("first", "retake")
POOLED = "all"


class AnalyticsError(Exception):
    """A selection or filter the analytics cannot serve; the message says why."""

    def __init__(self, message: str, status: int = 404):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class Filters:
    """What a page is narrowed to and grouped by (None = everything)."""

    window: str | None = None
    part: str | None = None
    endorsement: str | None = None
    attempt: str | None = None
    form: str | None = None
    by: tuple[str, ...] = ()

    def query(self) -> dict:
        """The filters as URL query arguments, so charts and downloads show the same data
        (a pooled attempt or form is said as "all", so a page's default cannot replace it)."""
        args = {k: v for k, v in vars(self).items() if k != "by" and v is not None}
        args.setdefault("attempt", POOLED)
        args.setdefault("form", POOLED)
        return {**args, "by": list(self.by) or [""]}


def min_group() -> int:
    """Groups smaller than this show their n only (config REPORT_MIN_GROUP)."""
    return current_app.config["REPORT_MIN_GROUP"]


def flag_thresholds() -> FlagThresholds:
    """The item flag thresholds: defaults, overridden by config ITEM_FLAG_THRESHOLDS (a dict)."""
    return FlagThresholds(**current_app.config.get("ITEM_FLAG_THRESHOLDS", {}))


def parse_filters(
    args, default_by=DEFAULT_BY, groups=tuple(GROUPS), defaults: dict | None = None
) -> Filters:
    """Filters from query arguments; `by` absent means the page's default grouping, an absent
    attempt or form the page's default (`defaults`), and "all" pools them explicitly."""
    defaults = defaults or {}
    names = ("window", "part", "endorsement", "attempt", "form")
    values = {
        name: (args.get(name) if name in args else defaults.get(name)) or None for name in names
    }
    for name in ("attempt", "form"):
        if values[name] == POOLED:
            values[name] = None
    choices = {"part": PARTS, "endorsement": ENDORSEMENTS, "attempt": ATTEMPT_KINDS}
    for name, allowed in choices.items():
        if values[name] is not None and values[name] not in allowed:
            raise AnalyticsError(f"Unknown {name} {values[name]!r}: use {', '.join(allowed)}.", 400)
    if values["form"] is not None and values["form"] not in part_one_codes():
        raise AnalyticsError(f"There is no Part One form with code {values['form']!r}.", 404)
    try:
        by = parse_by(",".join(args.getlist("by")), groups) if "by" in args else list(default_by)
    except ValueError as problem:
        raise AnalyticsError(f"Cannot group that way: {problem}.", 400) from None
    if values["window"] is not None:
        _window(values["window"])
    return Filters(**values, by=tuple(by))


def part_one_codes() -> list[str]:
    """The Part One form codes, sorted (the scores page defaults to the first)."""
    stmt = select(Form.code).where(Form.part == "MC").distinct().order_by(Form.code)
    return list(db.session.scalars(stmt))


# --- the index -------------------------------------------------------------------------------


@dataclass
class FormRow:
    """A Part One form code with its versions and closed attempts per window."""

    code: str
    title: str
    endorsement: str
    versions: list[int]
    attempts: int = 0
    windows: dict[str, int] = field(default_factory=dict)


@dataclass
class WindowRow:
    name: str
    opens_on: date
    closes_on: date
    results: int


def index(now: datetime) -> tuple[list[FormRow], list[WindowRow]]:
    """Part One forms (with closed attempts per window) and windows (with results)."""
    forms: dict[str, FormRow] = {}
    for form in db.session.scalars(select(Form).where(Form.part == "MC").order_by(Form.version)):
        row = forms.setdefault(form.code, FormRow(form.code, "", form.endorsement, []))
        row.title, row.versions = form.title, [*row.versions, form.version]
    for code, window, count in _attempt_counts(now):
        forms[code].windows[window] = count
        forms[code].attempts += count
    results = (
        select(ExamWindow, func.count(Result.id))
        .outerjoin(Sitting, Sitting.window_id == ExamWindow.id)
        .outerjoin(Seat, (Seat.sitting_id == Sitting.id) & Seat.voided_at.is_(None))
        .outerjoin(Result, Result.seat_id == Seat.id)
        .group_by(ExamWindow.id)
        .order_by(ExamWindow.opens_on)
    )
    windows = [
        WindowRow(w.name, w.opens_on, w.closes_on, n) for w, n in db.session.execute(results)
    ]
    return sorted(forms.values(), key=lambda row: row.code), windows


def _attempt_counts(now: datetime) -> list[tuple[str, str, int]]:
    """(form code, window name, closed attempts) for every Part One form."""
    form_ids = list(db.session.scalars(select(Form.id).where(Form.part == "MC")))
    return frames.closed_attempt_counts(form_ids, now)


# --- pass rates and scores -------------------------------------------------------------------


@dataclass
class RateReport:
    """Pass rates by the chosen groups, and by window and part for the chart."""

    filters: Filters
    rates: pd.DataFrame
    by_window: pd.DataFrame
    n: int
    windows: list[str]
    min_group: int


def pass_rate_report(filters: Filters) -> RateReport:
    """Pass rates per group with small groups suppressed (n shown, passed and rate not)."""
    everything = frames.results_frame()
    results = _narrowed(everything, filters)
    minimum = min_group()
    # one page, one protection: the by-window table is a margin of most groupings
    rates, by_window = shown_together(results, [list(filters.by), ["window", "part"]], minimum)
    return RateReport(
        filters=filters,
        rates=rates,
        by_window=by_window,
        n=len(results),
        windows=window_order(everything),
        min_group=minimum,
    )


def rate_table(report: RateReport, table: str) -> pd.DataFrame:
    """One of the pass-rate page's tables, for download."""
    tables = {"rates": report.rates, "by-window": report.by_window}
    if table not in tables:
        raise AnalyticsError(f"There is no table {table!r} here: use rates or by-window.")
    return tables[table]


@dataclass
class ScoreReport:
    """Part One percent scores: histogram, pass marks and the cut-score impact curve."""

    filters: Filters
    distribution: pd.DataFrame
    curve: pd.DataFrame
    pass_marks: list[float]
    n: int
    windows: list[str]
    min_group: int

    @property
    def suppressed(self) -> bool:
        return 0 < self.n < self.min_group


def score_report(filters: Filters) -> ScoreReport:
    """Part One score distribution and pass rate at each cut from 50% to 100%."""
    everything = frames.results_frame()
    results = _narrowed(everything[everything["part"] == "MC"], filters)
    report = ScoreReport(
        filters=filters,
        distribution=score_distribution(results, bins=SCORE_BINS),
        curve=cut_score_impact(results),
        pass_marks=sorted(results["pass_mark"].dropna().unique().tolist()),
        n=len(results),
        windows=window_order(everything),
        min_group=min_group(),
    )
    if report.suppressed:  # a handful of scores would show individuals' results
        report.distribution, report.curve = report.distribution.iloc[:0], report.curve.iloc[:0]
    return report


def score_table(report: ScoreReport, table: str) -> pd.DataFrame:
    """The distribution or the cut-score curve, for download."""
    tables = {"distribution": report.distribution, "cut-scores": report.curve}
    if table not in tables:
        raise AnalyticsError(f"There is no table {table!r} here: use distribution or cut-scores.")
    return tables[table]


@dataclass
class CriterionReport:
    """Part Two: per rubric criterion, how many final levels met the rubric's floor."""

    filters: Filters
    rates: pd.DataFrame
    results: int
    windows: list[str]
    min_group: int


def criterion_report(filters: Filters) -> CriterionReport:
    """Part Two pass rates per criterion (empty when no Part Two result exists yet)."""
    everything = frames.criterion_levels_frame()
    levels = _narrowed(everything, filters)
    minimum = min_group()
    return CriterionReport(
        filters=filters,
        rates=criterion_rates(levels, list(filters.by), minimum),
        results=levels["result_id"].nunique(),
        windows=window_order(frames.results_frame()),
        min_group=minimum,
    )


# --- shared ----------------------------------------------------------------------------------


def records(table: pd.DataFrame) -> list[dict]:
    """Rows as dicts for templates, with NaN and pd.NA as None."""
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def _plain(value):
    """NaN/NA as None and numpy scalars as Python ones."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _narrowed(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Rows matching every set filter."""
    keep = pd.Series(True, index=frame.index)
    for name in ("window", "part", "endorsement", "attempt", "form"):
        value = getattr(filters, name)
        if value is not None and name in frame.columns:
            keep &= frame[name] == value
    return frame[keep]


def _forms(code: str, version: int | None) -> list[Form]:
    try:
        return frames.part_one_forms(code, version)
    except frames.UnknownSelection as problem:
        raise AnalyticsError(str(problem)) from None


def _window(name: str) -> ExamWindow:
    try:
        return frames.window_named(name)
    except frames.UnknownSelection as problem:
        raise AnalyticsError(str(problem)) from None
