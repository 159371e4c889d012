"""frames.py builds the analysis frames from rows created here: closed attempts only, item keys
as columns, option ids as values, the key beside them; results numbered by attempt."""

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from app.analysis import frames
from app.extensions import db
from app.models import Attempt, ExamWindow, Item, Seat, Sitting, now_utc
from tests.analysis_pages.conftest import (
    CODE,
    KEY,
    PAST,
    W1,
    W2,
    add_part_two_result,
    answer,
    attempt,
    candidate,
    make_form,
    make_item,
    sitting,
)

NA = np.nan


def responses(app, **kwargs):
    with app.app_context():
        return frames.part_one_responses(CODE, now_utc(), **kwargs)


def test_closed_attempts_become_rows_of_option_ids_under_item_keys(app, world):
    wide, key = responses(app)
    ids = world.attempts
    assert wide.index.name == "attempt_id"
    assert wide.index.tolist() == [ids["c1"], ids["c2"], ids["c3"], ids["retake"]]
    assert wide.columns.tolist() == list(KEY)
    expected = pd.DataFrame(
        [
            ["a", "b", "c", "d"],
            ["a", NA, "a", NA],  # a cleared answer and a never-answered item are both omitted
            ["b", NA, NA, NA],  # expired, never submitted: closed all the same
            ["a", "b", "c", "d"],
        ],
        index=wide.index,
        columns=list(KEY),
        dtype=object,
    )
    pd.testing.assert_frame_equal(wide, expected)
    assert key.to_dict() == KEY and key.index.tolist() == list(KEY)


def test_open_and_voided_attempts_are_left_out(app, world):
    wide, _ = responses(app)
    assert world.attempts["c4"] not in wide.index
    assert world.attempts["c5"] not in wide.index


def test_an_attempt_counts_once_its_deadline_has_passed(app, world):
    with app.app_context():
        later = now_utc().replace(year=now_utc().year + 1)
        wide, _ = frames.part_one_responses(CODE, later)
    assert world.attempts["c4"] in wide.index


def test_the_window_filter_keeps_that_window_only(app, world):
    one, _ = responses(app, window=W1)
    two, _ = responses(app, window=W2)
    ids = world.attempts
    assert one.index.tolist() == [ids["c1"], ids["c2"], ids["c3"]]
    assert two.index.tolist() == [ids["retake"]]


def test_a_window_without_attempts_gives_an_empty_frame_with_the_items(app, world):
    with app.app_context():
        db.session.add(
            ExamWindow(name="Empty", opens_on=date(2030, 1, 1), closes_on=date(2030, 2, 1))
        )
        db.session.commit()
    wide, key = responses(app, window="Empty")
    assert wide.empty and wide.columns.tolist() == list(KEY) and len(key) == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"code": "NOPE"}, "no Part One form with code 'NOPE'"),
        ({"version": 9}, "has no version 9 (it has v1)"),
        ({"window": "Nope"}, "no exam window named 'Nope'"),
    ],
)
def test_unknown_selections_are_named(app, world, kwargs, message):
    code = kwargs.pop("code", CODE)
    with app.app_context(), pytest.raises(frames.UnknownSelection, match=re.escape(message)):
        frames.part_one_responses(code, now_utc(), **kwargs)


def _second_version(items_changed: bool) -> None:
    """Form v2: a new version of T-004 with another key, or a different item set; one attempt."""
    old = db.session.scalars(db.select(Item).order_by(Item.key)).all()
    if items_changed:
        entries = [*old[:3], make_item("T-005", correct="a")]
    else:
        entries = [*old[:3], make_item("T-004", version=2, correct="a")]
    form = make_form(entries, version=2)
    seat = Seat(sitting=sitting(ExamWindow(name="V2", opens_on=date(2024, 8, 1),
                                           closes_on=date(2024, 10, 31)), PAST),
                candidate=candidate("v2"), track="IMH-SPECIALIST")  # fmt: skip
    made = attempt(seat, form, PAST, "submitted")
    db.session.add(made)
    db.session.flush()
    answer(made, form, {"T-001": "a"})
    db.session.commit()


@pytest.mark.parametrize("items_changed", [True, False])
def test_versions_that_differ_are_not_pooled_but_each_can_be_chosen(app, world, items_changed):
    with app.app_context():
        _second_version(items_changed)
        with pytest.raises(frames.MixedVersions, match="choose one version"):
            frames.part_one_responses(CODE, now_utc())
        one, key_one = frames.part_one_responses(CODE, now_utc(), version=1)
        two, key_two = frames.part_one_responses(CODE, now_utc(), version=2)
    assert len(one) == 4 and key_one["T-003"] == "c"
    assert len(two) == 1 and two.iloc[0].tolist()[0] == "a"
    assert key_two.iloc[-1] == "a"


def test_versions_with_the_same_items_and_keys_are_pooled(app, world):
    with app.app_context():
        old = db.session.scalars(db.select(Item).order_by(Item.key)).all()
        form = make_form([*old[:3], make_item("T-004", version=2)], version=2)
        seat = Seat(sitting=db.session.scalars(db.select(Sitting)).first(),
                    candidate=candidate("v2"), track="IMH-SPECIALIST")  # fmt: skip
        made = attempt(seat, form, PAST, "submitted")
        db.session.add(made)
        db.session.flush()
        answer(made, form, {"T-004": "d"})
        db.session.commit()
        wide, key = frames.part_one_responses(CODE, now_utc())
    assert len(wide) == 5
    assert wide.loc[made_id(app), "T-004"] == "d"  # the v2 item answers under the same key
    assert key["T-004"] == "d"


def made_id(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Attempt.id).order_by(Attempt.id.desc()).limit(1))


def test_results_frame_numbers_attempts_and_leaves_out_voided_seats(app, world):
    with app.app_context():
        results = frames.results_frame()
    assert results.columns.tolist() == frames.RESULT_COLUMNS
    assert len(results) == 3  # c1, c2, c2's retake; c5 was voided
    assert results["window"].tolist() == [W1, W1, W2]
    assert results["attempt_no"].tolist() == [1, 1, 2]
    assert results["attempt"].tolist() == ["first", "first", "retake"]
    assert results["percent"].tolist() == [100, 25, 100]
    assert results["passed"].tolist() == [True, False, True]
    assert set(results["endorsement"]) == {"IMH"} and set(results["part"]) == {"MC"}
    assert results["pass_mark"].tolist() == [75, 75, 75]
    assert results["released"].tolist() == [True, True, True]


def test_criterion_levels_frame_has_a_row_per_criterion_with_the_rubric_floor(app, world):
    with app.app_context():
        add_part_two_result({"REFL": 3, "THINK": 1.5})
        db.session.commit()
        levels = frames.criterion_levels_frame()
    assert levels.columns.tolist() == frames.CRITERION_COLUMNS
    assert levels["criterion"].tolist() == ["REFL", "THINK"]
    assert levels["label"].tolist() == ["Label REFL", "Label THINK"]
    assert levels["level"].tolist() == [3.0, 1.5]
    assert levels["min_level"].tolist() == [2.0, 2.0]
    assert levels["attempt_no"].tolist() == [1, 1]  # one attempt, two rows
    assert levels["window"].tolist() == [W1, W1]
