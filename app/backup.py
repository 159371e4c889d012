"""Online backup of the embedded SQLite database with sqlite3's backup API.

The copy is made in one backup step inside one read transaction, so it is a consistent snapshot
even while gunicorn workers keep committing (WAL lets readers and writers run side by side).
PostgreSQL is backed up with its own tools (pg_dump), never by this module."""

import os
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import Engine

PG_DUMP_HINT = (
    "This app runs on PostgreSQL: back it up with pg_dump, which takes a consistent snapshot "
    "while the app serves, e.g. pg_dump --format=custom --file=endorsement.dump "
    '"postgresql://user:pass@host:5432/db" (restore with pg_restore).'
)


class BackupRefused(Exception):
    """A backup that cannot or must not be made, with the reason in words."""


def sqlite_file(engine: Engine) -> Path:
    """The live SQLite file behind the engine; BackupRefused for any other database."""
    if engine.dialect.name == "postgresql":
        raise BackupRefused(PG_DUMP_HINT)
    if engine.dialect.name != "sqlite":
        raise BackupRefused(f"Backups of {engine.dialect.name} databases are not supported.")
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupRefused("The database is not a plain SQLite file; there is nothing to copy.")
    path = Path(database).resolve()
    if not path.is_file():
        raise BackupRefused(f"There is no database file at {path}.")
    return path


def _table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    # names come from the copy's own catalogue, quoted as identifiers
    return {
        name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
        for name in names
    }


def _copy(source: Path, target: str) -> dict[str, int]:
    live = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(target)
    try:
        live.backup(copy)  # pages=-1: every page in one step, one read transaction
        copy.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        problems = [row[0] for row in copy.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupRefused("The copy failed its integrity check: " + "; ".join(problems))
        return _table_counts(copy)
    finally:
        copy.close()
        live.close()


def backup_sqlite(source: Path, out: Path) -> dict[str, int]:
    """Copy the live database to `out` (never overwriting); the copy's row count per table."""
    out = out.resolve()
    if out == source:
        raise BackupRefused("OUT is the live database itself: choose another file.")
    if out.exists():
        raise BackupRefused(f"{out} already exists: a backup never overwrites a file.")
    if not out.parent.is_dir():
        raise BackupRefused(f"The folder {out.parent} does not exist.")
    # Written beside the target and renamed at the end: `out` is either complete or absent.
    handle, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
    os.close(handle)
    try:
        counts = _copy(source, partial)
        os.replace(partial, out)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return counts
