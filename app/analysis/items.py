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
OMITTED_SLOT = 0


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
    """Responses as option slots (0 = omitted, s = options[s - 1]) and the key's slots."""

    slots: np.ndarray  #: (n, k) int16, Fortran order so each item's answers are contiguous
    options: list[str]
    key_slots: np.ndarray  #: (k,)
    item_ids: list


@dataclass(frozen=True)
class _Tallies:
    """Candidates per item (row) and option slot (column), overall and in the 27% groups."""

    overall: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    group_size: int
    totals: np.ndarray  #: (n,) number correct per candidate
    total_of_correct: np.ndarray  #: (k,) sum of totals over the candidates right on the item


def score_matrix(responses: pd.DataFrame, key: Mapping | pd.Series) -> pd.DataFrame:
    """Score responses against the key: 1 correct, 0 wrong or omitted (an int8 frame)."""
    encoded = _encode(responses, key)
    scores = (encoded.slots == encoded.key_slots).astype(np.int8)
    return pd.DataFrame(scores, index=responses.index, columns=responses.columns)


def analyse_items(
    responses: pd.DataFrame,
    key: Mapping | pd.Series,
    thresholds: FlagThresholds = FlagThresholds(),
) -> ItemAnalysis:
    """Item statistics and test summary from one encoding of the responses."""
    encoded = _encode(responses, key)
    tallies = _tally(encoded)
    summary = _summary(tallies.totals, _key_counts(tallies.overall, encoded.key_slots))
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


# The name reads naturally, but pytest would collect it in every test module that imports it.
test_summary.__test__ = False


