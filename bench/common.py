"""Shared benchmark plumbing: a fresh database, seeded candidates, gunicorn, HTTP helpers, stats.

Used by bench/autosave.py and bench/load/run.py. Everything runs on 127.0.0.1; every loop the
benchmarks build from these helpers is bounded in count and in time.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway accounts in a throwaway database
SAMPLE_FORM = "IMH-P1-SAMPLE"  # the sample bank's 60-item Part One form
ESSAY_FORM = "IMH-SPECIALIST-P2-SAMPLE"  # the sample bank's Part Two form for TRACK
TRACK = "IMH-SPECIALIST"
PG_SCHEMA = "bench"  # a schema of its own, so tests running on the same database are untouched
CPU_COUNT = os.cpu_count() or 1


# --- database -------------------------------------------------------------------------------


@dataclass
class Database:
    kind: str
    url: str
    tmpdir: str | None = None

    def cleanup(self) -> None:
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        else:
            _reset_pg_schema(self.url, recreate=False)


def _pg_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgresql", "postgres://")):
        sys.exit("--db postgres needs DATABASE_URL=postgresql+psycopg://user:pass@127.0.0.1/db")
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote('-csearch_path=' + PG_SCHEMA, safe='')}"


def _reset_pg_schema(url: str, recreate: bool = True) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        if recreate:
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    engine.dispose()


def fresh_database(kind: str) -> Database:
    """An empty, migrated database: a temp SQLite file, or the `bench` schema in DATABASE_URL."""
    if kind == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix="bench-db-")
        database = Database(kind, f"sqlite:///{tmpdir}/bench.sqlite", tmpdir)
    else:
        database = Database(kind, _pg_url())
        _reset_pg_schema(database.url)
    env = {**os.environ, "DATABASE_URL": database.url, "SECRET_KEY": "bench-setup"}
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return database


# --- data -------------------------------------------------------------------------------------


@dataclass
class Candidate:
    email: str
    seat_id: int


def _password_hash(cost: str) -> str:
    from argon2 import PasswordHasher

    from app.config import Config

    # One hash for every account: argon2 per account would take minutes to seed. Verification
    # uses the parameters stored in the hash, so "production" logins cost what real ones do.
    if cost == "production":
        hasher = PasswordHasher(
            Config.ARGON2_TIME_COST,
            Config.ARGON2_MEMORY_COST,
            parallelism=Config.ARGON2_PARALLELISM,
        )
    else:
        hasher = PasswordHasher(time_cost=1, memory_cost=8192)
    return hasher.hash(PASSWORD)


def seed(
    database: Database,
    count: int,
    hash_cost: str = "cheap",
    part: str = "MC",
    admitted: bool = True,
) -> list[Candidate]:
    """The sample bank, a live sitting offering `part` (IMH Part One, or the IMH Specialist
    Part Two as a retake seat of that part alone) and `count` seats, admitted or waiting."""
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import insert, select

    from app import create_app
    from app.bank.importer import import_bank
    from app.bank.loader import read_bank
    from app.demo import SAMPLE_BANK
    from app.extensions import db
    from app.models import Approval, ExamWindow, Seat, Sitting, SittingForm, User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": "bench-setup"})
    now = datetime.now(UTC)
    password_hash = _password_hash(hash_cost)
    with app.app_context():
        import_bank(read_bank(SAMPLE_BANK))
        window = ExamWindow(
            name="Bench window",
            opens_on=now.date() - timedelta(days=1),
            closes_on=now.date() + timedelta(days=30),
        )
        sitting = Sitting(
            window=window,
            name="Bench sitting",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=5),
            mode="scheduled",
            forms=[SittingForm(form_code=SAMPLE_FORM if part == "MC" else ESSAY_FORM)],
        )
        db.session.add(sitting)
        db.session.flush()
        emails = [f"bench{n:05d}@bench.example" for n in range(count)]
        db.session.execute(
            insert(User),
            [
                {"email": e, "name": f"Bench {e[5:10]}", "role": "candidate"}
                | {"password_hash": password_hash}
                for e in emails
            ],
        )
        ids = dict(db.session.execute(select(User.email, User.id)).all())
        db.session.execute(insert(Approval), [{"user_id": ids[e], "track": TRACK} for e in emails])
        db.session.execute(
            insert(Seat),
            [
                {"sitting_id": sitting.id, "candidate_id": ids[e], "track": TRACK}
                | {"admitted_at": now if admitted else None, "parts": part}
                for e in emails
            ],
        )
        seats = dict(
            db.session.execute(
                select(Seat.candidate_id, Seat.id).where(Seat.sitting_id == sitting.id)
            ).all()
        )
        db.session.commit()
        db.engine.dispose()
    return [Candidate(e, seats[ids[e]]) for e in emails]


def admit_all(database: Database) -> None:
    """What the proctor's admission writes: every waiting seat of the sitting is admitted now."""
    from sqlalchemy import create_engine, update

    from app.models import Seat

    # the model's table, so the timestamp is stored as the app stores it; SQLite's own busy
    # wait queues this one write behind the app's writers
    args = {"timeout": 30} if database.kind == "sqlite" else {}
    engine = create_engine(database.url, connect_args=args)
    seat = Seat.__table__
    with engine.begin() as conn:
        conn.execute(
            update(seat).where(seat.c.admitted_at.is_(None)).values(admitted_at=datetime.now(UTC))
        )
    engine.dispose()


