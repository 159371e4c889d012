"""The database modes of `flask report`: items --form [--window --version], and pass-rates."""

import io

import pandas as pd
import pytest

from tests.analysis_pages.conftest import CODE, KEY, W1, W2


def read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def summary(stderr: str) -> dict:
    return dict(part.split("=") for part in stderr.split())


def test_items_from_the_database(runner, world):
    result = runner.invoke(args=["report", "items", "--form", CODE])
    assert result.exit_code == 0, result.output
    table = read(result.stdout).set_index("item_id")
    assert table.index.tolist() == list(KEY)
    assert table["n"].tolist() == [4] * 4
    # closed attempts: c1 abcd, c2 a_a-, c3 b---, retake abcd
    assert table["p"].tolist() == [0.75, 0.5, 0.5, 0.5]
    assert table.loc["T-001", "share_b"] == 0.25
    assert table.loc["T-002", "share_omitted"] == 0.5
    fields = summary(result.stderr)
    assert fields["n"] == "4" and fields["items"] == "4"
    assert float(fields["mean"]) == pytest.approx((4 + 1 + 0 + 4) / 4, abs=5e-5)


def test_items_for_one_window_into_a_file(runner, world, tmp_path):
    out = tmp_path / "items.csv"
    result = runner.invoke(
        args=["report", "items", "--form", CODE, "--window", W2, "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert read(out.read_text(encoding="utf-8"))["n"].tolist() == [1] * 4
    assert summary(result.stderr)["n"] == "1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--form", "NOPE"], "no Part One form with code 'NOPE'"),
        (["--form", CODE, "--window", "Nope"], "no exam window named 'Nope'"),
        (["--form", CODE, "--version", "3"], "has no version 3"),
    ],
)
def test_items_names_what_the_database_does_not_hold(runner, world, args, message):
    result = runner.invoke(args=["report", "items", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_items_refuses_a_form_without_closed_attempts(runner, world, app):
    from datetime import date

    from app.extensions import db
    from app.models import ExamWindow

    with app.app_context():
        db.session.add(
            ExamWindow(name="Quiet", opens_on=date(2030, 1, 1), closes_on=date(2030, 2, 1))
        )
        db.session.commit()
    result = runner.invoke(args=["report", "items", "--form", CODE, "--window", "Quiet"])
    assert result.exit_code == 1
    assert "no closed attempts in window 'Quiet'" in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--form", CODE, "--responses", "R.csv", "--key", "K.csv"],
        ["--responses", "R.csv", "--key", "K.csv", "--window", W1],
        ["--responses", "R.csv"],
    ],
)
def test_items_wants_exactly_one_source(runner, args):
    result = runner.invoke(args=["report", "items", *args])
    assert result.exit_code == 2, result.output


def test_the_csv_mode_still_works_under_the_app(runner, tmp_path):
    (tmp_path / "R.csv").write_text("candidate_id,Q1,Q2\nA,a,b\nB,a,a\nC,b,b\n", encoding="utf-8")
    (tmp_path / "K.csv").write_text("item_id,key\nQ1,a\nQ2,b\n", encoding="utf-8")
    args = ["--responses", str(tmp_path / "R.csv"), "--key", str(tmp_path / "K.csv")]
    result = runner.invoke(args=["report", "items", *args])
    assert result.exit_code == 0, result.output
    assert read(result.stdout)["p"].round(4).tolist() == [0.6667, 0.6667]


def test_pass_rates_by_window_and_attempt_with_small_groups_suppressed(runner, world, tmp_path):
    out = tmp_path / "rates.csv"
    result = runner.invoke(
        args=["report", "pass-rates", "--by", "window,attempt", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = read(out.read_text(encoding="utf-8"))
    assert table.columns.tolist() == [
        "window",
        "attempt",
        "n",
        "passed",
        "rate",
        "rate_low",
        "rate_high",
        "suppressed",
        "suppression",
    ]
    assert table[["window", "attempt", "n"]].values.tolist() == [
        [W1, "first", 2],
        [W2, "retake", 1],
    ]
    assert table["passed"].isna().all() and table["rate"].isna().all()  # n < 5
    assert table["suppressed"].tolist() == [True, True]


def test_pass_rates_with_a_smaller_minimum_show_the_rates(runner, world):
    result = runner.invoke(args=["report", "pass-rates", "--by", "part", "--min-group", "1"])
    assert result.exit_code == 0, result.output
    table = read(result.stdout)
    assert table[["part", "n", "passed"]].values.tolist() == [["MC", 3, 2]]
    assert table["rate"].tolist() == [pytest.approx(2 / 3, abs=5e-5)]


def test_pass_rates_default_grouping_is_window_and_part(runner, world):
    result = runner.invoke(args=["report", "pass-rates"])
    assert result.exit_code == 0, result.output
    assert read(result.stdout).columns.tolist()[:2] == ["window", "part"]


def test_pass_rates_refuses_an_unknown_group(runner, world):
    result = runner.invoke(args=["report", "pass-rates", "--by", "window,shoe_size"])
    assert result.exit_code == 2
    assert "shoe_size" in result.output
