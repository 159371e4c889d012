"""The audit log is hash-chained: `flask audit verify` names an edited, deleted or forged row,
and with `--anchor` the newest rows removed since the anchor was taken.

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


def test_a_deleted_middle_row_is_named_by_its_own_id(app, runner, chain):
    victim = chain[5]
    _sql(app, "DELETE FROM audit_event WHERE id = :id", id=victim)
    result = _verify(runner)
    assert result.exit_code == 1
    assert f"event {victim}: missing (a row was removed)" in result.output
    assert _named(result) == [victim]


def test_deleted_rows_are_each_named(app, runner, chain):
    first, second = chain[0], chain[7]
    _sql(app, "DELETE FROM audit_event WHERE id IN (:a, :b, :c)", a=first, b=second, c=second + 1)
    result = _verify(runner)
    assert result.exit_code == 1
    assert _named(result) == [first, second, second + 1]


def test_ids_have_no_gaps_even_when_a_transaction_rolls_back(app, chain):
    from app import audit

    with app.app_context():
        audit.record("test.rolled_back", "nothing")
        db.session.rollback()  # on PostgreSQL a sequence would have spent an id here
        event = audit.record("test.kept", "something")
        db.session.commit()
        assert event.id == chain[-1] + 1
    assert chain == list(range(1, len(chain) + 1))


def _anchor(runner, tmp_path):
    out = tmp_path / "anchor.json"
    result = runner.invoke(args=["audit", "anchor", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_anchor_is_reached_while_the_chain_only_grows(app, runner, chain, tmp_path):
    from app import audit

    out = _anchor(runner, tmp_path)
    assert json.loads(out.read_text()) == {
        "audit_head_id": chain[-1],
        "audit_head_hash": _hash(app, chain[-1]),
    }
    with app.app_context():
        audit.record("test.later", "more")
        db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--anchor", str(out)])
    assert result.exit_code == 0, result.output
    assert f"reaches the anchor (event {chain[-1]})" in result.output
    again = runner.invoke(args=["audit", "anchor", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_a_deleted_newest_row_is_named_against_the_anchor(app, runner, chain, tmp_path):
    out = _anchor(runner, tmp_path)
    _sql(app, "DELETE FROM audit_event WHERE id = :id", id=chain[-1])
    assert _verify(runner).exit_code == 0  # the shorter chain is whole: only the anchor tells
    result = runner.invoke(args=["audit", "verify", "--anchor", str(out)])
    assert result.exit_code == 1
    assert f"event {chain[-1]}: missing (removed after the anchor was taken)" in result.output
    assert _named(result) == [chain[-1]]


def test_a_replaced_newest_row_is_named_against_the_anchor(app, runner, chain, tmp_path):
    """Removing the head and letting the app append again reuses its id: the hash differs."""
    from app import audit

    out = _anchor(runner, tmp_path)
    _sql(app, "DELETE FROM audit_event WHERE id = :id", id=chain[-1])
    with app.app_context():
        audit.record("test.innocent", "looking")
        db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--anchor", str(out)])
    assert result.exit_code == 1
    assert f"event {chain[-1]}: hash differs from the anchor" in result.output


def test_a_bad_anchor_file_is_refused_clearly(runner, chain, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    result = runner.invoke(args=["audit", "verify", "--anchor", str(bad)])
    assert result.exit_code == 1 and "not an audit anchor" in result.output


def test_with_audit_key_a_row_rewritten_with_database_access_alone_is_caught(
    app, runner, monkeypatch
):
    """Keyed with AUDIT_KEY, a row whose digest is recomputed without the key does not verify."""
    import hashlib

    from app import audit

    monkeypatch.setitem(app.config, "AUDIT_KEY", "k" * 32)
    with app.app_context():
        for n in range(3):
            audit.record("test.keyed", f"row {n}")
        db.session.commit()
        victim = db.session.get(AuditEvent, 2)
        victim.reason = "rewritten"
        # what someone with the database but not the key can compute: the plain digest
        monkeypatch.setitem(app.config, "AUDIT_KEY", "")
        forged = audit._digest(victim.prev_hash, victim)
        assert forged == hashlib.sha256(audit._payload(victim.prev_hash, victim)).hexdigest()
        db.session.rollback()
    monkeypatch.setitem(app.config, "AUDIT_KEY", "k" * 32)
    assert _verify(runner).exit_code == 0
    _sql(app, "UPDATE audit_event SET reason = 'rewritten', hash = :h WHERE id = 2", h=forged)
    result = _verify(runner)
    assert result.exit_code == 1
    assert _named(result) == [2, 3]  # the forged row, and the next no longer links to it


def test_backup_prints_the_anchor(app, runner, chain, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("`backup` copies the embedded SQLite database")
    result = runner.invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Audit anchor"))
    anchor = json.loads(line.split(": ", 1)[1])
    assert anchor == {"audit_head_id": chain[-1], "audit_head_hash": _hash(app, chain[-1])}


def _hash(app, event_id: int) -> str:
    with app.app_context():
        return db.session.get(AuditEvent, event_id).hash


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
