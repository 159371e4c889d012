"""Complementary suppression: no hidden passed count can be worked out from what is shown."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.outcomes import shown_together
from app.analysis.rates import (
    COMPLEMENTARY,
    PRIMARY,
    complementary_suppression,
    protected_pass_rates,
    wilson_interval,
)

WINDOWS = ["W1", "W2", "W3", "W4"]
TRACKS = ["IMH-SPECIALIST", "IMH-MENTOR-CLINICAL", "IMH-MENTOR-RESEARCH"]


def results_from(counts: dict[tuple, tuple[int, int]]) -> pd.DataFrame:
    """Result rows from {(window, track, part): (n, passed)}."""
    rows = []
    for (window, track, part), (n, passed) in counts.items():
        rows += [(window, track, part, i < passed) for i in range(n)]
    return pd.DataFrame(rows, columns=["window", "track", "part", "passed"])


def the_reported_case() -> pd.DataFrame:
    """Window x track with one small cell per window, as the issue found: n=4, 0 passed."""
    counts = {}
    for position, window in enumerate(WINDOWS):
        counts[(window, TRACKS[0], "MC")] = (20 + position, 12)
        counts[(window, TRACKS[1], "MC")] = (9, 6)
        counts[(window, TRACKS[2], "MC")] = (4, 0)
    return results_from(counts)


def published_cells(frame: pd.DataFrame, tables: list[pd.DataFrame], groupings):
    """(set of result row positions, passed or None) for every cell of every table."""
    cells = []
    for table, by in zip(tables, groupings, strict=True):
        for row in table.itertuples(index=False):
            row = row._asdict()
            members = np.ones(len(frame), dtype=bool)
            for column in by:
                members &= (frame[column] == row[column]).to_numpy()
            passed = None if row["suppressed"] else int(row["passed"])
            cells.append((frozenset(np.flatnonzero(members)), passed))
    return cells


def subtraction_attacks(frame, tables, groupings) -> list[str]:
    """Every 'margin minus the other cells' derivation of a hidden cell that succeeds.

    For each hidden cell and each shown cell containing it (a margin, in any table, the same
    table's total included), the rest of the margin must be covered exactly by disjoint shown
    cells (from one table or several); if it is, the hidden count is the margin's minus theirs.
    """
    cells = published_cells(frame, tables, groupings)
    shown = [(members, passed) for members, passed in cells if passed is not None]
    found = []
    for hidden, passed in cells:
        if passed is not None:
            continue
        # the same group shown elsewhere is the plainest leak of all
        if any(members == hidden for members, _ in shown):
            found.append(f"{sorted(hidden)} shown in another table")
        for margin, _ in shown:
            if hidden < margin and _exactly_covered(margin - hidden, shown):
                found.append(f"{sorted(hidden)} = margin {len(margin)} - others")
    return found


def _exactly_covered(rest: frozenset, shown) -> bool:
    """Whether disjoint shown cells inside `rest` cover it exactly (an exact-cover search)."""
    if not rest:
        return True
    first = min(rest)
    for members, _ in shown:
        if first in members and members <= rest and _exactly_covered(rest - members, shown):
            return True
    return False


def test_the_reported_window_by_track_leak_is_closed():
    frame = the_reported_case()
    groupings = [["window", "track", "part"], ["window", "part"]]
    naive = [
        protected_pass_rates(frame, [by], min_n=5)[0] for by in groupings
    ]  # each table protected on its own: the finding
    assert subtraction_attacks(frame, naive, groupings)
    tables = protected_pass_rates(frame, groupings, min_n=5)
    assert subtraction_attacks(frame, tables, groupings) == []
    detail = tables[0]
    research = detail[detail["track"] == TRACKS[2]]
    assert research["suppression"].eq(PRIMARY).all() and research["passed"].isna().all()
    # each window loses one more cell (its smallest other track) rather than the total
    assert (detail["suppression"] == COMPLEMENTARY).sum() == len(WINDOWS)
    assert detail.loc[detail["suppression"] == COMPLEMENTARY, "track"].eq(TRACKS[1]).all()
    assert tables[1]["suppressed"].eq(False).all()


def test_a_hidden_row_of_a_two_way_table_needs_a_second_hidden_row_and_column():
    # a 2 x 3 table with its row and column margins shown: hiding one cell must hide a
    # rectangle of four cells, the classic complementary pattern
    counts = {
        ("W1", TRACKS[0], "MC"): (30, 20),
        ("W1", TRACKS[1], "MC"): (3, 1),
        ("W1", TRACKS[2], "MC"): (25, 10),
        ("W2", TRACKS[0], "MC"): (28, 14),
        ("W2", TRACKS[1], "MC"): (12, 5),
        ("W2", TRACKS[2], "MC"): (40, 30),
    }
    frame = results_from(counts)
    groupings = [["window", "track"], ["window"], ["track"], []]
    tables = protected_pass_rates(frame, groupings, min_n=5)
    assert subtraction_attacks(frame, tables, groupings) == []
    assert tables[0]["suppressed"].sum() == 4
    assert not tables[3]["suppressed"].any()  # the grand total stays


def test_nothing_is_hidden_without_small_groups():
    frame = results_from({("W1", TRACKS[0], "MC"): (10, 5), ("W2", TRACKS[0], "MC"): (8, 2)})
    tables = protected_pass_rates(frame, [["window"], []], min_n=5)
    assert not any(table["suppressed"].any() for table in tables)


def test_the_same_group_in_two_tables_is_hidden_in_both():
    frame = the_reported_case()
    first, second = protected_pass_rates(frame, [["window", "track"], ["track", "window"]], 5)
    merged = first.merge(second, on=["window", "track"])
    assert (merged["suppressed_x"] == merged["suppressed_y"]).all()


def test_a_hidden_cell_is_never_the_only_hidden_one_in_a_shown_margin():
    frame = the_reported_case()
    frame["window_opens"] = frame["window"].map({w: i for i, w in enumerate(WINDOWS)})
    table = shown_together(frame, [["window", "track"], ["window"]], min_n=5)[0]
    hidden_per_window = table.groupby("window")["suppressed"].sum()
    assert (hidden_per_window != 1).all()


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=6, max_size=6),
    passes=st.lists(st.floats(0, 1), min_size=6, max_size=6),
    groupings=st.sampled_from(
        [
            [["window", "track"], ["window"]],
            [["window", "track"], ["track"], ["window"], []],
            [["track", "window"], ["window", "part"], []],
            [["track"], ["window"], []],
        ]
    ),
)
def test_no_subtraction_or_linear_combination_finds_a_hidden_cell(sizes, passes, groupings):
    keys = list(itertools.product(["W1", "W2", "W3"], TRACKS[:2], ["MC"]))
    counts = {key: (n, round(share * n)) for key, n, share in zip(keys, sizes, passes, strict=True)}
    frame = results_from(counts)
    tables = protected_pass_rates(frame, groupings, min_n=5)
    assert subtraction_attacks(frame, tables, groupings) == []
    # stronger than subtraction: no hidden cell is any linear combination of the shown ones
    cells = published_cells(frame, tables, groupings)
    vectors = np.array([[i in members for i in range(len(frame))] for members, _ in cells], float)
    shown = np.array([passed is not None for _, passed in cells])
    if shown.any() and (~shown).any():
        solution = np.linalg.lstsq(vectors[shown].T, vectors[~shown].T, rcond=None)[0]
        residual = vectors[shown].T @ solution - vectors[~shown].T
        assert (np.abs(residual).max(axis=0) > 1e-6).all()


def test_complementary_suppression_is_deterministic_and_keeps_primary_cells():
    cells = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float)
    hidden = complementary_suppression(cells, np.array([2, 7, 9, 18]), np.array([1, 0, 0, 0]))
    assert hidden.tolist() == [True, True, False, False]  # the smaller other cell, not 9


def test_wilson_interval_by_hand():
    # 8 of 10, z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71676, half 0.21917
    low, high = wilson_interval([8, 0], [10, 0])
    assert low[0] == pytest.approx(0.4902, abs=1e-4)
    assert high[0] == pytest.approx(0.9433, abs=1e-4)
    assert np.isnan(low[1]) and np.isnan(high[1])
