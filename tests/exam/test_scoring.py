"""Part One scoring: raw score, percent, pass mark boundary, sub-scores per domain."""

import pytest

from app.exam.scoring import receipt_hash, score_mc
from app.models import Item


def items(domains):
    return [Item(id=n, domain=d, correct_option="b") for n, d in enumerate(domains, 1)]


@pytest.mark.parametrize(
    ("right", "total", "pass_mark", "percent", "passed"),
    [
        (48, 60, 80, 80.0, True),
        (47, 60, 80, 78.33, False),
        (60, 60, 80, 100.0, True),
        (0, 60, 80, 0.0, False),
        (3, 5, 60, 60.0, True),
    ],
)
def test_pass_mark_boundary(right, total, pass_mark, percent, passed):
    bank = items(["DIRECT"] * total)
    chosen = {i.id: ("b" if i.id <= right else "a") for i in bank}
    outcome = score_mc(bank, chosen, pass_mark)
    assert (outcome.score, outcome.max_score, outcome.percent, outcome.passed) == (
        right,
        total,
        percent,
        passed,
    )


def test_omitted_counts_wrong_and_domains_are_scored_separately():
    bank = items(["REFL", "REFL", "THINK", "WWO"])
    outcome = score_mc(bank, {1: "b", 2: "", 3: "b"}, 80)
    assert outcome.score == 2
    assert outcome.domains == {
        "REFL": {"score": 1, "max": 2, "percent": 50.0},
        "THINK": {"score": 1, "max": 1, "percent": 100.0},
        "WWO": {"score": 0, "max": 1, "percent": 0.0},
    }


def test_receipt_hash_depends_on_every_answer_not_on_order():
    a = receipt_hash(7, {"T-1 v1": "a", "T-2 v1": "b"}, "k")
    assert a == receipt_hash(7, {"T-2 v1": "b", "T-1 v1": "a"}, "k")
    assert a != receipt_hash(7, {"T-1 v1": "a", "T-2 v1": "c"}, "k")


def test_two_attempts_with_the_same_answers_never_share_a_receipt_code():
    answers = {"T-1 v1": "a", "T-2 v1": "b"}
    assert receipt_hash(7, answers, "k") != receipt_hash(8, answers, "k")
    assert receipt_hash(7, {}, "k") != receipt_hash(8, {}, "k")
    # keyed: the code cannot be computed without the server's secret
    assert receipt_hash(7, answers, "k") != receipt_hash(7, answers, "other")
