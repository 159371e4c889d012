"""Calibration, conflicts, capacity, back-reading and the demo graders."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.grading import calibration, services
from app.models import (
    Attempt,
    AuditEvent,
    CalibrationItem,
    Conflict,
    GraderProfile,
    Reading,
    Response,
    Seat,
    User,
)
from tests.conftest import csrf_from
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next, token

CANDIDATES = [
    ("Rosalind Achterberg", "rosalind@q.example"),
    ("Silas Vantongeren", "silas@q.example"),
]


@pytest.fixture
def world(app, create_user_):
    return factories.build_world(app, create_user_, CANDIDATES, graders=2)


def _finish_all(app, world, levels=(all_levels(3), all_levels(3))):
    for grader, level in zip(world.graders, levels, strict=True):
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            submit(client, code, level)


def _trainee(app, create_user_):
    trainee = create_user_("grader", name="Trainee")
    with app.app_context():
        db.session.add(
            GraderProfile(user_id=trainee.id, capacity=5, conflicts_declared_at=factories.NOW)
        )
        db.session.commit()
    return trainee


def _mark_all_final(app, world, key):
    with app.app_context():
        lead = db.session.get(User, world.lead.id)
        for response in db.session.scalars(select(Response)):
            calibration.mark(lead, response, key, factories.NOW)
        db.session.commit()


def _calibrate(client, levels):
    """Read one whole round with the same levels; the calibration page afterwards."""
    while True:
        started = client.post("/grading/calibration/next", data={"csrf_token": token(client)})
        code = started.headers["Location"].rsplit("/", 1)[1]
        assert submit(client, code, levels, base="/grading/calibration").status_code == 302
        page = client.get("/grading/calibration").get_data(as_text=True)
        if "Start another round" in page or "You are calibrated" in page:
            return page


def test_a_grader_must_calibrate_before_live_responses(app, world, create_user_):
    _finish_all(app, world)
    _mark_all_final(app, world, all_levels(3))
    trainee = _trainee(app, create_user_)
    client = client_for(app, trainee.email)
    assert client.post("/grading/next", data={"csrf_token": token(client)}).status_code == 409
    failed = _calibrate(client, {"REFL": 3, "THINK": 2, "WWO": 2})  # a third exact: not enough
    assert re.search(r"Exact agreement\s+33%", failed)
    passed = _calibrate(client, all_levels(3))
    assert "You are calibrated" in passed
    with app.app_context():
        rounds = set(
            db.session.scalars(
                select(Reading.calibration_round).where(Reading.grader_id == trainee.id)
            )
        )
        assert rounds == {1, 2}
        actions = list(db.session.scalars(select(AuditEvent.action)))
        assert "grading.calibration.round_failed" in actions
        assert "grading.calibration.passed" in actions


def test_the_lead_grader_manages_the_calibration_set(app, world):
    _finish_all(app, world)
    lead = client_for(app, world.lead.email)
    page = lead.get("/grading/lead/calibration").get_data(as_text=True)
    codes = re.findall(r"/grading/lead/calibration/mark\?code=([^\"]+)\"", page)
    assert len(codes) == 4  # all agreed exactly: all are exemplars
    form = lead.get(f"/grading/lead/calibration/mark?code={codes[0]}").get_data(as_text=True)
    assert re.search(r'name="rating-REFL" value="3"\s+checked', form)
    missing = lead.post(
        "/grading/lead/calibration/mark",
        data={"csrf_token": csrf_from(form), "code": codes[0], "rating-REFL": "3"},
    )
    assert missing.status_code == 422
    saved = lead.post(
        "/grading/lead/calibration/mark",
        data={
            "csrf_token": csrf_from(form),
            "code": codes[0],
            **{f"rating-{c}": "3" for c in ("REFL", "THINK", "WWO")},
        },
    )
    assert saved.status_code == 302
    retired = lead.post(
        f"/grading/lead/calibration/{codes[0]}/retire", data={"csrf_token": csrf_from(form)}
    )
    assert retired.status_code == 302
    with app.app_context():
        item = db.session.scalar(select(CalibrationItem))
        assert item.key_ratings == all_levels(3) and item.retired_at is not None


def test_an_open_response_cannot_join_the_calibration_set(app, world):
    with app.app_context():
        code = db.session.scalar(select(Response.code))
    lead = client_for(app, world.lead.email)
    assert lead.get(f"/grading/lead/calibration/mark?code={code}").status_code == 409
    assert lead.get("/grading/lead/calibration/mark?code=nope").status_code == 404


def test_the_lead_grader_can_waive_calibration_with_a_reason(app, world, create_user_):
    trainee = _trainee(app, create_user_)
    lead = client_for(app, world.lead.email)
    csrf = token(lead, "/grading/lead/graders")
    url = f"/grading/lead/graders/{trainee.id}/calibrated"
    assert lead.post(url, data={"csrf_token": csrf, "reason": ""}).status_code == 422
    assert (
        lead.post(url, data={"csrf_token": csrf, "reason": "first sitting ever"}).status_code == 302
    )
    assert take_next(client_for(app, trainee.email)) is not None


def test_a_conflicted_grader_never_gets_that_candidates_responses(app, world):
    with app.app_context():
        candidate = db.session.scalar(select(User).where(User.email == CANDIDATES[0][1]))
        db.session.add(
            Conflict(
                grader_id=world.graders[0].id,
                candidate_id=candidate.id,
                declared_by_id=world.graders[0].id,
                source="grader",
            )
        )
        db.session.commit()
        theirs = set(
            db.session.scalars(
                select(Response.code)
                .join(Attempt)
                .join(Seat)
                .where(Seat.candidate_id == candidate.id)
            )
        )
    client = client_for(app, world.graders[0].email)
    got = []
    while (code := take_next(client)) is not None:
        got.append(code)
        submit(client, code, all_levels(3))
    assert len(got) == 2 and not set(got) & theirs


def test_recusal_records_the_conflict_and_frees_the_response(app, world):
    client = client_for(app, world.graders[0].email)
    code = take_next(client)
    csrf = token(client)
    # asking to hand back keeps the draft and only asks for confirmation
    asked = client.post(
        f"/grading/read/{code}/hand-back", data={"csrf_token": csrf, "rating-REFL": "2"}
    )
    assert asked.headers["Location"].endswith(f"/grading/read/{code}/hand-back")
    page = client.get(f"/grading/read/{code}/hand-back").get_data(as_text=True)
    assert "Yes, hand it back" in page and "No, keep reading" in page
    unconfirmed = client.post(f"/grading/read/{code}/recuse", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422
    with app.app_context():
        draft = db.session.scalar(select(Reading).join(Response).where(Response.code == code))
        assert draft.ratings == {"REFL": 2}
        assert db.session.scalar(select(Conflict)) is None
    response = client.post(
        f"/grading/read/{code}/recuse", data={"csrf_token": csrf, "confirm": "yes"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Response.readers).where(Response.code == code)) == 0
        conflict = db.session.scalar(select(Conflict))
        assert conflict.source == "recusal" and conflict.grader_id == world.graders[0].id
    assert client.get(f"/grading/read/{code}").status_code == 404
    assert take_next(client) not in (None, code)


def test_a_coordinator_conflict_hands_back_the_graders_draft(app, world, create_user_):
    grader = client_for(app, world.graders[0].email)
    code = take_next(grader)
    with app.app_context():
        candidate_id = db.session.scalar(
            select(Seat.candidate_id).join(Attempt).join(Response).where(Response.code == code)
        )
    coordinator = client_for(app, create_user_("coordinator").email)
    csrf = token(coordinator, "/coordinator/results/conflicts")
    data = {"csrf_token": csrf, "grader": world.graders[0].id, "candidate": candidate_id}
    assert coordinator.post("/coordinator/results/conflicts", data=data).status_code == 302
    assert coordinator.post("/coordinator/results/conflicts", data=data).status_code == 409
    bad = coordinator.post("/coordinator/results/conflicts", data=data | {"candidate": "x"})
    assert bad.status_code == 422
    assert grader.get(f"/grading/read/{code}").status_code == 404
    page = coordinator.get("/coordinator/results/conflicts").get_data(as_text=True)
    assert "coordinator" in page


def test_capacity_limits_what_a_grader_holds(app, world):
    with app.app_context():
        profile = db.session.scalar(
            select(GraderProfile).where(GraderProfile.user_id == world.graders[0].id)
        )
        profile.capacity = 1
        db.session.commit()
    client = client_for(app, world.graders[0].email)
    code = take_next(client)
    submit(client, code, all_levels(3))
    assert take_next(client) is None  # the one reading still waits for its partner
    page = client.get("/grading/").get_data(as_text=True)
    assert "1 of 1" in page


def test_back_reading_sample(app, world, monkeypatch):
    monkeypatch.setitem(app.config, "GRADING_BACK_READ_SHARE", 1.0)
    _finish_all(app, world)
    lead = client_for(app, world.lead.email)
    page = lead.get("/grading/lead/back-reading").get_data(as_text=True)
    codes = re.findall(r"/grading/lead/back-reading/([^\"]+)\"", page)
    assert len(codes) == 4
    lead.post(f"/grading/lead/back-reading/{codes[0]}", data={"csrf_token": csrf_from(page)})
    assert submit(lead, codes[0], {"REFL": 1, "THINK": 3, "WWO": 3}).status_code == 302
    done = lead.get("/grading/lead/back-reading").get_data(as_text=True)
    assert codes[0] in done and "check" in done


def test_back_reading_share_is_a_stable_draw():
    from app.grading.resolution import sampled_for_back_reading

    codes = [f"response-{n}" for n in range(2000)]
    share = sum(sampled_for_back_reading(c, 0.05) for c in codes) / len(codes)
    assert 0.03 < share < 0.07
    assert sampled_for_back_reading("abc", 0.05) == sampled_for_back_reading("abc", 0.05)
    assert not sampled_for_back_reading("abc", 0.0)


def test_demo_graders_are_made_ready(app, create_user_):
    graders = [create_user_("grader") for _ in range(2)]
    with app.app_context():
        profiles = services.enable_demo_graders(factories.NOW)
        services.enable_demo_graders(factories.NOW)
        db.session.commit()
        assert {p.user_id for p in profiles} == {g.id for g in graders}
        assert all(p.calibrated_at and p.capacity > 0 for p in profiles)
        waived = db.session.scalar(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "grading.calibration.waived"
            )
        )
        assert waived == 2
