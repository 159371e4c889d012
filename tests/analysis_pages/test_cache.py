"""The item analysis cache: reused while nothing changes, recomputed when an attempt closes or
is voided, and exact on the way back."""

import io
from datetime import timedelta

import pandas as pd
from sqlalchemy import func, select

from app.analysis.items import analyse_items
from app.coordinator import analytics_cache, analytics_items
from app.extensions import db
from app.models import Attempt, ItemAnalysisCache, now_utc
from tests.analysis.hand_data import KEY, data_set_a
from tests.analysis_pages.conftest import CODE

BASE = "/coordinator/analytics"


def n_of(coordinator) -> int:
    data = coordinator.get(f"{BASE}/items/{CODE}/download/items.csv?attempts=all").data
    return int(pd.read_csv(io.BytesIO(data))["n"].iloc[0])


def refuse_to_compute(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("analysed again although nothing changed")

    monkeypatch.setattr(analytics_items, "analyse_items", refuse)


def test_a_second_read_uses_the_cache(app, coordinator, world, monkeypatch):
    assert n_of(coordinator) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count(ItemAnalysisCache.id))) == 1
    refuse_to_compute(monkeypatch)
    assert n_of(coordinator) == 4
    assert coordinator.get(f"{BASE}/items/{CODE}/item/T-001?attempts=all").status_code == 200


def test_voiding_an_attempt_invalidates_it(app, coordinator, world):
    assert n_of(coordinator) == 4
    with app.app_context():
        db.session.get(Attempt, world.attempts["c1"]).submit_reason = "void"
        db.session.commit()
    assert n_of(coordinator) == 3


def test_an_attempt_closing_by_its_deadline_invalidates_it(app, coordinator, world):
    assert n_of(coordinator) == 4
    with app.app_context():  # the open attempt's deadline passes: no write, just time
        running = db.session.get(Attempt, world.attempts["c4"])
        running.deadline_at = now_utc() - timedelta(seconds=1)
        running.started_at = running.deadline_at - timedelta(minutes=90)
        db.session.commit()
    assert n_of(coordinator) == 5


def test_the_stored_analysis_reads_back_exactly():
    analysis = analyse_items(data_set_a(), KEY)
    again = analytics_cache.load(analytics_cache.dump(analysis))
    pd.testing.assert_frame_equal(again.items, analysis.items, check_exact=True)
    pd.testing.assert_frame_equal(again.options, analysis.options, check_exact=True)
    assert again.summary.keys() == analysis.summary.keys()
    assert again.score_counts == analysis.score_counts
