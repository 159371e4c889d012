"""Reliability at the cut: Lord's conditional SEM and Subkoviak's consistency, by hand."""

import math
from fractions import Fraction

import pytest

from app.analysis.items import feldt_interval
from app.analysis.reliability import at_the_cut, conditional_sem, decision_consistency, raw_cut


def test_raw_cut_is_the_fewest_correct_that_pass():
    assert raw_cut(80, 60) == 48  # 48/60 = 80 % exactly passes
    assert raw_cut(80, 7) == 6  # 5/7 = 71 %, 6/7 = 86 %
    assert raw_cut(0, 10) == 0


def test_conditional_sem_by_hand():
    # x = 48 of 60: sqrt(48 * 12 / 59) = sqrt(9.7627) = 3.1245
    assert conditional_sem(48, 60) == pytest.approx(math.sqrt(576 / 59))
    assert conditional_sem(0, 60) == 0.0


def test_subkoviak_by_hand():
    # k = 4, cut 3, KR-20 0.5; one candidate each on 1 and 3, two on 2: mean 2.
    # tau = 0.5 x / 4 + 0.5 * 2 / 4 = 0.25 + x / 8: 3/8, 1/2, 5/8.
    # P(X >= 3 | 4, t) = 4 t^3 (1 - t) + t^4.
    def passing(t):
        return 4 * t**3 * (1 - t) + t**4

    taus = [Fraction(3, 8), Fraction(1, 2), Fraction(1, 2), Fraction(5, 8)]
    ps = [passing(t) for t in taus]
    p0 = sum(p * p + (1 - p) ** 2 for p in ps) / 4
    mean_pass = sum(ps) / 4
    chance = mean_pass**2 + (1 - mean_pass) ** 2
    result = decision_consistency([0, 1, 2, 1, 0], 0.5, 3)
    assert result["consistency"] == pytest.approx(float(p0), abs=1e-12)
    assert result["kappa"] == pytest.approx(float((p0 - chance) / (1 - chance)), abs=1e-12)
    assert float(p0) == pytest.approx(0.59602, abs=1e-5)


def test_at_the_cut_combines_them_and_survives_no_data():
    figures = at_the_cut([0, 1, 2, 1, 0], 0.5, 75)
    assert figures["raw_cut"] == 3 and figures["csem"] == pytest.approx(math.sqrt(3 / 3))
    empty = at_the_cut([0, 0, 0], math.nan, 80)
    assert math.isnan(empty["consistency"]) and math.isnan(empty["kappa"])


def test_feldt_interval_brackets_kr20_and_narrows_with_n():
    small = feldt_interval(0.8, 50, 60)
    large = feldt_interval(0.8, 5000, 60)
    assert small["kr20_low"] < 0.8 < small["kr20_high"]
    assert large["kr20_high"] - large["kr20_low"] < small["kr20_high"] - small["kr20_low"]
    # F(0.975; 49, 2891) is close to its df2 -> infinity limit chi2(0.975; 49) / 49 =
    # 70.222 / 49 = 1.4331 (a table value), so lower ~ 1 - 0.2 * 1.4331 = 0.7134
    assert small["kr20_low"] == pytest.approx(0.7134, abs=2e-3)
