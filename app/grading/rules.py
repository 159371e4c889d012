"""Rubric rules as registries: pass rules and resolution rules, pure functions of ratings.

A rubric stores `pass_rule = {"kind": ..., params}` and `resolution = {"kind": ...}`; the kind
is a key of PASS_RULES / RESOLUTION_RULES, so a new rule is a new small class, not a new branch.
Ratings are {criterion code: level score}. Distances between ratings count *levels* of the
criterion's scale (positions), so a scale of 0, 2, 4 behaves like 1, 2, 3.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

EPSILON = 1e-9

Ratings = Mapping[str, float]


@dataclass(frozen=True)
class Scale:
    """The criteria of one rubric version, with their level scores in order."""

    criteria: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, criteria: Sequence[dict[str, Any]]) -> "Scale":
        return cls(tuple(criteria))

    @property
    def codes(self) -> list[str]:
        return [c["code"] for c in self.criteria]

    def scores(self, code: str) -> list[int]:
        return [level["score"] for level in self._criterion(code)["levels"]]

    def steps_apart(self, code: str, a: float, b: float) -> float:
        """How many levels separate two ratings of a criterion (1 = adjacent levels)."""
        return abs(self._position(code, a) - self._position(code, b))

    def lowest(self, code: str) -> int:
        return self.scores(code)[0]

    def highest(self, code: str) -> int:
        return self.scores(code)[-1]

    def max_total(self) -> int:
        return sum(self.highest(code) for code in self.codes)

    def label(self, code: str, level: float) -> str:
        """The level's label, or 'between A and B' for a mean that falls between two levels."""
        levels = self._criterion(code)["levels"]
        for lower, upper in zip(levels, levels[1:], strict=False):
            if abs(level - lower["score"]) < EPSILON:
                return lower["label"]
            if lower["score"] < level < upper["score"]:
                return f"between {lower['label']} and {upper['label']}"
        return levels[-1]["label"]

    def _criterion(self, code: str) -> dict[str, Any]:
        return next(c for c in self.criteria if c["code"] == code)

    def _position(self, code: str, level: float) -> float:
        # means (e.g. 2.5) sit between two positions; interpolate so distances stay in levels
        scores = self.scores(code)
        for n, (lower, upper) in enumerate(zip(scores, scores[1:], strict=False)):
            if lower <= level <= upper:
                return n + (level - lower) / (upper - lower)
        raise ValueError(f"level {level} is outside the scale of {code}")


# --- pass rules ---------------------------------------------------------------------------


class TotalAndFloor:
    """Pass when the summed levels reach a percent of the maximum and no criterion is too low."""

    kind: ClassVar[str] = "total_and_floor"

    def __init__(self, min_total_percent: float, min_level: float, **_: Any):
        self.min_total_percent = float(min_total_percent)
        self.min_level = float(min_level)

    def percent(self, scale: Scale, ratings: Ratings) -> float:
        return 100 * sum(ratings[c] for c in scale.codes) / scale.max_total()

    def passes(self, scale: Scale, ratings: Ratings) -> bool:
        floor_met = all(ratings[c] >= self.min_level - EPSILON for c in scale.codes)
        return floor_met and self.percent(scale, ratings) >= self.min_total_percent - EPSILON


PASS_RULES: dict[str, type] = {TotalAndFloor.kind: TotalAndFloor}


def pass_rule(config: Mapping[str, Any]):
    """The pass rule a rubric names, with its parameters."""
    params = {k: v for k, v in config.items() if k != "kind"}
    try:
        return PASS_RULES[config["kind"]](**params)
    except KeyError as error:
        raise ValueError(f"unknown pass rule {config.get('kind')!r}") from error


# --- resolution rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What a resolution rule made of the readings."""

    final: dict[str, float] | None
    needs_adjudication: bool
    detail: dict[str, str] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


class AdjacentMean:
    """Equal → that level; one level apart → the mean; further apart, or the two readings
    passing and failing the response differently → a third reading by the lead grader.

    `adjudicate` (a rubric setting) says what the third reading settles when the readings split
    on pass/fail: "disputed" (default), only the criteria where the two readings differ, since
    where two independent readers agree their level is the best evidence there is; or "all",
    every criterion, for owners who want the outcome decided by one reader's whole view."""

    kind: ClassVar[str] = "adjacent_mean"
    POLICIES: ClassVar[tuple[str, ...]] = ("disputed", "all")

    def __init__(self, adjudicate: str = "disputed", **_: Any):
        if adjudicate not in self.POLICIES:
            raise ValueError(f"unknown adjudication policy {adjudicate!r}")
        self.adjudicate_policy = adjudicate

    def resolve(self, scale: Scale, rule, first: Ratings, second: Ratings) -> Decision:
        final, detail, reasons = {}, {}, []
        for code in scale.codes:
            a, b = first[code], second[code]
            gap = scale.steps_apart(code, a, b)
            if gap < EPSILON:
                final[code], detail[code] = a, "equal"
            elif gap <= 1 + EPSILON:
                final[code], detail[code] = (a + b) / 2, "mean"
            else:
                detail[code] = "apart"
                reasons.append(f"{code}: readings {gap:g} levels apart")
        if rule.passes(scale, first) != rule.passes(scale, second):
            reasons.append("the two readings lead to different pass/fail outcomes")
        if reasons:
            return Decision(None, True, detail, reasons)
        return Decision(final, False, detail, [])

    def adjudicate(
        self, scale: Scale, rule, first: Ratings, second: Ratings, third: Ratings
    ) -> Decision:
        """The lead grader's level settles each criterion too far apart; on a pass/fail split,
        also every other criterion where the readings differ (or all, by the rubric's policy)."""
        decision = self.resolve(scale, rule, first, second)
        outcome_disputed = rule.passes(scale, first) != rule.passes(scale, second)
        final, detail = {}, dict(decision.detail)
        for code in scale.codes:
            if outcome_disputed and self.adjudicate_policy == "all":
                settle = True
            else:
                settle = detail[code] == "apart" or (outcome_disputed and detail[code] == "mean")
            if settle:
                final[code], detail[code] = float(third[code]), "adjudicated"
            else:
                first_level, second_level = first[code], second[code]
                final[code] = (first_level + second_level) / 2
        return Decision(final, True, detail, decision.reasons)


RESOLUTION_RULES: dict[str, type] = {AdjacentMean.kind: AdjacentMean}


def resolution_rule(config: Mapping[str, Any]):
    """The resolution rule a rubric names (adjacent_mean when it names none), with its settings."""
    kind = (config or {}).get("kind", AdjacentMean.kind)
    params = {k: v for k, v in (config or {}).items() if k != "kind"}
    try:
        return RESOLUTION_RULES[kind](**params)
    except KeyError as error:
        raise ValueError(f"unknown resolution rule {kind!r}") from error


# --- the part's profile -------------------------------------------------------------------


def part_profile(scale: Scale, finals: Sequence[Ratings], required: int) -> dict[str, float]:
    """Per criterion, the mean final level over the k responses the part asked for; a
    required response left unanswered counts at the lowest level of every criterion."""
    count = max(required, len(finals), 1)
    profile = {}
    for code in scale.codes:
        missing = (count - len(finals)) * scale.lowest(code)
        profile[code] = round((sum(f[code] for f in finals) + missing) / count, 4)
    return profile
