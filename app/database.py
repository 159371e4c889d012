"""Engine set-up: SQLite durability and locking, applied on every new connection.

Durability on SQLite is a group commit. A writer commits with synchronous=NORMAL (its WAL frames
reach the OS, which a kill -9 of the process cannot lose), releases the writer lock, and only
then waits on the SyncBarrier until an fsync of the WAL that began after its commit has
finished: one fsync makes every commit written before it durable, so the saves that commit while
one fsync runs share the next one, across threads and gunicorn workers. The request is answered
after that wait, so a 200 still means the save survives power loss."""

import fcntl
import os
import time

from flask import current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from app.extensions import db

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def writes(view):
    """Mark a GET view that writes, so its transaction takes the write lock up front too."""
    view.writes_on_get = True
    return view


def reads_first(view):
    """Mark a POST view that reads before it writes and calls begin_writing() in between."""
    view.reads_first = True
    return view


def begin_writing() -> None:
    """End this request's read transaction so that the next one is a writer's (see below)."""
    # A page that writes only now and then (the check-in on the rules page, the clock poll's
    # "seen" mark) reads without the writer lock and, only when it must write, ends its read
    # snapshot here: its objects expire and reload inside a transaction that holds the lock,
    # where the service checks again before writing. Upgrading a read snapshot in place could
    # fail with SQLITE_BUSY_SNAPSHOT once another writer has committed.
    db.session.commit()  # nothing written yet: this only ends the snapshot
    if has_request_context():  # (outside a request every transaction takes the lock anyway)
        g._write_from_here = True


def _wants_write_lock() -> bool:
    # Writers take SQLite's lock up front, so two autosaves queue on busy_timeout instead of
    # failing with "database is locked" when both try to upgrade a read lock. Pages that only
    # read start deferred transactions and do not queue behind writers.
    if not has_request_context():
        return True
    if g.pop("_write_from_here", False):
        return True
    if g.get("_committed"):
        # the view has committed its one write; what follows (lazy loads while rendering)
        # only reads, and must not hold the writer lock until the request ends
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method not in READ_ONLY_METHODS:
        return not getattr(view, "reads_first", False)
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


class SyncBarrier:
    """Group commit: wait until the WAL is fsynced past a commit, sharing fsyncs between waiters.

    A small file holds, under flock, when the last completed fsync began (CLOCK_MONOTONIC, which
    every process of this host shares) and how many fsyncs ran (`fsync_count`, for the
    benchmarks' saves per fsync). A waiter whose commit ended before that moment is already
    durable; otherwise it runs one fsync itself, covering every commit written so far.
    """

    def __init__(self, database: str):
        self.database, self.wal, self.path = database, f"{database}-wal", f"{database}.sync"
        self._dir_synced: set[int] = set()  # WAL inodes whose directory entry is on disk

    def wait(self, committed_ns: int) -> None:
        """Return once a WAL fsync that began after `committed_ns` has completed."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            # shared first: every waiter whose commit an fsync already covers leaves together
            # (under load, queueing them one by one on the exclusive lock made a convoy)
            fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while an fsync is running
            if self._synced_since(fd, committed_ns):
                return  # someone's fsync started after this commit: it is on disk
            fcntl.flock(fd, fcntl.LOCK_EX)  # (not atomic: another may fsync in between)
            if self._synced_since(fd, committed_ns):
                return
            state = os.pread(fd, 16, 0)
            count = int.from_bytes(state[8:], "little") if len(state) == 16 else 0
            began = time.monotonic_ns()
            self._fsync_wal()
            os.pwrite(fd, began.to_bytes(8, "little") + (count + 1).to_bytes(8, "little"), 0)
        finally:
            os.close(fd)  # drops the flock

    @staticmethod
    def _synced_since(fd: int, committed_ns: int) -> bool:
        # written only under the exclusive lock, so a reader holding either lock sees it whole
        state = os.pread(fd, 16, 0)
        return len(state) == 16 and int.from_bytes(state[:8], "little") >= committed_ns

    @staticmethod
    def fsync_count(path: str) -> int:
        """How many WAL fsyncs the barrier at `path` (the database's `.sync` file) has run."""
        try:
            with open(path, "rb") as file:
                state = file.read(16)
        except FileNotFoundError:
            return 0
        return int.from_bytes(state[8:], "little") if len(state) == 16 else 0

    def _fsync_wal(self) -> None:
        try:
            wal = os.open(self.wal, os.O_RDONLY)
        except FileNotFoundError:
            # no WAL: the last connection checkpointed it into the database file and removed it
            wal = os.open(self.database, os.O_RDONLY)
        try:
            os.fsync(wal)
            inode = os.fstat(wal).st_ino
        finally:
            os.close(wal)
        if inode not in self._dir_synced:  # a new WAL file: make its name durable too
            directory = os.open(os.path.dirname(os.path.abspath(self.wal)), os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
            self._dir_synced.add(inode)


def configure_sqlite(engine: Engine) -> None:
    """WAL, group commit, busy_timeout, foreign keys and BEGIN IMMEDIATE for writers."""
    database = engine.url.database
    on_disk = bool(database and database != ":memory:")
    queue = WriterQueue(f"{database}.writers") if on_disk else None
    barrier = SyncBarrier(database) if on_disk else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a commit reaches the OS without an fsync; the SyncBarrier makes it durable
        # before the request is answered (FULL in memory, where there is nothing to sync)
        cursor.execute(f"PRAGMA synchronous={'NORMAL' if barrier else 'FULL'}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # rows changed so far: a commit that changed any is synced, whichever lock it began with
        connection.connection.info["changes"] = connection.connection.dbapi_connection.total_changes
        if not _wants_write_lock():
            connection.exec_driver_sql("BEGIN")
            return
        if queue is not None:
            queue.take(connection.connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        if has_request_context():
            g._committed = True
        info = connection.connection.info
        changed = connection.connection.dbapi_connection.total_changes != info.pop("changes", -1)
        if changed:  # (every write to a table counts, triggers' too; DDL comes with migrations'
            # alembic_version row)
            info["unsynced"] = True  # the commit is about to happen: sync it at check-in

    # The session hands its connection back to the pool as soon as it commits or rolls back,
    # so check-in is where the transaction is over and the next writer may go.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        WriterQueue.release(record.info)  # the next writer goes while this one syncs
        if record.info.pop("unsynced", False) and barrier is not None:
            barrier.wait(time.monotonic_ns())

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_connection, record):
        WriterQueue.release(record.info)
