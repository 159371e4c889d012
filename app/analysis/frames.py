"""Data frames from the database: the only module in app.analysis that queries it."""

import pandas as pd
from sqlalchemy import select

from app.extensions import db
from app.models import Reading, Resolution, User

READING_COLUMNS = [
    "response",
    "criterion",
    "grader",
    "grader_name",
    "slot",
    "level",
    "final",
    "started_at",
    "submitted_at",
]


def readings_frame() -> pd.DataFrame:
    """One row per criterion of every submitted reading (not calibration), with the final level.

    Columns: response (id), criterion (code), grader (user id), grader_name, slot (R1, R2, ADJ,
    BACK), level, final (NaN while the response is not final), started_at, submitted_at.
    """
    stmt = (
        select(Reading, User.name, Resolution.final_ratings, Resolution.resolved_at)
        .join(User, User.id == Reading.grader_id)
        .outerjoin(Resolution, Resolution.response_id == Reading.response_id)
        .where(Reading.submitted_at.is_not(None), Reading.slot != "CALIB")
    )
    rows = []
    for reading, name, final, resolved_at in db.session.execute(stmt):
        final = final if resolved_at is not None else {}
        for code, level in reading.ratings.items():
            rows.append(
                (
                    reading.response_id,
                    code,
                    reading.grader_id,
                    name,
                    reading.slot,
                    float(level),
                    float(final[code]) if code in final else float("nan"),
                    reading.started_at,
                    reading.submitted_at,
                )
            )
    return pd.DataFrame(rows, columns=READING_COLUMNS)
