"""Classical test theory item analysis of multiple-choice responses (pure numpy/pandas).

Responses: one row per candidate attempt (index = candidate id), one column per item id, holding
the chosen option id (NaN, None or "" = omitted). Option ids are compared as stripped strings.
Key: a mapping or Series item id -> correct option; it must cover exactly the response columns.
Scoring: correct = 1, wrong or omitted = 0.

Upper and lower groups (d27, option shares by group, flags): candidates are ranked by total
score, highest first, with a stable sort, so candidates with equal totals keep their input order
and the earlier one ranks higher. The upper group is the first round(0.27 * n) candidates of
that ranking (Python's round, at least 1 when n >= 2), the lower group as many from its end. A
tie across a group boundary is thus settled by input order: deterministic, never random.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

OMITTED = "omitted"
GROUP_FRACTION = 0.27
ITEM_COLUMNS = ["item_id", "n", "p", "rpb", "d27", "alpha_if_deleted", "flag"]
_OMITTED_CODE = -1


@dataclass(frozen=True)
class FlagThresholds:
    """Where an item statistic starts to need a reviewer's look."""

    hard_below: float = 0.30  #: p below this flags `hard`
    easy_above: float = 0.95  #: p above this flags `easy`
    low_rpb_below: float = 0.15  #: rpb below this flags `low_rpb`
    negative_rpb_below: float = 0.0  #: rpb below this flags `negative_rpb`


@dataclass(frozen=True)
class ItemAnalysis:
    """The per-item table and the test summary, computed in one pass over the responses."""

    items: pd.DataFrame
    summary: dict[str, float]


@dataclass(frozen=True)
class _Encoded:
    """Responses as integer option codes (-1 = omitted), with the key in the same codes."""

    codes: np.ndarray  #: (n, k), Fortran order so each item's answers are contiguous
    options: list[str]  #: code -> option id
    key_codes: np.ndarray  #: (k,)
    item_ids: list


@dataclass(frozen=True)
class _Tallies:
    """Counts per item (row) and option (column 0 = omitted, column c + 1 = option code c)."""

    overall: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    group_size: int
    totals: np.ndarray  #: (n,) number correct per candidate
    total_of_correct: np.ndarray  #: (k,) sum of totals over the candidates right on the item


def score_matrix(responses: pd.DataFrame, key: Mapping | pd.Series) -> pd.DataFrame:
    """Score responses against the key: 1 correct, 0 wrong or omitted (an int8 frame)."""
    encoded = _encode(responses, key)
    scores = (encoded.codes == encoded.key_codes).astype(np.int8)
    return pd.DataFrame(scores, index=responses.index, columns=responses.columns)


def analyse_items(
    responses: pd.DataFrame,
    key: Mapping | pd.Series,
    thresholds: FlagThresholds = FlagThresholds(),
) -> ItemAnalysis:
    """Item statistics and test summary from one encoding of the responses."""
    encoded = _encode(responses, key)
    tallies = _tally(encoded)
    right = _key_counts(tallies.overall, encoded.key_codes)
    summary = _summary(tallies.totals, right)
    return ItemAnalysis(_item_table(encoded, tallies, thresholds), summary)


def item_statistics(
    responses: pd.DataFrame,
    key: Mapping | pd.Series,
    thresholds: FlagThresholds = FlagThresholds(),
) -> pd.DataFrame:
    """One row per item: n, p, rpb, d27, alpha_if_deleted, flag, then share_<option> columns."""
    return analyse_items(responses, key, thresholds).items


def test_summary(scores: pd.DataFrame | np.ndarray) -> dict[str, float]:
    """Test-level figures from a 0/1 score matrix: n, items, mean, sd, kr20, sem."""
    matrix = np.asarray(scores, dtype=np.int64)
    return _summary(matrix.sum(axis=1), matrix.sum(axis=0))


# The name reads naturally here, but pytest would collect it in every test module importing it.
test_summary.__test__ = False


def option_breakdown(
    responses: pd.DataFrame, key: Mapping | pd.Series, item_id: object
) -> pd.DataFrame:
    """One row per option of one item: share overall, in the upper and lower groups, is_key."""
    encoded = _encode(responses, key)
    if item_id not in encoded.item_ids:
        raise ValueError(f"item {item_id!r} is not among the response columns")
    position = encoded.item_ids.index(item_id)
    tallies = _tally(encoded)
    n, size = len(tallies.totals), tallies.group_size
    rows = [
        (label, column, encoded.options.index(label) if label != OMITTED else None)
        for label, column in _option_columns(encoded.options)
    ]
    key_code = encoded.key_codes[position]
    return pd.DataFrame(
        {
            "option": [label for label, _, _ in rows],
            "share": _ratio([tallies.overall[position, c] for _, c, _ in rows], n),
            "share_upper": _ratio([tallies.upper[position, c] for _, c, _ in rows], size),
            "share_lower": _ratio([tallies.lower[position, c] for _, c, _ in rows], size),
            "is_key": [code == key_code for _, _, code in rows],
        }
    )


