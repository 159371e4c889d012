"""SQLite set-up: durability (group commit), and writers queue on the writer lock, never 'locked'."""

import os
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import database
from app.database import SyncBarrier, WriterQueue
from app.extensions import db


def test_sqlite_pragmas_make_commits_durable(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # NORMAL: the commit itself does not fsync; the SyncBarrier does before it returns
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def _fsynced_paths(monkeypatch) -> list[str]:
    synced, real_fsync = [], os.fsync

    def recording_fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(database.os, "fsync", recording_fsync)
    return synced


def test_a_committed_write_is_fsynced_before_commit_returns_and_a_read_is_not(app, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        db.session.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
        db.session.commit()
        synced = _fsynced_paths(monkeypatch)
        db.session.execute(text("INSERT INTO probe VALUES (1)"))
        db.session.commit()
        assert any(path.endswith("-wal") for path in synced)  # durable when commit() returns
        synced.clear()
        db.session.execute(text("SELECT count(*) FROM probe")).scalar()
        db.session.commit()
        assert synced == []  # nothing written, nothing to sync
        db.session.execute(text("DROP TABLE probe"))
        db.session.commit()


def test_one_fsync_covers_every_commit_made_before_it_began(tmp_path, monkeypatch):
    path = tmp_path / "db.sqlite"
    path.write_bytes(b"")
    (tmp_path / "db.sqlite-wal").write_bytes(b"frames")
    barrier, synced = SyncBarrier(str(path)), _fsynced_paths(monkeypatch)
    committed = time.monotonic_ns()
    barrier.wait(committed)  # nobody has synced since: this waiter runs the fsync
    wal_syncs = [p for p in synced if p.endswith("-wal")]
    assert len(wal_syncs) == 1
    barrier.wait(committed)  # a second commit from before that fsync: already durable
    SyncBarrier(str(path)).wait(committed)  # another process's view of the same file
    assert len([p for p in synced if p.endswith("-wal")]) == 1
    barrier.wait(time.monotonic_ns())  # a commit after it began needs a new fsync
    assert len([p for p in synced if p.endswith("-wal")]) == 2
    assert SyncBarrier.fsync_count(f"{path}.sync") == 2  # what the benchmarks read


def test_a_second_writer_waits_until_the_first_releases(tmp_path):
    queue = WriterQueue(str(tmp_path / "db.writers"))
    first, second = {}, {}
    queue.take(first)
    got_it = threading.Event()
    waiter = threading.Thread(target=lambda: (queue.take(second), got_it.set()))
    waiter.start()
    assert not got_it.wait(0.2)  # blocked while the first holds the lock
    WriterQueue.release(first)
    assert got_it.wait(2)
    waiter.join()
    WriterQueue.release(second)


def test_a_writer_gives_up_with_database_locked_after_the_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "WRITER_WAIT_SECONDS", 0.05)
    queue = WriterQueue(str(tmp_path / "db.writers"))
    holder = {}
    queue.take(holder)
    with pytest.raises(OperationalError, match="database is locked"):
        queue.take({})
    WriterQueue.release(holder)


def test_concurrent_writers_never_fail(app):
    """Eight threads, each committing fifty writes at once, through the app's engine."""
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS probe (n INTEGER)"))
        db.session.commit()
    errors = []

    def writer():
        with app.app_context():
            for n in range(50):
                try:
                    db.session.execute(text("INSERT INTO probe (n) VALUES (:n)"), {"n": n})
                    db.session.commit()
                except Exception as error:  # noqa: BLE001 - the test counts every failure
                    errors.append(error)
                    db.session.rollback()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with app.app_context():
        count = db.session.execute(text("SELECT count(*) FROM probe")).scalar()
        db.session.execute(text("DROP TABLE probe"))
        db.session.commit()
    assert errors == [] and count == 400, (errors[:3], time.monotonic() - started)


def test_after_its_commit_a_request_reads_without_the_writer_lock(app):
    from flask import g

    with app.test_request_context("/exam/attempt/x/save", method="POST"):
        assert database._wants_write_lock() is True
        g._committed = True  # what the engine's commit hook records
        assert database._wants_write_lock() is False
    with app.test_request_context("/login", method="GET"):
        assert database._wants_write_lock() is False


def test_a_commit_in_a_request_is_recorded(app):
    from flask import g

    with app.test_request_context("/", method="POST"):
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        expected = db.engine.dialect.name == "sqlite"
        assert bool(g.get("_committed")) is expected
