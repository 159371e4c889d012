"""All models, imported so Alembic and the app see one metadata."""

from app.models.analysis import ItemAnalysisCache
from app.models.attempts import Answer, Attempt, Result
from app.models.audit import AuditEvent
from app.models.bank import Form, FormEntry, Item, Rubric, Vignette
from app.models.base import Base, now_utc
from app.models.grading import (
    CalibrationItem,
    Conflict,
    GraderProfile,
    Reading,
    Resolution,
    Response,
)
from app.models.people import Approval, LoginFailure, User
from app.models.sittings import ExamWindow, Incident, Seat, Sitting, SittingForm
from app.models.standards import AngoffPanellist, AngoffRating, AngoffStudy

__all__ = [
    "AngoffPanellist",
    "AngoffRating",
    "AngoffStudy",
    "Answer",
    "Approval",
    "Attempt",
    "AuditEvent",
    "Base",
    "CalibrationItem",
    "Conflict",
    "ExamWindow",
    "Form",
    "FormEntry",
    "GraderProfile",
    "Incident",
    "Item",
    "ItemAnalysisCache",
    "LoginFailure",
    "Reading",
    "Resolution",
    "Response",
    "Result",
    "Rubric",
    "Seat",
    "Sitting",
    "SittingForm",
    "User",
    "Vignette",
    "now_utc",
]
