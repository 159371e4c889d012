"""Bank validation: every problem named by file, key and field; nothing imported."""

import textwrap

import pytest
from sqlalchemy import func, select

from app.bank.loader import read_bank
from app.extensions import db
from app.models import Item
from tests.conftest import ROOT

GOOD_ITEM = """
[[item]]
key = "T-001"
endorsement = "IMH"
domain = "DIRECT"
stem = "Which is best?"
correct = "b"
options = [{{ id = "a", text = "One" }}, {{ id = "b", text = "Two" }}, {{ id = "c", text = "3" }}]
"""
GOOD_FORM = """
[[form]]
code = "T-FORM"
title = "Test form"
endorsement = "IMH"
part = "MC"
duration_minutes = 90
pass_mark = 80
item_count = 1
items = ["T-001"]
"""


def write(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def problems_for(tmp_path, body, name="bank.toml"):
    write(tmp_path, name, body)
    return [str(p) for p in read_bank(tmp_path).problems]


def test_sample_bank_is_valid_and_complete():
    content = read_bank(ROOT / "question_bank")
    assert content.problems == []
    items = content.of("item")
    assert sum(r.data["endorsement"] == "IMH" for r in items.values()) >= 60
    assert sum(r.data["endorsement"] == "ECMH" for r in items.values()) >= 60
    assert all(
        r.data.get("sample") is True for kind in content.records.values() for r in kind.values()
    )
    forms = content.of("form")
    for code in ("IMH-P1-SAMPLE", "ECMH-P1-SAMPLE"):
        assert len(forms[code].data["items"]) == 60
        assert forms[code].data["duration_minutes"] == 90 and forms[code].data["pass_mark"] == 80


def test_good_bank_has_no_problems(tmp_path):
    assert problems_for(tmp_path, GOOD_ITEM.format() + GOOD_FORM) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('correct = "b"', 'correct = "z"'),
            "bank.toml: T-001: correct: 'z' is not one of the option ids",
        ),
        (('correct = "b"\n', ""), "bank.toml: T-001: correct: is required"),
        (
            ('domain = "DIRECT"', 'domain = "MAGIC"'),
            "bank.toml: T-001: domain: unknown domain code",
        ),
        (
            ('endorsement = "IMH"\ndomain', 'endorsement = "XYZ"\ndomain'),
            "bank.toml: T-001: endorsement: must be IMH, ECMH or BOTH",
        ),
        (('stem = "Which is best?"', "stem = 42"), "bank.toml: T-001: stem: must be a string"),
        (('stem = "Which is best?"', 'stem = "  "'), "bank.toml: T-001: stem: must not be empty"),
        (
            ('{ id = "c", text = "3" }', '{ id = "b", text = "Three" }'),
            "bank.toml: T-001: options[3].id: duplicate option id 'b'",
        ),
        (
            (', { id = "c", text = "3" }', ""),
            "bank.toml: T-001: options: needs 3 to 5 options, has 2",
        ),
        (
            ('key = "T-001"', 'key = "T-001"\ncolour = "red"'),
            "bank.toml: T-001: colour: unknown field",
        ),
        (
            ('items = ["T-001"]', 'items = ["T-001", "T-404"]'),
            "bank.toml: T-FORM: items[2]: no item with key 'T-404' in the bank",
        ),
        (
            ("duration_minutes = 90", 'duration_minutes = "90"'),
            "bank.toml: T-FORM: duration_minutes: must be an integer",
        ),
        (
            ("pass_mark = 80", "pass_mark = 180"),
            "bank.toml: T-FORM: pass_mark: must be a percent from 0 to 100",
        ),
    ],
)
def test_each_problem_is_named(tmp_path, change, expected):
    body = (GOOD_ITEM.format() + GOOD_FORM).replace(*change, 1)
    found = problems_for(tmp_path, body)
    assert any(p.startswith(expected) for p in found), found


