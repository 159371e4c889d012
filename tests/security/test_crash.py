"""Crash safety under gunicorn on 127.0.0.1: kill -9 mid-load loses no acknowledged save, and two
instances over one PostgreSQL serve one candidate without a lost answer or a clock jump.

Real processes, real sockets (loopback only), a temp SQLite file or a schema of its own in the
DATABASE_URL PostgreSQL. Every loop is bounded in count and in time."""

import os
import random
import re
import signal
import socket
import subprocess
import threading
import time
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

BIN = ROOT / ".venv" / "bin"
SECRET = "crash-test-" + "s" * 24  # the same across restarts and instances: sessions survive
PASSWORD = "endorse-demo"
PG_SCHEMA = "crashtest"  # a schema of its own: the test suite's tables are never touched
# a form field, or (exam pages, which have no form with one) the htmx header on <body>
CSRF = re.compile(r'(?:name="csrf_token" value=|"X-CSRFToken": )"([^"]+)"')
QUESTION = re.compile(r'name="item" value="(\d+)"(.*?)</fieldset>', re.S)
OPTION = re.compile(r'name="option" id="[^"]*" value="([^"]+)"')
SECONDS_LEFT = re.compile(r'data-seconds-left="(\d+)"')
VIGNETTE = re.compile(r'name="vignette" value="(\d+)"')


# --- databases and servers ---------------------------------------------------------------------


def _pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote('-csearch_path=' + PG_SCHEMA, safe='')}"


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET}
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@contextmanager
def demo_database(kind: str, tmp_path: Path):
    """A migrated database holding the demo (accounts, sample bank, a live sitting)."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.sqlite'}"
    else:
        if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.skip("needs DATABASE_URL pointing at PostgreSQL")
        url = _pg_url()
        _pg_schema(url, recreate=True)
    try:
        _flask(url, "db", "upgrade")
        _flask(url, "demo")
        yield url
    finally:
        if kind == "postgresql":
            _pg_schema(url, recreate=False)


def _pg_schema(url: str, recreate: bool) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        if recreate:
            connection.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gunicorn:
    """gunicorn (gthread) on a free loopback port; its master and workers share one group."""

    url: str
    log: Path
    process: subprocess.Popen | None = None
    base: str = ""

    def start(self) -> "Gunicorn":
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        command = [str(BIN / "gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4"]
        command += ["-b", f"127.0.0.1:{port}", "--graceful-timeout", "5", "wsgi:app"]
        env = {**os.environ, "DATABASE_URL": self.url, "SECRET_KEY": SECRET}
        env["SESSION_COOKIE_SECURE"] = "0"  # plain http on loopback; production runs behind TLS
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("gunicorn did not answer /healthz in 60 s:\n" + self.log.read_text())

    def kill9(self) -> None:
        """SIGKILL to the master and every worker at once: no graceful anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # workers die with the group; wait until they have
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill9()


@contextmanager
def serving(url: str, tmp_path: Path, name: str):
    server = Gunicorn(url, tmp_path / f"{name}.log")
    try:
        yield server.start()
    finally:
        server.stop()


# --- a candidate over HTTP ---------------------------------------------------------------------


