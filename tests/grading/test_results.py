"""Part Two results, the retake rule, release, the candidate's page and break-glass."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.extensions import db
from app.grading.results import SeatOutcome, may_retake, retake_from
from app.models import AuditEvent, Response, Result, Seat
from tests.conftest import csrf_from
from tests.factories import make_result
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next, token

NOW = factories.NOW
SAT = NOW - timedelta(days=100)


def _result(passed=False, released=True, submitted=SAT):
    attempt = SimpleNamespace(submitted_at=submitted, deadline_at=SAT + timedelta(minutes=90))
    return SimpleNamespace(passed=passed, released_at=SAT if released else None, attempt=attempt)


@pytest.mark.parametrize(
    ("result", "now", "wait", "allowed"),
    [
        (_result(), NOW, 90, True),  # 100 days after, wait 90
        (_result(), NOW, 100, True),  # exactly on the day
        (_result(), NOW, 101, False),  # a day too soon
        (_result(passed=True), NOW, 0, False),  # nothing to retake
        (_result(released=False), NOW, 0, False),  # not released yet
        (_result(submitted=None), NOW, 99, True),  # expired attempt: its deadline counts
        (None, NOW, 0, False),
    ],
)
def test_may_retake(result, now, wait, allowed):
    assert may_retake(result, now, wait) is allowed


def test_retake_from_counts_from_the_day_the_part_was_sat():
    assert retake_from(_result(), 90) == SAT + timedelta(days=90)


@pytest.mark.parametrize(
    ("parts", "outcome"),
    [
        ({"MC": True, "VIGNETTE": True}, "passed"),
        ({"MC": True, "VIGNETTE": False}, "not passed"),
        ({"MC": False}, "not passed"),
        ({"MC": True}, "pending"),
        ({}, "pending"),
    ],
)
def test_combined_outcome(parts, outcome):
    seat_outcome = SeatOutcome(seat=None)
    seat_outcome.parts = {p: SimpleNamespace(passed=v) for p, v in parts.items()}
    assert seat_outcome.outcome == outcome


def test_release_is_audited_and_the_page_prints_part_one_too(app, create_user_):
    world = factories.build_world(app, create_user_, [("Theodora Vance", "theo@r.example")], 2)
    for grader in world.graders:
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            submit(client, code, all_levels(2), {"THINK": "Try naming two hypotheses."})
    with app.app_context():
        p2 = db.session.scalar(select(Result))
        assert not p2.passed and p2.percent == 50.0
        refl = {"REFL": {"score": 9, "max": 10, "percent": 90.0}}
        db.session.add(make_result(p2.attempt, "MC", 54, 60, passed=True, domain_scores=refl))
        db.session.commit()
    coordinator = client_for(app, create_user_("coordinator").email)
    url = f"/coordinator/results/sittings/{world.sitting_id}"
    page = coordinator.get(url).get_data(as_text=True)
    assert "Theodora Vance" in page and "not yet" in page
    coordinator.post(f"{url}/release", data={"csrf_token": csrf_from(page)})
    mine = client_for(app, "theo@r.example").get("/results/mine").get_data(as_text=True)
    assert "54 of 60" in mine and "9 of 10" in mine
    assert "Try naming two hypotheses." in mine and "Not passed" in mine
    assert "You may retake Part Two from" in mine
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.released"))
        assert len(event.data["results"]) == 2
        assert all(r.released_at for r in db.session.scalars(select(Result)))


def test_seat_detail_lists_only_final_responses(app, create_user_):
    world = factories.build_world(app, create_user_, [("Ulrike Brand", "ulrike@r.example")], 2)
    client = client_for(app, world.graders[0].email)
    first = take_next(client)
    submit(client, first, all_levels(3))
    coordinator = client_for(app, create_user_("coordinator").email)
    with app.app_context():
        seat_id = db.session.scalar(select(Seat.id))
    page = coordinator.get(f"/coordinator/results/seats/{seat_id}").get_data(as_text=True)
    assert "2 response(s) still in grading" in page and first not in page
    for reader in (client_for(app, world.graders[1].email), client):
        while (code := take_next(reader)) is not None:
            submit(reader, code, all_levels(3))
    page = coordinator.get(f"/coordinator/results/seats/{seat_id}").get_data(as_text=True)
    assert f"Response {first}" in page and "still in grading" not in page


def test_break_glass_needs_a_reason_and_is_audited(app, create_user_):
    factories.build_world(app, create_user_, [("Valentin Oyelaran", "val@r.example")], 2)
    with app.app_context():
        code = db.session.scalar(select(Response.code))
    coordinator = client_for(app, create_user_("coordinator").email)
    csrf = token(coordinator, "/coordinator/results/")
    short = coordinator.post(
        "/coordinator/results/reveal", data={"csrf_token": csrf, "code": code, "reason": "curious"}
    )
    assert short.status_code == 422
    shown = coordinator.post(
        "/coordinator/results/reveal",
        data={"csrf_token": csrf, "code": code, "reason": "Candidate reported a technical fault"},
    )
    assert shown.status_code == 200 and "Valentin Oyelaran" in shown.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "grading.identity.revealed")
        )
        assert event.reason == "Candidate reported a technical fault"