def extreme_group_size(n: int) -> int:
    """Size of each of the upper and lower 27% groups for n candidates (0 when n < 2)."""
    if n < 2:
        return 0
    return max(round(GROUP_FRACTION * n), 1)


def extreme_groups(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row positions of the upper and lower 27% groups; equal totals keep input order."""
    totals = np.asarray(totals)
    order = np.argsort(-totals, kind="stable")
    size = extreme_group_size(len(order))
    return order[:size], order[len(order) - size :]


def _encode(responses: pd.DataFrame, key: Mapping | pd.Series) -> _Encoded:
    """Turn option ids into small integers once, so every later step is integer numpy."""
    key_options = _key_options(responses, key)
    codebook: dict[str, int] = {}
    key_codes = np.array([codebook.setdefault(o, len(codebook)) for o in key_options], dtype=int)
    codes = np.empty(responses.shape, dtype=np.int32, order="F")
    for position, (_, column) in enumerate(responses.items()):
        codes[:, position] = _column_codes(column, codebook)
    # dicts keep insertion order, so an option's position in the list is its code
    return _Encoded(codes, list(codebook), key_codes, list(responses.columns))


def _column_codes(column: pd.Series, codebook: dict[str, int]) -> np.ndarray:
    """Codes for one item's answers, adding options not seen before to the codebook."""
    local, uniques = pd.factorize(column)
    # factorize marks NaN/None as -1, which indexes the extra last slot: omitted
    lookup = [*(_option_code(value, codebook) for value in uniques), _OMITTED_CODE]
    return np.asarray(lookup, dtype=np.int32)[local]


def _option_code(value: object, codebook: dict[str, int]) -> int:
    """The code of one answer value; blank means omitted."""
    label = _option_label(value)
    if label is None:
        return _OMITTED_CODE
    if label == OMITTED:
        raise ValueError(f"an option may not be called {OMITTED!r}: it names the omitted share")
    return codebook.setdefault(label, len(codebook))


def _option_label(value: object) -> str | None:
    """An option id as a stripped string, or None for a blank (NaN, None, "")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value).strip() or None


def _key_options(responses: pd.DataFrame, key: Mapping | pd.Series) -> list[str]:
    """The key's option for each response column, refusing any mismatch between the two."""
    key = pd.Series(dict(key)) if isinstance(key, Mapping) else key
    if not responses.columns.is_unique or not key.index.is_unique:
        raise ValueError("item ids must be unique in the responses and in the key")
    columns, keyed = list(responses.columns), set(key.index)
    unkeyed = [item for item in columns if item not in keyed]
    unanswered = [item for item in key.index if item not in set(columns)]
    if unkeyed or unanswered:
        raise ValueError(
            f"key and responses disagree: not in key {unkeyed}, not in responses {unanswered}"
        )
    options = [_option_label(key.loc[item]) for item in columns]
    blank = [item for item, option in zip(columns, options, strict=True) if option is None]
    if blank:
        raise ValueError(f"the key has no option for items {blank}")
    if OMITTED in options:
        raise ValueError(f"an option may not be called {OMITTED!r}: it names the omitted share")
    return options


def _tally(encoded: _Encoded) -> _Tallies:
    """Option counts overall and in the 27% groups, item by item, all vectorised over people."""
    codes, key_codes = encoded.codes, encoded.key_codes
    n, k = codes.shape
    width = len(encoded.options) + 1
    totals = (codes == key_codes).sum(axis=1)
    upper, lower = extreme_groups(totals)
    weights = totals.astype(np.float64)
    overall, up, low = (np.zeros((k, width), dtype=np.int64) for _ in range(3))
    total_of_correct = np.zeros(k, dtype=np.int64)
    for item in range(k):
        shifted = codes[:, item] + 1  # omitted (-1) lands in bin 0
        overall[item] = np.bincount(shifted, minlength=width)
        up[item] = np.bincount(shifted[upper], minlength=width)
        low[item] = np.bincount(shifted[lower], minlength=width)
        # float sums of integers are exact below 2**53, so rounding back loses nothing
        by_option = np.bincount(shifted, weights=weights, minlength=width)
        total_of_correct[item] = round(by_option[key_codes[item] + 1])
    return _Tallies(overall, up, low, len(upper), totals.astype(np.int64), total_of_correct)


def _key_counts(counts: np.ndarray, key_codes: np.ndarray) -> np.ndarray:
    """Per item, the count in the key's column of a (k, options + 1) tally."""
    return counts[np.arange(len(key_codes)), key_codes + 1]


def _item_table(encoded: _Encoded, tallies: _Tallies, thresholds: FlagThresholds) -> pd.DataFrame:
    """Assemble the per-item statistics in the contract's column order."""
    n, k = len(tallies.totals), len(encoded.item_ids)
    right = _key_counts(tallies.overall, encoded.key_codes)
    p = _ratio(right, n)
    rpb, alpha_if_deleted = _rest_statistics(tallies.totals, right, tallies.total_of_correct)
    upper_right = _key_counts(tallies.upper, encoded.key_codes)
    d27 = _ratio(upper_right - _key_counts(tallies.lower, encoded.key_codes), tallies.group_size)
    table = pd.DataFrame(
        {
            "item_id": encoded.item_ids,
            "n": np.full(k, n, dtype=np.int64),
            "p": p,
            "rpb": rpb,
            "d27": d27,
            "alpha_if_deleted": alpha_if_deleted,
            "flag": _flags(p, rpb, tallies, encoded.key_codes, thresholds),
        }
    )
    for label, column in _option_columns(encoded.options):
        table[f"share_{label}"] = _ratio(tallies.overall[:, column], n)
    return table


def _option_columns(options: list[str]) -> list[tuple[str, int]]:
    """(label, tally column) for each option in sorted order, then omitted (tally column 0)."""
    ordered = sorted(options)
    return [(label, options.index(label) + 1) for label in ordered] + [(OMITTED, 0)]


def _rest_statistics(
    totals: np.ndarray, right: np.ndarray, total_of_correct: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Corrected point-biserial and KR-20 if deleted, each item against the rest score."""
    # Every "var"/"cov" here is n**2 times the population figure: integer sums stay exact, so
    # a zero variance is exactly 0 (-> NaN), never a 1e-17 that yields a wild correlation.
    n, k = len(totals), len(right)
    total_sum, total_squares = int(totals.sum()), int(np.dot(totals, totals))
    rest_sum = total_sum - right
    var_item = n * right - right * right
    var_rest = n * (total_squares - 2 * total_of_correct + right) - rest_sum * rest_sum
    cov = n * (total_of_correct - right) - right * rest_sum
    # multiply as floats: the product of two n**2-scaled variances overflows int64
    spread = np.sqrt(var_item.astype(float)) * np.sqrt(var_rest.astype(float))
    rpb = _ratio(cov, spread)
    if k < 3:  # one item left is no test: KR-20 needs two
        return rpb, np.full(k, np.nan)
    # KR-20 of the other k - 1 items, as one exact integer ratio (same form as _summary)
    var_others = var_item.sum() - var_item
    alpha = _ratio((k - 1) * (var_rest - var_others), (k - 2) * var_rest)
    return rpb, alpha


def _summary(totals: np.ndarray, right: np.ndarray) -> dict[str, float]:
    """n, items, mean, sd (ddof 0), kr20 and sem from totals and per-item correct counts."""
    n, k = len(totals), len(right)
    right = np.asarray(right, dtype=np.int64)
    total_sum, total_squares = int(totals.sum()), int(np.dot(totals, totals))
    var_total = n * total_squares - total_sum * total_sum  # n**2 * variance, exact
    sd = math.sqrt(var_total) / n if n else math.nan
    kr20 = sem = math.nan
    if k >= 2 and var_total > 0:
        var_items = int((n * right - right * right).sum())
        # one rounding of an exact ratio: a perfectly consistent test gives 1.0, not 1 + 2e-16
        kr20 = k * (var_total - var_items) / ((k - 1) * var_total)
        sem = sd * math.sqrt(max(1 - kr20, 0.0))
    mean = total_sum / n if n else math.nan
    return {"n": n, "items": k, "mean": mean, "sd": sd, "kr20": kr20, "sem": sem}


def _flags(
    p: np.ndarray,
    rpb: np.ndarray,
    tallies: _Tallies,
    key_codes: np.ndarray,
    thresholds: FlagThresholds,
) -> list[str]:
    """A ';'-joined list of reasons per item for a reviewer to look at it ("" = none)."""
    k = len(key_codes)
    upper, lower = tallies.upper[:, 1:], tallies.lower[:, 1:]  # omitted is not a distractor
    distractor = np.ones(upper.shape, dtype=bool)
    distractor[np.arange(k), key_codes] = False
    # groups are the same size, so comparing counts compares shares
    attracts_upper = ((upper > lower) & distractor).any(axis=1)
    best_distractor = np.where(distractor, upper, -1).max(axis=1, initial=-1)
    key_not_modal = best_distractor > upper[np.arange(k), key_codes]
    reasons = {
        "hard": p < thresholds.hard_below,
        "easy": p > thresholds.easy_above,
        "low_rpb": rpb < thresholds.low_rpb_below,
        "negative_rpb": rpb < thresholds.negative_rpb_below,
        "distractor_attracts_upper": attracts_upper,
        "key_not_modal_in_upper": key_not_modal,
    }
    return [";".join(name for name, hit in reasons.items() if hit[item]) for item in range(k)]


def _ratio(numerator: object, denominator: object) -> np.ndarray:
    """numerator / denominator as floats, NaN (and no warning) where the denominator is 0."""
    top = np.asarray(numerator, dtype=float)
    bottom = np.broadcast_to(np.asarray(denominator, dtype=float), top.shape)
    out = np.full(top.shape, np.nan)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out
