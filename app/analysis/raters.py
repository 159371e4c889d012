"""Rater agreement from a readings frame (pure pandas + scikit-learn, no database).

The frame is `app.analysis.frames.readings_frame()`: one row per criterion of each submitted
reading, columns response, criterion, grader, grader_name, slot, level, final, started_at,
submitted_at, and position / final_position: the level's place on the criterion's scale (0 for
the lowest level, 1 for the next ...). Agreement counts *positions*, not scores, so on a 0/2/4
scale 2 and 4 are adjacent (one level apart), not two apart. Frames without the position
columns (scores 1, 2, 3 ... in steps of one) are taken as they are.
The two blind live readings are slots R1 and R2; "partner" is the other of them.

- exact: share of pairs with the same level; adjacent: share within one level (exact included)
- kappa_partner / kappa_final: quadratic-weighted Cohen's kappa with the partner / the final
  level (finals can be half levels, so levels are put on a half-level grid for kappa)
- severity: mean of (own level − partner's level): below 0 harsher than the partner
- final_diff: mean of (own level − final level)
"""

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score

LIVE = ("R1", "R2")
CRITERION_COLUMNS = ["pairs", "exact", "adjacent", "kappa_partner", "kappa_final", "mean_abs_diff"]
GRADER_COLUMNS = [
    "name",
    "readings",
    "pairs",
    "exact",
    "adjacent",
    "kappa_partner",
    "kappa_final",
    "severity",
    "final_diff",
    "median_minutes",
]


def level_position(scores: list[float], level: float) -> float:
    """Where a level sits on the criterion's scale: 0, 1, 2 ... for its levels, in between for
    a mean of two adjacent levels (a final can be one)."""
    for n, (lower, upper) in enumerate(zip(scores, scores[1:], strict=False)):
        if lower <= level <= upper:
            return n + (level - lower) / (upper - lower)
    return float("nan")


def on_positions(readings: pd.DataFrame) -> pd.DataFrame:
    """The frame with level and final replaced by their positions on the scale (if known)."""
    if "position" not in readings.columns:
        return readings
    return readings.assign(level=readings["position"], final=readings["final_position"])


def quadratic_kappa(a, b) -> float:
    """Quadratic-weighted kappa of two equal-length level sequences; NaN when undefined."""
    a2 = np.rint(np.asarray(a, dtype=float) * 2).astype(int)
    b2 = np.rint(np.asarray(b, dtype=float) * 2).astype(int)
    if len(a2) == 0 or len(np.union1d(a2, b2)) < 2:
        return float("nan")  # a single level in play: agreement is not measurable as kappa
    labels = np.arange(min(a2.min(), b2.min()), max(a2.max(), b2.max()) + 1)
    return float(cohen_kappa_score(a2, b2, labels=labels, weights="quadratic"))


def pairs(readings: pd.DataFrame) -> pd.DataFrame:
    """One row per (response, criterion) read in both live slots: grader_R1, level_R1, ..."""
    live = readings[readings["slot"].isin(LIVE)]
    if live.empty:
        columns = ["grader_R1", "grader_R2", "level_R1", "level_R2", "final"]
        return pd.DataFrame(columns=["response", "criterion", *columns])
    wide = live.set_index(["response", "criterion", "slot"])[["grader", "level"]].unstack("slot")
    wide.columns = [f"{field}_{slot}" for field, slot in wide.columns]
    wide = wide.dropna(subset=[c for c in wide.columns if c.startswith("level_")])
    final = live.groupby(["response", "criterion"])["final"].first()
    return wide.join(final).reset_index()


def _oriented(paired: pd.DataFrame) -> pd.DataFrame:
    """Each pair twice, once from each grader's side: grader, criterion, own, partner."""
    sides = []
    for own, other in (("R1", "R2"), ("R2", "R1")):
        side = paired[["criterion", f"grader_{own}", f"level_{own}", f"level_{other}"]]
        sides.append(side.set_axis(["criterion", "grader", "own", "partner"], axis=1))
    return pd.concat(sides, ignore_index=True)


def criterion_agreement(readings: pd.DataFrame) -> pd.DataFrame:
    """Per criterion: pairs, exact and adjacent agreement, kappa with partner and final."""
    readings = on_positions(readings)
    paired = pairs(readings)
    live = readings[readings["slot"].isin(LIVE) & readings["final"].notna()]
    rows = {}
    for criterion, group in paired.groupby("criterion"):
        gap = (group["level_R1"] - group["level_R2"]).abs()
        finals = live[live["criterion"] == criterion]
        rows[criterion] = [
            len(group),
            float((gap == 0).mean()),
            float((gap <= 1).mean()),
            quadratic_kappa(group["level_R1"], group["level_R2"]),
            quadratic_kappa(finals["level"], finals["final"]),
            float(gap.mean()),
        ]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=CRITERION_COLUMNS)
    return table.rename_axis("criterion").sort_index()


def _minutes_per_reading(readings: pd.DataFrame) -> pd.Series:
    live = readings[readings["slot"].isin(LIVE)]
    per_reading = live.groupby(["grader", "response", "slot"])[["started_at", "submitted_at"]]
    spans = per_reading.first()
    minutes = (spans["submitted_at"] - spans["started_at"]).dt.total_seconds() / 60
    return minutes.groupby(level="grader").median()


def grader_agreement(readings: pd.DataFrame) -> pd.DataFrame:
    """Per grader: readings done, agreement and kappa with partners and finals, severity, time."""
    if readings.empty:
        return pd.DataFrame(columns=GRADER_COLUMNS).rename_axis("grader")
    readings = on_positions(readings)
    oriented = _oriented(pairs(readings))
    live = readings[readings["slot"].isin(LIVE)]
    with_final = live[live["final"].notna()]
    names = readings.groupby("grader")["grader_name"].first()
    minutes = _minutes_per_reading(readings)
    rows = {}
    for grader, name in names.items():
        mine = oriented[oriented["grader"] == grader]
        gap = mine["own"] - mine["partner"]
        finals = with_final[with_final["grader"] == grader]
        rows[grader] = [
            name,
            live[live["grader"] == grader][["response", "slot"]].drop_duplicates().shape[0],
            len(mine),
            float((gap == 0).mean()) if len(mine) else float("nan"),
            float((gap.abs() <= 1).mean()) if len(mine) else float("nan"),
            quadratic_kappa(mine["own"], mine["partner"]),
            quadratic_kappa(finals["level"], finals["final"]),
            float(gap.mean()) if len(mine) else float("nan"),
            float((finals["level"] - finals["final"]).mean()) if len(finals) else float("nan"),
            float(minutes.get(grader, float("nan"))),
        ]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=GRADER_COLUMNS)
    return table.rename_axis("grader").sort_values("name")
