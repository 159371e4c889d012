"""Appending to and verifying the hash-chained audit log, and its anchor (the chain's head kept
off the machine).

Each row's hash covers the previous row's hash and its own contents: editing or removing a row
breaks the chain. Ids are given out by record() one after another, with no gaps, so a removed row
is named by its own id. Removing the newest rows leaves a shorter chain that is still whole: only
an anchor taken earlier (`flask audit anchor`) shows it. With AUDIT_KEY set, the hashes are
HMACs: someone with database access alone cannot compute a valid row, so cannot rewrite the chain.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, now_utc

GENESIS = "0" * 64


def _payload(prev_hash: str, event: AuditEvent) -> bytes:
    return json.dumps(
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
    ).encode()


def _digest(prev_hash: str, event: AuditEvent) -> str:
    payload = _payload(prev_hash, event)
    key = current_app.config.get("AUDIT_KEY", "")
    if key:
        return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()
    return hashlib.sha256(payload).hexdigest()


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
    last = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event = AuditEvent(
        # The next id by hand, under the chain lock: a sequence leaves gaps when a transaction
        # rolls back, and a gap must mean a removed row.
        id=(last[0] if last else 0) + 1,
        at=(now or now_utc()).replace(microsecond=0),
        actor_id=getattr(actor, "id", actor),
        action=action,
        subject_type=type(subject).__name__.lower() if not isinstance(subject, str) else "text",
        subject_id=str(getattr(subject, "id", subject)),
        reason=reason,
        data=data,
        prev_hash=last[1] if last else GENESIS,
    )
    event.hash = _digest(event.prev_hash, event)
    db.session.add(event)
    db.session.flush()
    return event


def _missing(first: int, last: int, why: str) -> list[str]:
    """One line per removed id, so every removed row is named by its own id."""
    return [f"event {n}: missing ({why})" for n in range(first, last + 1)]


def verify_chain(anchor: "Anchor | None" = None) -> list[str]:
    """Every break in the chain: an edited, inserted or removed row (by its own id), and with
    an anchor every row up to the anchored head that is gone or different; empty when intact."""
    problems = []
    prev, expected_id = GENESIS, 1
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        gap = event.id > expected_id
        if gap:
            problems += _missing(expected_id, event.id - 1, "a row was removed")
        if event.prev_hash != prev and not gap:  # after a gap the mismatch is the gap itself
            problems.append(f"event {event.id}: previous hash does not match (a row was removed)")
        if _digest(event.prev_hash, event) != event.hash:
            problems.append(f"event {event.id}: contents do not match its hash (edited)")
        prev, expected_id = event.hash, event.id + 1
    if anchor is not None:
        problems += _against_anchor(anchor, expected_id - 1)
    return problems


def _against_anchor(anchor: "Anchor", last_id: int) -> list[str]:
    if last_id < anchor.id:
        return _missing(last_id + 1, anchor.id, "removed after the anchor was taken")
    if anchor.id == 0:
        return []
    stored = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.id == anchor.id))
    if stored is not None and stored != anchor.hash:
        return [f"event {anchor.id}: hash differs from the anchor (the chain was rewritten)"]
    return []  # a missing anchored row was already named as a gap


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: the last event's id and hash (id 0: an empty log)."""

    id: int
    hash: str

    def to_json(self) -> str:
        return json.dumps({"audit_head_id": self.id, "audit_head_hash": self.hash})

    @classmethod
    def from_json(cls, raw: str) -> "Anchor":
        """Parse an anchor file; ValueError naming what is wrong."""
        try:
            fields = json.loads(raw)
            head_id, head_hash = fields["audit_head_id"], fields["audit_head_hash"]
        except (ValueError, TypeError, KeyError):
            raise ValueError(
                'not an audit anchor: expected {"audit_head_id": N, "audit_head_hash": "..."}'
            ) from None
        if not isinstance(head_id, int) or head_id < 0 or not isinstance(head_hash, str):
            raise ValueError("not an audit anchor: the id or the hash has the wrong type")
        return cls(head_id, head_hash)


def chain_head() -> Anchor:
    """The newest event's id and hash: what an anchor records."""
    row = db.session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return Anchor(row[0], row[1]) if row else Anchor(0, GENESIS)
