"""Item analysis API on data set A (see hand_data.py) and on small edge cases."""

import math
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pytest

from app.analysis.items import (
    FlagThresholds,
    analyse_items,
    extreme_group_size,
    group_weights,
    item_statistics,
    option_breakdown,
    score_matrix,
    test_summary,
)
from tests.analysis.hand_data import (
    ALPHA,
    D27,
    FLAGS,
    FLAGS_MIN_COUNT_1,
    KEY,
    NAN,
    RPB,
    SHARES,
    SUMMARY,
    P,
    data_set_a,
)

COLUMNS = [
    "item_id",
    "n",
    "p",
    "rpb",
    "d27",
    "alpha_if_deleted",
    "flag",
    "share_A",
    "share_B",
    "share_C",
    "share_D",
    "share_omitted",
    "p_low",
    "p_high",
    "count_A",
    "count_B",
    "count_C",
    "count_D",
    "count_omitted",
]


def assert_close(actual, expected) -> None:
    """Elementwise equality to 1e-12, NaN equal to NaN."""
    np.testing.assert_allclose(
        np.asarray(actual, float), np.asarray(expected, float), rtol=0, atol=1e-12
    )


@pytest.fixture
def table() -> pd.DataFrame:
    return item_statistics(data_set_a(), KEY).set_index("item_id")


def test_columns_are_the_contract_in_order():
    assert list(item_statistics(data_set_a(), KEY).columns) == COLUMNS


def test_every_item_has_all_seven_candidates(table):
    assert table["n"].tolist() == [7] * 5


def test_p_is_the_share_correct(table):
    assert_close(table["p"], [P[item] for item in KEY])


def test_rpb_is_corrected_and_nan_without_variance(table):
    assert_close(table["rpb"], [RPB[item] for item in KEY])


def test_d27_weights_boundary_ties_fractionally(table):
    assert_close(table["d27"], [D27[item] for item in KEY])


def test_alpha_if_deleted_is_kr20_of_the_rest(table):
    assert_close(table["alpha_if_deleted"], [ALPHA[item] for item in KEY])


def test_option_shares_include_omitted(table):
    shares = table[["share_A", "share_B", "share_C", "share_D", "share_omitted"]]
    assert_close(shares, [[count / 7 for count in SHARES[item]] for item in KEY])


def test_flags_with_default_thresholds(table):
    assert table["flag"].to_dict() == FLAGS


def test_distractor_flags_need_the_minimum_count():
    loose = FlagThresholds(distractor_min_count=1)
    flags = item_statistics(data_set_a(), KEY, thresholds=loose).set_index("item_id")["flag"]
    assert flags.to_dict() == FLAGS_MIN_COUNT_1


def test_flags_follow_the_thresholds_given():
    # p below .5: Q4 (3/7). p above 1: none. rpb below -.3: Q5 only (-0.418; Q1 is -0.258).
    strict = FlagThresholds(
        hard_below=0.5,
        easy_above=1.0,
        low_rpb_below=-0.3,
        negative_rpb_below=-0.3,
        distractor_min_count=1,
    )
    flags = item_statistics(data_set_a(), KEY, thresholds=strict).set_index("item_id")["flag"]
    assert flags.to_dict() == {
        "Q1": "",
        "Q2": "",
        "Q3": "hard;distractor_attracts_upper;key_not_modal_in_upper",
        "Q4": "hard",
        "Q5": "low_rpb;negative_rpb",
    }


def test_thresholds_are_frozen_with_the_documented_defaults():
    thresholds = FlagThresholds()
    assert (thresholds.hard_below, thresholds.easy_above) == (0.30, 0.95)
    assert (thresholds.low_rpb_below, thresholds.negative_rpb_below) == (0.15, 0.0)
    with pytest.raises(FrozenInstanceError):
        thresholds.hard_below = 0.2


def test_summary_of_data_set_a():
    summary = test_summary(score_matrix(data_set_a(), KEY))
    assert summary.keys() == SUMMARY.keys()
    assert summary["n"] == 7 and summary["items"] == 5
    assert_close([summary[name] for name in SUMMARY], list(SUMMARY.values()))
    full = analyse_items(data_set_a(), KEY).summary
    assert {name: full[name] for name in SUMMARY} == summary


