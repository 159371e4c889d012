"""Load: N candidates sign in within a window, start Part One and autosave every 15 seconds.

A fresh database (temp SQLite file, or the `bench` schema of DATABASE_URL with --db postgres) is
seeded with N admitted candidates on the sample 60-item Part One, and gunicorn serves the app on
127.0.0.1 (gthread, 2 x cores workers, 4 threads). Candidate i begins at i/N of the window (a
synchronized start spread over --window seconds): GET /login, POST /login, GET the Part One
rules, POST start, GET the exam page; then it autosaves one answer every --interval seconds (the
first at a random point of the first interval), one request in flight at a time, until the run
ends at window + duration. Reports errors, req/s and p50/p95/p99 per endpoint.

--search runs the scenario for increasing N (fresh database and server each time) and reports
the largest N with zero errors and p99 autosave <= --p99-limit ms; it stops at the first N that
fails. Every loop is bounded in time (and so in count); all traffic stays on 127.0.0.1.

Run: .venv/bin/python bench/load/run.py [--db sqlite|postgres] [--candidates N] [--window 60]
     [--duration 120] [--search [--steps 250,500,1000,2000,3000]]
"""

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

ENDPOINTS = ["GET /login", "POST /login", "GET rules", "POST start", "GET exam page", "POST save"]
MAX_CANDIDATES = 10_000


class StartCost:
    """Server CPU per candidate start (sign-in, rules, start, exam page), from the load run.

    The server's CPU is read when the last candidate has started: until then it served starts
    and the early candidates' saves; after it, saves only. The saves' share of the first phase
    is taken out at the second phase's cost per save."""

    def __init__(self, pgid: int, count: int):
        self.pgid, self.count, self.pending = pgid, count, count
        self.began = common.group_cpu_seconds(pgid)
        self.at_last_start = self.began
        self.saves_before = 0

    def started(self, rec: common.Recorder) -> None:
        self.pending -= 1
        if self.pending == 0:
            self.at_last_start = common.group_cpu_seconds(self.pgid)
            self.saves_before = len(rec.latencies.get("POST save", []))

    def per_start_ms(self, rec: common.Recorder) -> tuple[float, float]:
        """(CPU ms per start, CPU ms per save) over the whole run."""
        ended = common.group_cpu_seconds(self.pgid)
        saves_after = len(rec.latencies.get("POST save", [])) - self.saves_before
        per_save = (ended - self.at_last_start) / saves_after if saves_after else 0.0
        starts = len(rec.latencies.get("GET exam page", []))
        first = self.at_last_start - self.began - self.saves_before * per_save
        return (first / starts * 1000 if starts else float("nan")), per_save * 1000


async def candidate(sitter, begin_at, end_at, interval, rec, rng, cost=None) -> None:
    """One candidate's session: sign in at its moment, start, then autosave until the end."""
    await asyncio.sleep(max(0.0, begin_at - time.monotonic()))
    ok = await common.sign_in(sitter, rec) and await common.start_part_one(sitter, rec)
    if cost is not None:
        cost.started(rec)
    if not ok:
        return
    next_save = time.monotonic() + rng.uniform(0, interval)
    while next_save < end_at:
        await asyncio.sleep(max(0.0, next_save - time.monotonic()))
        await rec.timed("POST save", common.save_request(sitter), 200)
        next_save += interval


async def scenario(
    server, candidates, window, duration, interval, cost=None
) -> tuple[common.Recorder, float]:
    rec, rng = common.Recorder(), random.Random(20240601)
    sitters = [common.Sitter(c, common.new_client(server.base)) for c in candidates]
    started = time.monotonic()
    end_at = started + window + duration
    spacing = window / max(1, len(sitters))
    flows = [
        candidate(s, started + i * spacing, end_at, interval, rec, rng, cost)
        for i, s in enumerate(sitters)
    ]
    try:
        # a hard stop: requests time out after 30 s, so a minute past the end means a hang
        await asyncio.wait_for(asyncio.gather(*flows), timeout=window + duration + 60)
    finally:
        await asyncio.gather(*(s.client.aclose() for s in sitters))
    return rec, time.monotonic() - started


