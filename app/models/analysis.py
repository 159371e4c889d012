"""Cached item analyses: computed once per selection and data version, read many times."""

from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, now_utc


class ItemAnalysisCache(Base):
    """One form's item analysis for one selection, valid while its fingerprint matches."""

    __tablename__ = "item_analysis_cache"
    __table_args__ = (
        UniqueConstraint("form_code", "version", "window", "scope", name="one_per_selection"),
        CheckConstraint("scope IN ('first', 'all')", name="scope_known"),
        CheckConstraint("version >= 0", name="version_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_code: Mapped[str] = mapped_column(String(40))
    #: 0 = all versions pooled
    version: Mapped[int] = mapped_column(default=0)
    #: exam window name, "" = all windows
    window: Mapped[str] = mapped_column(String(80), default="")
    #: first attempts only, or all attempts
    scope: Mapped[str] = mapped_column(String(10))
    #: the closed attempts and settings it was computed from (frames.analysis_fingerprint)
    fingerprint: Mapped[str] = mapped_column(String(400))
    computed_at: Mapped[datetime] = mapped_column(default=now_utc)
    #: the analysis as JSON (floats as their exact repr)
    payload: Mapped[str] = mapped_column(Text)
