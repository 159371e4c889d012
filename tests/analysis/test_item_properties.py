"""Property tests: item analysis on random responses against a naive plain-Python version."""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from app.analysis.items import (
    FlagThresholds,
    analyse_items,
    item_statistics,
    score_matrix,
    test_summary,
)

OPTIONS = ["A", "B", "C", "D"]
BLANKS = [None, "", float("nan")]
THRESHOLDS = FlagThresholds(distractor_min_count=2)  # reachable with 30 candidates
MIN_COUNT = 2


@st.composite
def exams(draw):
    """(responses frame, key dict): up to 30 candidates x 6 items, blanks of every kind."""
    n = draw(st.integers(0, 30))
    k = draw(st.integers(1, 6))
    items = [f"Q{i}" for i in range(1, k + 1)]
    answer = st.sampled_from(OPTIONS + BLANKS)
    rows = draw(st.lists(st.lists(answer, min_size=k, max_size=k), min_size=n, max_size=n))
    key = {item: draw(st.sampled_from(OPTIONS)) for item in items}
    frame = pd.DataFrame(rows, columns=items, index=[f"c{i}" for i in range(n)], dtype=object)
    return frame, key


def naive_scores(frame, key):
    """Lists of 0/1 per candidate, answer by answer."""
    return [[1 if row[item] == key[item] else 0 for item in key] for _, row in frame.iterrows()]


def naive_variance(values):
    """Population variance as an exact fraction."""
    mean = Fraction(sum(values), len(values))
    return sum((Fraction(v) - mean) ** 2 for v in values) / len(values)


def naive_covariance(xs, ys):
    mean_x, mean_y = Fraction(sum(xs), len(xs)), Fraction(sum(ys), len(ys))
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / len(xs)


def naive_kr20(scores):
    """KR-20 from its textbook definition, NaN for under two items or no variance."""
    k = len(scores[0]) if scores else 0
    if not scores or k < 2:
        return math.nan
    totals = [sum(row) for row in scores]
    variance = naive_variance(totals)
    if variance == 0:
        return math.nan
    pq = sum(naive_variance([row[i] for row in scores]) for i in range(k))
    return float(Fraction(k, k - 1) * (1 - pq / variance))


def naive_rpb(xs, rest):
    if not xs or naive_variance(xs) == 0 or naive_variance(rest) == 0:
        return math.nan
    covariance = naive_covariance(xs, rest)
    return float(covariance) / math.sqrt(naive_variance(xs) * naive_variance(rest))


def naive_groups(totals):
    """Upper and lower 27% as weights: walk the scores from the top (bottom), each score's
    candidates sharing what is left of the group's places."""
    n = len(totals)
    size = max(round(0.27 * n), 1) if n >= 2 else 0

    def weights(descending):
        left, out = Fraction(size), [Fraction(0)] * n
        for score in sorted(set(totals), reverse=descending):
            tied = [i for i in range(n) if totals[i] == score]
            take = min(left, len(tied))
            for i in tied:
                out[i] = Fraction(take) / len(tied)
            left -= take
        return out

    return weights(True), weights(False), size


