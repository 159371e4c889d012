"""`report items` on CSV files written into tmp_path, driven through click's CliRunner."""

import io

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from app.analysis.commands import report
from tests.analysis.hand_data import (
    ALPHA,
    D27,
    FLAGS,
    KEY,
    KEY_CSV,
    RESPONSES_CSV,
    RPB,
    SHARES,
    SUMMARY,
    P,
)

ROUNDING = 5e-5  # the CSV carries 4 decimals


def run(tmp_path, responses=RESPONSES_CSV, key=KEY_CSV, *extra):
    """Write the two files (None: leave one out) and run `report items` on them."""
    paths = {}
    for name, text in (("R.csv", responses), ("K.csv", key)):
        paths[name] = tmp_path / name
        if text is not None:
            paths[name].write_text(text, encoding="utf-8")
    args = ["items", "--responses", str(paths["R.csv"]), "--key", str(paths["K.csv"]), *extra]
    return CliRunner().invoke(report, args)


def read_table(text: str) -> pd.DataFrame:
    return pd.read_csv(
        io.StringIO(text),
        dtype={"item_id": str, "flag": str},
        keep_default_na=False,
        na_values=[""],
    )


def test_stdout_has_one_row_per_item_with_the_hand_figures(tmp_path):
    result = run(tmp_path)
    assert result.exit_code == 0, result.output
    table = read_table(result.stdout).set_index("item_id")
    assert table.index.tolist() == list(KEY)  # the responses' column order, not the key's
    assert table.columns.tolist()[:6] == ["n", "p", "rpb", "d27", "alpha_if_deleted", "flag"]
    assert table["n"].tolist() == [7] * 5
    for column, expected in (("p", P), ("rpb", RPB), ("d27", D27), ("alpha_if_deleted", ALPHA)):
        want = [expected[item] for item in KEY]
        np.testing.assert_allclose(table[column], want, atol=ROUNDING, rtol=0)
    shares = table[["share_A", "share_B", "share_C", "share_D", "share_omitted"]]
    want = [[count / 7 for count in SHARES[item]] for item in KEY]
    np.testing.assert_allclose(shares, want, atol=ROUNDING, rtol=0)
    assert table["flag"].to_dict() == FLAGS


def test_summary_goes_to_stderr(tmp_path):
    result = run(tmp_path)
    fields = dict(part.split("=") for part in result.stderr.split())
    assert list(fields) == ["n", "items", "mean", "sd", "kr20", "sem"]
    assert fields["n"] == "7" and fields["items"] == "5"
    for name in ("mean", "sd", "kr20", "sem"):
        assert float(fields[name]) == pytest.approx(SUMMARY[name], abs=ROUNDING)
    assert "n=" not in result.stdout


def test_out_writes_the_table_to_a_file(tmp_path):
    out = tmp_path / "items.csv"
    result = run(tmp_path, RESPONSES_CSV, KEY_CSV, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert read_table(out.read_text(encoding="utf-8"))["item_id"].tolist() == list(KEY)
    assert result.stderr.startswith("n=7 items=5 ")


def test_ids_and_options_stay_text(tmp_path):
    # "007" keeps its zeros and "NA" is an option like any other, not a missing value
    responses = "candidate_id,007,010\nx1,NA,B\nx2,A,\n"
    result = run(tmp_path, responses, "item_id,key\n007,NA\n010,B\n")
    table = read_table(result.stdout)
    assert table["item_id"].tolist() == ["007", "010"]
    assert table["p"].tolist() == [0.5, 0.5]
    assert table["share_NA"].tolist() == [0.5, 0.0]
    assert table["share_omitted"].tolist() == [0.0, 0.5]


@pytest.mark.parametrize(
    ("responses", "key", "names", "problem"),
    [
        (None, KEY_CSV, "R.csv", "no such file"),
        (RESPONSES_CSV, None, "K.csv", "no such file"),
        ("id,Q1\nc1,A\n", "item_id,key\nQ1,A\n", "R.csv", "no candidate_id column"),
        ("candidate_id,Q1\nc1,A\nc1,B\n", "item_id,key\nQ1,A\n", "R.csv", "repeated: c1"),
        ("candidate_id,Q1\n", "item_id,key\nQ1,A\n", "R.csv", "at least one item column"),
        ("candidate_id\nc1\n", "item_id,key\nQ1,A\n", "R.csv", "at least one item column"),
        (RESPONSES_CSV, "item_id,answer\nQ1,A\n", "K.csv", "missing key"),
        (RESPONSES_CSV, "", "K.csv", "not a readable CSV"),
        (RESPONSES_CSV, KEY_CSV + "Q1,B\n", "K.csv", "item_id repeated: Q1"),
        (RESPONSES_CSV, KEY_CSV.replace("Q4,D", "Q4,"), "K.csv", "blank item_id or key"),
        (RESPONSES_CSV, KEY_CSV + "Q9,A\n", "K.csv", "items not in"),
        (RESPONSES_CSV, KEY_CSV.replace("Q4,D\n", ""), "R.csv", "items not in"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, responses, key, names, problem):
    result = run(tmp_path, responses, key)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)  # click's clean exit, not a crash
    assert "Traceback" not in result.output
    message = result.stderr
    assert message.startswith("Error: ") and str(tmp_path / names) in message
    assert problem in message
    assert result.stdout == ""


def test_mismatch_message_names_the_missing_items(tmp_path):
    result = run(tmp_path, RESPONSES_CSV, KEY_CSV.replace("Q4,D\n", "") + "Q9,A\n")
    assert "K.csv: items not in" in result.stderr and "Q9" in result.stderr
    assert "R.csv: items not in" in result.stderr and "Q4" in result.stderr


def test_unwritable_out_is_a_clear_error(tmp_path):
    result = run(tmp_path, RESPONSES_CSV, KEY_CSV, "--out", str(tmp_path / "no" / "x.csv"))
    assert result.exit_code != 0 and "cannot write" in result.stderr
    assert "Traceback" not in result.output