@dataclass
class Candidate:
    email: str
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))
    public_id: str = ""
    csrf: str = ""
    client_token: str = ""
    seat_id: int = 0
    questions: list[tuple[str, list[str]]] = field(default_factory=list)

    def sign_in(self, base: str, post_base: str | None = None) -> None:
        page = self.http.get(f"{base}/login")
        form = {"email": self.email, "password": PASSWORD, "csrf_token": CSRF.search(page.text)[1]}
        assert self.http.post(f"{post_base or base}/login", data=form).status_code == 302

    def start(self, bases: list[str]) -> None:
        """Home, rules, start and the exam page, each on the next base URL in turn."""
        home = self.http.get(f"{bases[0]}/exam/")
        self.seat_id = int(re.search(r"/exam/seat/(\d+)/MC", home.text)[1])
        self._start_part("MC", rules_base=bases[1 % len(bases)], start_base=bases[0])
        self.open_page(bases[1 % len(bases)])

    def _start_part(self, part: str, rules_base: str, start_base: str) -> None:
        """The part's rules page, then its Start button: the new attempt's public id."""
        rules = self.http.get(f"{rules_base}/exam/seat/{self.seat_id}/{part}")
        started = self.http.post(
            f"{start_base}/exam/seat/{self.seat_id}/{part}/start",
            data={"csrf_token": CSRF.search(rules.text)[1]},
        )
        assert started.status_code == 302, started.text[-500:]
        self.public_id = started.headers["location"].rsplit("/", 1)[-1]

    def start_part_two(self, base: str) -> str:
        """Submit Part One, start Part Two and open its page; returns the first vignette's id."""
        submitted = self.http.post(
            f"{base}/exam/attempt/{self.public_id}/submit", data={"csrf_token": self.csrf}
        )
        assert submitted.status_code == 302, submitted.text[-500:]
        self._start_part("VIGNETTE", rules_base=base, start_base=base)
        return VIGNETTE.search(self.open_page(base))[1]

    def save_essay(self, base: str, vignette: str, essay: str, seq: int, timeout: float = 10):
        return self.http.post(
            f"{base}/exam/attempt/{self.public_id}/save",
            data={
                "vignette": vignette,
                "text": essay,
                "chosen": "1",
                "seq": str(seq),
                "client": self.client_token,
            },
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
            timeout=timeout,
        )

    def close(self) -> None:
        self.http.close()

    def open_page(self, base: str) -> str:
        page = self.http.get(f"{base}/exam/attempt/{self.public_id}")
        assert page.status_code == 200
        self.csrf = CSRF.search(page.text)[1]
        self.client_token = re.search(r'data-client="([^"]+)"', page.text)[1]
        self.questions = [(i, OPTION.findall(body)) for i, body in QUESTION.findall(page.text)]
        return page.text

    def save(self, base: str, item: str, option: str, seq: int, timeout: float = 10):
        return self.http.post(
            f"{base}/exam/attempt/{self.public_id}/save",
            data={"item": item, "option": option, "seq": str(seq), "client": self.client_token},
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
            timeout=timeout,
        )


