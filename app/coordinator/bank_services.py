"""The bank in the browser: upload, check, preview and confirm an import; the bank as stored.

An upload is validated in full; only a valid one is kept (in the database, so the confirm may
reach another host) until the coordinator confirms or discards it. Confirming validates again
against the bank as it is then, and imports all or nothing."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select

from app.bank.importer import ImportSummary, import_bank, plan_import
from app.bank.loader import BankContent
from app.bank.stored import MODELS, stored_data
from app.bank.upload import UploadRefused, kind_of, read_upload
from app.extensions import db
from app.models import BankUpload, User

#: a staged upload nobody confirmed is dropped after this long
UPLOAD_KEPT = timedelta(days=1)
PAGE_SIZE = 25
KIND_LABELS = {"item": "Items", "vignette": "Vignettes", "rubric": "Rubrics", "form": "Forms"}


def readable_size(n: int) -> str:
    """Bytes as the coordinator reads them: '5 MB', '100 KB'."""
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(n // 1024, 1)} KB"


def _check(upload_name: str, kind: str, data: bytes) -> BankContent:
    return read_upload(upload_name, kind, data, stored_data)


def stage_upload(
    filename: str, data: bytes, coordinator: User, now: datetime
) -> tuple[BankUpload | None, BankContent]:
    """Validate an uploaded bank; keep it for the preview only if it has no problem."""
    kind = kind_of(filename)
    limit = current_app.config["BANK_UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise UploadRefused(f"The file is larger than {readable_size(limit)}.", 413)
    if not data:
        raise UploadRefused("The file is empty.")
    content = _check(filename, kind, data)
    if content.problems:
        return None, content
    # one pending upload per coordinator, and none left over from yesterday
    db.session.execute(
        delete(BankUpload).where(
            or_(
                BankUpload.coordinator_id == coordinator.id,
                BankUpload.created_at < now - UPLOAD_KEPT,
            )
        )
    )
    upload = BankUpload(
        token=secrets.token_urlsafe(32),
        coordinator_id=coordinator.id,
        filename=filename[-200:],
        kind=kind,
        data=data,
        created_at=now,
    )
    db.session.add(upload)
    db.session.flush()
    return upload, content


def pending_upload(token: str, coordinator: User) -> BankUpload:
    """The coordinator's own staged upload, or 404 (another's token finds nothing)."""
    upload = db.session.scalar(
        select(BankUpload).where(
            BankUpload.token == token[:64], BankUpload.coordinator_id == coordinator.id
        )
    )
    if upload is None:
        raise UploadRefused("This upload is no longer waiting: upload the bank again.", 404)
    return upload


def preview(upload: BankUpload) -> tuple[BankContent, ImportSummary | None]:
    """Check the staged upload against the bank as it is now and plan the import (no writes)."""
    content = _check(upload.filename, upload.kind, upload.data)
    return content, (None if content.problems else plan_import(content))


def confirm(upload: BankUpload, coordinator: User, now: datetime) -> ImportSummary:
    """Import the staged upload all or nothing (audited), after checking it again."""
    content = _check(upload.filename, upload.kind, upload.data)
    if content.problems:
        raise UploadRefused(
            f"The bank changed since the preview: {len(content.problems)} problem(s) now; "
            "nothing was imported.",
            409,
        )
    summary = import_bank(content, actor=coordinator, source=upload.filename)
    db.session.delete(upload)
    db.session.flush()
    return summary


def discard(upload: BankUpload) -> None:
    """Drop a staged upload without importing anything."""
    db.session.delete(upload)
    db.session.flush()


@dataclass
class BankPage:
    """One page of the stored bank: the latest version of each record and how many exist."""

    kind: str
    rows: list[tuple]
    page: int
    pages: int
    total: int


def bank_page(kind: str, page: int) -> BankPage:
    """Latest versions of one kind of record, by key, PAGE_SIZE to a page."""
    model, key_column = MODELS[kind]
    newest = (
        select(
            key_column.label("k"),
            func.max(model.version).label("v"),
            func.count().label("n"),
        )
        .group_by(key_column)
        .subquery()
    )
    total = db.session.scalar(select(func.count()).select_from(newest)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    stmt = (
        select(model, newest.c.n)
        .join(newest, (key_column == newest.c.k) & (model.version == newest.c.v))
        .order_by(key_column)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return BankPage(kind, list(db.session.execute(stmt).tuples()), page, pages, total)