def naive_item(frame, key, scores, item_index):
    """Every statistic of one item by loops over candidates."""
    item = list(key)[item_index]
    n = len(scores)
    xs = [row[item_index] for row in scores]
    totals = [sum(row) for row in scores]
    rest = [t - x for t, x in zip(totals, xs, strict=True)]
    upper, lower, size = naive_groups(totals)
    answers = [a if isinstance(a, str) and a else None for a in frame[item]]

    def count(option, weights):
        return sum(w for i, w in enumerate(weights) if answers[i] == option)

    def share(option, who):
        return sum(1 for i in who if answers[i] == option) / len(who) if who else math.nan

    reduced = [[v for j, v in enumerate(row) if j != item_index] for row in scores]
    distractors = [o for o in OPTIONS if o != key[item]]
    return {
        "p": sum(xs) / n if n else math.nan,
        "rpb": naive_rpb(xs, rest),
        "d27": float(sum(x * (u - v) for x, u, v in zip(xs, upper, lower, strict=True)) / size)
        if size
        else math.nan,
        "alpha_if_deleted": naive_kr20(reduced),
        "shares": {o: share(o, range(n)) for o in [*OPTIONS, None]},
        "attracts": any(
            count(o, upper) > count(o, lower) and count(o, upper) >= MIN_COUNT for o in distractors
        ),
        "not_modal": any(
            count(o, upper) > count(key[item], upper) and count(o, upper) >= MIN_COUNT
            for o in distractors
        ),
    }


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=150, deadline=None)
@given(exams())
def test_every_statistic_matches_the_naive_version(exam):
    frame, key = exam
    table = item_statistics(frame, key, THRESHOLDS)
    scores = naive_scores(frame, key)
    seen = sorted(set(key.values()) | {a for a in frame.to_numpy().ravel() if a in OPTIONS})
    assert [c for c in table.columns if c.startswith("share_")] == [
        *(f"share_{option}" for option in seen),
        "share_omitted",
    ]
    for position, row in enumerate(table.itertuples(index=False)):
        naive = naive_item(frame, key, scores, position)
        for name in ("p", "rpb", "d27", "alpha_if_deleted"):
            assert same(getattr(row, name), naive[name]), (name, row, naive)
        for option in seen:
            assert same(getattr(row, f"share_{option}"), naive["shares"][option])
        assert same(row.share_omitted, naive["shares"][None])
        flags = set(row.flag.split(";")) - {""}
        assert ("distractor_attracts_upper" in flags) == naive["attracts"]
        assert ("key_not_modal_in_upper" in flags) == naive["not_modal"]
        assert ("hard" in flags) == (naive["p"] < THRESHOLDS.hard_below)
        assert ("easy" in flags) == (naive["p"] > THRESHOLDS.easy_above)
        if not math.isclose(naive["rpb"], THRESHOLDS.low_rpb_below, abs_tol=1e-9):
            assert ("low_rpb" in flags) == (naive["rpb"] < THRESHOLDS.low_rpb_below)
        if not math.isclose(naive["rpb"], 0, abs_tol=1e-9):
            assert ("negative_rpb" in flags) == (naive["rpb"] < 0)


@settings(max_examples=150, deadline=None)
@given(exams())
def test_summary_matches_the_naive_version(exam):
    frame, key = exam
    scores = naive_scores(frame, key)
    totals = [sum(row) for row in scores]
    full = analyse_items(frame, key).summary
    summary = {name: full[name] for name in ("n", "items", "mean", "sd", "kr20", "sem")}
    assert summary["n"] == len(frame) and summary["items"] == len(key)
    if totals:
        assert same(summary["mean"], sum(totals) / len(totals))
        assert same(summary["sd"], math.sqrt(naive_variance(totals)))
    assert same(summary["kr20"], naive_kr20(scores))
    assert summary == test_summary(score_matrix(frame, key))


@settings(max_examples=150, deadline=None)
@given(exams())
def test_p_is_a_proportion_and_shares_sum_to_one(exam):
    frame, key = exam
    table = item_statistics(frame, key)
    if frame.empty:
        assert table["p"].isna().all()
        return
    assert table["p"].between(0, 1).all()
    shares = table[[c for c in table.columns if c.startswith("share_")]]
    counts = table[[c for c in table.columns if c.startswith("count_")]]
    assert (counts.sum(axis=1) == len(frame)).all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert table["d27"].dropna().between(-1, 1).all()
    assert table["rpb"].dropna().between(-1 - 1e-12, 1 + 1e-12).all()


@settings(max_examples=150, deadline=None)
@given(exams())
def test_alpha_if_deleted_is_kr20_of_the_reduced_matrix(exam):
    frame, key = exam
    table = item_statistics(frame, key).set_index("item_id")
    for item in key:
        reduced = score_matrix(frame, key).drop(columns=item)
        assert same(table.loc[item, "alpha_if_deleted"], test_summary(reduced)["kr20"])


@settings(max_examples=100, deadline=None)
@given(exams(), st.randoms(use_true_random=False))
def test_permuting_attempt_order_never_changes_anything(exam, random):
    frame, key = exam
    order = list(frame.index)
    random.shuffle(order)
    before = analyse_items(frame, key, THRESHOLDS)
    after = analyse_items(frame.loc[order], key, THRESHOLDS)
    pd.testing.assert_frame_equal(before.items, after.items, check_exact=False, atol=1e-12)
    pd.testing.assert_frame_equal(before.options, after.options, check_exact=False, atol=1e-12)