def _stored(url: str, public_id: str) -> dict[str, tuple[str, int]]:
    """item id -> (value, seq) as the database holds them."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT answer.item_id, answer.value, answer.seq FROM answer "
                "JOIN attempt ON attempt.id = answer.attempt_id WHERE attempt.public_id = :p"
            ),
            {"p": public_id},
        ).all()
        if engine.dialect.name == "sqlite":
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()
    return {str(item): (value, seq) for item, value, seq in rows}


# --- kill -9 under autosave load ---------------------------------------------------------------

CANDIDATES = [f"candidate{n:02d}@demo.example" for n in range(1, 7)]
ACKED_BEFORE_KILL = 90  # acknowledged saves across all candidates before the kill
LOAD_SECONDS = 40  # the load never runs longer than this, whatever happens


class LoadSaver(threading.Thread):
    """One candidate's page saving as fast as the server answers; records every 200.

    A kind of load says what one save sends (`save`) and what an acknowledgement promises
    (`acknowledge`)."""

    def __init__(self, candidate: Candidate, base: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.candidate, self.base, self.stop = candidate, base, stop
        self.count, self.failures, self.unexpected = 0, 0, []

    def save(self, seq: int) -> tuple[httpx.Response, object]:
        raise NotImplementedError

    def acknowledge(self, seq: int, sent, response: httpx.Response) -> None:
        raise NotImplementedError

    def run(self) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        for seq in range(1, 10_000):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            try:
                response, sent = self.save(seq)
            except httpx.HTTPError:
                self.failures += 1  # the server is gone: not acknowledged, nothing promised
                time.sleep(0.02)
                continue
            if response.status_code == 200:
                self.acknowledge(seq, sent, response)
                self.count += 1
            else:
                self.unexpected.append(response.status_code)


class Saver(LoadSaver):
    """Part One: random choices (or a cleared answer) on random questions."""

    def __init__(self, candidate: Candidate, base: str, stop: threading.Event):
        super().__init__(candidate, base, stop)
        self.acked: dict[str, tuple[int, str]] = {}  # item -> (highest acknowledged seq, option)
        self.rng = random.Random(candidate.email)

    def save(self, seq: int):
        item, options = self.rng.choice(self.candidate.questions)
        option = self.rng.choice([*options, ""])
        return self.candidate.save(self.base, item, option, seq, timeout=5), (item, option)

    def acknowledge(self, seq: int, sent, response: httpx.Response) -> None:
        assert f'data-seq="{seq}"' in response.text
        item, option = sent
        self.acked[item] = (seq, option)


def _kill_9_mid_load(url: str, tmp_path: Path, saver_for, keep_first: bool = False):
    """Gunicorn under one saver per candidate (saver_for(candidate, base, stop), called once the
    candidate is in Part One), killed -9 while saves are in flight; returns (candidates, savers)
    once the load has stopped. Every candidate is closed, but the first when keep_first."""
    server = Gunicorn(url, tmp_path / "gunicorn.log").start()
    candidates = [Candidate(email) for email in CANDIDATES]
    try:
        stop, savers = threading.Event(), []
        for candidate in candidates:
            candidate.sign_in(server.base)
            candidate.start([server.base])
            savers.append(saver_for(candidate, server.base, stop))
        for saver in savers:
            saver.start()
        deadline = time.monotonic() + LOAD_SECONDS / 2
        while sum(s.count for s in savers) < ACKED_BEFORE_KILL and time.monotonic() < deadline:
            time.sleep(0.01)
        server.kill9()  # mid-load: the savers are still sending
        time.sleep(0.3)
        stop.set()
        for saver in savers:
            saver.join(timeout=15)
    finally:
        server.stop()
        for candidate in candidates[1 if keep_first else 0 :]:
            candidate.close()
    assert sum(s.count for s in savers) >= ACKED_BEFORE_KILL // 2, "the load got going"
    assert sum(s.failures for s in savers) > 0, "the kill landed while saves were in flight"
    assert all(s.unexpected == [] for s in savers), [s.unexpected for s in savers]
    return candidates, savers


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_mid_load_loses_no_acknowledged_save(kind, tmp_path):
    with demo_database(kind, tmp_path) as url:
        # the first candidate carries on after the restart
        candidates, savers = _kill_9_mid_load(url, tmp_path, Saver, keep_first=True)
        with serving(url, tmp_path, "restarted") as restarted, closing(candidates[0]):
            for saver in savers:
                stored = _stored(url, saver.candidate.public_id)
                for item, (seq, option) in saver.acked.items():
                    value, stored_seq = stored[item]
                    # a later save may have committed without its answer reaching the client
                    assert stored_seq >= seq, (saver.candidate.email, item, seq, stored_seq)
                    if stored_seq == seq:
                        assert value == option, (saver.candidate.email, item)
            # the candidate carries on where they were: same session, answers on the page
            candidate, saver = candidates[0], savers[0]
            page = candidate.open_page(restarted.base)
            stored = _stored(url, candidate.public_id)
            for item, (value, _seq) in stored.items():
                if value:
                    assert re.search(rf'id="q\d+-{value}" value="{value}" checked', page), item
            item, options = candidate.questions[0]
            after = candidate.save(restarted.base, item, options[0], 20_000)
            assert after.status_code == 200


ESSAY = "The caregiver names the feeling, waits, and the infant settles. " * 250  # ~16 KB


class EssaySaver(LoadSaver):
    """Part Two: a growing essay on one vignette."""

    def __init__(self, candidate: Candidate, vignette: str, base: str, stop: threading.Event):
        super().__init__(candidate, base, stop)
        self.vignette = vignette
        self.acked: tuple[int, str] = (0, "")  # highest acknowledged seq and its text

    def save(self, seq: int):
        essay = ESSAY[: 1024 + (seq * 97) % (15 * 1024)]  # 1 to 16 KB, as typing grows it
        return self.candidate.save_essay(self.base, self.vignette, essay, seq, 5), essay

    def acknowledge(self, seq: int, sent, response: httpx.Response) -> None:
        self.acked = (seq, sent)


def _essay_saver(candidate: Candidate, base: str, stop: threading.Event) -> EssaySaver:
    return EssaySaver(candidate, candidate.start_part_two(base), base, stop)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_mid_essay_load_loses_no_acknowledged_essay(kind, tmp_path):
    """Part Two's large saves share commits (group commit on SQLite): none acknowledged is lost."""
    with demo_database(kind, tmp_path) as url:
        _candidates, savers = _kill_9_mid_load(url, tmp_path, _essay_saver)
        engine = create_engine(url)
        with engine.connect() as connection:
            for saver in savers:
                seq, essay = saver.acked
                stored = connection.execute(
                    text(
                        "SELECT answer.value, answer.seq FROM answer JOIN attempt"
                        " ON attempt.id = answer.attempt_id WHERE attempt.public_id = :p"
                        " AND answer.vignette_id = :v"
                    ),
                    {"p": saver.candidate.public_id, "v": int(saver.vignette)},
                ).one()
                assert stored.seq >= seq, (saver.candidate.email, seq, stored.seq)
                if stored.seq == seq:
                    assert stored.value == essay, saver.candidate.email
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()


