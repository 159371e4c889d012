"""Engine set-up: SQLite durability and locking, applied on every new connection."""

import fcntl
import os
import time

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def writes(view):
    """Mark a GET view that writes, so its transaction takes the write lock up front too."""
    view.writes_on_get = True
    return view


def _wants_write_lock() -> bool:
    # Writers take SQLite's lock up front, so two autosaves queue on busy_timeout instead of
    # failing with "database is locked" when both try to upgrade a read lock. Pages that only
    # read start deferred transactions and do not queue behind writers.
    if not has_request_context():
        return True
    if g.get("_committed"):
        # the view has committed its one write; what follows (lazy loads while rendering)
        # only reads, and must not hold the writer lock until the request ends
        return False
    if request.method not in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_get", False))


WRITER_WAIT_SECONDS = 30.0


class WriterQueue:
    """Writers wait for SQLite's single write lock on an flock'd file instead of in SQLite's
    busy handler, which sleeps in steps of up to 100 ms and so lets waiting saves pile up;
    here a waiter retries within a millisecond or two of the lock coming free. Works across
    threads and gunicorn worker processes (each connection opens its own file description)."""

    def __init__(self, path: str):
        self.path = path

    def take(self, info: dict) -> None:
        """Hold the writer lock for this pooled connection (once; released at check-in)."""
        if "writer_fd" in info:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        wait, give_up = 0.0002, time.monotonic() + WRITER_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > give_up:
                    os.close(fd)
                    locked = Exception("database is locked")
                    raise OperationalError("BEGIN IMMEDIATE", {}, locked) from None
                time.sleep(wait)
                wait = min(wait * 2, 0.002)
        info["writer_fd"] = fd

    @staticmethod
    def release(info: dict) -> None:
        fd = info.pop("writer_fd", None)
        if fd is not None:
            os.close(fd)  # closing the descriptor drops its flock


def configure_sqlite(engine: Engine) -> None:
    """WAL, synchronous=FULL, busy_timeout, foreign keys and BEGIN IMMEDIATE for writers."""
    database = engine.url.database
    queue = WriterQueue(f"{database}.writers") if database and database != ":memory:" else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged save survives power loss
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not _wants_write_lock():
            connection.exec_driver_sql("BEGIN")
            return
        if queue is not None:
            queue.take(connection.connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def _on_commit(_connection):
        if has_request_context():
            g._committed = True

    # The session hands its connection back to the pool as soon as it commits or rolls back,
    # so check-in is where the transaction is over and the next writer may go.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        WriterQueue.release(record.info)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection, record):
        WriterQueue.release(record.info)
