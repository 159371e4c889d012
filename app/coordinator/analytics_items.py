"""Coordinator analytics: a Part One form's item analysis and one item's detail.

Defaults are one form version (the newest) and candidates' first attempts; pooling versions or
retakes is an explicit choice. The analysis is cached per selection and data version (see
analytics_cache). Analyses of fewer than ITEM_MIN_N attempts show n and p only; fewer than
ITEM_FLAG_MIN_N flag nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
from flask import current_app

from app.analysis import frames
from app.analysis.items import FlagThresholds, ItemAnalysis, analyse_items, extreme_group_size
from app.analysis.reliability import at_the_cut
from app.coordinator import analytics_cache
from app.coordinator.analytics_services import (
    AnalyticsError,
    _attempt_counts,
    _forms,
    _plain,
    flag_thresholds,
    records,
)
from app.models import Form, Item
from app.security import is_whole_number

SCOPES = {"first": "First attempts only", "all": "All attempts (first attempts and retakes)"}
POOLED = "all"


@dataclass(frozen=True)
class Selection:
    """Which attempts an item analysis covers."""

    code: str
    version: int | None  #: None = all versions pooled
    window: str | None
    scope: str = "first"

    def query(self) -> dict:
        """The selection as query arguments (defaults left out)."""
        args = {"version": POOLED if self.version is None else self.version}
        if self.window:
            args["window"] = self.window
        if self.scope != "first":
            args["attempts"] = self.scope
        return args


def parse_selection(code: str, args) -> Selection:
    """Version (blank = newest, 'all' = pooled), window and attempts from query arguments."""
    raw = args.get("version") or ""
    if raw == POOLED:
        version = None
    elif raw:
        if not is_whole_number(raw) or not 0 < int(raw) < 100_000:
            raise AnalyticsError(f"Version {raw!r} is not a version number.", 400)
        version = int(raw)
    else:
        version = _forms(code, None)[-1].version
    scope = args.get("attempts") or "first"
    if scope not in SCOPES:
        raise AnalyticsError(f"Unknown attempts {scope!r}: use first or all.", 400)
    return Selection(code, version, args.get("window") or None, scope)


@dataclass
class ItemReport:
    """One form's item analysis (None with a problem when its versions cannot be pooled)."""

    selection: Selection
    title: str
    versions: list[int]
    windows: list[str]
    analysis: ItemAnalysis | None
    problem: str | None = None
    thresholds: FlagThresholds = field(default_factory=FlagThresholds)
    pass_mark: float | None = None
    cut: dict | None = None

    code = property(lambda self: self.selection.code)
    version = property(lambda self: self.selection.version)
    window = property(lambda self: self.selection.window)

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


def item_report(selection: Selection, now: datetime) -> ItemReport:
    """The item table, test summary and reliability at the cut for the selection."""
    forms = _forms(selection.code, selection.version)
    report = ItemReport(
        selection=selection,
        title=forms[-1].title,
        versions=[f.version for f in _forms(selection.code, None)],
        windows=_form_windows(selection.code, now),
        analysis=None,
        thresholds=flag_thresholds(),
        pass_mark=forms[-1].pass_mark,
    )
    try:
        report.analysis = _analysis(selection, forms, now)
    except frames.MixedVersions as problem:
        report.problem = str(problem)
        return report
    summary = report.analysis.summary
    if report.pass_mark is not None and report.analysis.statistics_shown:
        report.cut = at_the_cut(report.analysis.score_counts, summary["kr20"], report.pass_mark)
    return report


