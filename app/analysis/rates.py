"""Pass rates, score distributions and cut-score impact from a results frame (pure pandas).

Results: one row per result, with columns such as `window, endorsement, track, part,
attempt_no` (1 = first attempt), `percent` (0-100) and `passed` (bool; a missing value means
not decided yet, and such rows are left out). Small groups are suppressed: a group with fewer
than `min_n` results shows its n, but neither its passed count nor its rate, so that a handful
of people cannot be singled out.

Tables shown together (on one page, in one download or one command's output) are protected
together by `protected_pass_rates`: after the small groups (primary suppression), any group
whose passed count could still be worked out from what is published, a margin minus the other
cells of a row, a total in another table minus its parts, or any other sum and difference, has
more groups hidden around it (complementary suppression) until none can be. Rates carry a
Wilson 95 % interval (rate_low, rate_high).
"""

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

DEFAULT_MIN_N = 5
RATE_COLUMNS = ["n", "passed", "rate", "rate_low", "rate_high", "suppressed", "suppression"]
#: z for a two-sided 95 % interval
Z95 = 1.959963984540054
PRIMARY, COMPLEMENTARY = "small group", "complementary"
#: a hidden cell whose indicator lies this close to the span of the published ones is derivable
_TOLERANCE = 1e-9
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
    by = _columns(by)
    if min_n < 0:
        raise ValueError("min_n must be 0 or more")
    counts = _group_counts(results, by)
    return _with_suppression(counts, by, counts["n"] < min_n)


def protected_pass_rates(
    results: pd.DataFrame,
    groupings: Sequence[str | Iterable[str]],
    min_n: int = DEFAULT_MIN_N,
) -> list[pd.DataFrame]:
    """pass_rates for each grouping shown together, with primary and complementary suppression.

    Each published group is a set of the finest cells (the groups of all grouping columns at
    once). A hidden group's passed count can be derived from the published ones exactly when
    its set is a linear combination of theirs (margin - other cells, table A's total - table
    B's parts, ...). While one can, the smallest published group that such a derivation uses
    is hidden too. The same group appearing in two tables is hidden in both.
    """
    groupings = [_columns(by) for by in groupings]
    if min_n < 0:
        raise ValueError("min_n must be 0 or more")
    finest = _group_counts(results, list(dict.fromkeys(c for by in groupings for c in by)))
    tables, cells, sizes, place = [], {}, [], []
    for by in groupings:
        counts, member = _rolled_up(finest, by)
        rows = []
        for row in range(len(counts)):
            vector = member == row
            rows.append(cells.setdefault(vector.tobytes(), len(cells)))
            if rows[-1] == len(sizes):
                sizes.append(int(counts["n"].iloc[row]))
                place.append(vector)
        tables.append((by, counts, np.asarray(rows, dtype=np.intp)))
    matrix = np.asarray(place, dtype=float).reshape(len(place), len(finest))
    sizes = np.asarray(sizes, dtype=np.int64)
    primary = sizes < min_n
    hidden = complementary_suppression(matrix, sizes, primary)
    return [
        _with_suppression(counts, by, pd.Series(hidden[rows]), pd.Series(primary[rows]))
        for by, counts, rows in tables
    ]


def complementary_suppression(
    cells: np.ndarray, sizes: np.ndarray, hidden: np.ndarray
) -> np.ndarray:
    """Which cells to hide so no hidden cell is a linear combination of the shown ones.

    cells: one 0/1 row per published cell over the finest cells; sizes: each cell's n;
    hidden: the primary suppressions. Deterministic: the smallest cell a derivation uses (the
    first of equal ones) is hidden next.
    """
    hidden = np.asarray(hidden, dtype=bool).copy()
    while hidden.any() and not hidden.all():
        shown, secret = np.flatnonzero(~hidden), np.flatnonzero(hidden)
        derivable = derivable_cells(cells[shown], cells[secret])
        if not derivable.any():
            break
        target = cells[secret[np.argmax(derivable)]]
        hidden[_cell_to_hide(cells, sizes, hidden, target)] = True
    return hidden


