"""Coordinator queries and changes; services flush, the view commits."""

from sqlalchemy import func, select

from app.extensions import db
from app.models import Form, Item, Seat, Sitting, User, Vignette


def overview() -> dict:
    """Headline counts for the coordinator's home page."""
    count = lambda stmt: db.session.scalar(stmt) or 0  # noqa: E731
    return {
        "candidates": count(select(func.count()).where(User.role == "candidate")),
        "items": count(select(func.count(func.distinct(Item.key)))),
        "vignettes": count(select(func.count(func.distinct(Vignette.key)))),
        "forms": count(select(func.count(func.distinct(Form.code)))),
        "sittings": list(db.session.scalars(select(Sitting).order_by(Sitting.starts_at.desc()))),
        "seats": count(select(func.count(Seat.id))),
    }


def bank_forms() -> list[Form]:
    """Every form version, by code then newest version first."""
    return list(db.session.scalars(select(Form).order_by(Form.code, Form.version.desc())))
