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
from app.analysis.items import (
    FlagThresholds,
    ItemAnalysis,
    analyse_items,
    extreme_group_size,
    option_breakdown,
)
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
from app.models import ExamWindow, Form, Item, Result, Seat, Sitting
from app.security import is_whole_number

SCORE_BINS = tuple(range(0, 101, 5))
ATTEMPT_KINDS = ("first", "retake")


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
    by: tuple[str, ...] = ()

    def query(self) -> dict:
        """The filters as URL query arguments, so charts and downloads show the same data."""
        args = {k: v for k, v in vars(self).items() if k != "by" and v is not None}
        return {**args, "by": list(self.by) or [""]}


def min_group() -> int:
    """Groups smaller than this show their n only (config REPORT_MIN_GROUP)."""
    return current_app.config["REPORT_MIN_GROUP"]


def flag_thresholds() -> FlagThresholds:
    """The item flag thresholds: defaults, overridden by config ITEM_FLAG_THRESHOLDS (a dict)."""
    return FlagThresholds(**current_app.config.get("ITEM_FLAG_THRESHOLDS", {}))


def parse_filters(args, default_by=DEFAULT_BY, groups=tuple(GROUPS)) -> Filters:
    """Filters from query arguments; `by` absent means the page's default grouping."""
    choices = {"part": PARTS, "endorsement": ENDORSEMENTS, "attempt": ATTEMPT_KINDS}
    values = {name: args.get(name) or None for name in ("window", "part", "endorsement", "attempt")}
    for name, allowed in choices.items():
        if values[name] is not None and values[name] not in allowed:
            raise AnalyticsError(f"Unknown {name} {values[name]!r}: use {', '.join(allowed)}.", 400)
    try:
        by = parse_by(",".join(args.getlist("by")), groups) if "by" in args else list(default_by)
    except ValueError as problem:
        raise AnalyticsError(f"Cannot group that way: {problem}.", 400) from None
    if values["window"] is not None:
        _window(values["window"])
    return Filters(**values, by=tuple(by))


def parse_version(raw: str | None) -> int | None:
    """A form version from the query (blank = all versions pooled)."""
    if not raw:
        return None
    if not is_whole_number(raw) or not 0 < int(raw) < 100_000:
        raise AnalyticsError(f"Version {raw!r} is not a version number.", 400)
    return int(raw)


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


# --- item analysis ---------------------------------------------------------------------------


@dataclass
class ItemReport:
    """One form's item analysis (None with a problem when its versions cannot be pooled)."""

    code: str
    title: str
    versions: list[int]
    version: int | None
    window: str | None
    windows: list[str]
    analysis: ItemAnalysis | None
    problem: str | None = None
    thresholds: FlagThresholds = field(default_factory=FlagThresholds)

    @property
    def rows(self) -> list[dict]:
        return records(self.analysis.items) if self.analysis else []

    @property
    def options(self) -> list[str]:
        """The share_ columns' option labels, omitted last."""
        if self.analysis is None:
            return []
        return [c.removeprefix("share_") for c in self.analysis.items if c.startswith("share_")]

    @property
    def version_labels(self) -> dict[int, str]:
        return {version: f"v{version}" for version in self.versions}

    @property
    def flagged(self) -> int:
        return int((self.analysis.items["flag"] != "").sum()) if self.analysis else 0


def item_report(code: str, version: int | None, window: str | None, now: datetime) -> ItemReport:
    """The item table and test summary of a form's closed attempts (all versions or one)."""
    forms = _forms(code, version)
    report = ItemReport(
        code=code,
        title=forms[-1].title,
        versions=[f.version for f in _forms(code, None)],
        version=version,
        window=window,
        windows=_form_windows(code, now),
        analysis=None,
        thresholds=flag_thresholds(),
    )
    try:
        responses, key = frames.part_one_responses(code, now, version, window)
    except frames.MixedVersions as problem:
        report.problem = str(problem)
        return report
    except frames.UnknownSelection as problem:
        raise AnalyticsError(str(problem)) from None
    report.analysis = analyse_items(responses, key, report.thresholds)
    return report


def item_table(report: ItemReport, table: str) -> pd.DataFrame:
    """The item table or the test summary as a frame for download."""
    if report.analysis is None:
        raise AnalyticsError(report.problem or "No analysis.", 409)
    if table == "items":
        return report.analysis.items
    if table == "summary":
        summary = report.analysis.summary
        return pd.DataFrame({"figure": list(summary), "value": list(summary.values())})
    raise AnalyticsError(f"There is no table {table!r} here: use items or summary.")


@dataclass
class ItemDetail:
    """One item of a form: its versions' text, statistics and option shares by group."""

    code: str
    key: str
    versions: list[Item]
    stats: dict
    options: pd.DataFrame
    n: int
    group_size: int
    window: str | None
    version: int | None

    @property
    def option_rows(self) -> list[dict]:
        return records(self.options)


def item_detail(
    code: str, key: str, version: int | None, window: str | None, now: datetime
) -> ItemDetail:
    """Stem, options with shares overall and in the upper and lower 27%, the key, versions."""
    forms = _forms(code, version)
    versions = {i.id: i for f in forms for i in f.items if i.key == key}
    if not versions:
        raise AnalyticsError(f"Item {key!r} is not on form {code}.")
    try:
        responses, answer_key = frames.part_one_responses(code, now, version, window)
    except frames.MixedVersions as problem:
        raise AnalyticsError(str(problem), 409) from None
    except frames.UnknownSelection as problem:
        raise AnalyticsError(str(problem)) from None
    analysis = analyse_items(responses, answer_key, flag_thresholds())
    stats = analysis.items.set_index("item_id").loc[key]
    ordered = sorted(versions.values(), key=lambda item: item.version)
    options = _with_texts(option_breakdown(responses, answer_key, key), ordered)
    return ItemDetail(
        code=code,
        key=key,
        versions=ordered,
        stats={name: _plain(value) for name, value in stats.items()},
        options=options,
        n=len(responses),
        group_size=extreme_group_size(len(responses)),
        window=window,
        version=version,
    )


def _with_texts(breakdown: pd.DataFrame, versions: list[Item]) -> pd.DataFrame:
    """The item's options (unchosen ones at share 0) with their newest text, then omitted."""
    texts = {o["id"]: o["text"] for item in versions for o in item.options}  # newest wins
    authored = pd.DataFrame({"option": list(texts), "text": list(texts.values())})
    merged = authored.merge(breakdown, on="option", how="outer", sort=False)
    # the breakdown lists every option seen on the form: keep this item's and any chosen
    shares = ["share", "share_upper", "share_lower"]
    keep = merged["option"].isin(texts) | merged["option"].eq("omitted") | merged["share"].gt(0)
    merged = merged[keep].copy()
    merged["text"] = merged["text"].fillna("(not an option of this item)")
    merged.loc[merged["option"] == "omitted", "text"] = "(left unanswered)"
    if len(breakdown) and breakdown["share"].notna().any():
        merged[shares] = merged[shares].fillna(0.0)
    merged["is_key"] = merged["option"] == versions[-1].correct_option
    order = merged["option"].eq("omitted").to_numpy().argsort(kind="stable")
    return merged.iloc[order][["option", "text", "is_key", *shares]].reset_index(drop=True)


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
    for name in ("window", "part", "endorsement", "attempt"):
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


def _form_windows(code: str, now: datetime) -> list[str]:
    """The windows in which the form has closed attempts, oldest first."""
    return list(dict.fromkeys(w for c, w, _ in _attempt_counts(now) if c == code))
