"""Benchmark: item analysis of 100,000 candidates x 60 items against a plain numpy baseline.

Both sides start from the same input, a responses frame of option letters as `read_csv` gives
it, and a key Series. The baseline is the leanest numpy way to get p, corrected rpb and KR-20
(score by comparison, one matrix-vector product); ours is `analyse_items`, which yields the full
`item_statistics` table (p, rpb, d27, alpha if deleted, option shares, flags) and the
`test_summary` from one encoding. Best of 3 each. Run: .venv/bin/python bench/analysis.py
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.analysis.items import analyse_items, item_statistics, score_matrix, test_summary  # noqa: E402

CANDIDATES, ITEMS, OPTIONS, SEED, REPEATS = 100_000, 60, np.array(list("ABCD")), 20240601, 3


def simulate(candidates: int = CANDIDATES, items: int = ITEMS, seed: int = SEED):
    """Ability-based answers (3PL-like), uneven distractors, more omissions at low ability."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 1, candidates)[:, None]
    difficulty = rng.normal(-0.3, 1, items)
    discrimination = rng.uniform(0.4, 2.0, items)
    chance = 1 / len(OPTIONS)
    p_correct = chance + (1 - chance) / (1 + np.exp(-1.7 * discrimination * (ability - difficulty)))
    correct = rng.random((candidates, items)) < p_correct
    key_index = rng.integers(0, len(OPTIONS), items)
    # each item's three distractors get their own pull, so shares are realistic, not uniform
    pull = rng.dirichlet(np.ones(len(OPTIONS) - 1), items)
    distractor_rank = (rng.random((candidates, items))[..., None] > pull.cumsum(axis=1)).sum(2)
    distractor_rank = np.minimum(distractor_rank, len(OPTIONS) - 2)
    wrong_index = (key_index + 1 + distractor_rank) % len(OPTIONS)
    chosen = np.where(correct, key_index, wrong_index)
    letters = OPTIONS[chosen].astype(object)
    omitted = rng.random((candidates, items)) < 0.01 + 0.03 * (ability < -1)
    letters[omitted & ~correct] = np.nan
    item_ids = [f"Q{i + 1:03d}" for i in range(items)]
    index = pd.Index([f"C{i:06d}" for i in range(candidates)], name="candidate_id")
    responses = pd.DataFrame(letters, index=index, columns=item_ids).astype("str")
    return responses, pd.Series(OPTIONS[key_index], index=item_ids)


def numpy_baseline(responses: pd.DataFrame, key: pd.Series) -> tuple:
    """p, corrected point-biserial and KR-20 in plain numpy, from the same frame and key."""
    scores = (responses.to_numpy() == key.to_numpy()).astype(np.float64)
    n, k = scores.shape
    total = scores.sum(axis=1)
    p = scores.mean(axis=0)
    var_item, var_total = p * (1 - p), total.var()
    cov_item_total = (total - total.mean()) @ scores / n
    var_rest = var_total + var_item - 2 * cov_item_total
    rpb = (cov_item_total - var_item) / np.sqrt(var_item * var_rest)
    kr20 = k / (k - 1) * (1 - var_item.sum() / var_total)
    return p, rpb, kr20


def best_times(repeats: int, **work) -> dict[str, tuple[float, object]]:
    """Best time in seconds (and last result) of each callable, run in turn every round."""
    # interleaved rounds: a busy moment on the machine then slows both sides, not just one
    best = {name: (float("inf"), None) for name in work}
    for _ in range(repeats):
        for name, job in work.items():
            start = time.perf_counter()
            result = job()
            best[name] = (min(best[name][0], time.perf_counter() - start), result)
    return best


def separately(responses: pd.DataFrame, key: pd.Series) -> tuple:
    """The two public calls one after the other (scores the responses twice)."""
    return item_statistics(responses, key), test_summary(score_matrix(responses, key))


def main() -> None:
    responses, key = simulate()
    print(f"data: {len(responses):,} candidates x {len(key)} items, {responses.dtypes.iloc[0]}")
    times = best_times(
        REPEATS,
        numpy=lambda: numpy_baseline(responses, key),
        ours=lambda: analyse_items(responses, key),
        separate=lambda: separately(responses, key),
    )
    (numpy_time, (p, rpb, kr20)), (ours_time, analysis) = times["numpy"], times["ours"]
    items = analysis.items
    # the two must agree, or the timing compares different work
    assert np.allclose(items["p"], p) and np.allclose(items["rpb"], rpb)
    assert np.isclose(analysis.summary["kr20"], kr20)
    print(f"numpy baseline, p + rpb + kr20:         {numpy_time * 1000:7.1f} ms")
    print(f"analyse_items, full table + summary:    {ours_time * 1000:7.1f} ms")
    print(f"ratio ours / numpy:                     {ours_time / numpy_time:7.2f}")
    print(
        f"item_statistics + test_summary(score_matrix), separately: "
        f"{times['separate'][0] * 1000:.1f} ms"
    )
    print("summary: " + ", ".join(f"{k}={v:.4g}" for k, v in analysis.summary.items()))
    print(
        f"p {items['p'].min():.2f}-{items['p'].max():.2f}, "
        f"rpb {items['rpb'].min():.2f}-{items['rpb'].max():.2f}, "
        f"omitted {items['share_omitted'].mean():.3f}, "
        f"flagged {(items['flag'] != '').sum()} of {len(items)}"
    )


if __name__ == "__main__":
    main()
