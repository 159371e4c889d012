"""The pass-rate page, its downloads and `report pass-rates` leave no hidden group derivable."""

import io
from datetime import date

import pandas as pd
import pytest

from app.analysis import frames
from tests.analysis.test_disclosure import TRACKS, WINDOWS, the_reported_case

BASE = "/coordinator/analytics/pass-rates"
QUERY = "?by=window&by=track&by=part"


@pytest.fixture
def reported_results(monkeypatch):
    """The issue's finding as the results frame: one track with n=4 in every window."""
    frame = the_reported_case()
    opens = {window: date(2026, 1 + 3 * i, 1) for i, window in enumerate(WINDOWS)}
    frame = frame.assign(
        window_opens=frame["window"].map(opens),
        endorsement="IMH",
        form="IMH-P1",
        pass_mark=80.0,
        attempt_no=1,
        attempt="first",
        percent=frame["passed"].map({True: 90.0, False: 50.0}),
        released=True,
    )
    monkeypatch.setattr(frames, "results_frame", lambda: frame)
    return frame


def hidden_leaks(detail: pd.DataFrame, by_window: pd.DataFrame) -> list[str]:
    """Windows where the total minus the shown tracks gives a hidden track's passed count."""
    leaks = []
    for window, rows in detail.groupby("window"):
        total = by_window[by_window["window"] == window].iloc[0]
        if rows["suppressed"].sum() == 1 and not total["suppressed"]:
            leaks.append(window)
    return leaks


def test_the_page_hides_a_second_track_in_each_window(coordinator, reported_results):
    html = coordinator.get(BASE + QUERY).get_data(as_text=True)
    assert html.count("suppressed (fewer than 5)") == len(WINDOWS)
    assert html.count("hidden (complementary") == len(WINDOWS)
    assert "How small groups are protected" in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_downloads_leave_nothing_to_subtract(coordinator, reported_results, fmt):
    tables = []
    for table in ("rates", "by-window"):
        response = coordinator.get(f"{BASE}/download/{table}.{fmt}{QUERY}")
        assert response.status_code == 200
        body = io.BytesIO(response.data)
        tables.append(pd.read_csv(body) if fmt == "csv" else pd.read_excel(body))
    detail, by_window = tables
    assert detail.loc[detail["track"] == TRACKS[2], "suppressed"].all()
    assert hidden_leaks(detail, by_window) == []


def test_csv_has_one_charset_and_full_precision(coordinator, reported_results):
    response = coordinator.get(f"{BASE}/download/by-window.csv{QUERY}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    rates = pd.read_csv(io.BytesIO(response.data))["rate"]
    # W1: 20 + 9 + 4 results, 12 + 6 + 0 passed; the CSV reads back the exact double
    assert rates.iloc[0] == 18 / 33


def test_the_cli_table_is_protected(runner, reported_results):
    result = runner.invoke(args=["report", "pass-rates", "--by", "window,track,part"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.stdout))
    assert (table["suppression"] == "small group").sum() == len(WINDOWS)
