"""Appending to and verifying the hash-chained audit log."""

import hashlib
import json
from typing import Any

from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, now_utc

GENESIS = "0" * 64


def _digest(prev_hash: str, event: AuditEvent) -> str:
    payload = json.dumps(
        [
            prev_hash,
            event.at.isoformat(),
            event.actor_id,
            event.action,
            event.subject_type,
            event.subject_id,
            event.reason,
            event.data,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain() -> None:
    # Two writers must not both extend the same tail; SQLite's BEGIN IMMEDIATE already serialises.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(7461001)"))


def record(
    action: str,
    subject: Any,
    actor: Any = None,
    reason: str = "",
    now=None,
    **data: Any,
) -> AuditEvent:
    """Append one audit event (flushed, committed by the caller's single commit)."""
    _lock_chain()
    prev = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    event = AuditEvent(
        at=(now or now_utc()).replace(microsecond=0),
        actor_id=getattr(actor, "id", actor),
        action=action,
        subject_type=type(subject).__name__.lower() if not isinstance(subject, str) else "text",
        subject_id=str(getattr(subject, "id", subject)),
        reason=reason,
        data=data,
        prev_hash=prev or GENESIS,
    )
    event.hash = _digest(event.prev_hash, event)
    db.session.add(event)
    db.session.flush()
    return event


def verify_chain() -> list[str]:
    """Every break in the chain: an edited, inserted or deleted row; empty when intact."""
    problems = []
    prev = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev:
            problems.append(f"event {event.id}: previous hash does not match (a row was removed)")
        if _digest(event.prev_hash, event) != event.hash:
            problems.append(f"event {event.id}: contents do not match its hash (edited)")
        prev = event.hash
    return problems