def test_score_matrix_marks_omitted_and_wrong_as_zero():
    scores = score_matrix(data_set_a(), KEY)
    assert scores.index.tolist() == [f"c{i}" for i in range(1, 8)]
    assert scores.to_numpy().tolist() == [
        [1, 1, 0, 1, 0],
        [1, 1, 0, 1, 1],
        [1, 1, 0, 0, 1],
        [0, 1, 0, 0, 1],
        [0, 1, 0, 1, 1],
        [0, 1, 0, 0, 1],
        [1, 1, 0, 0, 0],
    ]


def test_option_breakdown_of_q5():
    # upper: c2 A (1), c1 B, c3 A, c5 A (1/3 each) -> A 5/3, B 1/3 of 2;
    # lower: c4 A, c6 A, c7 C (2/3 each) -> A 4/3, C 2/3 of 2. Overall A 5, B 1, C 1 of 7.
    view = option_breakdown(data_set_a(), KEY, "Q5")
    assert view["option"].tolist() == ["A", "B", "C", "D", "omitted"]
    assert view["is_key"].tolist() == [True, False, False, False, False]
    assert view["count"].tolist() == [5, 1, 1, 0, 0]
    assert_close(view["share"], [5 / 7, 1 / 7, 1 / 7, 0, 0])
    assert_close(view["share_upper"], [5 / 6, 1 / 6, 0, 0, 0])
    assert_close(view["share_lower"], [2 / 3, 0, 1 / 3, 0, 0])


def test_option_breakdown_of_q3_nobody_right():
    # upper: c2 A, then c1 A, c3 D, c5 B at 1/3; lower: c4 A, c6 omitted, c7 D at 2/3.
    view = option_breakdown(data_set_a(), KEY, "Q3")
    assert view["is_key"].tolist() == [False, False, True, False, False]
    assert_close(view["share"], [3 / 7, 1 / 7, 0, 2 / 7, 1 / 7])
    assert_close(view["share_upper"], [2 / 3, 1 / 6, 0, 1 / 6, 0])
    assert_close(view["share_lower"], [1 / 3, 0, 0, 1 / 3, 1 / 3])


def test_distractor_point_biserial_by_hand():
    # Q5 option B: chosen by c1 only. X = [1,0,0,0,0,0,0], T = [3,4,3,2,3,2,2]:
    # [XT] = 7*3 - 1*19 = 2, [XX] = 7 - 1 = 6, [TT] = 24 -> rpb = 2 / sqrt(144) = 1/6.
    view = option_breakdown(data_set_a(), KEY, "Q5").set_index("option")
    assert_close(view.loc["B", "rpb"], 1 / 6)
    assert math.isnan(view.loc["D", "rpb"])  # nobody chose D: no variance


def test_each_item_shows_only_its_own_options():
    # Q1 has options A-C only (nobody chose D): its D share is blank, not 0 %; Q2..Q5 A-E, and
    # E, never chosen, is still a column at 0 % for them.
    own = {"Q1": ["A", "B", "C"], **{q: ["A", "B", "C", "D", "E"] for q in list(KEY)[1:]}}
    table = analyse_items(data_set_a(), KEY, options=own).items.set_index("item_id")
    assert math.isnan(table.loc["Q1", "share_D"]) and pd.isna(table.loc["Q1", "count_D"])
    assert table.loc["Q2", "share_E"] == 0.0 and table.loc["Q2", "count_E"] == 0
    assert_close(table.loc["Q1", "share_A"], 4 / 7)


def test_option_breakdown_refuses_an_unknown_item():
    with pytest.raises(ValueError, match="Q9"):
        option_breakdown(data_set_a(), KEY, "Q9")


def test_group_weights_share_boundary_ties():
    upper, lower = group_weights(np.array([3, 4, 3, 2, 3, 2, 2]))
    assert_close(upper, [1 / 3, 1, 1 / 3, 0, 1 / 3, 0, 0])
    assert_close(lower, [0, 0, 0, 2 / 3, 0, 2 / 3, 2 / 3])
    assert_close([upper.sum(), lower.sum()], [2, 2])


