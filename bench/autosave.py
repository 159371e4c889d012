"""Benchmark: the full autosave against a bare endpoint, under gunicorn, in one run.

A fresh database (temp SQLite file, or the `bench` schema of DATABASE_URL with --db postgres) is
migrated and seeded with N admitted candidates on the sample 60-item Part One; gunicorn serves the
app on 127.0.0.1 with production-like settings; every candidate signs in (own httpx client, CSRF
from the sign-in page) and starts Part One. Then, with the same N concurrent clients, each in a
closed loop (one request in flight per candidate, as the page's hx-sync does):
  (a) GET /healthz, a bare endpoint: routing, WSGI and HTTP only;
  (b) POST /exam/attempt/<id>/save, the full autosave: session load, CSRF check, attempt lookup,
      deadline check, one answer upserted and committed durably (WAL + group commit).
Prints req/s and p50/p95/p99 of each, the errors, and the ratio (b)/(a) of req/s; on SQLite also
the saves per WAL fsync of the group commit, and the disk's ceiling for one fsync per commit (a
bare loop of one-row WAL + synchronous=FULL commits on a file next to the benchmark's database),
measured in the same run: durable saves/s above it mean several saves shared an fsync.
--fsync-ms N emulates a slower disk (bench/slow_disk.py): each fsync, in the workers and in the
ceiling's loop alike, takes N ms longer.

Run: .venv/bin/python bench/autosave.py [--db sqlite|postgres] [--candidates N] [--seconds S]
     [--fsync-ms N]
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


async def closed_loop(name, sitters, request_for, status, seconds, rec, pgid, count=None):
    """Every sitter sends request after request until time or the request budget runs out.

    Returns the measured seconds and how much `count()` grew over them (after the warm-up)."""
    budget = [MAX_REQUESTS_PER_PHASE]

    async def run(sitter, stop_at, recorder):
        while time.monotonic() < stop_at and budget[0] > 0:
            budget[0] -= 1
            await recorder.timed(name, request_for(sitter), status)

    warm = common.Recorder()
    await asyncio.gather(*(run(s, time.monotonic() + WARMUP_SECONDS, warm) for s in sitters))
    budget[0] = MAX_REQUESTS_PER_PHASE
    counted = count() if count else 0
    started, meter = time.monotonic(), common.CpuMeter(pgid)
    await asyncio.gather(*(run(s, started + seconds, rec) for s in sitters))
    elapsed = time.monotonic() - started
    counted = (count() - counted) if count else 0
    client, server = meter.cores()
    print(f"{name}: cores busy: benchmark client {client:.2f}, gunicorn {server:.2f}")
    return elapsed, counted


async def prepare(server, candidates, parallel: int) -> tuple[list[common.Sitter], common.Recorder]:
    """Sign every candidate in and start their Part One, `parallel` at a time."""
    rec, gate = common.Recorder(), asyncio.Semaphore(parallel)
    sitters = [common.Sitter(c, common.new_client(server.base)) for c in candidates]

    async def one(sitter):
        async with gate:
            return await common.sign_in(sitter, rec) and await common.start_part_one(sitter, rec)

    ready = await asyncio.gather(*(one(s) for s in sitters))
    return [s for s, ok in zip(sitters, ready, strict=True) if ok], rec


def fsyncs_so_far(database: common.Database) -> int:
    """The group commit's WAL fsyncs so far (SQLite; 0 elsewhere)."""
    from app.database import SyncBarrier

    if not database.tmpdir:
        return 0
    return SyncBarrier.fsync_count(f"{database.tmpdir}/bench.sqlite.sync")


async def measure(server, candidates, seconds: float, database: common.Database) -> dict:
    sitters, setup = await prepare(server, candidates, parallel=16)
    print(f"signed in and started: {len(sitters)}/{len(candidates)}")
    common.print_errors(setup)
    if not sitters:
        return {"status": 1}
    rec, pgid = common.Recorder(), server.process.pid
    try:
        bare, _ = await closed_loop(
            "(a) GET /healthz", sitters, lambda s: s.client.get("/healthz"), 200, seconds, rec, pgid
        )
        save, fsyncs = await closed_loop(
            "(b) POST save",
            *(sitters, common.save_request, 200, seconds, rec, pgid),
            count=lambda: fsyncs_so_far(database),
        )
    finally:
        await asyncio.gather(*(s.client.aclose() for s in sitters))
    a = common.summary_row("(a) GET /healthz", rec, bare)
    b = common.summary_row("(b) POST save", rec, save)
    print()
    common.print_table([a, b])
    common.print_errors(rec)
    print(f"\nratio (b)/(a) of req/s: {b['rps'] / a['rps']:.2f}")
    if fsyncs:
        # the measured phase's saves against its WAL fsyncs (a save in flight at either edge
        # may fall on the other side, so this is a close estimate)
        print(f"group commit: {b['ok'] / fsyncs:.1f} saves per WAL fsync ({fsyncs} fsyncs)")
    print(f"machine after: {common.machine().replace(' at start', '')}")
    return {"status": 1 if rec.error_count() else 0, "saves_per_s": b["rps"]}


FSYNC_PROBE_SECONDS = 3.0


def fsync_ceiling(
    directory: str, fsync_ms: float = 0, seconds: float = FSYNC_PROBE_SECONDS
) -> float:
    """Commits/s of a bare single-writer loop, one fsync per commit (WAL, synchronous=FULL);
    with `fsync_ms`, each commit's fsync takes that much longer, as in the workers."""
    import sqlite3

    conn = sqlite3.connect(f"{directory}/fsync-probe.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    count, started = 0, time.monotonic()
    while time.monotonic() - started < seconds and count < MAX_REQUESTS_PER_PHASE:
        conn.execute("INSERT INTO t VALUES (?)", (count,))  # autocommit: one commit each
        if fsync_ms > 0:
            time.sleep(fsync_ms / 1000)  # the emulated disk's longer fsync
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
    parser.add_argument("--threads", type=int, default=common.DEFAULT_THREADS)
    parser.add_argument(
        "--hash",
        choices=["cheap", "production"],
        default="cheap",
        help="argon2 cost of the seeded passwords (sign-in is set-up here, not measured)",
    )
    parser.add_argument(
        "--fsync-ms",
        type=float,
        default=0.0,
        help="emulate a slower disk: every fsync (server and ceiling probe) takes this much longer",
    )
    args = parser.parse_args()
    args.seconds = min(args.seconds, 600.0)

    print(f"machine: {common.machine()}")
    database = common.fresh_database(args.db)
    try:
        candidates = common.seed(database, args.candidates, args.hash)
        with common.gunicorn(
            database, args.workers, args.threads, fsync_ms=args.fsync_ms
        ) as server:
            print(f"server: {' '.join(server.command[1:])} ({args.db})")
            print(f"candidates: {args.candidates}, {args.seconds:.0f}s per phase after warm-up")
            if args.fsync_ms:
                print(f"emulated disk: every fsync takes {args.fsync_ms:g} ms longer")
            outcome = asyncio.run(measure(server, candidates, args.seconds, database))
        if database.tmpdir and "saves_per_s" in outcome:
            ceiling = fsync_ceiling(database.tmpdir, args.fsync_ms)
            print(
                f"disk ceiling, one fsync per commit: {ceiling:.0f} commits/s (bare SQLite loop,"
                " same directory, same run)"
            )
            print(f"durable saves/s over that ceiling: {outcome['saves_per_s'] / ceiling:.2f}x")
        return outcome["status"]
    finally:
        database.cleanup()


if __name__ == "__main__":
    sys.exit(main())
