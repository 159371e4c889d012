"""Benchmark: the full autosave against a bare endpoint, under gunicorn, in one run.

A fresh database (temp SQLite file, or the `bench` schema of DATABASE_URL with --db postgres) is
migrated and seeded with N admitted candidates on the sample 60-item Part One; gunicorn serves the
app on 127.0.0.1 with production-like settings; every candidate signs in (own httpx client, CSRF
from the sign-in page) and starts Part One. Then, with the same N concurrent clients, each in a
closed loop (one request in flight per candidate, as the page's hx-sync does):
  (a) GET /healthz, a bare endpoint: routing, WSGI and HTTP only;
  (b) POST /exam/attempt/<id>/save, the full autosave: session load, CSRF check, attempt lookup,
      deadline check, one answer upserted and committed durably (WAL + synchronous=FULL).
Prints req/s and p50/p95/p99 of each, the errors, and the ratio (b)/(a) of req/s; on SQLite also
the disk's ceiling for one fsync per commit (a bare loop of one-row WAL + synchronous=FULL commits
on a file next to the benchmark's database), measured in the same run: durable saves/s above it
mean several saves shared an fsync.

Run: .venv/bin/python bench/autosave.py [--db sqlite|postgres] [--candidates N] [--seconds S]
"""

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

MAX_REQUESTS_PER_PHASE = 500_000  # a hard bound next to the time bound
WARMUP_SECONDS = 2.0


async def closed_loop(name, sitters, request_for, status, seconds, rec, pgid) -> float:
    """Every sitter sends request after request until time or the request budget runs out."""
    budget = [MAX_REQUESTS_PER_PHASE]

    async def run(sitter, stop_at, recorder):
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            await recorder.timed(name, request_for(sitter), status)

    warm = common.Recorder()
    await asyncio.gather(*(run(s, time.monotonic() + WARMUP_SECONDS, warm) for s in sitters))
    budget[0] = MAX_REQUESTS_PER_PHASE
    started, meter = time.monotonic(), common.CpuMeter(pgid)
    await asyncio.gather(*(run(s, started + seconds, rec) for s in sitters))
    elapsed = time.monotonic() - started
    client, server = meter.cores()
    print(f"{name}: cores busy: benchmark client {client:.2f}, gunicorn {server:.2f}")
    return elapsed


async def prepare(server, candidates, parallel: int) -> tuple[list[common.Sitter], common.Recorder]:
    """Sign every candidate in and start their Part One, `parallel` at a time."""
    rec, gate = common.Recorder(), asyncio.Semaphore(parallel)
    sitters = [common.Sitter(c, common.new_client(server.base)) for c in candidates]

    async def one(sitter):
        async with gate:
            return await common.sign_in(sitter, rec) and await common.start_part_one(sitter, rec)

    ready = await asyncio.gather(*(one(s) for s in sitters))
    return [s for s, ok in zip(sitters, ready, strict=True) if ok], rec


async def measure(server, candidates, seconds: float) -> int:
    sitters, setup = await prepare(server, candidates, parallel=16)
    print(f"signed in and started: {len(sitters)}/{len(candidates)}")
    common.print_errors(setup)
    if not sitters:
        return 1
    rec, pgid = common.Recorder(), server.process.pid
    try:
        bare = await closed_loop(
            "(a) GET /healthz", sitters, lambda s: s.client.get("/healthz"), 200, seconds, rec, pgid
        )
        save = await closed_loop(
            "(b) POST save", sitters, common.save_request, 200, seconds, rec, pgid
        )
    finally:
        await asyncio.gather(*(s.client.aclose() for s in sitters))
    a = common.summary_row("(a) GET /healthz", rec, bare)
    b = common.summary_row("(b) POST save", rec, save)
    print()
    common.print_table([a, b])
    common.print_errors(rec)
    print(f"\nratio (b)/(a) of req/s: {b['rps'] / a['rps']:.2f}")
    print(f"machine after: {common.machine().replace(' at start', '')}")
    return 1 if rec.error_count() else 0


FSYNC_PROBE_SECONDS = 3.0


def fsync_ceiling(directory: str, seconds: float = FSYNC_PROBE_SECONDS) -> float:
    """Commits/s of a bare single-writer loop, one fsync per commit (WAL, synchronous=FULL)."""
    import sqlite3

    conn = sqlite3.connect(f"{directory}/fsync-probe.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    count, started = 0, time.monotonic()
    while time.monotonic() - started < seconds and count < MAX_REQUESTS_PER_PHASE:
        conn.execute("INSERT INTO t VALUES (?)", (count,))  # autocommit: one commit each
        count += 1
    rate = count / (time.monotonic() - started)
    conn.close()
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--candidates", type=int, default=64, help="concurrent candidates")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--hash",
        choices=["cheap", "production"],
        default="cheap",
        help="argon2 cost of the seeded passwords (sign-in is set-up here, not measured)",
    )
    args = parser.parse_args()
    args.seconds = min(args.seconds, 600.0)

    print(f"machine: {common.machine()}")
    database = common.fresh_database(args.db)
    try:
        candidates = common.seed(database, args.candidates, args.hash)
        with common.gunicorn(database, args.workers, args.threads) as server:
            print(f"server: {' '.join(server.command[1:])} ({args.db})")
            print(f"candidates: {args.candidates}, {args.seconds:.0f}s per phase after warm-up")
            status = asyncio.run(measure(server, candidates, args.seconds))
        if database.tmpdir:
            print(
                f"disk ceiling, one fsync per commit: {fsync_ceiling(database.tmpdir):.0f}"
                " commits/s (bare SQLite loop, same directory, same run)"
            )
        return status
    finally:
        database.cleanup()


if __name__ == "__main__":
    sys.exit(main())
