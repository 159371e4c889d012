"""`flask backup OUT.sqlite`: a consistent online copy of the SQLite database while candidates keep
saving; a clear refusal (pointing to pg_dump) on PostgreSQL."""

import re
import sqlite3
import threading

import pytest
from sqlalchemy import select

from app import create_app
from app.config import TestConfig
from app.exam import services
from app.extensions import db
from app.models import Seat, now_utc
from tests.conftest import csrf_from
from tests.security.helpers import build_world, demo_client

WRITERS = ("candidate02@demo.example", "candidate04@demo.example", "candidate05@demo.example")
SAVES_PER_WRITER = 400  # bounded: the writers stop after this many saves or when told


def _sqlite_only(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("the backup API copies the embedded SQLite database; PostgreSQL uses pg_dump")


class Writer(threading.Thread):
    """A candidate autosaving answers in a loop through the app, as fast as it answers."""

    def __init__(self, app, email, public_id, stop):
        super().__init__(daemon=True)
        self.client, self.public_id, self.stop = demo_client(app, email), public_id, stop
        html = self.client.get(f"/exam/attempt/{public_id}").get_data(as_text=True)
        self.token, self.client_token = (
            csrf_from(html),
            re.search(r'data-client="([^"]+)"', html)[1],
        )
        self.questions = [
            (item, re.findall(r'name="option" id="[^"]*" value="([^"]+)"', body))
            for item, body in re.findall(r'name="item" value="(\d+)"(.*?)</fieldset>', html, re.S)
        ]
        self.acked, self.errors = 0, []

    def _option(self, seq: int) -> str:
        options = self.questions[seq % len(self.questions)][1]
        return options[seq % len(options)] if seq % 7 else ""  # now and then a cleared answer

    def run(self):
        for seq in range(1, SAVES_PER_WRITER + 1):
            if self.stop.is_set():
                return
            response = self.client.post(
                f"/exam/attempt/{self.public_id}/save",
                data={
                    "item": self.questions[seq % len(self.questions)][0],
                    "option": self._option(seq),
                    "seq": str(seq),
                    "client": self.client_token,
                },
                headers={"X-CSRFToken": self.token, "HX-Request": "true"},
            )
            if response.status_code == 200:
                self.acked += 1
            else:
                self.errors.append(response.status_code)


def _open_attempts(app, world) -> dict[str, str]:
    out = {"candidate02@demo.example": world.open_public_id}
    with app.app_context():
        for email in WRITERS[1:]:
            seat = db.session.get(Seat, world.seat_ids[email])
            out[email] = services.start_attempt(seat, "MC", now_utc()).public_id
        db.session.commit()
    return out


def _check_copy(path, public_ids: list[str]) -> dict[str, int]:
    """integrity_check ok; rows present; every attempt's last_seq agrees with its answers (both
    written by the same commit, so a torn copy would disagree); the audit chain links up."""
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        counts = {
            t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
            for t in ("user", "item", "seat", "attempt", "answer", "audit_event")
        }
        assert counts["user"] >= 18 and counts["item"] >= 120 and counts["seat"] >= 12
        marks = ", ".join("?" for _ in public_ids)
        seqs = copy.execute(
            "SELECT a.public_id, a.last_seq, max(n.seq) FROM attempt a "  # noqa: S608
            f"JOIN answer n ON n.attempt_id = a.id WHERE a.public_id IN ({marks}) GROUP BY a.id",
            public_ids,
        ).fetchall()
        assert seqs and all(last == highest for _, last, highest in seqs), seqs
        chain = copy.execute("SELECT prev_hash, hash FROM audit_event ORDER BY id").fetchall()
        assert all(chain[n][0] == chain[n - 1][1] for n in range(1, len(chain)))
        return counts
    finally:
        copy.close()


def test_backup_during_concurrent_saves_is_consistent(app, runner, tmp_path):
    _sqlite_only(app)
    world = build_world(app, runner)
    stop = threading.Event()
    attempts = _open_attempts(app, world)
    writers = [Writer(app, email, pid, stop) for email, pid in attempts.items()]
    for writer in writers:
        writer.start()
    answers_seen = []
    try:
        for n in range(3):
            while sum(w.acked for w in writers) < 40 * (n + 1) and any(
                w.is_alive() for w in writers
            ):
                stop.wait(0.01)
            out = tmp_path / f"backup-{n}.sqlite"
            assert any(w.is_alive() for w in writers), "the writers are still saving"
            result = runner.invoke(args=["backup", str(out)])
            assert result.exit_code == 0, (result.output, result.exception)
            assert "integrity ok" in result.output
            answers_seen.append(_check_copy(out, list(attempts.values()))["answer"])
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
    assert all(w.errors == [] for w in writers), [w.errors for w in writers]
    assert sum(w.acked for w in writers) >= 120
    assert answers_seen[-1] > answers_seen[0] >= 1, "the copies were taken while saves went on"
    assert not list(tmp_path.glob(".*.partial")), "no half-written file is left behind"


def test_backup_never_overwrites_and_names_the_problem(app, runner, tmp_path):
    _sqlite_only(app)
    out = tmp_path / "exists.sqlite"
    out.write_bytes(b"keep me")
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert out.read_bytes() == b"keep me"
    live = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    result = runner.invoke(args=["backup", live])
    assert result.exit_code == 1 and "live database itself" in result.output
    result = runner.invoke(args=["backup", str(tmp_path / "no" / "such" / "dir.sqlite")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_backup_on_postgresql_points_to_pg_dump(app, tmp_path):
    """Refused before any connection is made, so it is checked on both CI runs."""
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing"
    postgres = create_app(settings | {"SQLALCHEMY_DATABASE_URI": url})
    out = tmp_path / "copy.sqlite"
    result = postgres.test_cli_runner().invoke(args=["backup", str(out)])
    assert result.exit_code == 1
    assert "PostgreSQL" in result.output and "pg_dump" in result.output
    assert not out.exists()
    with postgres.app_context():
        db.engine.dispose()
    with app.app_context():
        assert db.session.scalar(select(Seat.id)) is None  # nothing was touched