def option_breakdown(
    responses: pd.DataFrame, key: Mapping | pd.Series, item_id: object
) -> pd.DataFrame:
    """One row per option of one item: share overall, in the upper and lower groups, is_key."""
    encoded = _encode(responses, key)
    if item_id not in encoded.item_ids:
        raise ValueError(f"item {item_id!r} is not among the response columns")
    item = encoded.item_ids.index(item_id)
    tallies = _tally(encoded)
    labels, slots = zip(*_option_columns(encoded.options), strict=True)
    slots = list(slots)
    return pd.DataFrame(
        {
            "option": labels,
            "share": _ratio(tallies.overall[item, slots], len(tallies.totals)),
            "share_upper": _ratio(tallies.upper[item, slots], tallies.group_size),
            "share_lower": _ratio(tallies.lower[item, slots], tallies.group_size),
            "is_key": [slot == encoded.key_slots[item] for slot in slots],
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
    codebook: dict[str, int] = {}  # option id -> slot, in order of first sight
    key_slots = np.array([_slot_of(option, codebook) for option in key_options], dtype=np.intp)
    slots = np.empty(responses.shape, dtype=np.int16, order="F")
    for position, (_, column) in enumerate(responses.items()):
        slots[:, position] = _column_slots(column, codebook)
    return _Encoded(slots, list(codebook), key_slots, list(responses.columns))


def _column_slots(column: pd.Series, codebook: dict[str, int]) -> np.ndarray:
    """Slots for one item's answers, adding options not seen before to the codebook."""
    local, uniques = pd.factorize(_nan_as_blank(np.asarray(column, dtype=object)))
    # factorize marks the other missing values (None, pd.NA) -1, which picks the last entry
    lookup = [*(_answer_slot(value, codebook) for value in uniques), OMITTED_SLOT]
    return np.asarray(lookup, dtype=np.int16)[local]


def _nan_as_blank(values: np.ndarray) -> np.ndarray:
    """NaN as "" (both mean omitted), so pandas factorizes with its fast all-string table."""
    try:
        missing = values != values  # only NaN differs from itself
    except TypeError:  # pd.NA will not be a bool: factorize handles it, just more slowly
        return values
    if not missing.any():
        return values
    cleaned = values.copy()
    cleaned[missing] = ""
    return cleaned


def _answer_slot(value: object, codebook: dict[str, int]) -> int:
    """The slot of one answer value; a blank is omitted."""
    label = _option_label(value)
    if label is None:
        return OMITTED_SLOT
    if label == OMITTED:
        raise ValueError(f"an option may not be called {OMITTED!r}: it names the omitted share")
    return _slot_of(label, codebook)


def _slot_of(label: str, codebook: dict[str, int]) -> int:
    """The option's slot, giving a new option the next one."""
    if label not in codebook and len(codebook) >= np.iinfo(np.int16).max:
        raise ValueError("more distinct options than any exam has: are these free-text answers?")
    return codebook.setdefault(label, len(codebook) + 1)


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
    """Option counts overall and in the 27% groups, item by item, vectorised over candidates."""
    slots, key_slots = encoded.slots, encoded.key_slots
    n, k = slots.shape
    width = len(encoded.options) + 1
    totals = (slots == key_slots).sum(axis=1)
    upper, lower = extreme_groups(totals)
    group = np.zeros(n, dtype=np.intp)
    group[upper], group[lower] = 1, 2
    # Each candidate's bin is (group, total score, option slot): one integer bincount per item
    # then yields the overall and group counts and, exactly, the sum of totals of those right.
    offset = (group * (k + 1) + totals) * width
    counts = np.empty((k, 3, k + 1, width), dtype=np.int64)
    for item in range(k):
        bins = np.bincount(slots[:, item] + offset, minlength=3 * (k + 1) * width)
        counts[item] = bins.reshape(3, k + 1, width)
    right_by_total = counts[np.arange(k), :, :, key_slots].sum(axis=1)  # (k, k + 1)
    return _Tallies(
        overall=counts.sum(axis=(1, 2)),
        upper=counts[:, 1].sum(axis=1),
        lower=counts[:, 2].sum(axis=1),
        group_size=len(upper),
        totals=totals,
        total_of_correct=right_by_total @ np.arange(k + 1),
    )


def _key_counts(counts: np.ndarray, key_slots: np.ndarray) -> np.ndarray:
    """Per item, the count in the key's slot of a (k, slots) tally."""
    return counts[np.arange(len(key_slots)), key_slots]


def _item_table(encoded: _Encoded, tallies: _Tallies, thresholds: FlagThresholds) -> pd.DataFrame:
    """Assemble the per-item statistics in the contract's column order."""
    n, k = len(tallies.totals), len(encoded.item_ids)
    right = _key_counts(tallies.overall, encoded.key_slots)
    p = _ratio(right, n)
    rpb, alpha_if_deleted = _rest_statistics(tallies.totals, right, tallies.total_of_correct)
    upper_right = _key_counts(tallies.upper, encoded.key_slots)
    lower_right = _key_counts(tallies.lower, encoded.key_slots)
    table = pd.DataFrame(
        {
            "item_id": encoded.item_ids,
            "n": np.full(k, n, dtype=np.int64),
            "p": p,
            "rpb": rpb,
            "d27": _ratio(upper_right - lower_right, tallies.group_size),
            "alpha_if_deleted": alpha_if_deleted,
            "flag": _flags(p, rpb, tallies, encoded.key_slots, thresholds),
        }
    )
    for label, slot in _option_columns(encoded.options):
        table[f"share_{label}"] = _ratio(tallies.overall[:, slot], n)
    return table


def _option_columns(options: list[str]) -> list[tuple[str, int]]:
    """(label, slot) for each option in sorted order, then omitted (slot 0)."""
    slot_of = {label: position + 1 for position, label in enumerate(options)}
    return [(label, slot_of[label]) for label in sorted(options)] + [(OMITTED, OMITTED_SLOT)]


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
    key_slots: np.ndarray,
    thresholds: FlagThresholds,
) -> list[str]:
    """A ';'-joined list of reasons per item for a reviewer to look at it ("" = none)."""
    items = np.arange(len(key_slots))
    upper, lower = tallies.upper, tallies.lower
    distractor = np.ones(upper.shape, dtype=bool)
    distractor[:, OMITTED_SLOT] = False  # omitting is not choosing a distractor
    distractor[items, key_slots] = False
    # the groups are the same size, so comparing counts compares shares
    attracts_upper = ((upper > lower) & distractor).any(axis=1)
    best_distractor = np.where(distractor, upper, -1).max(axis=1, initial=-1)
    key_not_modal = best_distractor > upper[items, key_slots]  # a tie keeps the key modal
    reasons = {
        "hard": p < thresholds.hard_below,
        "easy": p > thresholds.easy_above,
        "low_rpb": rpb < thresholds.low_rpb_below,
        "negative_rpb": rpb < thresholds.negative_rpb_below,
        "distractor_attracts_upper": attracts_upper,
        "key_not_modal_in_upper": key_not_modal,
    }
    return [";".join(name for name, hit in reasons.items() if hit[item]) for item in items]


def _ratio(numerator: object, denominator: object) -> np.ndarray:
    """numerator / denominator as floats, NaN (and no warning) where the denominator is 0."""
    top = np.asarray(numerator, dtype=float)
    bottom = np.broadcast_to(np.asarray(denominator, dtype=float), top.shape)
    out = np.full(top.shape, np.nan)
    np.divide(top, bottom, out=out, where=bottom != 0)
    return out
