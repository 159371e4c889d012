"""Who may open what: graders never reach coordinator views or another grader's readings."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, Result, Seat
from tests.grading import factories
from tests.grading.helpers import client_for, form_data, take_next, token

CANDIDATES = [("Perpetua Ashgrove", "perpetua@perm.example"), ("Quentin Marlowe", "q@perm.example")]
COORDINATOR_PAGES = [
    "/coordinator/results/",
    "/coordinator/results/sittings/{sitting}",
    "/coordinator/results/seats/1",
    "/coordinator/results/conflicts",
    "/coordinator/",
]
LEAD_PAGES = [
    "/grading/lead/adjudication",
    "/grading/lead/back-reading",
    "/grading/lead/calibration",
    "/grading/lead/graders",
]


@pytest.fixture
def world(app, create_user_):
    return factories.build_world(app, create_user_, CANDIDATES, graders=2)


@pytest.mark.parametrize("who", ["grader", "lead"])
def test_graders_cannot_open_coordinator_views(app, world, who):
    user = world.graders[0] if who == "grader" else world.lead
    client = client_for(app, user.email)
    for url in COORDINATOR_PAGES:
        assert client.get(url.format(sitting=world.sitting_id)).status_code == 403, url
    csrf = token(client)
    for url in (
        f"/coordinator/results/sittings/{world.sitting_id}/release",
        "/coordinator/results/reveal",
        "/coordinator/results/conflicts",
    ):
        assert client.post(url, headers={"X-CSRFToken": csrf}).status_code == 403, url


def test_graders_cannot_open_lead_pages_and_candidates_no_grading_page(app, world, create_user_):
    grader = client_for(app, world.graders[0].email)
    for url in LEAD_PAGES + ["/grading/agreement"]:
        assert grader.get(url).status_code == 403, url
    candidate = client_for(app, CANDIDATES[0][1])
    for url in ["/grading/", "/grading/conflicts", "/grading/calibration", *LEAD_PAGES]:
        assert candidate.get(url).status_code == 403, url
    coordinator = client_for(app, create_user_("coordinator").email)
    assert coordinator.get("/grading/agreement").status_code == 200
    assert coordinator.get("/grading/").status_code == 403
    assert coordinator.get("/results/mine").status_code == 403


def test_a_grader_cannot_open_or_change_another_graders_reading(app, world):
    owner = client_for(app, world.graders[0].email)
    code = take_next(owner)
    other = client_for(app, world.graders[1].email)
    csrf = token(other)
    assert other.get(f"/grading/read/{code}").status_code == 404
    for url in (
        f"/grading/read/{code}",
        f"/grading/read/{code}/draft",
        f"/grading/read/{code}/recuse",
    ):
        response = other.post(url, data=form_data({"REFL": 1}), headers={"X-CSRFToken": csrf})
        assert response.status_code == 404, url
    assert other.get(f"/grading/calibration/{code}").status_code == 404
    assert owner.get(f"/grading/read/{code}").status_code == 200
    assert other.get("/grading/read/not-a-code").status_code == 404


def test_a_candidate_sees_only_their_own_released_results(app, world, create_user_):
    with app.app_context():
        for n, seat in enumerate(db.session.scalars(select(Seat).order_by(Seat.id))):
            attempt = db.session.scalar(select(Attempt.id).where(Attempt.seat_id == seat.id))
            db.session.add(
                Result(
                    seat_id=seat.id,
                    part="MC",
                    attempt_id=attempt,
                    score=50 + n,
                    max_score=60,
                    percent=(50 + n) / 60 * 100,
                    passed=True,
                    domain_scores={},
                    released_at=factories.NOW,
                )
            )
        db.session.commit()
    first = client_for(app, CANDIDATES[0][1]).get("/results/mine").get_data(as_text=True)
    second = client_for(app, CANDIDATES[1][1]).get("/results/mine").get_data(as_text=True)
    assert "50 of 60" in first and "51 of 60" not in first
    assert "51 of 60" in second and "50 of 60" not in second
