"""Classical test theory item analysis of multiple-choice responses (pure numpy/pandas).

Responses: one row per candidate attempt (index = candidate id), one column per item id, holding
the chosen option id (NaN, None or "" = omitted). Option ids are compared as stripped strings.
Key: a mapping or Series item id -> correct option; it must cover exactly the response columns.
Options (optional): item id -> that item's own option ids; an option an item does not have gets
no share (NaN) on that item. Without it, every option seen on the form counts for every item.
Scoring: correct = 1, wrong or omitted = 0.

Upper and lower groups (d27, option shares by group, flags): g = round(0.27 * n) candidates
each (Python's round, at least 1 when n >= 2), taken by total score from the top and from the
bottom. Candidates tied on the score at a group's boundary share the places left, each weighted
(places left) / (candidates tied): so the groups, and d27, depend on the scores alone, never on
the order of the attempts.

Small samples: below `min_n` candidates only n and p are given (rpb, d27, alpha if deleted,
group shares, KR-20 and SEM are NaN); below `flag_min_n` no item is flagged.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from app.analysis.rates import wilson_interval

OMITTED = "omitted"
GROUP_FRACTION = 0.27
ITEM_COLUMNS = ["item_id", "n", "p", "rpb", "d27", "alpha_if_deleted", "flag"]
OPTION_COLUMNS = ["item_id", "option", "is_key", "count", "share", "share_upper", "share_lower",
                  "count_upper", "count_lower", "rpb"]  # fmt: skip
OMITTED_SLOT = 0


@dataclass(frozen=True)
class FlagThresholds:
    """Where an item statistic starts to need a reviewer's look."""

    hard_below: float = 0.30  #: p below this flags `hard`
    easy_above: float = 0.95  #: p above this flags `easy`
    low_rpb_below: float = 0.15  #: rpb below this flags `low_rpb`
    negative_rpb_below: float = 0.0  #: rpb below this flags `negative_rpb`
    #: a distractor needs at least this many (weighted) upper-group choosers to raise
    #: distractor_attracts_upper or key_not_modal_in_upper (so 1 against 0 raises nothing)
    distractor_min_count: float = 5.0


@dataclass(frozen=True)
class ItemAnalysis:
    """The per-item table, the per-option table and the test summary, in one pass."""

    items: pd.DataFrame
    summary: dict[str, float]
    options: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OPTION_COLUMNS))
    #: candidates per total score 0..k (what reliability at a cut needs)
    score_counts: tuple[int, ...] = ()
    min_n: int = 0
    flag_min_n: int = 0

    @property
    def n(self) -> int:
        return int(self.summary["n"])

    @property
    def statistics_shown(self) -> bool:
        """Whether n reaches the minimum for anything beyond n and p."""
        return self.n >= max(self.min_n, 1)

    @property
    def flags_shown(self) -> bool:
        return self.n >= max(self.flag_min_n, 1)


@dataclass(frozen=True)
class _Encoded:
    """Responses as option slots (0 = omitted, s = options[s - 1]) and the key's slots."""

    slots: np.ndarray  #: (n, k) int16, Fortran order so each item's answers are contiguous
    options: list[str]
    key_slots: np.ndarray  #: (k,)
    item_ids: list
    own: np.ndarray  #: (k, slots) bool: the item's own options (omitted always)


@dataclass(frozen=True)
class _Tallies:
    """Candidates per item (row) and option slot (column), overall and in the 27% groups
    (group counts are weighted, so ties at a boundary count fractionally)."""

    overall: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    group_size: int
    totals: np.ndarray  #: (n,) number correct per candidate
    total_of_correct: np.ndarray  #: (k,) sum of totals over the candidates right on the item
    total_of_option: np.ndarray  #: (k, slots) sum of totals over each option's choosers


def score_matrix(responses: pd.DataFrame, key: Mapping | pd.Series) -> pd.DataFrame:
    """Score responses against the key: 1 correct, 0 wrong or omitted (an int8 frame)."""
    encoded = _encode(responses, key)
    scores = (encoded.slots == encoded.key_slots).astype(np.int8)
    return pd.DataFrame(scores, index=responses.index, columns=responses.columns)


