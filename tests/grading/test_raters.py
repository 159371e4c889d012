"""Rater agreement: figures checked by hand and against scikit-learn; the page renders them."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from app.analysis import raters
from app.analysis.frames import READING_COLUMNS, readings_frame
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def _frame(rows):
    """rows: (response, criterion, grader, slot, level, final, minutes)."""
    out = []
    for response, criterion, grader, slot, level, final, minutes in rows:
        start = T0 + timedelta(hours=response)
        out.append(
            (
                response,
                criterion,
                grader,
                f"G{grader}",
                slot,
                float(level),
                float(final),
                start,
                start + timedelta(minutes=minutes),
            )
        )
    return pd.DataFrame(out, columns=READING_COLUMNS)


# grader 1 always reads one level above grader 2 on REFL, and agrees on THINK
ROWS = []
for n, (a, b) in enumerate([(4, 3), (3, 2), (2, 1), (4, 3)], start=1):
    ROWS += [(n, "REFL", 1, "R1", a, (a + b) / 2, 10 * n), (n, "REFL", 2, "R2", b, (a + b) / 2, 20)]
    ROWS += [(n, "THINK", 1, "R1", a, a, 10 * n), (n, "THINK", 2, "R2", a, a, 20)]


def test_per_criterion_agreement():
    table = raters.criterion_agreement(_frame(ROWS))
    assert table.loc["REFL", "pairs"] == 4
    assert table.loc["REFL", "exact"] == 0.0 and table.loc["REFL", "adjacent"] == 1.0
    assert table.loc["THINK", "exact"] == 1.0 and table.loc["THINK", "kappa_partner"] == 1.0
    expected = cohen_kappa_score(
        [4, 3, 2, 4], [3, 2, 1, 3], weights="quadratic", labels=[1, 2, 3, 4]
    )
    assert table.loc["REFL", "kappa_partner"] == pytest.approx(expected, abs=0.02)
    assert table.loc["REFL", "mean_abs_diff"] == 1.0


def test_per_grader_severity_readings_and_time():
    table = raters.grader_agreement(_frame(ROWS))
    assert list(table["name"]) == ["G1", "G2"]
    assert table.loc[1, "severity"] == 0.5 and table.loc[2, "severity"] == -0.5
    assert table.loc[1, "final_diff"] == pytest.approx(0.25)
    assert table.loc[1, "readings"] == 4 and table.loc[1, "pairs"] == 8
    assert table.loc[1, "median_minutes"] == 25.0 and table.loc[2, "median_minutes"] == 20.0
    assert table.loc[1, "exact"] == 0.5


def test_kappa_is_undefined_when_one_level_is_in_play():
    assert np.isnan(raters.quadratic_kappa([3, 3], [3, 3]))
    assert np.isnan(raters.quadratic_kappa([], []))
    assert raters.quadratic_kappa([3, 3], [2, 2]) == 0.0
    assert raters.quadratic_kappa([1, 2, 3], [1, 2, 3]) == 1.0


def test_empty_frames_give_empty_tables():
    empty = pd.DataFrame(columns=READING_COLUMNS)
    assert raters.criterion_agreement(empty).empty
    assert raters.grader_agreement(empty).empty


def test_frame_from_the_database_and_the_page(app, create_user_):
    world = factories.build_world(app, create_user_, [("Wren Halvorsen", "wren@a.example")], 2)
    for grader, level in zip(
        world.graders, (all_levels(3), {"REFL": 4, "THINK": 3, "WWO": 3}), strict=True
    ):
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            submit(client, code, level)
    with app.app_context():
        frame = readings_frame()
    assert len(frame) == 2 * 2 * 3 and set(frame["slot"]) == {"R1", "R2"}
    assert frame["final"].notna().all()
    assert (frame["position"] == frame["level"] - 1).all()  # the 1-4 scale's places 0-3
    page = client_for(app, world.lead.email).get("/grading/agreement").get_data(as_text=True)
    assert "Grader Person 0" in page and "REFL" in page and "Wren" not in page


def test_agreement_counts_level_positions_on_a_0_2_4_scale():
    scores = [0, 2, 4]
    # grader 1 reads 4 where grader 2 reads 2: adjacent levels, though the scores are 2 apart
    rows = [
        (r, "REFL", g, slot, level, 3, 20)
        for r in range(1, 5)
        for g, slot, level in ((1, "R1", 4), (2, "R2", 2))
    ]
    frame = _frame(rows)
    frame["position"] = [raters.level_position(scores, v) for v in frame["level"]]
    frame["final_position"] = [raters.level_position(scores, v) for v in frame["final"]]
    criterion = raters.criterion_agreement(frame).loc["REFL"]
    assert criterion["exact"] == 0.0 and criterion["adjacent"] == 1.0
    assert criterion["mean_abs_diff"] == 1.0
    graders = raters.grader_agreement(frame)
    assert graders.loc[1, "severity"] == 1.0 and graders.loc[2, "severity"] == -1.0
    assert graders.loc[1, "final_diff"] == 0.5  # final 3 is half-way between 2 and 4
    # on raw scores the same readings would look two levels apart
    assert raters.criterion_agreement(_frame(rows)).loc["REFL"]["adjacent"] == 0.0
    assert raters.level_position(scores, 3) == 1.5 and raters.level_position(scores, 0) == 0.0
