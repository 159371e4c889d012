"""The question bank: versioned items, vignettes, rubrics and forms (immutable once used)."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.codes import DOMAINS, PARTS, TRACKS, VIGNETTE_KINDS, sql_in
from app.models.base import Base, now_utc


class Item(Base):
    """One version of a multiple-choice item."""

    __tablename__ = "item"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("endorsement IN ('IMH', 'ECMH', 'BOTH')", name="endorsement_known"),
        CheckConstraint(f"domain IN ({sql_in(list(DOMAINS))})", name="domain_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int]
    endorsement: Mapped[str] = mapped_column(String(4))
    domain: Mapped[str] = mapped_column(String(8))
    stem: Mapped[str] = mapped_column(Text)
    #: [{"id": "a", "text": "..."}] in authored order; candidates see a per-attempt shuffle
    options: Mapped[list[Any]]
    #: the key: read only by scoring and coordinator views, never rendered to candidates
    correct_option: Mapped[str] = mapped_column(String(1))
    rationale: Mapped[str] = mapped_column(Text, default="")
    is_sample: Mapped[bool] = mapped_column(default=False)
    #: hash of the authored content: an unchanged re-import makes no new version
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    def option_text(self, option_id: str) -> str:
        return next((o["text"] for o in self.options if o["id"] == option_id), "")


class Vignette(Base):
    """One version of a Part Two scenario."""

    __tablename__ = "vignette"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint(f"kind IN ({sql_in(VIGNETTE_KINDS)})", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    tracks: Mapped[list[Any]]
    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text)
    prompt: Mapped[str] = mapped_column(Text)
    is_sample: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class Rubric(Base):
    """One version of a scoring rubric: criteria with ordinal levels, pass and resolution rules."""

    __tablename__ = "rubric"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    tracks: Mapped[list[Any]]
    #: [{"code", "domain", "label", "guidance", "levels": [{"score", "label", "descriptor"}]}]
    criteria: Mapped[list[Any]]
    pass_rule: Mapped[dict[str, Any]]
    resolution: Mapped[dict[str, Any]]
    is_sample: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)


class Form(Base):
    """One version of an exam form: Part One items in order, or Part Two vignettes and rubric."""

    __tablename__ = "form"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint(f"part IN ({sql_in(PARTS)})", name="part_known"),
        CheckConstraint("endorsement IN ('IMH', 'ECMH')", name="endorsement_known"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark_percent"),
        CheckConstraint(f"track IS NULL OR track IN ({sql_in(TRACKS)})", name="track_known"),
        CheckConstraint(
            "(part = 'VIGNETTE') = (rubric_id IS NOT NULL)", name="rubric_iff_vignette"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    endorsement: Mapped[str] = mapped_column(String(4))
    part: Mapped[str] = mapped_column(String(8))
    track: Mapped[str | None] = mapped_column(String(30))
    duration_minutes: Mapped[int]
    #: percent correct needed to pass Part One (Part Two passes by its rubric's rule)
    pass_mark: Mapped[float] = mapped_column(default=80.0)
    shuffle_items: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    #: Part Two: how many of the offered vignettes the candidate answers (k of n)
    answer_count: Mapped[int | None]
    rubric_id: Mapped[int | None] = mapped_column(ForeignKey("rubric.id"))
    is_sample: Mapped[bool] = mapped_column(default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=now_utc)

    entries: Mapped[list["FormEntry"]] = relationship(
        order_by="FormEntry.position", cascade="all, delete-orphan", back_populates="form"
    )
    rubric: Mapped[Rubric | None] = relationship()

    @property
    def items(self) -> list[Item]:
        return [e.item for e in self.entries if e.item is not None]

    @property
    def vignettes(self) -> list[Vignette]:
        return [e.vignette for e in self.entries if e.vignette is not None]


class FormEntry(Base):
    """A form's item or vignette at a position, pinned to the exact version."""

    __tablename__ = "form_entry"
    __table_args__ = (
        UniqueConstraint("form_id", "position"),
        CheckConstraint("(item_id IS NULL) <> (vignette_id IS NULL)", name="item_xor_vignette"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("form.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    vignette_id: Mapped[int | None] = mapped_column(ForeignKey("vignette.id"))

    form: Mapped[Form] = relationship(back_populates="entries")
    item: Mapped[Item | None] = relationship(lazy="joined")
    vignette: Mapped[Vignette | None] = relationship(lazy="joined")


class BankUpload(Base):
    """A checked bank upload waiting for the coordinator's confirmation after the preview.

    Kept in the database, not on one host's disk: the confirm request may reach another host."""

    __tablename__ = "bank_upload"
    __table_args__ = (CheckConstraint("kind IN ('toml', 'zip')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the unguessable handle in the preview URL; useless to anyone but its coordinator
    token: Mapped[str] = mapped_column(String(64), unique=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(4))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=now_utc)
