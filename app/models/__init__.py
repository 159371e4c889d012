"""All models, imported so Alembic and the app see one metadata."""

from app.models.analysis import ItemAnalysisCache
from app.models.attempts import Answer, Attempt, LateAnswer, Result
from app.models.audit import AuditEvent
from app.models.bank import BankUpload, Form, FormEntry, Item, Rubric, Vignette
from app.models.base import Base, now_utc
from app.models.grading import (
    Appeal,
    CalibrationItem,
    Conflict,
    GraderProfile,
    GradingRound,
    Reading,
    Resolution,
    Response,
)
from app.models.mail import AccountToken, MailMessage
from app.models.people import Approval, LoginFailure, ResetRequest, User
from app.models.sittings import ExamWindow, Incident, Seat, Sitting, SittingForm
from app.models.standards import AngoffPanellist, AngoffRating, AngoffStudy

__all__ = [
    "AccountToken",
    "AngoffPanellist",
    "AngoffRating",
    "AngoffStudy",
    "Answer",
    "Appeal",
    "Approval",
    "Attempt",
    "AuditEvent",
    "BankUpload",
    "Base",
    "CalibrationItem",
    "Conflict",
    "ExamWindow",
    "Form",
    "FormEntry",
    "GraderProfile",
    "GradingRound",
    "Incident",
    "Item",
    "ItemAnalysisCache",
    "LateAnswer",
    "LoginFailure",
    "ResetRequest",
    "MailMessage",
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
