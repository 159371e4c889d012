"""Benchmark: the coordinator's item analysis pages at 10,000 closed Part One attempts.

Seeds a fresh SQLite database with the demo and a scaled-up simulated history (all candidates
on the IMH form, so that one form holds the attempts), then times, through the app's own test
client signed in as the demo coordinator: the raw analysis (frames query + analyse_items, no
cache), the items page, the item detail and the items XLSX, each cold (first read computes and
stores the cache) and warm (median of 5). Figures are printed, never asserted.
Run: .venv/bin/python bench/analysis_pages.py [--attempts 10000]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FORM = "IMH-P1-SAMPLE"
BASE = "/coordinator/analytics"


def build(attempts: int, reuse: str | None = None):
    """A fresh app and database holding about `attempts` closed attempts of FORM (or the
    database a previous run left in `reuse`, as it is)."""
    from flask_migrate import upgrade

    from app import create_app
    from app import demo_history as history
    from app.config import TestConfig
    from app.demo import load_demo
    from app.extensions import db
    from app.models import now_utc

    folder = reuse or tempfile.mkdtemp(prefix="bench-analysis-")

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder}/bench.sqlite"
        PROPAGATE_EXCEPTIONS = True  # a failing page shows its traceback

    app = create_app(BenchConfig)
    if reuse:
        return app, "reused", folder
    # first timers split over the windows; about a quarter fail and most of those come back
    history.CANDIDATES = int(attempts / 1.2)
    history.TRACK_WEIGHTS = (0.5, 0.2, 0.15, 0.15, 0, 0, 0, 0)
    history._pool = _big_pool(history)
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parents[1] / "migrations"))
        load_demo(now_utc())
        summary = history.load_history(now_utc())
        db.session.commit()
    return app, summary, folder


def _big_pool(history):
    def pool(rng):
        count = history.CANDIDATES
        tracks = rng.choice(len(history.TRACKS), size=count, p=history.TRACK_WEIGHTS)
        return history.Pool(
            emails=[f"bench{n:05d}@bench.example" for n in range(1, count + 1)],
            names=[f"Bench Candidate {n}" for n in range(1, count + 1)],
            tracks=[history.TRACKS[t] for t in tracks],
            ability=rng.normal(0.2, 0.9, count),
        )

    return pool


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--reuse", help="the folder a previous run printed: skip seeding")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    seeding = time.perf_counter()
    app, summary, folder = build(args.attempts, args.reuse)
    print(f"seeded in {time.perf_counter() - seeding:.0f} s: {summary}")

    from app.analysis import frames
    from app.analysis.items import analyse_items
    from app.demo import DEMO_PASSWORD
    from app.models import now_utc
    from tests.conftest import sign_in

    with app.app_context():
        from sqlalchemy import delete

        from app.extensions import db
        from app.models import ItemAnalysisCache

        db.session.execute(delete(ItemAnalysisCache))  # every run starts cold
        db.session.commit()
        responses, key = frames.part_one_responses(FORM, now_utc(), first_only=False)
        print(f"{FORM}: {len(responses)} closed attempts x {len(key)} items")
        raw = [
            timed(lambda: analyse_items(*frames.part_one_responses(FORM, now_utc())))
            for _ in range(3)
        ]
    client = app.test_client()
    sign_in(client, "coordinator@demo.example", DEMO_PASSWORD)
    item = key.index[0]
    pages = {
        "items page": f"{BASE}/items/{FORM}?attempts=all",
        "item detail": f"{BASE}/items/{FORM}/item/{item}?attempts=all",
        "items XLSX": f"{BASE}/items/{FORM}/download/items.xlsx?attempts=all",
        "scatter SVG": f"{BASE}/items/{FORM}/scatter.svg?attempts=all",
    }
    print(f"raw analysis (query + analyse_items, no cache): median {statistics.median(raw):.0f} ms")
    for name, url in pages.items():
        cold = timed(lambda url=url: _ok(client.get(url)))
        warm = [timed(lambda url=url: _ok(client.get(url))) for _ in range(5)]
        print(f"{name:<12} cold {cold:6.0f} ms   warm median {statistics.median(warm):5.0f} ms")
    print(f"(database in {folder}: --reuse it, or delete it when done)")
    np.random.default_rng(0)  # keep numpy imported before timing, as the app does


def _ok(response):
    if response.status_code != 200:
        raise SystemExit(f"{response.request.path}: {response.status_code}")
    return response


if __name__ == "__main__":
    main()
