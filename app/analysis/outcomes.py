"""Pass-rate tables as the coordinator reports them (pure pandas over the frames of frames.py).

The grouping choices of the pages and of `report pass-rates`, windows in calendar order rather
than alphabetical, and Part Two outcomes per rubric criterion: a criterion is met when its
final level is at or above the floor of the rubric's pass rule (`min_level`).
"""

from collections.abc import Iterable

import pandas as pd

from app.analysis.rates import protected_pass_rates

#: the columns a pass-rate table may be grouped by, with their headings
GROUPS = {
    "window": "Window",
    "endorsement": "Endorsement",
    "track": "Track",
    "part": "Part",
    "attempt": "First attempt or retake",
    "form": "Form",
}
CRITERION_GROUPS = ("window", "endorsement", "track", "attempt")
DEFAULT_BY = ("window", "part")


def parse_by(choices: str | Iterable[str], allowed: Iterable[str] = tuple(GROUPS)) -> list[str]:
    """Grouping columns from 'window,track' or a list, in the given order, without repeats."""
    if isinstance(choices, str):
        choices = choices.split(",")
    wanted = [choice.strip() for choice in choices if choice.strip()]
    allowed = list(allowed)
    unknown = [choice for choice in wanted if choice not in allowed]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}: choose from {', '.join(allowed)}")
    return list(dict.fromkeys(wanted))


def grouped_pass_rates(results: pd.DataFrame, by: list[str], min_n: int) -> pd.DataFrame:
    """pass_rates by the groups (protected as one table), windows in the order they opened."""
    return shown_together(results, [by], min_n)[0]


def shown_together(
    results: pd.DataFrame, groupings: list[list[str]], min_n: int
) -> list[pd.DataFrame]:
    """Tables published together, suppressed together so no hidden cell can be derived."""
    tables = protected_pass_rates(results, groupings, min_n=min_n)
    return [in_calendar_order(table, results) for table in tables]


def criterion_rates(levels: pd.DataFrame, by: list[str], min_n: int) -> pd.DataFrame:
    """Per criterion (and group): how many final levels met the rubric's floor."""
    rated = levels.dropna(subset=["level", "min_level"])
    outcomes = rated.assign(passed=rated["level"] >= rated["min_level"])
    table = grouped_pass_rates(outcomes, [*by, "criterion"], min_n)
    labels = rated.drop_duplicates("criterion").set_index("criterion")["label"]
    floors = rated.groupby("criterion")["min_level"].min()
    table.insert(len(by) + 1, "label", table["criterion"].map(labels))
    table.insert(len(by) + 2, "min_level", table["criterion"].map(floors))
    return table


def in_calendar_order(table: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by when their window opened (stable: other groups keep their order)."""
    if "window" not in table.columns or table.empty:
        return table.reset_index(drop=True)
    opened = frame.drop_duplicates("window").set_index("window")["window_opens"]
    order = table["window"].map(opened)
    return table.iloc[order.argsort(kind="stable")].reset_index(drop=True)


def window_order(frame: pd.DataFrame) -> list[str]:
    """The windows of a results frame, oldest first."""
    return frame.sort_values("window_opens", kind="stable")["window"].drop_duplicates().tolist()
