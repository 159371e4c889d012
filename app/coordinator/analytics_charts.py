"""Analytics charts drawn on the server with matplotlib and sent as SVG.

Figure objects are built directly (no pyplot), so no global figure state is shared between
requests; the Agg backend is chosen here because servers have no display. Text stays text in
the SVG (svg.fonttype none), and ids and metadata are fixed so the same data gives the same
bytes. Colour is never the only cue: flagged items are also a different marker shape.
"""

import io
import math

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "analytics"})

import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from app.analysis.items import FlagThresholds  # noqa: E402

BLUE, RED, GREY, GREEN = "#0b5cab", "#a4161a", "#5a6470", "#17692e"
SIZE = (7.5, 4.2)


def item_scatter(items: pd.DataFrame, thresholds: FlagThresholds) -> bytes:
    """Difficulty (p) against discrimination (rpb); flagged items as labelled red crosses."""
    fig, ax = _figure()
    plotted = items.dropna(subset=["p", "rpb"])
    flagged = plotted["flag"] != ""
    ax.scatter(plotted.loc[~flagged, "p"], plotted.loc[~flagged, "rpb"], c=BLUE, s=22,
               marker="o", label="item")  # fmt: skip
    ax.scatter(plotted.loc[flagged, "p"], plotted.loc[flagged, "rpb"], c=RED, s=60,
               marker="X", label="flagged item")  # fmt: skip
    for _, row in plotted[flagged].iterrows():
        ax.annotate(str(row["item_id"]), (row["p"], row["rpb"]), fontsize=7,
                    xytext=(4, 3), textcoords="offset points", color=RED)  # fmt: skip
    for x in (thresholds.hard_below, thresholds.easy_above):
        ax.axvline(x, color=GREY, linestyle="--", linewidth=0.8)
    ax.axhline(thresholds.low_rpb_below, color=GREY, linestyle="--", linewidth=0.8)
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.set(xlim=(-0.02, 1.02), ylim=(min(-0.2, _low(plotted["rpb"])), 1.0))
    ax.set(xlabel="Difficulty p (share correct)", ylabel="Discrimination (corrected rpb)")
    ax.set_title("Items: difficulty and discrimination")
    if len(plotted):
        ax.legend(loc="lower left", fontsize=8)
    return _svg(fig)


def score_histogram(distribution: pd.DataFrame, pass_marks: list[float]) -> bytes:
    """Counts of Part One percent scores in bins, with the pass mark as a vertical line."""
    fig, ax = _figure()
    widths = distribution["upper"] - distribution["lower"]
    ax.bar(distribution["lower"], distribution["count"], width=widths, align="edge",
           color=BLUE, edgecolor="white", label="candidates")  # fmt: skip
    for mark in pass_marks:
        ax.axvline(mark, color=RED, linewidth=2, label=f"pass mark {mark:g}%")
    ax.set(xlim=(0, 100), xlabel="Percent correct", ylabel="Candidates")
    ax.set_title("Part One scores")
    ax.legend(loc="upper left", fontsize=8)
    return _svg(fig)


def pass_rate_by_window(table: pd.DataFrame, min_group: int) -> bytes:
    """Pass rate per window (one bar per part); a suppressed group is a gap marked n < min."""
    fig, ax = _figure()
    windows = list(dict.fromkeys(table["window"]))
    parts = list(dict.fromkeys(table["part"]))
    width = 0.8 / max(len(parts), 1)
    for offset, (part, colour) in enumerate(zip(parts, (BLUE, GREEN, GREY), strict=False)):
        rows = table[table["part"] == part].set_index("window")
        for position, window in enumerate(windows):
            if window not in rows.index:
                continue
            x = position - 0.4 + width * (offset + 0.5)
            row = rows.loc[window]
            if row["suppressed"]:
                ax.text(x, 2, f"n < {min_group}", ha="center", fontsize=7, rotation=90)
                continue
            ax.bar(x, 100 * row["rate"], width=width, color=colour,
                   label=_part_label(part) if position == 0 else None)  # fmt: skip
            ax.text(x, 100 * row["rate"] + 1, f"{100 * row['rate']:.0f}%", ha="center",
                    fontsize=7)  # fmt: skip
    ax.set_xticks(range(len(windows)), windows, rotation=20, ha="right", fontsize=8)
    ax.set(ylim=(0, 110), ylabel="Pass rate (%)")
    ax.set_title("Pass rate by window")
    if parts:
        ax.legend(loc="upper left", fontsize=8)
    return _svg(fig)


def cut_score_curve(curve: pd.DataFrame, pass_marks: list[float]) -> bytes:
    """Pass rate if the pass mark were each cut; the current pass mark marked."""
    fig, ax = _figure()
    ax.plot(curve["cut"], 100 * curve["rate"], color=BLUE, linewidth=2, label="pass rate")
    for mark in pass_marks:
        at = curve.loc[curve["cut"] == mark, "rate"]
        label = f"pass mark {mark:g}%"
        if len(at) and not math.isnan(at.iloc[0]):
            label += f": {100 * at.iloc[0]:.0f}% pass"
        ax.axvline(mark, color=RED, linewidth=2, label=label)
    ax.set(xlim=(50, 100), ylim=(0, 102), xlabel="Pass mark (percent correct)",
           ylabel="Would pass (%)")  # fmt: skip
    ax.set_title("Cut-score impact")
    ax.legend(loc="lower left", fontsize=8)
    return _svg(fig)


def _figure():
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.add_subplot()
    ax.grid(True, color="#e3e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _low(values: pd.Series) -> float:
    return float(values.min()) - 0.05 if len(values) else 0.0


def _part_label(part: str) -> str:
    return {"MC": "Part One", "VIGNETTE": "Part Two"}.get(part, part)
