"""Modified Angoff arithmetic against a hand-worked example."""

import math

import pandas as pd
import pytest

from app.standards.angoff import (
    check_ratings,
    impact,
    item_feedback,
    panellist_cuts,
    recommended_cut,
)

# Three panellists, four items (ratings in %):
#            I1  I2  I3  I4   sum/100   percent of 4
#   Ana      80  60  90  50   2.80      70.0
#   Ben      70  65  85  40   2.60      65.0
#   Cleo     90  55  95  60   3.00      75.0
# mean cut 8.40 / 3 = 2.80 raw = 70 %; deviations 0, -0.2, 0.2 -> sd sqrt(0.08 / 2) = 0.2,
# se 0.2 / sqrt(3) = 0.11547; spread 2.60 to 3.00.
RATINGS = pd.DataFrame(
    [[80, 60, 90, 50], [70, 65, 85, 40], [90, 55, 95, 60]],
    index=["Ana", "Ben", "Cleo"],
    columns=["I1", "I2", "I3", "I4"],
)


def test_each_panellists_cut_by_hand():
    cuts = panellist_cuts(RATINGS)
    assert cuts["panellist"].tolist() == ["Ana", "Ben", "Cleo"]
    assert cuts["cut_raw"].tolist() == pytest.approx([2.8, 2.6, 3.0])
    assert cuts["cut_percent"].tolist() == pytest.approx([70.0, 65.0, 75.0])


def test_recommended_cut_its_error_and_spread_by_hand():
    cut = recommended_cut(RATINGS)
    assert cut["cut_raw"] == pytest.approx(2.8)
    assert cut["cut_percent"] == pytest.approx(70.0)
    assert cut["sd_raw"] == pytest.approx(0.2)
    assert cut["se_raw"] == pytest.approx(0.2 / math.sqrt(3))
    assert (cut["min_raw"], cut["max_raw"]) == pytest.approx((2.6, 3.0))


def test_round_two_feedback_by_hand():
    # I2: 60, 65, 55 -> mean 60, low 55, high 65, sd 5
    feedback = item_feedback(RATINGS).set_index("item_id")
    assert feedback.loc["I2"].tolist() == pytest.approx([60.0, 55.0, 65.0, 5.0])


def test_impact_is_the_share_at_or_above_the_cut():
    # scores 60, 70, 70, 80, 90: at 70 %, four of five pass
    results = pd.DataFrame({"percent": [60.0, 70.0, 70.0, 80.0, 90.0]})
    assert impact(results, 70.0) == {"cut": 70.0, "n": 5, "passed": 4, "rate": 0.8}


@pytest.mark.parametrize("bad", [101, -5, 72, "high", None])
def test_ratings_off_the_scale_are_refused_by_name(bad):
    ratings = RATINGS.astype(object).copy()
    ratings.loc["Ben", "I3"] = bad
    with pytest.raises(ValueError, match="item 'I3' by 'Ben'"):
        check_ratings(ratings)