def test_invalid_toml_names_the_file(tmp_path):
    found = problems_for(tmp_path, "[[item]\nkey = ", name="broken.toml")
    assert found and found[0].startswith("broken.toml: -: -: invalid TOML")


def test_duplicate_key_across_files_names_both(tmp_path):
    write(tmp_path, "a.toml", GOOD_ITEM.format())
    write(tmp_path, "b.toml", GOOD_ITEM.format())
    found = [str(p) for p in read_bank(tmp_path).problems]
    assert found == ["b.toml: T-001: key: duplicate item key (also in a.toml)"]


def test_item_for_other_endorsement_is_refused_on_form(tmp_path):
    body = GOOD_ITEM.format().replace('"IMH"', '"ECMH"') + GOOD_FORM
    assert "bank.toml: T-FORM: items[1]: item 'T-001' is for ECMH, not IMH" in problems_for(
        tmp_path, body
    )


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    body = (
        GOOD_ITEM.format()
        .replace('domain = "DIRECT"', 'domain = "NOPE"')
        .replace('correct = "b"', 'correct = "q"')
    )
    assert len(problems_for(tmp_path, body)) == 2


def test_cli_validate_exits_nonzero_and_imports_nothing(app, runner, tmp_path):
    write(tmp_path, "bank.toml", GOOD_ITEM.format().replace('correct = "b"', 'correct = "z"'))
    result = runner.invoke(args=["bank", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "T-001: correct:" in result.output
    result = runner.invoke(args=["bank", "import", str(tmp_path)])
    assert result.exit_code == 1 and "nothing was imported" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id))) == 0


VIGNETTE_BANK = """
[[vignette]]
key = "V-1"
title = "A scenario"
tracks = ["IMH-SPECIALIST"]
kind = "clinical"
text = "Text"
prompt = "Prompt"

[[rubric]]
key = "R-1"
title = "Rubric"
tracks = ["IMH-SPECIALIST"]
pass_rule = { kind = "total_and_floor", min_total_percent = 75, min_level = 2 }
[[rubric.criterion]]
code = "REFL"
domain = "REFL"
label = "Reflection"
levels = [{ score = 1, label = "L", descriptor = "d" },{ score = 2, label = "H", descriptor = "e" }]

[[form]]
code = "V-FORM"
title = "Part Two"
endorsement = "IMH"
part = "VIGNETTE"
track = "IMH-SPECIALIST"
duration_minutes = 90
answer_count = 1
vignettes = ["V-1"]
rubric = "R-1"
"""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("answer_count = 1", "answer_count = 2"), "V-FORM: answer_count: must be between 1 and 1"),
        (('kind = "clinical"', 'kind = "poem"'), "V-1: kind: must be one of"),
        (('rubric = "R-1"', 'rubric = "R-9"'), "V-FORM: rubric: no rubric with key 'R-9'"),
        (
            ('pass_rule = { kind = "total_and_floor"', 'pass_rule = { kind = "vibes"'),
            "R-1: pass_rule.kind: unknown rule",
        ),
        (
            (",{ score = 2,", ",{ score = 1,"),
            "R-1: criterion[1].levels[2].score: scores must be integers, strictly increasing",
        ),
        (
            (
                "pass_rule = { kind",
                'resolution = { kind = "adjacent_mean", adjudicate = "most" }\npass_rule = { kind',
            ),
            "R-1: resolution.adjudicate: unknown policy; use one of disputed, all",
        ),
        (
            ('tracks = ["IMH-SPECIALIST"]\nkind', 'tracks = ["ECMH-SPECIALIST"]\nkind'),
            "V-FORM: vignettes[1]: vignette 'V-1' does not list track IMH-SPECIALIST",
        ),
    ],
)
def test_part_two_problems_are_named(tmp_path, change, expected):
    assert problems_for(tmp_path, VIGNETTE_BANK) == []
    found = problems_for(tmp_path, VIGNETTE_BANK.replace(*change, 1))
    assert any(expected in p for p in found), found
