"""Reliability at the cut score from a form's score distribution (pure numpy/scipy).

Conditional SEM at the cut: Lord's binomial error model, sqrt(x (k - x) / (k - 1)) items at raw
score x = the fewest correct answers that pass. Decision consistency: Subkoviak's (1976)
single-administration estimate: each candidate's true proportion correct is estimated by
Kelley's regression, tau = r * x / k + (1 - r) * mean / k (r = KR-20, clipped to 0..1), the
chance of passing a parallel form is P = P(Binomial(k, tau) >= cut), and the chance of the same
decision twice is P**2 + (1 - P)**2, averaged over candidates (p0). Kappa corrects p0 for
chance agreement: (p0 - pc) / (1 - pc) with pc = Pbar**2 + (1 - Pbar)**2.
"""

import math
from collections.abc import Sequence

import numpy as np


def raw_cut(pass_mark_percent: float, k: int) -> int:
    """The fewest correct answers of k that reach the pass mark (percent >= mark passes)."""
    return max(0, math.ceil(pass_mark_percent * k / 100 - 1e-9))


def conditional_sem(cut: int, k: int) -> float:
    """Lord's binomial conditional SEM (in items) at raw score `cut` on a k-item test."""
    if k < 2:
        return math.nan
    return math.sqrt(cut * (k - cut) / (k - 1))


def decision_consistency(score_counts: Sequence[int], kr20: float, cut: int) -> dict[str, float]:
    """Subkoviak's p0 and kappa for a cut, from candidates per total score 0..k."""
    counts = np.asarray(score_counts, dtype=float)
    k, n = len(counts) - 1, counts.sum()
    if n == 0 or k < 1 or math.isnan(kr20):
        return {"consistency": math.nan, "kappa": math.nan}
    from scipy.stats import binom  # noqa: PLC0415 - scipy is slow to import; only needed here

    scores = np.arange(k + 1)
    mean = float(counts @ scores) / n
    r = min(max(kr20, 0.0), 1.0)
    tau = np.clip(r * scores / k + (1 - r) * mean / k, 0.0, 1.0)
    passing = binom.sf(cut - 1, k, tau)  # P(X >= cut)
    p0 = float(counts @ (passing**2 + (1 - passing) ** 2)) / n
    mean_pass = float(counts @ passing) / n
    chance = mean_pass**2 + (1 - mean_pass) ** 2
    kappa = (p0 - chance) / (1 - chance) if chance < 1 else math.nan
    return {"consistency": p0, "kappa": kappa}


def at_the_cut(score_counts: Sequence[int], kr20: float, pass_mark: float) -> dict[str, float]:
    """Raw cut, conditional SEM there and decision consistency for a pass mark in percent."""
    k = len(score_counts) - 1
    cut = raw_cut(pass_mark, k)
    return {
        "pass_mark": pass_mark,
        "raw_cut": cut,
        "csem": conditional_sem(cut, k),
        **decision_consistency(score_counts, kr20, cut),
    }
