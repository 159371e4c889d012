"""The item analysis cache: one row per selection, recomputed when its fingerprint changes.

The fingerprint is the closed attempts' count, id sum and latest close (frames.
analysis_fingerprint) plus the settings the analysis used, so an attempt closing (by submit or
by its deadline passing) or being voided, or a changed threshold, makes the next read compute
afresh. Services only flush: the view commits (a lost race to insert is harmless).
"""

import hashlib
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
from sqlalchemy import select

from app.analysis.items import ItemAnalysis
from app.extensions import db
from app.models import ItemAnalysisCache, now_utc

INT_COLUMNS = ("count", "n")


def cached(
    selection: dict, fingerprint: str, settings: str, compute: Callable[[], ItemAnalysis]
) -> ItemAnalysis:
    """The cached analysis of the selection if still valid, else computed and stored."""
    stamp = f"{fingerprint}|{hashlib.sha256(settings.encode()).hexdigest()[:16]}"
    row = db.session.scalar(select(ItemAnalysisCache).filter_by(**selection))
    if row is not None and row.fingerprint == stamp:
        return load(row.payload)
    analysis = compute()
    if row is None:
        row = ItemAnalysisCache(**selection, fingerprint=stamp, payload="")
        db.session.add(row)
    row.fingerprint, row.payload, row.computed_at = stamp, dump(analysis), now_utc()
    db.session.flush()
    return analysis


def dump(analysis: ItemAnalysis) -> str:
    """The analysis as JSON; Python writes floats as their exact repr (NaN as NaN)."""
    return json.dumps(
        {
            "items": _frame(analysis.items),
            "options": _frame(analysis.options),
            "summary": {k: _plain(v) for k, v in analysis.summary.items()},
            "score_counts": list(analysis.score_counts),
            "min_n": analysis.min_n,
            "flag_min_n": analysis.flag_min_n,
        }
    )


def load(payload: str) -> ItemAnalysis:
    """The analysis back from dump(), with the same columns and dtypes."""
    data = json.loads(payload)
    return ItemAnalysis(
        items=_unframe(data["items"]),
        summary=data["summary"],
        options=_unframe(data["options"]),
        score_counts=tuple(data["score_counts"]),
        min_n=data["min_n"],
        flag_min_n=data["flag_min_n"],
    )


def _frame(frame: pd.DataFrame) -> dict:
    rows = [[_plain(value) for value in row] for row in frame.itertuples(index=False)]
    return {"columns": [str(c) for c in frame.columns], "data": rows}


def _unframe(data: dict) -> pd.DataFrame:
    frame = pd.DataFrame(data["data"], columns=data["columns"])
    for column in frame.columns:
        if column.startswith("count_") and column not in ("count_upper", "count_lower"):
            frame[column] = frame[column].astype("Int64")
        elif column in INT_COLUMNS:
            frame[column] = frame[column].astype("int64")
        elif column in ("item_id", "option", "flag", "is_key"):
            continue
        elif frame[column].dtype == object:  # all-None float columns come back as objects
            frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def _plain(value):
    """JSON-ready: numpy scalars as Python ones, pd.NA as None (NaN stays a float)."""
    if value is pd.NA or value is None:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
