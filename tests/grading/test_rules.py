"""Table tests for every rule in the registries: pass rules and resolution rules."""

import pytest

from app.grading import rules
from tests.grading.factories import CRITERIA, PASS_RULE

SCALE = rules.Scale.of(CRITERIA)
PASS = rules.pass_rule(PASS_RULE)
ADJACENT_MEAN = rules.resolution_rule({"kind": "adjacent_mean"})


def r(refl, think, wwo):
    return {"REFL": refl, "THINK": think, "WWO": wwo}


@pytest.mark.parametrize(
    ("ratings", "passes", "percent"),
    [
        (r(3, 3, 3), True, 75.0),  # exactly the minimum total
        (r(3, 3, 2.5), False, 8.5 / 12 * 100),  # just under the total
        (r(4, 4, 2), True, 10 / 12 * 100),  # the floor level itself is enough
        (r(4, 4, 1.5), False, 9.5 / 12 * 100),  # a mean under the floor fails
        (r(4, 4, 1), False, 75.0),  # total met, floor not
        (r(4, 4, 4), True, 100.0),
        (r(1, 1, 1), False, 25.0),
    ],
)
def test_total_and_floor(ratings, passes, percent):
    assert PASS.passes(SCALE, ratings) is passes
    assert PASS.percent(SCALE, ratings) == pytest.approx(percent)


@pytest.mark.parametrize(
    ("first", "second", "final", "detail", "reasons"),
    [
        (r(3, 3, 3), r(3, 3, 3), r(3, 3, 3), ("equal", "equal", "equal"), []),
        (r(3, 3, 3), r(4, 3, 3), r(3.5, 3, 3), ("mean", "equal", "equal"), []),
        (r(4, 4, 4), r(3, 3, 3), r(3.5, 3.5, 3.5), ("mean", "mean", "mean"), []),
        # two levels apart on one criterion, both readings pass: a third reading
        (
            r(4, 4, 4),
            r(2, 4, 4),
            None,
            ("apart", "equal", "equal"),
            ["REFL: readings 2 levels apart"],
        ),
        # adjacent everywhere, but one reading passes and the other fails the response
        (
            r(3, 3, 3),
            r(2, 3, 3),
            None,
            ("mean", "equal", "equal"),
            ["the two readings lead to different pass/fail outcomes"],
        ),
        # the floor decides pass/fail: still adjudication
        (
            r(4, 4, 2),
            r(4, 4, 1),
            None,
            ("equal", "equal", "mean"),
            ["the two readings lead to different pass/fail outcomes"],
        ),
        # both reasons at once
        (
            r(4, 3, 3),
            r(2, 3, 3),
            None,
            ("apart", "equal", "equal"),
            [
                "REFL: readings 2 levels apart",
                "the two readings lead to different pass/fail outcomes",
            ],
        ),
        (
            r(1, 1, 1),
            r(4, 4, 4),
            None,
            ("apart", "apart", "apart"),
            [
                "REFL: readings 3 levels apart",
                "THINK: readings 3 levels apart",
                "WWO: readings 3 levels apart",
                "the two readings lead to different pass/fail outcomes",
            ],
        ),
    ],
)
def test_adjacent_mean_resolve(first, second, final, detail, reasons):
    decision = ADJACENT_MEAN.resolve(SCALE, PASS, first, second)
    assert decision.final == final
    assert decision.needs_adjudication is (final is None)
    assert tuple(decision.detail[c] for c in ("REFL", "THINK", "WWO")) == detail
    assert decision.reasons == reasons


@pytest.mark.parametrize(
    ("first", "second", "third", "final", "detail"),
    [
        # only the disputed criterion takes the lead grader's level
        (r(4, 4, 4), r(2, 4, 3), r(3, 1, 1), r(3, 4, 3.5), ("adjudicated", "equal", "mean")),
        # the outcome was disputed: by default only criteria where the readings differ
        (r(3, 3, 3), r(2, 3, 3), r(2, 2, 2), r(2, 3, 3), ("adjudicated", "equal", "equal")),
        (r(1, 1, 1), r(4, 4, 4), r(3, 2, 4), r(3, 2, 4), ("adjudicated",) * 3),
    ],
)
def test_adjacent_mean_adjudicate(first, second, third, final, detail):
    decision = ADJACENT_MEAN.adjudicate(SCALE, PASS, first, second, third)
    assert decision.final == final
    assert tuple(decision.detail[c] for c in ("REFL", "THINK", "WWO")) == detail


def test_adjudication_policy_all_settles_every_criterion_on_a_pass_fail_split():
    rule = rules.resolution_rule({"kind": "adjacent_mean", "adjudicate": "all"})
    decision = rule.adjudicate(SCALE, PASS, r(3, 3, 3), r(2, 3, 3), r(2, 2, 2))
    assert decision.final == r(2, 2, 2)
    assert set(decision.detail.values()) == {"adjudicated"}
    # without a pass/fail split the policy changes nothing: only the criteria too far apart
    same = rule.adjudicate(SCALE, PASS, r(4, 4, 4), r(2, 4, 3), r(3, 1, 1))
    assert same.final == r(3, 4, 3.5)
    with pytest.raises(ValueError, match="adjudication policy"):
        rules.resolution_rule({"kind": "adjacent_mean", "adjudicate": "some"})


def test_distances_count_levels_not_points():
    criteria = [
        {
            "code": "X",
            "domain": "REFL",
            "label": "X",
            "levels": [{"score": s, "label": f"L{s}", "descriptor": ""} for s in (0, 2, 4)],
        }
    ]
    scale = rules.Scale.of(criteria)
    rule = rules.pass_rule({"kind": "total_and_floor", "min_total_percent": 0, "min_level": 0})
    assert ADJACENT_MEAN.resolve(scale, rule, {"X": 0}, {"X": 2}).final == {"X": 1}
    assert ADJACENT_MEAN.resolve(scale, rule, {"X": 0}, {"X": 4}).needs_adjudication


@pytest.mark.parametrize(
    ("level", "label"),
    [(1, "Not yet evident"), (3, "Meets"), (4, "Exceeds"), (3.5, "between Meets and Exceeds")],
)
def test_labels_of_levels_and_means(level, label):
    assert SCALE.label("REFL", level) == label


@pytest.mark.parametrize(
    ("finals", "required", "profile"),
    [
        ([r(3, 3, 3), r(4, 2, 3)], 2, r(3.5, 2.5, 3)),
        ([r(3, 3, 3)], 2, r(2, 2, 2)),  # an unanswered required response counts at level 1
        ([], 2, r(1, 1, 1)),
        ([r(4, 4, 4)], 1, r(4, 4, 4)),
    ],
)
def test_part_profile(finals, required, profile):
    assert rules.part_profile(SCALE, finals, required) == profile


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown pass rule"):
        rules.pass_rule({"kind": "vibes"})
    with pytest.raises(ValueError, match="unknown resolution rule"):
        rules.resolution_rule({"kind": "coin_toss"})
    assert isinstance(rules.resolution_rule({}), rules.AdjacentMean)
    assert set(rules.RESOLUTION_RULES) == {"adjacent_mean"}
    assert set(rules.PASS_RULES) == {"total_and_floor"}
