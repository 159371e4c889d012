"""The audit log is hash-chained: `flask audit verify` names an edited, deleted or forged row.

Tampering goes straight to SQL, the way someone with database access (and not the app) would."""

import json

import pytest
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent
from tests.security.helpers import build_world


@pytest.fixture
def chain(app, runner) -> list[int]:
    """A demo-like audit log (a few dozen events); the ids in order."""
    build_world(app, runner)
    with app.app_context():
        ids = list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
    assert len(ids) > 10
    return ids


def _sql(app, statement: str, **params) -> None:
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def _verify(runner):
    return runner.invoke(args=["audit", "verify"])


def _named(result) -> list[int]:
    """The event ids the command's report names."""
    return [
        int(line.split()[1].rstrip(":"))
        for line in result.output.splitlines()
        if line.startswith("event ")
    ]


def test_an_intact_log_verifies(runner, chain):
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


def test_an_edited_row_is_named(app, runner, chain):
    victim = chain[len(chain) // 2]
    _sql(
        app,
        "UPDATE audit_event SET reason = :reason WHERE id = :id",
        reason="nothing happened here",
        id=victim,
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {victim}: contents do not match its hash (edited)" in result.output
    assert _named(result) == [victim]


def test_an_edited_data_field_is_named(app, runner, chain):
    victim = chain[3]
    with app.app_context():
        data = db.session.get(AuditEvent, victim).data
    _sql(
        app,
        "UPDATE audit_event SET data = :data WHERE id = :id",
        data=json.dumps({**data, "minutes": 240}),
        id=victim,
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {victim}: contents do not match" in result.output
    assert _named(result) == [victim]


def test_a_deleted_row_is_named_by_its_successor(app, runner, chain):
    victim, successor = chain[5], chain[6]
    _sql(app, "DELETE FROM audit_event WHERE id = :id", id=victim)
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {successor}: previous hash does not match (a row was removed)" in result.output
    assert _named(result) == [successor]


def test_a_forged_row_is_named(app, runner, chain):
    with app.app_context():
        last = db.session.get(AuditEvent, chain[-1])
        prev_hash, at = last.hash, last.at
    forged = chain[-1] + 1
    # a forger who links the row to the chain but cannot produce the app's digest of it
    _sql(
        app,
        "INSERT INTO audit_event (id, at, actor_id, action, subject_type, subject_id, reason, "
        "data, prev_hash, hash) VALUES (:id, :at, NULL, 'proctor.extend', 'attempt', '1', "
        "'generous', :data, :prev, :hash)",
        id=forged,
        at=at.replace(tzinfo=None).isoformat(sep=" "),
        data=json.dumps({"minutes": 240}),
        prev=prev_hash,
        hash="f" * 64,
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {forged}: contents do not match its hash" in result.output
    assert _named(result) == [forged]


def test_a_row_forged_into_the_middle_is_named(app, runner, chain):
    """A forged row squeezed between two real ones breaks the chain at the real row after it."""
    gap, after = chain[4], chain[5]
    _sql(app, "DELETE FROM audit_event WHERE id = :id", id=gap)
    with app.app_context():
        before = db.session.get(AuditEvent, chain[3])
        prev_hash, at = before.hash, before.at
    _sql(
        app,
        "INSERT INTO audit_event (id, at, actor_id, action, subject_type, subject_id, reason, "
        "data, prev_hash, hash) VALUES (:id, :at, NULL, 'proctor.credit', 'attempt', '1', "
        "'lost time', '{}', :prev, :hash)",
        id=gap,
        at=at.replace(tzinfo=None).isoformat(sep=" "),
        prev=prev_hash,
        hash="e" * 64,
    )
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {gap}: contents do not match its hash" in result.output
    assert f"event {after}: previous hash does not match" in result.output
    assert _named(result) == [gap, after]