def analyse_items(
    responses: pd.DataFrame,
    key: Mapping | pd.Series,
    thresholds: FlagThresholds = FlagThresholds(),
    options: Mapping | None = None,
    min_n: int = 0,
    flag_min_n: int = 0,
) -> ItemAnalysis:
    """Item statistics, option table and test summary from one encoding of the responses."""
    encoded = _encode(responses, key, options)
    tallies = _tally(encoded)
    summary = _summary(tallies.totals, _key_counts(tallies.overall, encoded.key_slots))
    summary.update(feldt_interval(summary["kr20"], summary["n"], summary["items"]))
    table = _item_table(encoded, tallies, thresholds)
    option_table = _option_table(encoded, tallies)
    n = len(tallies.totals)
    if n < min_n:  # too few to say more than n and p: blank the rest, never guess
        table[["rpb", "d27", "alpha_if_deleted"]] = np.nan
        option_table[["share_upper", "share_lower", "count_upper", "count_lower", "rpb"]] = np.nan
        summary.update(kr20=math.nan, sem=math.nan, kr20_low=math.nan, kr20_high=math.nan)
    if n < max(min_n, flag_min_n):
        table["flag"] = ""
    counts = np.bincount(tallies.totals, minlength=len(encoded.item_ids) + 1)
    return ItemAnalysis(table, summary, option_table, tuple(int(c) for c in counts),
                        min_n, flag_min_n)  # fmt: skip


def feldt_interval(kr20: float, n: int, k: int, level: float = 0.95) -> dict[str, float]:
    """Feldt's (1965) interval for KR-20: (1 - rho) / (1 - kr20) ~ F(n - 1, (n - 1)(k - 1))."""
    if math.isnan(kr20) or n < 2 or k < 2:
        return {"kr20_low": math.nan, "kr20_high": math.nan}
    from scipy.stats import f  # noqa: PLC0415 - scipy is slow to import; only needed here

    tail = (1 - level) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return {
        "kr20_low": 1 - (1 - kr20) * float(f.ppf(1 - tail, df1, df2)),
        "kr20_high": 1 - (1 - kr20) * float(f.ppf(tail, df1, df2)),
    }


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
    responses: pd.DataFrame,
    key: Mapping | pd.Series,
    item_id: object,
    options: Mapping | None = None,
) -> pd.DataFrame:
    """One row per option of one item: counts and shares overall and by group, is_key, rpb."""
    analysis = analyse_items(responses, key, options=options)
    table = analysis.options
    if item_id not in set(table["item_id"]):
        raise ValueError(f"item {item_id!r} is not among the response columns")
    return table[table["item_id"] == item_id].drop(columns="item_id").reset_index(drop=True)


def extreme_group_size(n: int) -> int:
    """Size of each of the upper and lower 27% groups for n candidates (0 when n < 2)."""
    if n < 2:
        return 0
    return max(round(GROUP_FRACTION * n), 1)