def test_small_samples_show_n_and_p_only_and_no_flags():
    analysis = analyse_items(data_set_a(), KEY, min_n=30, flag_min_n=100)
    items = analysis.items
    assert items[["rpb", "d27", "alpha_if_deleted"]].isna().all().all()
    assert_close(items["p"], [P[item] for item in KEY])
    assert (items["flag"] == "").all()
    assert math.isnan(analysis.summary["kr20"]) and math.isnan(analysis.summary["sem"])
    assert not analysis.statistics_shown and not analysis.flags_shown
    middle = analyse_items(data_set_a(), KEY, min_n=5, flag_min_n=10)
    assert middle.statistics_shown and not middle.flags_shown
    assert (middle.items["flag"] == "").all() and middle.items["rpb"].notna().any()


def test_p_has_a_wilson_interval(table):
    # Q1: 4 of 7, z^2 = 3.8415: centre (4/7 + 3.8415/14) / (1 + 3.8415/7) = 0.54609,
    # half 1.96 sqrt(4/7 * 3/7 / 7 + 3.8415/196) / 1.54878 = 0.29567
    low, high = table.loc["Q1", ["p_low", "p_high"]]
    assert low < 4 / 7 < high
    assert abs(low - 0.2504) < 5e-4 and abs(high - 0.8418) < 5e-4


@pytest.mark.parametrize(
    ("n", "size"),
    # 0.27 n: 0.27 -> 0 but n < 2 anyway; 0.54 -> 1; 1.08 -> 1; 1.35 -> 1; 1.62 -> 2;
    # 2.7 -> 3; 13.5 -> 14 (round half to even); 27 -> 27.
    [(0, 0), (1, 0), (2, 1), (4, 1), (5, 1), (6, 2), (10, 3), (50, 14), (100, 27)],
)
def test_group_size_is_27_percent_rounded_at_least_one(n, size):
    assert extreme_group_size(n) == size


def test_string_dtype_key_series_and_padding_give_the_same_table():
    # pandas' str dtype (what read_csv gives), the key as a Series, stray spaces in the answers
    padded = data_set_a().map(lambda value: f" {value} " if isinstance(value, str) else value)
    as_str = padded.astype("str")
    key = pd.Series(KEY)
    pd.testing.assert_frame_equal(item_statistics(as_str, key), item_statistics(data_set_a(), KEY))


def test_pd_na_and_non_string_options_are_understood():
    # numbers are compared as strings; pd.NA is an omission like NaN
    responses = pd.DataFrame({"Q1": [1, 2, pd.NA, 1]}, dtype=object)
    table = item_statistics(responses, {"Q1": "1"})
    assert_close(table[["p", "share_1", "share_2", "share_omitted"]], [[0.5, 0.5, 0.25, 0.25]])


def test_options_only_in_the_data_or_only_in_the_key_get_columns():
    # E is chosen but keys nothing; D is a key nobody chose.
    responses = pd.DataFrame({"Q1": ["E", "A", "A"], "Q2": ["A", "A", "E"]})
    table = item_statistics(responses, {"Q1": "A", "Q2": "D"})
    assert [c for c in table.columns if c.startswith("share_")] == [
        "share_A",
        "share_D",
        "share_E",
        "share_omitted",
    ]
    assert_close(table[["share_A", "share_D", "share_E"]], [[2 / 3, 0, 1 / 3], [2 / 3, 0, 1 / 3]])


def test_equal_totals_give_nan_kr20_not_a_warning():
    # each candidate scores 1 of 2, so var T = 0: kr20 and sem are NaN. The rest scores still
    # vary: Q1 X = [1, 0], R = [0, 1] -> rpb = -1 (Q2 likewise); one item left -> alpha NaN.
    responses = pd.DataFrame({"Q1": ["A", "B"], "Q2": ["B", "A"]})
    analysis = analyse_items(responses, {"Q1": "A", "Q2": "A"})
    assert_close(analysis.items["rpb"], [-1, -1])
    assert_close(analysis.items["alpha_if_deleted"], [NAN, NAN])
    assert math.isnan(analysis.summary["kr20"]) and math.isnan(analysis.summary["sem"])
    assert analysis.summary["sd"] == 0.0