# --- two instances, one PostgreSQL ---------------------------------------------------------------


def _seconds_left(response: httpx.Response) -> int:
    assert response.status_code == 200, (response.status_code, response.text[-300:])
    return int(SECONDS_LEFT.search(response.text)[1])


def test_two_instances_serve_one_candidate_without_lost_answers_or_clock_jumps(tmp_path):
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("two app instances share PostgreSQL; on SQLite the app runs on one machine")
    with ExitStack() as stack:
        url = stack.enter_context(demo_database("postgresql", tmp_path))
        a = stack.enter_context(serving(url, tmp_path, "a"))
        b = stack.enter_context(serving(url, tmp_path, "b"))
        bases = [a.base, b.base]
        candidate, proctor = (
            Candidate("candidate01@demo.example"),
            Candidate("proctor@demo.example"),
        )
        stack.callback(candidate.close)
        stack.callback(proctor.close)
        candidate.sign_in(a.base, post_base=b.base)  # token from one instance, post to the other
        candidate.start(bases)
        proctor.sign_in(b.base)
        console = proctor.http.get(f"{b.base}/proctor/")
        sent: dict[str, str] = {}
        clock: list[tuple[int, bool]] = []  # (seconds left, right after the extension)
        extended_at = len(candidate.questions) // 2
        for n, (item, options) in enumerate(candidate.questions):
            base = bases[n % 2]
            if n == extended_at:
                acted = proctor.http.post(
                    f"{a.base}/proctor/seat/{candidate.seat_id}/act",
                    data={
                        "action": "extend",
                        "minutes": "5",
                        "reason": "fire alarm",
                        "csrf_token": CSRF.search(console.text)[1],
                    },
                )
                assert acted.status_code == 302, acted.text[-500:]
            option = options[n % len(options)]
            clock.append(
                (_seconds_left(candidate.save(base, item, option, n + 1)), n == extended_at)
            )
            sent[item] = option
            if n % 5 == 0:
                polled = candidate.http.get(
                    f"{bases[(n + 1) % 2]}/exam/attempt/{candidate.public_id}/clock"
                )
                clock.append((_seconds_left(polled), False))
        for (before, _), (after, right_after_extension) in zip(clock, clock[1:], strict=False):
            if right_after_extension:
                assert before < after <= before + 300, (before, after)
            else:
                assert after <= before, f"the clock jumped from {before} to {after}"
        review = candidate.http.get(f"{a.base}/exam/attempt/{candidate.public_id}/review")
        submitted = candidate.http.post(
            f"{b.base}/exam/attempt/{candidate.public_id}/submit",
            data={"csrf_token": CSRF.search(review.text)[1]},
        )
        assert submitted.status_code == 302
        receipt = candidate.http.get(f"{a.base}/exam/attempt/{candidate.public_id}/receipt")
        assert re.search(rf'id="recorded-count">{len(sent)}<', receipt.text)
        stored = _stored(url, candidate.public_id)
        assert {item: value for item, (value, _seq) in stored.items()} == sent
