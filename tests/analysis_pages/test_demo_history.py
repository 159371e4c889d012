"""`flask demo --history`: past windows of completed Part One attempts with released results,
the same after a second run, and enough of them for the analytics pages."""

import io

import pandas as pd
from sqlalchemy import func, select

from app import demo_history
from app.extensions import db
from app.models import Answer, Attempt, ExamWindow, Result, Seat, Sitting, User

BASE = "/coordinator/analytics"
SYNTHETIC = User.email.like("history%@demo.example")


def counts(app) -> dict:
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {m.__name__: count(m) for m in (User, ExamWindow, Seat, Attempt, Answer, Result)}


def history_rows(app, model):
    """Rows of the model that belong to the synthetic candidates' seats."""
    with app.app_context():
        stmt = (
            select(model)
            .join(Seat, Seat.id == model.seat_id)
            .join(User, User.id == Seat.candidate_id)
        )
        return db.session.scalars(stmt.where(SYNTHETIC)).all()


def past_windows(app) -> list[str]:
    with app.app_context():
        stmt = (
            select(ExamWindow.name)
            .join(Sitting, Sitting.window_id == ExamWindow.id)
            .where(Sitting.name.like("Past sitting (simulated)%"))
            .order_by(ExamWindow.opens_on)
        )
        return db.session.scalars(stmt).all()


def test_demo_without_history_adds_no_synthetic_candidates_or_past_sittings(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "History" not in result.output
    assert past_windows(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(SYNTHETIC)) == 0


def test_history_is_idempotent_and_complete(app, runner):
    first = runner.invoke(args=["demo", "--history"])
    assert first.exit_code == 0, first.output
    assert "4 past window(s)" in first.output
    after_first = counts(app)
    second = runner.invoke(args=["demo", "--history"])
    assert second.exit_code == 0, second.output
    assert "already in place" in second.output
    assert counts(app) == after_first
    assert len(past_windows(app)) == demo_history.HISTORY_WINDOWS
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(SYNTHETIC)) == demo_history.CANDIDATES
    results, attempts = history_rows(app, Result), history_rows(app, Attempt)
    assert len(results) == len(attempts) > demo_history.CANDIDATES  # every one, plus retakes
    assert all(r.released_at is not None and r.part == "MC" for r in results)
    assert all(a.submitted_at is not None and a.part == "MC" for a in attempts)
    with app.app_context():
        answers = db.session.scalar(
            select(func.count()).where(Answer.attempt_id.in_([a.id for a in attempts]))
        )
    assert answers == 60 * len(attempts)
    assert 0.3 < sum(r.passed for r in results) / len(results) < 0.9


def test_the_pages_use_the_history(app, runner, coordinator):
    # the signed-in coordinator is not a demo account: loading the demo beside it needs --force
    assert runner.invoke(args=["demo", "--history", "--force"]).exit_code == 0
    items = coordinator.get(f"{BASE}/items/IMH-P1-SAMPLE")
    html = items.get_data(as_text=True)
    assert items.status_code == 200 and 'class="flagged"' in html
    csv = coordinator.get(f"{BASE}/items/IMH-P1-SAMPLE/download/items.csv").data
    table = pd.read_csv(io.BytesIO(csv))
    assert len(table) == 60 and table["n"].iloc[0] > 100
    flags = ";".join(table["flag"].fillna(""))
    for flag in ("easy", "hard", "low_rpb", "negative_rpb", "key_not_modal_in_upper"):
        assert flag in flags
    rates = coordinator.get(f"{BASE}/pass-rates?by=window&by=attempt").get_data(as_text=True)
    assert "Retake" in rates and "First attempt" in rates
    positions = [rates.index(f"<td>{name}</td>") for name in past_windows(app)]
    assert positions == sorted(positions)  # calendar order, not alphabetical
    scores = coordinator.get(f"{BASE}/scores").get_data(as_text=True)
    assert "histogram.svg" in scores and "Pass mark" in scores
