"""Allocation through the pages: nobody is refused while work waits, shares follow capacity,
rounds fix the conflict list, the lead sees done/committed, shortfalls and overdue responses."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditEvent,
    Conflict,
    GraderProfile,
    GradingRound,
    Reading,
    Resolution,
    Response,
    User,
)
from tests.conftest import csrf_from
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next, token

FOUR = [(f"Candidate Number{n}", f"four{n}@round.example") for n in range(4)]


def _take_all(client) -> list[str]:
    codes = []
    while (code := take_next(client)) is not None:
        codes.append(code)
        assert submit(client, code, all_levels(3)).status_code == 302
    return codes


def test_a_grader_alone_is_never_refused_while_responses_wait(app, create_user_):
    # the case: 8 responses, three graders declared, the first asks alone
    world = factories.build_world(app, create_user_, FOUR, graders=3)
    first = _take_all(client_for(app, world.graders[0].email))
    assert len(first) == 8  # every response waiting got its first reading from the one asking
    second = _take_all(client_for(app, world.graders[2].email))
    assert len(second) == 8  # and a later grader every second reading
    with app.app_context():
        assert db.session.scalar(select(func.count(Response.id)).where(Response.readers < 2)) == 0
        assert db.session.scalar(select(func.count(Resolution.id))) == 8


def test_capacity_is_the_readings_committed_in_the_round(app, create_user_):
    world = factories.build_world(app, create_user_, FOUR, graders=2)
    with app.app_context():
        factories.grader_ready(world.graders[0].id, capacity=3)
        db.session.commit()
    client = client_for(app, world.graders[0].email)
    assert len(_take_all(client)) == 3
    refused = client.post(
        "/grading/next", data={"csrf_token": token(client)}, follow_redirects=True
    )
    assert "You have taken the 3 readings you committed to" in refused.get_data(as_text=True)
    page = client.get("/grading/").get_data(as_text=True)
    assert "3 of 3 committed" in page


def test_shares_follow_capacity_when_graders_take_turns(app, create_user_):
    many = [(f"Candidate Turn{n}", f"turn{n}@round.example") for n in range(10)]
    world = factories.build_world(app, create_user_, many, graders=3)
    with app.app_context():
        for grader, capacity in zip(world.graders, (20, 15, 5), strict=True):
            factories.grader_ready(grader.id, capacity=capacity)
        db.session.commit()
    clients = [client_for(app, g.email) for g in world.graders]
    taken = [0, 0, 0]
    for _ in range(60):  # they take turns until nothing is left for either
        progressed = False
        for n, client in enumerate(clients):
            if (code := take_next(client)) is not None:
                submit(client, code, all_levels(3))
                taken[n] += 1
                progressed = True
        if not progressed:
            break
    assert taken == [20, 15, 5]  # 40 readings of 20 responses, in capacity shares


def test_a_round_fixes_the_names_list_and_graders_declare_again(app, create_user_):
    world = factories.build_world(app, create_user_, FOUR, graders=2)
    lead = client_for(app, world.lead.email)
    page = lead.get("/grading/lead/graders").get_data(as_text=True)
    assert "No grading round is open" in page
    window = re.search(r'<option value="(\d+)">Test window</option>', page).group(1)
    opened = lead.post(
        "/grading/lead/rounds", data={"csrf_token": csrf_from(page), "window": window}
    )
    assert opened.status_code == 302
    grader = client_for(app, world.graders[0].email)
    # the new round asks for a declaration against its list before any response
    refused = grader.post("/grading/next", data={"csrf_token": token(grader)})
    assert refused.status_code == 409
    names = grader.get("/grading/conflicts").get_data(as_text=True)
    assert all(name in names for name, _ in FOUR)
    # finish every response of two candidates: the list stays the same
    other = client_for(app, world.graders[1].email)
    for client in (grader, other):
        client.post("/grading/conflicts", data={"csrf_token": token(client, "/grading/conflicts")})
    _take_all(grader)
    _take_all(other)
    late = create_user_("grader", name="Late Reader")
    with app.app_context():
        db.session.add(GraderProfile(user_id=late.id, capacity=5, calibrated_at=factories.NOW))
        db.session.commit()
    late_names = client_for(app, late.email).get("/grading/conflicts").get_data(as_text=True)
    assert all(name in late_names for name, _ in FOUR)
    with app.app_context():
        round_ = db.session.scalar(select(GradingRound))
        assert round_.closed_at is None and len(round_.candidate_ids) == 4
        profile = db.session.scalar(
            select(GraderProfile).where(GraderProfile.user_id == world.graders[0].id)
        )
        assert profile.declared_round_id == round_.id


def test_the_lead_declares_conflicts_like_any_grader(app, create_user_):
    world = factories.build_world(app, create_user_, FOUR, graders=2)
    lead = client_for(app, world.lead.email)
    page = lead.get("/grading/conflicts").get_data(as_text=True)
    tokens = re.findall(r'name="conflict" value="([^"]+)"', page)
    assert len(tokens) == 4 and "Candidate Number0" in page
    lead.post("/grading/conflicts", data={"csrf_token": csrf_from(page), "conflict": tokens[:1]})
    with app.app_context():
        conflict = db.session.scalar(select(Conflict))
        assert conflict.grader_id == world.lead.id and conflict.source == "grader"


def test_only_the_coordinator_waives_a_lead_graders_calibration(app, create_user_):
    world = factories.build_world(app, create_user_, FOUR, graders=1)
    with app.app_context():
        db.session.get(
            GraderProfile,
            db.session.scalar(
                select(GraderProfile.id).where(GraderProfile.user_id == world.lead.id)
            ),
        ).calibrated_at = None
        db.session.commit()
    lead = client_for(app, world.lead.email)
    own = lead.post(
        f"/grading/lead/graders/{world.lead.id}/calibrated",
        data={"csrf_token": token(lead, "/grading/lead/graders"), "reason": "I am sure of myself"},
    )
    assert own.status_code == 403
    assert "waived only by the coordinator" in lead.get("/grading/lead/graders").get_data(
        as_text=True
    )
    coordinator = client_for(app, create_user_("coordinator").email)
    page = coordinator.get("/coordinator/results/conflicts").get_data(as_text=True)
    assert "Lead Person" in page
    waived = coordinator.post(
        f"/coordinator/results/leads/{world.lead.id}/calibrated",
        data={"csrf_token": csrf_from(page), "reason": "first window of the association"},
    )
    assert waived.status_code == 302
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "grading.calibration.waived")
        )
        coordinator_id = db.session.scalar(select(User.id).where(User.role == "coordinator"))
        assert event.actor_id == coordinator_id


def test_lead_sees_done_committed_and_a_capacity_shortfall(app, create_user_):
    world = factories.build_world(app, create_user_, FOUR, graders=2)
    with app.app_context():
        for grader in world.graders:
            factories.grader_ready(grader.id, capacity=3)
        db.session.commit()
    client = client_for(app, world.graders[0].email)
    code = take_next(client)
    submit(client, code, all_levels(3))
    page = client_for(app, world.lead.email).get("/grading/lead/graders").get_data(as_text=True)
    assert re.search(r'class="done-committed">1 / 3<', page)
    assert "Committed capacity is short: 15 readings are" in page  # 16 needed - 1; 5 left


def test_an_overdue_second_reading_is_assigned_by_the_lead(app, create_user_, monkeypatch):
    world = factories.build_world(app, create_user_, FOUR[:1], graders=3)
    first = client_for(app, world.graders[0].email)
    code = take_next(first)
    submit(first, code, all_levels(3))
    lead = client_for(app, world.lead.email)
    assert code not in lead.get("/grading/lead/graders").get_data(as_text=True)
    with app.app_context():  # three days pass
        reading = db.session.scalar(select(Reading).join(Response).where(Response.code == code))
        reading.started_at -= timedelta(hours=80)
        db.session.commit()
    page = lead.get("/grading/lead/graders").get_data(as_text=True)
    assert code in page
    # the first reader is not offered; the other graders are
    options = re.search(rf'id="assign-{re.escape(code)}".*?</select>', page, re.S).group(0)
    assert "Grader Person 0" not in options and "Grader Person 2" in options
    bad = lead.post(
        f"/grading/lead/overdue/{code}/assign",
        data={"csrf_token": csrf_from(page), "grader": str(world.graders[0].id)},
    )
    assert bad.status_code == 422
    assigned = lead.post(
        f"/grading/lead/overdue/{code}/assign",
        data={"csrf_token": csrf_from(page), "grader": str(world.graders[2].id)},
    )
    assert assigned.status_code == 302
    chosen = client_for(app, world.graders[2].email)
    assert take_next(chosen) == code  # it is the named grader's next reading
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert "grading.reading.assigned" in actions


def test_the_vignette_collapses_after_its_first_reading_in_a_session(app, create_user_):
    world = factories.build_world(app, create_user_, FOUR[:2], graders=2)
    client = client_for(app, world.graders[0].email)
    opened = []
    for _ in range(3):  # V1, V2, then V1 again (another candidate's response)
        code = take_next(client)
        page = client.get(f"/grading/read/{code}").get_data(as_text=True)
        again = client.get(f"/grading/read/{code}").get_data(as_text=True)
        is_open = re.search(r'<details class="vignette-brief"\s+open>', page) is not None
        assert is_open == (re.search(r'<details class="vignette-brief"\s+open>', again) is not None)
        opened.append((re.search(r"Vignette: (Vignette number \d)", page).group(1), is_open))
        submit(client, code, all_levels(3))
    assert opened == [
        ("Vignette number 1", True),
        ("Vignette number 2", True),
        ("Vignette number 1", False),
    ]
    # a new session shows it in full again
    fresh = client_for(app, world.graders[0].email)
    code = take_next(fresh)
    assert re.search(
        r'<details class="vignette-brief"\s+open>',
        fresh.get(f"/grading/read/{code}").get_data(as_text=True),
    )