def test_constant_rest_score_gives_nan_rpb():
    # Q1 X = [1, 0] varies, but Q2 is all wrong and Q3 all right, so R = [1, 1]: rpb NaN.
    responses = pd.DataFrame({"Q1": ["A", "B"], "Q2": ["B", "B"], "Q3": ["C", "C"]})
    table = item_statistics(responses, {"Q1": "A", "Q2": "A", "Q3": "C"})
    assert_close(table["rpb"], [NAN, NAN, NAN])
    # without Q1: T = [1, 1] -> NaN; without Q2 or Q3: [XX] = 2*1 - 1 = 1 for Q1, 0 for the
    # other, rest [2, 1] or [1, 0] has [RR] = 2*5 - 9 = 1 -> 2/1 (1 - 1/1) = 0.
    assert_close(table["alpha_if_deleted"], [NAN, 0, 0])


def test_one_candidate_has_no_groups():
    analysis = analyse_items(pd.DataFrame({"Q1": ["A"], "Q2": ["B"], "Q3": ["C"]}), KEY_3)
    assert_close(analysis.items["p"], [1, 1, 0])
    assert_close(analysis.items["d27"], [NAN] * 3)
    assert analysis.items["flag"].tolist() == ["easy", "easy", "hard"]


KEY_3 = {"Q1": "A", "Q2": "B", "Q3": "D"}


def test_no_candidates_gives_nan_everywhere():
    empty = pd.DataFrame({"Q1": [], "Q2": [], "Q3": []}, dtype=object)
    analysis = analyse_items(empty, KEY_3)
    assert analysis.items["n"].tolist() == [0, 0, 0]
    assert analysis.items[["p", "rpb", "d27", "share_A"]].isna().all().all()
    assert analysis.summary["n"] == 0 and math.isnan(analysis.summary["mean"])


def test_perfectly_consistent_test_has_kr20_exactly_one():
    # Guttman pattern: p = .75, .5, .25; T = [3,2,1,0], var T = 3.5 - 1.5**2 = 1.25,
    # sum pq = .1875 + .25 + .1875 = .625, kr20 = 3/2 (1 - .625/1.25) = .75,
    # sd = sqrt(1.25), sem = sd * sqrt(.25).
    guttman = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]]
    summary = test_summary(guttman)
    assert_close(
        [summary["mean"], summary["sd"], summary["kr20"], summary["sem"]],
        [1.5, math.sqrt(1.25), 0.75, math.sqrt(1.25) / 2],
    )
    # two identical items: kr20 = 2 (1 - 2pq / 4pq) = 1, and sem 0, never sqrt(-1e-16)
    twins = test_summary([[1, 1], [0, 0], [1, 1]])
    assert twins["kr20"] == 1.0 and twins["sem"] == 0.0


def test_guttman_rpb_by_hand():
    # item 1: X = [1,1,1,0], R = [2,1,0,0]: [XR] = 4*3 - 3*3 = 3, [XX] = 12 - 9 = 3,
    # [RR] = 4*5 - 9 = 11 -> rpb = 3/sqrt(33) = sqrt(3/11).
    responses = pd.DataFrame(
        [["A", "A", "A"], ["A", "A", "B"], ["A", "B", "B"], ["B", "B", "B"]],
        columns=["Q1", "Q2", "Q3"],
    )
    table = item_statistics(responses, {"Q1": "A", "Q2": "A", "Q3": "A"})
    assert_close(table["rpb"].iloc[0], math.sqrt(3 / 11))


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ({"Q1": "A"}, "not in key"),
        ({"Q1": "A", "Q2": "B", "Q9": "C"}, "not in responses"),
        ({"Q1": "A", "Q2": ""}, "no option"),
        ({"Q1": "A", "Q2": "omitted"}, "omitted"),
    ],
)
def test_bad_keys_are_refused(key, message):
    responses = pd.DataFrame({"Q1": ["A"], "Q2": ["B"]})
    with pytest.raises(ValueError, match=message):
        item_statistics(responses, key)