def _analysis(selection: Selection, forms: list[Form], now: datetime) -> ItemAnalysis:
    """The selection's analysis, from the cache while no attempt has closed or been voided."""
    config = current_app.config
    min_n, flag_min_n = config["ITEM_MIN_N"], config["ITEM_FLAG_MIN_N"]
    thresholds = flag_thresholds()
    try:
        fingerprint = frames.analysis_fingerprint(
            selection.code, now, selection.version, selection.window
        )
    except frames.UnknownSelection as problem:
        raise AnalyticsError(str(problem)) from None

    def compute() -> ItemAnalysis:
        responses, key = frames.part_one_responses(
            selection.code, now, selection.version, selection.window,
            first_only=selection.scope == "first",
        )  # fmt: skip
        return analyse_items(responses, key, thresholds, _own_options(forms), min_n, flag_min_n)

    where = {
        "form_code": selection.code,
        "version": selection.version or 0,
        "window": selection.window or "",
        "scope": selection.scope,
    }
    settings = repr((min_n, flag_min_n, thresholds, sorted(_own_options(forms).items())))
    return analytics_cache.cached(where, fingerprint, settings, compute)


def _own_options(forms: list[Form]) -> dict[str, list[str]]:
    """Each item key's option ids over the forms' versions of it."""
    own: dict[str, list[str]] = {}
    for form in forms:
        for item in form.items:
            ids = own.setdefault(item.key, [])
            ids += [o["id"] for o in item.options if o["id"] not in ids]
    return own


def item_table(report: ItemReport, table: str) -> pd.DataFrame:
    """The item table, the option table or the test summary as a frame for download."""
    if report.analysis is None:
        raise AnalyticsError(report.problem or "No analysis.", 409)
    if table == "items":
        return report.analysis.items
    if table == "options":
        return report.analysis.options
    if table == "summary":
        summary = {**report.analysis.summary, **(report.cut or {})}
        return pd.DataFrame({"figure": list(summary), "value": list(summary.values())})
    raise AnalyticsError(f"There is no table {table!r} here: use items, options or summary.")


@dataclass
class ItemDetail:
    """One item of a form: its versions' text, statistics and option counts by group."""

    selection: Selection
    key: str
    versions: list[Item]
    stats: dict
    options: pd.DataFrame
    n: int
    group_size: int
    statistics_shown: bool

    code = property(lambda self: self.selection.code)
    version = property(lambda self: self.selection.version)
    window = property(lambda self: self.selection.window)

    @property
    def option_rows(self) -> list[dict]:
        return records(self.options)


def item_detail(selection: Selection, key: str, now: datetime) -> ItemDetail:
    """Stem, options with counts and shares overall and in the upper and lower 27%, rpb."""
    forms = _forms(selection.code, selection.version)
    versions = {i.id: i for f in forms for i in f.items if i.key == key}
    if not versions:
        raise AnalyticsError(f"Item {key!r} is not on form {selection.code}.")
    try:
        analysis = _analysis(selection, forms, now)
    except frames.MixedVersions as problem:
        raise AnalyticsError(str(problem), 409) from None
    stats = analysis.items.set_index("item_id").loc[key]
    ordered = sorted(versions.values(), key=lambda item: item.version)
    options = analysis.options[analysis.options["item_id"] == key].drop(columns="item_id")
    return ItemDetail(
        selection=selection,
        key=key,
        versions=ordered,
        stats={name: _plain(value) for name, value in stats.items()},
        options=_with_texts(options.reset_index(drop=True), ordered),
        n=analysis.n,
        group_size=extreme_group_size(analysis.n),
        statistics_shown=analysis.statistics_shown,
    )


def _with_texts(options: pd.DataFrame, versions: list[Item]) -> pd.DataFrame:
    """The option table with each option's newest text (omitted and stray options named)."""
    texts = {o["id"]: o["text"] for item in versions for o in item.options}  # newest wins
    text = options["option"].map(texts).fillna("(not an option of this item)")
    text[options["option"] == "omitted"] = "(left unanswered)"
    return options.assign(text=text)[["option", "text", *options.columns.drop("option")]]


def _form_windows(code: str, now: datetime) -> list[str]:
    """The windows in which the form has closed attempts, oldest first."""
    return list(dict.fromkeys(w for c, w, _ in _attempt_counts(now) if c == code))
