"""Engine set-up: SQLite durability and locking, applied on every new connection."""

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def writes(view):
    """Mark a GET view that writes, so its transaction takes the write lock up front too."""
    view.writes_on_get = True
    return view


def _wants_write_lock() -> bool:
    # Writers take SQLite's lock up front, so two autosaves queue on busy_timeout instead of
    # failing with "database is locked" when both try to upgrade a read lock. Pages that only
    # read start deferred transactions and do not queue behind writers.
    if not has_request_context() or request.method not in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes_on_get", False))


def configure_sqlite(engine: Engine) -> None:
    """WAL, synchronous=FULL, busy_timeout, foreign keys and BEGIN IMMEDIATE for writers."""

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
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")