# --- server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    command: list[str]
    log: Path


def default_workers() -> int:
    # 3 per core with 2 threads each (README, Deploying): fewer threads per process wait less
    # for one another's GIL than 2 per core with 4 threads (1,500 worst case: p99 save 129-132
    # ms against 263-349 ms, back to back)
    return 3 * CPU_COUNT


DEFAULT_THREADS = 2


@contextmanager
def gunicorn(
    database: Database,
    workers: int,
    threads: int = DEFAULT_THREADS,
    backlog: int = 2048,
    fsync_ms: float = 0,
):
    """gunicorn -k gthread on 127.0.0.1:<free port>; stopped (its whole group) on exit.

    `fsync_ms` > 0 emulates a slower disk: each fsync in the workers takes that much longer."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    command = [
        str(BIN / "gunicorn"),
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "--backlog",
        str(backlog),
        # exam pages save every few seconds over one connection: keep it open between saves
        # rather than racing the client's reuse of a connection the server just closed
        "--keep-alive",
        "75",
        "--worker-connections",
        "4000",
        "-b",
        f"127.0.0.1:{port}",
        *(["-c", str(ROOT / "bench" / "slow_disk.py")] if fsync_ms > 0 else []),
        "wsgi:app",
    ]
    env = {
        **os.environ,
        "DATABASE_URL": database.url,
        "SECRET_KEY": "bench-" + os.urandom(8).hex(),
        "SESSION_COOKIE_SECURE": "0",  # plain http on 127.0.0.1; production runs behind TLS
        "BENCH_FSYNC_MS": str(fsync_ms),
    }
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", process, command, log)
    try:
        _wait_healthy(server)
        yield server
    finally:
        _stop(process)


def _wait_healthy(server: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {server.log}:\n{server.log.read_text()}")
        try:
            if httpx.get(server.base + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f}s; see {server.log}")


def _stop(process: subprocess.Popen) -> None:
    # The master and its workers share the process group we created (start_new_session).
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return
    os.killpg(process.pid, signal.SIGKILL)  # a worker outlived its master


# --- HTTP helpers -------------------------------------------------------------------------------

# a form field, or (exam pages, which have no form with one) the htmx header on <body>
CSRF = re.compile(r'(?:name="csrf_token" value=|"X-CSRFToken": )"([^"]+)"')
CLIENT = re.compile(r'data-client="([^"]*)"')
ATTEMPT = re.compile(r"/exam/attempt/([^/?\"]+)")
QUESTION = re.compile(r'name="item" value="(\d+)"(.*?)</fieldset>', re.S)
OPTION = re.compile(r'name="option" id="[^"]*" value="([^"]+)"')
VIGNETTE = re.compile(r'name="vignette" value="(\d+)"')
# one context for every client: loading CA certificates per client costs ~10 ms each
_SSL = ssl.create_default_context()


class BenchError(Exception):
    """A response the benchmark did not expect (counted as an error)."""


def new_client(base: str, timeout: float = 30.0) -> httpx.AsyncClient:
    """One browser: its own cookies and connections."""
    return httpx.AsyncClient(base_url=base, timeout=timeout, verify=_SSL)


@dataclass
class Sitter:
    """A signed-in candidate with a started attempt, as their exam page left them."""

    candidate: Candidate
    client: httpx.AsyncClient
    public_id: str = ""
    client_token: str = ""
    csrf: str = ""
    questions: list[tuple[str, list[str]]] = field(default_factory=list)
    vignettes: list[str] = field(default_factory=list)
    seq: int = 0


def expect(response: httpx.Response, status: int | tuple[int, ...]) -> httpx.Response:
    if response.status_code not in (status if isinstance(status, tuple) else (status,)):
        raise BenchError(f"{response.request.method} {response.url.path}: {response.status_code}")
    return response


class Recorder:
    """Latencies (ms) and errors per endpoint name."""

    def __init__(self):
        self.latencies: dict[str, list[float]] = {}
        self.errors: dict[str, dict[str, int]] = {}

    async def timed(
        self, name: str, coroutine, status: int | tuple[int, ...]
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = expect(await coroutine, status)
        except (httpx.HTTPError, BenchError) as error:
            kind = str(error) if isinstance(error, BenchError) else type(error).__name__
            kinds = self.errors.setdefault(name, {})
            kinds[kind] = kinds.get(kind, 0) + 1
            self.latencies.setdefault(name, [])
            return None
        self.latencies.setdefault(name, []).append((time.perf_counter() - started) * 1000)
        return response

    def error_count(self, name: str | None = None) -> int:
        names = [name] if name else list(self.errors)
        return sum(sum(self.errors.get(n, {}).values()) for n in names)


async def sign_in(sitter: Sitter, rec: Recorder) -> bool:
    """GET the sign-in page for its CSRF token, then POST the credentials (302 on success)."""
    page = await rec.timed("GET /login", sitter.client.get("/login"), 200)
    if page is None:
        return False
    token = CSRF.search(page.text).group(1)
    form = {"email": sitter.candidate.email, "password": PASSWORD, "csrf_token": token}
    return await rec.timed("POST /login", sitter.client.post("/login", data=form), 302) is not None


async def start_part_one(sitter: Sitter, rec: Recorder, part: str = "MC", rules=None) -> bool:
    """POST start (302 to the attempt), then GET the exam page: client token, items, options.

    `rules` is the rules page when the candidate already has it open (the waiting room)."""
    path = f"/exam/seat/{sitter.candidate.seat_id}/{part}"
    if rules is None:
        rules = await rec.timed("GET rules", sitter.client.get(path), 200)
    if rules is None:
        return False
    form = {"csrf_token": CSRF.search(rules.text).group(1)}
    started = await rec.timed("POST start", sitter.client.post(path + "/start", data=form), 302)
    if started is None:
        return False
    location = started.headers["location"]
    page = await rec.timed("GET exam page", sitter.client.get(location), 200)
    if page is None:
        return False
    sitter.public_id = ATTEMPT.search(location).group(1)
    sitter.client_token = CLIENT.search(page.text).group(1)
    sitter.csrf = CSRF.search(page.text).group(1)
    sitter.questions = [(i, OPTION.findall(body)) for i, body in QUESTION.findall(page.text)]
    sitter.vignettes = VIGNETTE.findall(page.text)
    return bool(sitter.questions or sitter.vignettes)


def save_request(sitter: Sitter):
    """The autosave the page's htmx form sends: one item's whole answer with the next seq."""
    sitter.seq += 1
    item, options = sitter.questions[sitter.seq % len(sitter.questions)]
    data = {
        "item": item,
        "option": options[sitter.seq % len(options)],
        "seq": str(sitter.seq),
        "client": sitter.client_token,
    }
    return sitter.client.post(
        f"/exam/attempt/{sitter.public_id}/save",
        data=data,
        headers={"X-CSRFToken": sitter.csrf, "HX-Request": "true"},
    )


def essay_save_request(sitter: Sitter, text: str):
    """Part Two's autosave: the first vignette's whole text as typed so far, chosen."""
    sitter.seq += 1
    data = {
        "vignette": sitter.vignettes[0],
        "text": text,
        "chosen": "1",
        "seq": str(sitter.seq),
        "client": sitter.client_token,
    }
    return sitter.client.post(
        f"/exam/attempt/{sitter.public_id}/save",
        data=data,
        headers={"X-CSRFToken": sitter.csrf, "HX-Request": "true"},
    )


def clock_request(sitter: Sitter):
    """The exam page's clock re-sync poll."""
    return sitter.client.get(
        f"/exam/attempt/{sitter.public_id}/clock",
        params={"client": sitter.client_token},
        headers={"HX-Request": "true"},
    )


