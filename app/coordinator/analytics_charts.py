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

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from app.analysis.items import FlagThresholds  # noqa: E402

BLUE, RED, GREY, GREEN = "#0b5cab", "#a4161a", "#5a6470", "#17692e"
SIZE = (7.5, 4.2)
#: the item scatter is the busiest chart: drawn at 1,150 px across, readable on a 1280 px screen
SCATTER_SIZE = (12.0, 6.6)


def item_scatter(items: pd.DataFrame, thresholds: FlagThresholds) -> bytes:
    """Difficulty (p) against discrimination (rpb); every item drawn, flagged ones as labelled
    red crosses. An item without an rpb (everyone right or wrong, or too few attempts) sits on
    a marked band below the axis' range instead of vanishing."""
    fig, ax = _figure(SCATTER_SIZE)
    plotted = items.dropna(subset=["p"])
    flagged = (plotted["flag"] != "").to_numpy()
    known = plotted["rpb"].notna().to_numpy()
    low = min(-0.2, _low(plotted.loc[known, "rpb"]))
    band = low - 0.08  # where an undefined rpb is drawn
    y = plotted["rpb"].where(known, band).to_numpy(dtype=float)
    x = plotted["p"].to_numpy(dtype=float)
    for mask, colour, size, marker, label in (
        (~flagged & known, BLUE, 26, "o", "item"),
        (flagged & known, RED, 70, "X", "flagged item"),
        (~flagged & ~known, BLUE, 40, "v", "item, rpb undefined"),
        (flagged & ~known, RED, 80, "v", "flagged item, rpb undefined"),
    ):
        if mask.any():
            ax.scatter(x[mask], y[mask], c=colour, s=size, marker=marker, label=label)
    if (~known).any():
        ax.axhspan(band - 0.04, band + 0.04, color="#f3e8c9", zorder=0)
        ax.text(0.01, band + 0.045, "rpb undefined (no variance or too few attempts)",
                fontsize=9, color=GREY)  # fmt: skip
    for at in (thresholds.hard_below, thresholds.easy_above):
        ax.axvline(at, color=GREY, linestyle="--", linewidth=0.8)
    ax.axhline(thresholds.low_rpb_below, color=GREY, linestyle="--", linewidth=0.8)
    ax.axhline(0, color=GREY, linewidth=0.8)
    ax.set(xlim=(-0.02, 1.02), ylim=(band - 0.06 if (~known).any() else low, 1.0))
    ax.set_xlabel("Difficulty p (share correct)", fontsize=11)
    ax.set_ylabel("Discrimination (corrected rpb)", fontsize=11)
    ax.tick_params(labelsize=10)
    ax.set_title("Items: difficulty and discrimination", fontsize=12)
    if len(plotted):
        ax.legend(loc="upper left", fontsize=9)
    fig.draw_without_rendering()  # settle the layout, so data -> page positions are exact
    names = plotted["item_id"].astype(str).to_numpy()
    _label_without_overlap(fig, ax, names[flagged], x[flagged], y[flagged], (x, y))
    return _svg(fig)


def _label_without_overlap(fig, ax, labels, xs, ys, points) -> None:
    """Label points so no two labels overlap (nor cover a point): each label tries right of
    its point, then left, then steps up and down a label's height at a time past anything
    already placed; a moved label gets a leader line. Boxes are in points on the page."""
    scale = 72 / fig.dpi
    box_of_axes = ax.get_window_extent()
    bottom, top = box_of_axes.y0 * scale, box_of_axes.y1 * scale
    left, right = box_of_axes.x0 * scale, box_of_axes.x1 * scale

    def page(x, y):
        at = ax.transData.transform(np.column_stack([x, y])) * scale
        return at[:, 0], at[:, 1]

    font = 9
    placed = [(px - 4, py - 4, 8, 8) for px, py in zip(*page(*points), strict=True)]
    order = np.lexsort((xs, -ys))  # top to bottom, then left to right: stable and predictable
    px_all, py_all = page(xs, ys)
    for index in order:
        px, py, text = px_all[index], py_all[index], labels[index]
        w, h = 0.6 * font * len(text) + 4, font + 3
        box = None
        for step in _steps():
            for dx in (6, -6 - w):
                trial = (px + dx, py + 3 + step * h, w, h)
                inside = left <= trial[0] <= right - w and bottom <= trial[1] <= top - h
                if inside and not any(_overlaps(trial, other) for other in placed):
                    box = trial
                    break
            if box is not None:
                break
        box = box or (px + 6, py + 3, w, h)
        placed.append(box)
        offset = (box[0] - px, box[1] - py)
        moved = abs(offset[1] - 3) > 0.5 or offset[0] < 0
        ax.annotate(text, (xs[index], ys[index]), xytext=offset, textcoords="offset points",
                    fontsize=font, color=RED, va="bottom",
                    arrowprops={"arrowstyle": "-", "color": RED, "linewidth": 0.6,
                                "shrinkA": 0, "shrinkB": 3} if moved else None)  # fmt: skip


def _steps():
    """0, 1, -1, 2, -2, ... label heights away from the first place."""
    yield 0
    for step in range(1, 60):
        yield step
        yield -step


def _overlaps(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


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


def _figure(size=SIZE):
    fig = Figure(figsize=size, layout="constrained")
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


def window_drift(tests: pd.DataFrame, drift: pd.DataFrame, item: str) -> bytes:
    """Across windows: KR-20 (Feldt interval) and pass rate above; one item's p (Wilson
    interval) and rpb below. A missing figure (small window) is a gap, never a zero."""
    fig = Figure(figsize=(12.0, 6.6), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    positions = np.arange(len(tests))
    _with_interval(top, positions, tests["kr20"], tests["kr20_low"], tests["kr20_high"],
                   BLUE, "KR-20 (Feldt 95%)")  # fmt: skip
    _with_interval(top, positions + 0.08, tests["pass_rate"], tests["pass_low"],
                   tests["pass_high"], GREEN, "pass rate (Wilson 95%)")  # fmt: skip
    top.set_ylim(0, 1.02)
    top.set_title("Test level by window", fontsize=12)
    _with_interval(bottom, positions, drift["p"], drift["p_low"], drift["p_high"], BLUE,
                   f"{item}: p (Wilson 95%)")  # fmt: skip
    bottom.plot(positions + 0.08, drift["rpb"], color=RED, marker="s", linestyle="--",
                label=f"{item}: rpb")  # fmt: skip
    bottom.axhline(0, color=GREY, linewidth=0.8)
    bottom.set_ylim(min(-0.2, float(np.nanmin([*drift["rpb"], 0.0])) - 0.05), 1.02)
    bottom.set_title(f"Item {item} by window (drift)", fontsize=12)
    bottom.set_xticks(positions, tests["window"], rotation=15, ha="right", fontsize=10)
    for ax in (top, bottom):
        ax.grid(True, color="#e3e7eb", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(labelsize=10)
        ax.legend(loc="lower left", fontsize=9)
    return _svg(fig)


def _with_interval(ax, x, value, low, high, colour, label) -> None:
    value, low, high = (np.asarray(v, dtype=float) for v in (value, low, high))
    ax.errorbar(x, value, yerr=[value - low, high - value], color=colour, marker="o",
                capsize=4, label=label)  # fmt: skip