def group_weights(totals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's weight in the upper and lower 27% groups (ties at a boundary share)."""
    totals = np.asarray(totals, dtype=np.int64)
    size = extreme_group_size(len(totals))
    if size == 0:
        return np.zeros(len(totals)), np.zeros(len(totals))
    scores, inverse, counts = np.unique(totals, return_inverse=True, return_counts=True)
    upper = _boundary_weights(counts[::-1], size)[::-1]
    lower = _boundary_weights(counts, size)
    return upper[inverse], lower[inverse]


def _boundary_weights(counts: np.ndarray, size: int) -> np.ndarray:
    """Per score (in the order given), the share of its candidates inside a group of `size`."""
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    taken = np.clip(size - before, 0, counts)
    return taken / counts


def _encode(
    responses: pd.DataFrame, key: Mapping | pd.Series, options: Mapping | None = None
) -> _Encoded:
    """Turn option ids into small integers once, so every later step is integer numpy."""
    key_options = _key_options(responses, key)
    codebook: dict[str, int] = {}  # option id -> slot, in order of first sight
    key_slots = np.array([_slot_of(option, codebook) for option in key_options], dtype=np.intp)
    own_labels = _own_options(responses.columns, options)
    for labels in own_labels:
        for label in labels:
            _slot_of(label, codebook)
    slots = np.empty(responses.shape, dtype=np.int16, order="F")
    for position, (_, column) in enumerate(responses.items()):
        slots[:, position] = _column_slots(column, codebook)
    own = np.zeros((len(key_slots), len(codebook) + 1), dtype=bool)
    own[:, OMITTED_SLOT] = True
    own[np.arange(len(key_slots)), key_slots] = True
    for item, labels in enumerate(own_labels):
        own[item, [codebook[label] for label in labels]] = True
    if options is None:  # without each item's options, every option seen is every item's
        own[:] = True
    return _Encoded(slots, list(codebook), key_slots, list(responses.columns), own)


def _own_options(columns: pd.Index, options: Mapping | None) -> list[list[str]]:
    """Each item's own option labels, refusing a mapping that misses an item or names omitted."""
    if options is None:
        return [[] for _ in columns]
    missing = [item for item in columns if item not in options]
    if missing:
        raise ValueError(f"no options given for items {missing}")
    labels = [[label for o in options[item] if (label := _option_label(o))] for item in columns]
    if any(OMITTED in item for item in labels):
        raise ValueError(f"an option may not be called {OMITTED!r}: it names the omitted share")
    return labels


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
    # Each candidate's bin is (total score, option slot): one integer bincount per item yields
    # the counts by score, from which the overall counts, the group counts (group weights
    # depend on the score alone) and, exactly, the sums of totals per option all follow.
    offset = totals * width
    counts = np.empty((k, k + 1, width), dtype=np.int64)
    for item in range(k):
        counts[item] = np.bincount(slots[:, item] + offset, minlength=(k + 1) * width).reshape(
            k + 1, width
        )
    upper_w, lower_w = _weights_by_score(totals, k)
    scores = np.arange(k + 1)
    total_of_option = np.einsum("itw,t->iw", counts, scores)
    return _Tallies(
        overall=counts.sum(axis=1),
        upper=np.einsum("itw,t->iw", counts, upper_w),
        lower=np.einsum("itw,t->iw", counts, lower_w),
        group_size=extreme_group_size(n),
        totals=totals,
        total_of_correct=total_of_option[np.arange(k), key_slots],
        total_of_option=total_of_option,
    )


def _weights_by_score(totals: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower group weight of a candidate by total score 0..k."""
    upper, lower = np.zeros(k + 1), np.zeros(k + 1)
    if len(totals):
        by_candidate = group_weights(totals)
        upper[totals], lower[totals] = by_candidate  # equal scores carry equal weights
    return upper, lower


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
    columns = _option_columns(encoded.options)
    for label, slot in columns:
        # an option the item does not have (and nobody chose) has no share, not 0 %
        shown = encoded.own[:, slot] | (tallies.overall[:, slot] > 0)
        table[f"share_{label}"] = np.where(shown, _ratio(tallies.overall[:, slot], n), np.nan)
    table["p_low"], table["p_high"] = wilson_interval(right, n)
    for label, slot in columns:
        shown = encoded.own[:, slot] | (tallies.overall[:, slot] > 0)
        table[f"count_{label}"] = pd.Series(tallies.overall[:, slot], dtype="Int64").where(shown)
    return table


def _option_table(encoded: _Encoded, tallies: _Tallies) -> pd.DataFrame:
    """One row per item and option (its own options, any other chosen, then omitted)."""
    n, size = len(tallies.totals), tallies.group_size
    totals = tallies.totals
    total_sum, total_squares = int(totals.sum()), int(np.dot(totals, totals))
    var_total = float(n * total_squares - total_sum * total_sum)
    labels, slots = zip(*_option_columns(encoded.options), strict=True)
    slots = np.asarray(slots, dtype=np.intp)
    count = tallies.overall[:, slots]  # (k, options) in label order, omitted last
    items, position = np.nonzero(encoded.own[:, slots] | (count > 0))  # row-major: by item
    chosen = slots[position]
    count = tallies.overall[items, chosen]
    # point-biserial of choosing the option with the total score (n**2-scaled, exact ints)
    cov = n * tallies.total_of_option[items, chosen] - count * total_sum
    spread = np.sqrt((n * count - count * count).astype(float)) * math.sqrt(max(var_total, 0))
    return pd.DataFrame(
        {
            "item_id": pd.Series(encoded.item_ids, dtype=object).iloc[items].to_numpy(),
            "option": np.asarray(labels, dtype=object)[position],
            "is_key": chosen == encoded.key_slots[items],
            "count": count,
            "share": _ratio(count, n),
            "share_upper": _ratio(tallies.upper[items, chosen], size),
            "share_lower": _ratio(tallies.lower[items, chosen], size),
            "count_upper": tallies.upper[items, chosen].astype(float),
            "count_lower": tallies.lower[items, chosen].astype(float),
            "rpb": _ratio(cov, spread),
        },
        columns=OPTION_COLUMNS,
    )


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
    # the groups are the same size, so comparing counts compares shares; a distractor needs
    # enough upper-group choosers for the comparison to mean anything (1 against 0 does not)
    enough = upper >= thresholds.distractor_min_count - 1e-9
    attracts_upper = ((upper > lower + 1e-9) & distractor & enough).any(axis=1)
    best_distractor = np.where(distractor & enough, upper, -1).max(axis=1, initial=-1)
    key_not_modal = best_distractor > upper[items, key_slots] + 1e-9  # a tie keeps the key modal
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
