"""Modified Angoff arithmetic (pure pandas): panellists' cuts, the recommended cut, its
standard error and spread, round-two feedback and the impact of a cut.

Ratings: one row per panellist, one column per item, each the panellist's judgement of the
probability (0-100, in steps of 5) that a minimally competent candidate answers the item
correctly. A panellist's cut is the sum of their ratings / 100 (the raw score such a candidate
is expected to reach); the recommended cut is the mean of the panellists' cuts, its standard
error their standard deviation (n - 1) / sqrt(panellists). As a percent of the k items it is
100 * cut / k, and its impact is the share of results at or above it (cut_score_impact).
"""

import math

import numpy as np
import pandas as pd

from app.analysis.rates import cut_score_impact

STEP = 5


def check_ratings(ratings: pd.DataFrame) -> None:
    """Refuse a ratings frame with a missing, out-of-range or off-step rating, naming it."""
    values = ratings.apply(pd.to_numeric, errors="coerce")
    for (panellist, item), value in values.stack(future_stack=True).items():
        raw = ratings.loc[panellist, item]
        if pd.isna(value) or not 0 <= value <= 100 or value % STEP:
            raise ValueError(
                f"rating of item {item!r} by {panellist!r} must be 0-100 in steps of {STEP},"
                f" not {raw!r}"
            )


def panellist_cuts(ratings: pd.DataFrame) -> pd.DataFrame:
    """Per panellist: their cut as a raw score (sum of ratings / 100) and as a percent."""
    check_ratings(ratings)
    k = ratings.shape[1]
    raw = ratings.astype(float).sum(axis=1) / 100
    return pd.DataFrame(
        {"panellist": ratings.index, "cut_raw": raw.to_numpy(), "cut_percent": 100 * raw / k}
    ).reset_index(drop=True)


def recommended_cut(ratings: pd.DataFrame) -> dict[str, float]:
    """Mean of the panellists' cuts, its standard error and the spread (raw and percent)."""
    cuts = panellist_cuts(ratings)["cut_raw"].to_numpy()
    k, panel = ratings.shape[1], len(cuts)
    sd = float(np.std(cuts, ddof=1)) if panel > 1 else math.nan
    mean = float(cuts.mean()) if panel else math.nan
    return {
        "panellists": panel,
        "items": k,
        "cut_raw": mean,
        "cut_percent": 100 * mean / k if k else math.nan,
        "se_raw": sd / math.sqrt(panel) if panel > 1 else math.nan,
        "sd_raw": sd,
        "min_raw": float(cuts.min()) if panel else math.nan,
        "max_raw": float(cuts.max()) if panel else math.nan,
    }


def item_feedback(ratings: pd.DataFrame) -> pd.DataFrame:
    """Round two's view of round one: per item, the panel's mean, lowest, highest and sd."""
    check_ratings(ratings)
    values = ratings.astype(float)
    return pd.DataFrame(
        {
            "item_id": ratings.columns,
            "mean": values.mean().to_numpy(),
            "low": values.min().to_numpy(),
            "high": values.max().to_numpy(),
            "sd": values.std(ddof=1).to_numpy(),
        }
    )


def impact(results: pd.DataFrame, cut_percent: float) -> dict[str, float]:
    """How many of the results would pass at the cut (percent >= cut), and the rate."""
    row = cut_score_impact(results, cuts=[cut_percent]).iloc[0]
    return {"cut": cut_percent, "n": int(row["n"]), "passed": int(row["passed"]),
            "rate": float(row["rate"])}  # fmt: skip
