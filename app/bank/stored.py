"""The bank already in the database, as the validator and the importer need to see it."""

from sqlalchemy import select

from app.extensions import db
from app.models import Form, Item, Rubric, Vignette

MODELS = {
    "item": (Item, Item.key),
    "vignette": (Vignette, Vignette.key),
    "rubric": (Rubric, Rubric.key),
}
MODELS["form"] = (Form, Form.code)


def latest(kind: str, key: str):
    """The newest stored version of a record, or None."""
    model, key_column = MODELS[kind]
    stmt = select(model).where(key_column == key).order_by(model.version.desc()).limit(1)
    return db.session.scalar(stmt)


def stored_data(kind: str, key: str) -> dict | None:
    """What a form's references are checked against: an item's endorsement, a vignette's or
    rubric's tracks (the latest stored version), or None when nothing is stored."""
    record = latest(kind, key)
    if record is None:
        return None
    if kind == "item":
        return {"endorsement": record.endorsement}
    return {"tracks": list(record.tracks)}
