"""Coordinator analytics: one Part One form compared across exam windows.

Test-level figures per window (n, mean, sd, KR-20 with Feldt's interval, SEM, pass rate at the
form's pass mark with a Wilson interval) and one item's p and rpb per window (drift). Each
window's analysis is the cached one of the items page for that window and selection.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from flask import current_app

from app.analysis import frames
from app.analysis.rates import wilson_interval
from app.analysis.reliability import raw_cut
from app.coordinator.analytics_items import Selection, _analysis, _form_windows
from app.coordinator.analytics_services import AnalyticsError, _forms, records

TEST_COLUMNS = ["window", "n", "mean", "sd", "kr20", "kr20_low", "kr20_high", "sem",
                "pass_rate", "pass_low", "pass_high"]  # fmt: skip
DRIFT_COLUMNS = ["window", "n", "p", "p_low", "p_high", "rpb"]


@dataclass
class WindowComparison:
    """A form's figures per window, and one item's across them."""

    selection: Selection
    title: str
    items: list[str]
    item: str
    tests: pd.DataFrame
    drift: pd.DataFrame
    min_group: int

    @property
    def test_rows(self) -> list[dict]:
        return records(self.tests)

    @property
    def drift_rows(self) -> list[dict]:
        return records(self.drift)


def compare_windows(selection: Selection, item: str | None, now: datetime) -> WindowComparison:
    """Per window: test summary and pass rate; the chosen item's p and rpb (drift)."""
    forms = _forms(selection.code, selection.version)
    keys = [i.key for i in forms[-1].items]
    item = item or (keys[0] if keys else "")
    if item not in keys:
        raise AnalyticsError(f"Item {item!r} is not on form {selection.code}.")
    minimum = current_app.config["REPORT_MIN_GROUP"]
    tests, drift = [], []
    for window in _form_windows(selection.code, now):
        one = Selection(selection.code, selection.version, window, selection.scope)
        try:
            analysis = _analysis(one, forms, now)
        except frames.MixedVersions as problem:
            raise AnalyticsError(f"{problem} Compare one version across windows.", 409) from None
        tests.append(_test_row(window, analysis, forms[-1].pass_mark, minimum))
        row = analysis.items.set_index("item_id").loc[item]
        drift.append([window, analysis.n, row["p"], row["p_low"], row["p_high"], row["rpb"]])
    return WindowComparison(
        selection=selection,
        title=forms[-1].title,
        items=keys,
        item=item,
        tests=pd.DataFrame(tests, columns=TEST_COLUMNS),
        drift=pd.DataFrame(drift, columns=DRIFT_COLUMNS),
        min_group=minimum,
    )


def _test_row(window: str, analysis, pass_mark: float | None, minimum: int) -> list:
    """One window's test-level figures; the pass rate hidden for a group under the minimum."""
    s, counts = analysis.summary, np.asarray(analysis.score_counts)
    rate = low = high = np.nan
    if pass_mark is not None and analysis.n >= max(minimum, 1):
        passed = int(counts[raw_cut(pass_mark, len(counts) - 1) :].sum())
        rate = passed / analysis.n
        (low,), (high,) = wilson_interval([passed], analysis.n)
    return [window, analysis.n, s["mean"], s["sd"], s["kr20"], s["kr20_low"], s["kr20_high"],
            s["sem"], rate, low, high]  # fmt: skip