# --- reporting -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summary_row(name: str, rec: Recorder, seconds: float) -> dict:
    ok = rec.latencies.get(name, [])
    return {
        "endpoint": name,
        "ok": len(ok),
        "errors": rec.error_count(name),
        "rps": len(ok) / seconds if seconds > 0 else float("nan"),
        "p50": percentile(ok, 50),
        "p95": percentile(ok, 95),
        "p99": percentile(ok, 99),
    }


def print_table(rows: list[dict]) -> None:
    print(
        f"{'endpoint':<16}{'ok':>8}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    for r in rows:
        print(
            f"{r['endpoint']:<16}{r['ok']:>8}{r['errors']:>8}{r['rps']:>9.1f}"
            f"{r['p50']:>9.1f}{r['p95']:>9.1f}{r['p99']:>9.1f}"
        )


def print_errors(rec: Recorder) -> None:
    for name, kinds in rec.errors.items():
        for kind, n in kinds.items():
            print(f"  error {name}: {kind} x{n}")


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every live process of a process group."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ...
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


class CpuMeter:
    """Cores busy in the benchmark client (this process) and the server group over a phase."""

    def __init__(self, server_pgid: int):
        self.pgid = server_pgid
        self.started = (time.monotonic(), time.process_time(), group_cpu_seconds(server_pgid))

    def cores(self) -> tuple[float, float]:
        wall = time.monotonic() - self.started[0]
        client = (time.process_time() - self.started[1]) / wall
        server = (group_cpu_seconds(self.pgid) - self.started[2]) / wall
        return client, server


def machine() -> str:
    load = os.getloadavg()
    return f"{CPU_COUNT} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start"
