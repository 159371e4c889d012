"""Load: N candidates sign in within a window, start Part One and autosave every 15 seconds.

A fresh database (temp SQLite file, or the `bench` schema of DATABASE_URL with --db postgres) is
seeded with N admitted candidates on the sample 60-item Part One, and gunicorn serves the app on
127.0.0.1 (gthread, 3 x cores workers, 2 threads). Candidate i begins at i/N of the window (a
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

ENDPOINTS = ["GET /login", "POST /login", "GET rules", "POST start", "GET exam page", "POST save"]
SCENARIO_ENDPOINTS = {
    "worst": ENDPOINTS,
    "morning": [*ENDPOINTS[:2], "GET check", "GET rules", "GET gate", *ENDPOINTS[3:], "GET clock"],
    "essays": [*ENDPOINTS, "GET clock"],
}
#: what each scenario's p99 limit applies to
LIMITED = {"worst": ["POST save"], "morning": ["POST start", "POST save"], "essays": ["POST save"]}
#: --window and --duration when not given: (window, duration) in seconds
DEFAULTS = {"worst": (60.0, 120.0), "morning": (1200.0, 600.0), "essays": (60.0, 600.0)}
MAX_CANDIDATES = 10_000
IDLE_SAMPLE_SECONDS = 3.0
GATE_POLL_SECONDS = 5.0  # the waiting room's hx-trigger (exam/rules.html)
ESSAY_SAVE_SECONDS = 10.0  # what the Part Two page does while the candidate types
ESSAY_FIRST_BYTES, ESSAY_LAST_BYTES = 1024, 15 * 1024
ESSAY_TEXT = (
    "The infant settles when the caregiver names the feeling and waits; the parent notices "
    "this and tries it again at bedtime. "
) * (ESSAY_LAST_BYTES // 100 + 1)


class StartCost:
    """Server CPU per candidate start (sign-in, rules, start, exam page), from the load run.

    The server's CPU is read when the last candidate has started: until then it served starts
    and the early candidates' saves; after it, saves only. The saves' share of the first phase
    is taken out at the second phase's cost per save, and the idle server's own use (measured
    for a few seconds before the run) out of both."""

    def __init__(self, pgid: int, count: int):
        self.pgid, self.count, self.pending = pgid, count, count
        # what the idle server burns (worker heartbeats, polling) is no candidate's cost
        idle_from, t0 = common.group_cpu_seconds(pgid), time.monotonic()
        time.sleep(IDLE_SAMPLE_SECONDS)
        self.idle_rate = (common.group_cpu_seconds(pgid) - idle_from) / (time.monotonic() - t0)
        self.began, self.began_at = common.group_cpu_seconds(pgid), time.monotonic()
        self.at_last_start, self.last_start_at = self.began, self.began_at
        self.saves_before = 0

    def started(self, rec: common.Recorder) -> None:
        self.pending -= 1
        if self.pending == 0:
            self.at_last_start = common.group_cpu_seconds(self.pgid)
            self.last_start_at = time.monotonic()
            self.saves_before = len(rec.latencies.get("POST save", []))

    def per_start_ms(self, rec: common.Recorder) -> tuple[float, float]:
        """(CPU ms per start, CPU ms per save) over the whole run."""
        ended, ended_at = common.group_cpu_seconds(self.pgid), time.monotonic()
        saves_after = len(rec.latencies.get("POST save", [])) - self.saves_before
        second = ended - self.at_last_start - self.idle_rate * (ended_at - self.last_start_at)
        per_save = max(0.0, second) / saves_after if saves_after else 0.0
        starts = len(rec.latencies.get("GET exam page", []))
        first = self.at_last_start - self.began - self.saves_before * per_save
        first -= self.idle_rate * (self.last_start_at - self.began_at)
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


async def morning_candidate(sitter, begin_at, ctx, rec, rng) -> None:
    """Exam morning: sign in and pass the check early, wait in the waiting room (its gate
    polled every 5 s) until the proctor admits everyone, press Start within the start window,
    then answer an item every 45-90 s while the page polls its clock."""
    await asyncio.sleep(max(0.0, begin_at - time.monotonic()))
    if not await common.sign_in(sitter, rec):
        return
    await rec.timed("GET check", sitter.client.get("/exam/check"), 200)
    path = f"/exam/seat/{sitter.candidate.seat_id}/MC"
    rules = await rec.timed("GET rules", sitter.client.get(path), 200)
    if rules is None:
        return
    while time.monotonic() < ctx.end_at:  # the waiting room's poll; 286 = admitted
        await asyncio.sleep(GATE_POLL_SECONDS)
        gate = await rec.timed("GET gate", sitter.client.get(path + "/gate"), (200, 286))
        if gate is not None and gate.status_code == 286:
            break
    else:
        return
    await asyncio.sleep(rng.uniform(0, ctx.start_window))
    if not await common.start_part_one(sitter, rec, rules=rules):
        return
    await _answer_until(sitter, ctx, rec, rng, lambda: common.save_request(sitter), (45, 90))


async def essay_candidate(sitter, begin_at, ctx, rec, rng) -> None:
    """Part Two: sign in, start, then save the essay every 10 s as it grows from 1 to 15 KB."""
    await asyncio.sleep(max(0.0, begin_at - time.monotonic()))
    ok = await common.sign_in(sitter, rec)
    if not (ok and await common.start_part_one(sitter, rec, part="VIGNETTE")):
        return
    typing_from = time.monotonic()

    def save():
        done = min(1.0, (time.monotonic() - typing_from) / max(1.0, ctx.end_at - typing_from))
        size = ESSAY_FIRST_BYTES + round((ESSAY_LAST_BYTES - ESSAY_FIRST_BYTES) * done)
        return common.essay_save_request(sitter, ESSAY_TEXT[:size])

    await _answer_until(sitter, ctx, rec, rng, save, (ESSAY_SAVE_SECONDS, ESSAY_SAVE_SECONDS))


async def _answer_until(sitter, ctx, rec, rng, save, every: tuple[float, float]) -> None:
    """Saves at `every` (a random spacing within it) and clock polls, until the run ends."""
    now = time.monotonic()
    next_save = now + rng.uniform(0, every[1])
    next_poll = now + rng.uniform(0, ctx.poll) if ctx.poll else ctx.end_at
    while min(next_save, next_poll) < ctx.end_at:
        await asyncio.sleep(max(0.0, min(next_save, next_poll) - time.monotonic()))
        if next_save <= next_poll:
            await rec.timed("POST save", save(), 200)
            next_save += rng.uniform(*every)
        else:
            await rec.timed("GET clock", common.clock_request(sitter), 200)
            next_poll += ctx.poll


@dataclass
class Context:
    end_at: float
    start_window: float
    poll: float


async def scenario(
    server, candidates, args, database=None, cost=None
) -> tuple[common.Recorder, float]:
    rec, rng = common.Recorder(), random.Random(20240601)
    sitters = [common.Sitter(c, common.new_client(server.base)) for c in candidates]
    started = time.monotonic()
    window, duration = args.window, args.duration
    spacing = window / max(1, len(sitters))
    tasks = []
    if args.scenario == "morning":
        end_at = started + window + args.start_window + duration
        ctx = Context(end_at, args.start_window, args.poll)
        flows = [
            morning_candidate(s, started + i * spacing, ctx, rec, rng)
            for i, s in enumerate(sitters)
        ]

        async def proctor_admits():
            await asyncio.sleep(window)  # everyone has signed in: the proctor admits them all
            await asyncio.to_thread(common.admit_all, database)

        tasks.append(proctor_admits())
    elif args.scenario == "essays":
        end_at = started + window + duration
        ctx = Context(end_at, 0, args.poll)
        flows = [
            essay_candidate(s, started + i * spacing, ctx, rec, rng) for i, s in enumerate(sitters)
        ]
    else:
        end_at = started + window + duration
        flows = [
            candidate(s, started + i * spacing, end_at, args.interval, rec, rng, cost)
            for i, s in enumerate(sitters)
        ]
    try:
        # a hard stop: requests time out after 30 s, so a minute past the end means a hang
        await asyncio.wait_for(asyncio.gather(*flows, *tasks), timeout=end_at - started + 60)
    finally:
        await asyncio.gather(*(s.client.aclose() for s in sitters))
    return rec, time.monotonic() - started


def run_once(args, count: int) -> dict:
    """One scenario of `count` candidates on a fresh database and a fresh server."""
    print(f"\n== N = {count} candidates on {args.db}, {args.scenario}; {common.machine()}")
    database = common.fresh_database(args.db)
    part = "VIGNETTE" if args.scenario == "essays" else "MC"
    try:
        admitted = args.scenario != "morning"
        candidates = common.seed(database, count, args.hash, part, admitted)
        with common.gunicorn(database, args.workers, args.threads) as server:
            meter = common.CpuMeter(server.process.pid)
            cost = StartCost(server.process.pid, count) if args.scenario == "worst" else None
            rec, elapsed = asyncio.run(scenario(server, candidates, args, database, cost))
            client_cores, server_cores = meter.cores()
            start_ms = cost.per_start_ms(rec) if cost else None
    finally:
        database.cleanup()
    rows = {
        name: common.summary_row(name, rec, elapsed) for name in SCENARIO_ENDPOINTS[args.scenario]
    }
    common.print_table(list(rows.values()))
    common.print_errors(rec)
    errors = rec.error_count()
    limited = [rows[name] for name in LIMITED[args.scenario]]
    p99 = max(r["p99"] for r in limited)
    passed = errors == 0 and all(r["ok"] > 0 for r in limited) and p99 <= args.p99_limit
    what = " and ".join(LIMITED[args.scenario])
    print(
        f"N={count}: {errors} errors, p99 {what} {p99:.0f} ms, "
        f"{sum(r['ok'] for r in rows.values()) / elapsed:.1f} req/s overall over {elapsed:.0f}s; "
        f"cores busy: client {client_cores:.2f}, gunicorn {server_cores:.2f} -> "
        f"{'PASS' if passed else 'FAIL'} (zero errors and p99 <= {args.p99_limit:.0f} ms)"
    )
    if start_ms:
        print(
            "server CPU per candidate start (sign-in, rules, start, exam page): "
            f"{start_ms[0]:.1f} ms; per save: {start_ms[1]:.2f} ms"
        )
    return {"n": count, "errors": errors, "p99": p99, "passed": passed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--scenario", choices=list(DEFAULTS), default="worst")
    parser.add_argument("--candidates", type=int, default=250)
    parser.add_argument("--window", type=float, help="seconds to sign everyone in")
    parser.add_argument("--duration", type=float, help="seconds of answering after the starts")
    parser.add_argument(
        "--interval", type=float, default=15.0, help="seconds between autosaves (worst)"
    )
    parser.add_argument(
        "--start-window", type=float, default=60.0, help="seconds to press Start (morning)"
    )
    parser.add_argument(
        "--poll", type=float, default=10.0, help="clock poll seconds (EXAM_POLL_SECONDS; 0: off)"
    )
    parser.add_argument("--search", action="store_true", help="find the largest passing N")
    parser.add_argument("--steps", default="250,500,1000,2000,3000")
    parser.add_argument("--p99-limit", type=float, default=300.0, help="ms, for --search")
    parser.add_argument("--workers", type=int, default=common.default_workers())
    parser.add_argument("--threads", type=int, default=common.DEFAULT_THREADS)
    parser.add_argument(
        "--hash",
        choices=["production", "cheap"],
        default="production",
        help="argon2 cost of seeded passwords: production (the app's Config) or cheap (t=1, 8 MiB)",
    )
    args = parser.parse_args()
    window, duration = DEFAULTS[args.scenario]
    args.window = min(args.window if args.window is not None else window, 1800.0)
    args.duration = min(args.duration if args.duration is not None else duration, 1800.0)
    args.interval, args.start_window = max(args.interval, 1.0), min(args.start_window, 600.0)
    args.poll = 0.0 if args.poll <= 0 else max(args.poll, 1.0)
    print(
        f"scenario {args.scenario}; gunicorn -w {args.workers} -k gthread --threads"
        f" {args.threads}; window {args.window:.0f}s, then {args.duration:.0f}s of answering;"
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
            f"largest N with zero errors and p99 {' and '.join(LIMITED[args.scenario])}"
            f" <= {args.p99_limit:.0f} ms: "
            f"{max(passing) if passing else 'none of the steps'} ({args.db})"
        )
    return 0 if any(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