def run_once(args, count: int) -> dict:
    """One scenario of `count` candidates on a fresh database and a fresh server."""
    print(f"\n== N = {count} candidates on {args.db}; machine: {common.machine()}")
    database = common.fresh_database(args.db)
    try:
        candidates = common.seed(database, count, args.hash)
        with common.gunicorn(database, args.workers, args.threads) as server:
            meter = common.CpuMeter(server.process.pid)
            cost = StartCost(server.process.pid, count)
            rec, elapsed = asyncio.run(
                scenario(server, candidates, args.window, args.duration, args.interval, cost)
            )
            client_cores, server_cores = meter.cores()
            start_ms, save_ms = cost.per_start_ms(rec)
    finally:
        database.cleanup()
    rows = [common.summary_row(name, rec, elapsed) for name in ENDPOINTS]
    common.print_table(rows)
    common.print_errors(rec)
    save = rows[-1]
    errors = rec.error_count()
    passed = errors == 0 and save["ok"] > 0 and save["p99"] <= args.p99_limit
    print(
        f"N={count}: {errors} errors, autosave p99 {save['p99']:.0f} ms, "
        f"{sum(r['ok'] for r in rows) / elapsed:.1f} req/s overall over {elapsed:.0f}s; "
        f"cores busy: client {client_cores:.2f}, gunicorn {server_cores:.2f} -> "
        f"{'PASS' if passed else 'FAIL'} (zero errors and p99 autosave <= {args.p99_limit:.0f} ms)"
    )
    print(
        f"server CPU per candidate start (sign-in, rules, start, exam page): {start_ms:.1f} ms;"
        f" per save: {save_ms:.2f} ms"
    )
    return {
        "n": count,
        "errors": errors,
        "p99": save["p99"],
        "passed": passed,
        "start_ms": start_ms,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--candidates", type=int, default=250)
    parser.add_argument("--window", type=float, default=60.0, help="seconds to sign everyone in")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of saving after")
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between autosaves")
    parser.add_argument("--search", action="store_true", help="find the largest passing N")
    parser.add_argument("--steps", default="250,500,1000,2000,3000")
    parser.add_argument("--p99-limit", type=float, default=300.0, help="ms, for --search")
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--hash",
        choices=["production", "cheap"],
        default="production",
        help="argon2 cost of seeded passwords: production (the app's Config) or cheap (t=1, 8 MiB)",
    )
    args = parser.parse_args()
    args.window, args.duration = min(args.window, 900.0), min(args.duration, 1800.0)
    args.interval = max(args.interval, 1.0)
    print(
        f"gunicorn -w {args.workers} -k gthread --threads {args.threads};"
        f" window {args.window:.0f}s, saving until {args.window + args.duration:.0f}s,"
        f" every {args.interval:.0f}s;"
        f" argon2 {args.hash}"
    )
    steps = [int(s) for s in args.steps.split(",")] if args.search else [args.candidates]
    steps = [min(n, MAX_CANDIDATES) for n in steps]
    results = []
    for count in steps:
        results.append(run_once(args, count))
        if not results[-1]["passed"] and args.search:
            break
    if args.search:
        passing = [r["n"] for r in results if r["passed"]]
        tried = ", ".join(
            f"{r['n']} ({'pass' if r['passed'] else 'fail'}: {r['errors']} errors, "
            f"p99 {r['p99']:.0f} ms)"
            for r in results
        )
        print(f"\ntried: {tried}")
        print(
            f"largest N with zero errors and p99 autosave <= {args.p99_limit:.0f} ms: "
            f"{max(passing) if passing else 'none of the steps'} ({args.db})"
        )
    return 0 if any(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