def _cell_to_hide(cells: np.ndarray, sizes: np.ndarray, hidden: np.ndarray, target) -> int:
    """The smallest shown cell whose hiding stops the target's derivation on its own (else the
    smallest cell the derivation uses): the fewest results lost for the protection gained."""
    shown = np.flatnonzero(~hidden)
    weights = np.linalg.lstsq(cells[shown].T, target, rcond=None)[0]
    used = shown[np.abs(weights) > 1e-7]
    used = used[np.lexsort((used, sizes[used]))]
    for candidate in used:
        rest = shown[shown != candidate]
        if not derivable_cells(cells[rest], target[np.newaxis])[0]:
            return int(candidate)
    return int(used[0])


def derivable_cells(published: np.ndarray, secret: np.ndarray) -> np.ndarray:
    """For each secret row, whether it lies in the row space of the published rows."""
    if not len(published):
        return np.zeros(len(secret), dtype=bool)
    _, singular, basis = np.linalg.svd(published, full_matrices=False)
    basis = basis[singular > _TOLERANCE * max(singular.max(), 1.0)]
    residual = secret - (secret @ basis.T) @ basis
    return np.linalg.norm(residual, axis=1) < 1e-6


def wilson_interval(successes, n, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of a proportion, elementwise (NaN where n is 0)."""
    k = np.asarray(successes, dtype=float)
    n = np.broadcast_to(np.asarray(n, dtype=float), k.shape)
    low, high = np.full(k.shape, np.nan), np.full(k.shape, np.nan)
    ok = (n > 0) & ~np.isnan(k)
    p, m = k[ok] / n[ok], n[ok]
    centre = (p + z * z / (2 * m)) / (1 + z * z / m)
    half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    low[ok], high[ok] = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    return low, high


def _columns(by: str | Iterable[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _group_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The `by` columns, n and passed per group of decided results (groups sorted)."""
    _require(results, [*by, "passed"])
    decided = results.dropna(subset=["passed"])
    outcome = _as_outcome(decided["passed"])
    if by:
        # dropna=False: a result with no track is still a result and must be counted somewhere
        grouped = outcome.groupby([decided[column] for column in by], dropna=False, sort=True)
        counts = grouped.agg(["size", "sum"]).reset_index()
    else:
        counts = pd.DataFrame({"size": [len(outcome)], "sum": [int(outcome.sum())]})
    counts = counts.rename(columns={"size": "n", "sum": "passed"})
    return counts.astype({"n": "int64", "passed": "int64"})


def _rolled_up(finest: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Counts per group of `by` from the finest cells, and each finest cell's group row."""
    if not by:
        counts = pd.DataFrame({"n": [int(finest["n"].sum())], "passed": [finest["passed"].sum()]})
        return counts, np.zeros(len(finest), dtype=np.intp)
    grouped = finest.groupby(by, dropna=False, sort=True)
    counts = grouped[["n", "passed"]].sum().reset_index()
    return counts, grouped.ngroup().to_numpy()


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


def _with_suppression(
    counts: pd.DataFrame, by: list[str], hidden: pd.Series, primary: pd.Series | None = None
) -> pd.DataFrame:
    """Rate and its interval per group, with passed and rate hidden where `hidden`."""
    hidden = pd.Series(np.asarray(hidden, dtype=bool), index=counts.index)
    primary = hidden if primary is None else pd.Series(np.asarray(primary), index=counts.index)
    low, high = wilson_interval(counts["passed"], counts["n"])
    reason = np.where(primary, PRIMARY, np.where(hidden, COMPLEMENTARY, ""))
    return counts[by].assign(
        n=counts["n"].astype("int64"),
        passed=counts["passed"].astype("Int64").mask(hidden),
        rate=(counts["passed"] / counts["n"]).where(~hidden),
        rate_low=pd.Series(low, index=counts.index).where(~hidden),
        rate_high=pd.Series(high, index=counts.index).where(~hidden),
        suppressed=hidden,
        suppression=reason,
    )


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
