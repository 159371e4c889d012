"""The item scatter draws every flagged item, an undefined rpb included, and labels only those."""

import numpy as np
import pandas as pd

from app.analysis.items import FlagThresholds
from app.coordinator.analytics_charts import item_scatter


def test_every_flagged_item_is_drawn_and_labelled_once():
    k = 40
    rng = np.random.default_rng(7)
    p = np.clip(rng.normal(0.8, 0.1, k), 0, 0.99)
    rpb = rng.normal(0.3, 0.1, k)
    p[:8], rpb[:8] = [0.97, 0.97, 0.975, 0.98, 0.965, 0.97, 0.972, 1.0], 0.05
    rpb[7] = np.nan  # everyone right: no rpb, still flagged (easy)
    flags = ["easy;low_rpb"] * 7 + ["easy"] + [""] * (k - 8)
    items = pd.DataFrame(
        {"item_id": [f"ITEM-{i:03d}" for i in range(k)], "p": p, "rpb": rpb, "flag": flags}
    )
    svg = item_scatter(items, FlagThresholds()).decode()
    for i in range(8):
        assert svg.count(f"ITEM-{i:03d}") == 1, i
    assert "ITEM-020" not in svg  # unflagged items are points without labels
    assert "rpb undefined" in svg
