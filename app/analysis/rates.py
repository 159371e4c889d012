"""Pass rates, score distributions and cut-score impact from a results frame (pure pandas).

Results: one row per result, with columns such as `window, endorsement, track, part,
attempt_no` (1 = first attempt), `percent` (0-100) and `passed` (bool; a missing value means
not decided yet, and such rows are left out). Small groups are suppressed: a group with fewer
than `min_n` results shows its n, but neither its passed count nor its rate, so that a handful
of people cannot be singled out.
"""

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

DEFAULT_MIN_N = 5
RATE_COLUMNS = ["n", "passed", "rate", "suppressed"]
DEFAULT_CUTS = range(50, 101)
DEFAULT_BINS = tuple(range(0, 101, 10))


def first_attempts(results: pd.DataFrame) -> pd.DataFrame:
    """Only first attempts (attempt_no == 1), the usual base of a reported pass rate."""
    _require(results, ["attempt_no"])
    return results[results["attempt_no"] == 1]


def pass_rates(
    results: pd.DataFrame, by: str | Iterable[str] = (), min_n: int = DEFAULT_MIN_N
) -> pd.DataFrame:
    """n, passed and rate per group of the `by` columns; groups under min_n are suppressed."""
    by = [by] if isinstance(by, str) else list(by)
    _require(results, [*by, "passed"])
    if min_n < 0:
        raise ValueError("min_n must be 0 or more")
    decided = results.dropna(subset=["passed"])
    outcome = _as_outcome(decided["passed"])
    if by:
        # dropna=False: a result with no track is still a result and must be counted somewhere
        grouped = outcome.groupby([decided[column] for column in by], dropna=False, sort=True)
        counts = grouped.agg(["size", "sum"]).reset_index()
    else:
        counts = pd.DataFrame({"size": [len(outcome)], "sum": [int(outcome.sum())]})
    return _with_suppression(counts.rename(columns={"size": "n", "sum": "passed"}), by, min_n)


def score_distribution(
    results: pd.DataFrame,
    bins: Iterable[float] = DEFAULT_BINS,
    column: str = "percent",
) -> pd.DataFrame:
    """Histogram counts of a score column: bins [lower, upper), the last one closed."""
    _require(results, [column])
    edges = np.asarray(list(bins), dtype=float)
    if len(edges) < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError("bins must be at least two increasing edges")
    counts, _ = np.histogram(_scores(results, column), bins=edges)
    return pd.DataFrame({"lower": edges[:-1], "upper": edges[1:], "count": counts})


def cut_score_impact(
    results: pd.DataFrame,
    cuts: Iterable[float] = DEFAULT_CUTS,
    column: str = "percent",
) -> pd.DataFrame:
    """For each cut, how many would pass (score >= cut) and the pass rate."""
    _require(results, [column])
    scores = np.sort(_scores(results, column))
    cuts = np.asarray(list(cuts), dtype=float)
    # everyone at or above the cut passes: all but those sorted strictly before it
    passed = len(scores) - np.searchsorted(scores, cuts, side="left")
    rate = np.full(len(cuts), np.nan)
    if len(scores):
        rate = passed / len(scores)
    return pd.DataFrame({"cut": cuts, "n": len(scores), "passed": passed, "rate": rate})


def criterion_pass_rates(
    levels: pd.DataFrame,
    min_level: float | Mapping[str, float],
    by: str | Iterable[str] = (),
    min_n: int = DEFAULT_MIN_N,
) -> pd.DataFrame:
    """Part Two: share of responses at or above the minimum level, per rubric criterion."""
    by = [by] if isinstance(by, str) else list(by)
    long = _long_levels(levels, by).dropna(subset=["level"])  # unrated is not failed
    minimum = long["criterion"].map(_minimum_for(long["criterion"], min_level))
    outcomes = long.assign(passed=_numeric_levels(long) >= minimum.astype(float))
    return pass_rates(outcomes, by=[*by, "criterion"], min_n=min_n)


def _numeric_levels(long: pd.DataFrame) -> pd.Series:
    """The level column as numbers, naming the criterion of any value that is not one."""
    numbers = pd.to_numeric(long["level"], errors="coerce")
    bad = numbers.isna()
    if bad.any():
        criterion, value = long.loc[bad, ["criterion", "level"]].iloc[0]
        raise ValueError(f"levels must be numbers: criterion {criterion!r} has {value!r}")
    return numbers.astype(float)


def _long_levels(levels: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Levels as one row per (response, criterion): long frames pass, wide ones are melted."""
    if {"criterion", "level"} <= set(levels.columns):
        _require(levels, by)
        return levels
    # wide: one row per response (ids in the index), one column per criterion, plus `by`
    _require(levels, by)
    return levels.melt(id_vars=by, var_name="criterion", value_name="level")


def _minimum_for(criteria: pd.Series, min_level: float | Mapping[str, float]) -> Mapping:
    """The minimum level per criterion, refusing criteria the mapping does not cover."""
    if not isinstance(min_level, Mapping):
        return {criterion: min_level for criterion in criteria.unique()}
    missing = sorted(set(criteria.unique()) - set(min_level), key=str)
    if missing:
        raise ValueError(f"no minimum level for criteria {missing}")
    return min_level


def _with_suppression(counts: pd.DataFrame, by: list[str], min_n: int) -> pd.DataFrame:
    """Rate per group, with passed and rate hidden where n < min_n."""
    suppressed = counts["n"] < min_n
    passed = counts["passed"].astype("Int64").mask(suppressed)
    rate = (counts["passed"] / counts["n"]).where(~suppressed)
    return counts[by].assign(n=counts["n"], passed=passed, rate=rate, suppressed=suppressed)


def _as_outcome(passed: pd.Series) -> pd.Series:
    """The passed column as booleans, refusing anything that is not clearly true or false."""
    bad = ~passed.isin([True, False])  # 1 and 0 compare equal to True and False
    if bad.any():
        raise ValueError(f"passed must be true/false; found {sorted(set(passed[bad]), key=str)}")
    return passed.astype(bool)


def _scores(results: pd.DataFrame, column: str) -> np.ndarray:
    """The non-missing values of a score column as floats."""
    return results[column].dropna().to_numpy(dtype=float)


def _require(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Refuse a frame lacking any of the columns, naming them."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks columns {missing}; it has {list(frame.columns)}")
