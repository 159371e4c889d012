"""Bank rules: a Part One form has exactly its item_count items; text fields have size limits."""

import pytest

from app.bank.schema import MAX_LENGTHS
from tests.bank.test_validate import GOOD_FORM, GOOD_ITEM, problems_for


def test_form_listing_fewer_items_than_its_item_count_is_refused(tmp_path):
    body = GOOD_ITEM.format() + GOOD_FORM.replace("item_count = 1", "item_count = 60")
    assert problems_for(tmp_path, body) == [
        "bank.toml: T-FORM: items: lists 1 item(s); item_count says the form has 60"
    ]


def test_part_one_form_must_say_how_many_items_it_has(tmp_path):
    body = GOOD_ITEM.format() + GOOD_FORM.replace("item_count = 1\n", "")
    assert problems_for(tmp_path, body) == [
        "bank.toml: T-FORM: item_count: is required for part MC"
    ]


def test_sample_forms_say_sixty(tmp_path):
    from app.bank.loader import read_bank
    from tests.conftest import ROOT

    forms = read_bank(ROOT / "question_bank").of("form")
    assert forms["IMH-P1-SAMPLE"].data["item_count"] == 60
    assert forms["ECMH-P1-SAMPLE"].data["item_count"] == 60


@pytest.mark.parametrize(
    ("old", "field", "limit"),
    [
        ('stem = "Which is best?"', "stem", MAX_LENGTHS["stem"]),
        ('text = "Two"', "options[2].text", MAX_LENGTHS["option"]),
    ],
)
def test_item_text_over_its_limit_is_named(tmp_path, old, field, limit):
    name = old.split(" = ")[0]
    body = GOOD_ITEM.format().replace(old, f'{name} = "{"x" * (limit + 1)}"') + GOOD_FORM
    assert problems_for(tmp_path, body)[0] == (
        f"bank.toml: T-001: {field}: is {limit + 1:,} characters; at most {limit:,} are allowed"
    )


def test_vignette_text_and_descriptor_limits(tmp_path):
    huge = "y" * (MAX_LENGTHS["text"] + 1)
    body = f'''
[[vignette]]
key = "V-1"
title = "T"
tracks = ["IMH-SPECIALIST"]
kind = "clinical"
text = "{huge}"
prompt = "P"

[[rubric]]
key = "R-1"
title = "R"
tracks = ["IMH-SPECIALIST"]
pass_rule = {{ kind = "total_and_floor", min_total_percent = 75, min_level = 2 }}
[[rubric.criterion]]
code = "REFL"
domain = "REFL"
label = "Reflection"
levels = [{{ score = 1, label = "a", descriptor = "{"z" * 2001}" }}, {{ score = 2, label = "b", descriptor = "ok" }}]
'''
    assert problems_for(tmp_path, body) == [
        "bank.toml: V-1: text: is 20,001 characters; at most 20,000 are allowed",
        "bank.toml: R-1: criterion[1].levels[1].descriptor: is 2,001 characters; at most 2,000 "
        "are allowed",
    ]
