"""Appeals end to end through the pages: request after release, the coordinator's decision, a
blind review reading by a grader new to the responses, the documented outcome rule, audit."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Appeal, AuditEvent, Result
from tests.conftest import csrf_from
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next, token

CANDIDATES = [("Isolde Appellant", "isolde@appeal.example")]
STATEMENT = "My second answer addressed the supervisory relationship; please read it again."


def _failed_and_released(app, create_user_):
    world = factories.build_world(app, create_user_, CANDIDATES, graders=3)
    for grader in world.graders[:2]:
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            assert submit(client, code, all_levels(2)).status_code == 302
    coordinator = client_for(app, create_user_("coordinator").email)
    url = f"/coordinator/results/sittings/{world.sitting_id}"
    page = coordinator.get(url).get_data(as_text=True)
    assert (
        coordinator.post(f"{url}/release", data={"csrf_token": csrf_from(page)}).status_code == 302
    )
    return world, coordinator


def _request(app, candidate):
    page = candidate.get("/results/mine").get_data(as_text=True)
    assert "Request a review of Part Two" in page
    action = re.search(r'action="(/results/\d+/appeal)"', page).group(1)
    too_short = candidate.post(action, data={"csrf_token": csrf_from(page), "statement": "no"})
    assert too_short.status_code == 422
    made = candidate.post(action, data={"csrf_token": csrf_from(page), "statement": STATEMENT})
    assert made.status_code == 302
    again = candidate.post(action, data={"csrf_token": csrf_from(page), "statement": STATEMENT})
    assert again.status_code == 409  # one request per attempt
    return action


def _decide(coordinator, decision: str, reason: str):
    home = coordinator.get("/coordinator/results/").get_data(as_text=True)
    assert 'href="/coordinator/results/appeals"' in home  # reached from the results menu
    page = coordinator.get("/coordinator/results/appeals").get_data(as_text=True)
    assert STATEMENT.split(";")[0] in page and "Isolde Appellant" in page
    action = re.search(r'action="(/coordinator/results/appeals/\d+/decide)"', page).group(1)
    no_reason = coordinator.post(
        action, data={"csrf_token": csrf_from(page), "decision": decision, "reason": ""}
    )
    assert no_reason.status_code == 422
    done = coordinator.post(
        action, data={"csrf_token": csrf_from(page), "decision": decision, "reason": reason}
    )
    assert done.status_code == 302


def test_an_accepted_appeal_is_read_blind_and_a_far_review_changes_the_result(app, create_user_):
    world, coordinator = _failed_and_released(app, create_user_)
    candidate = client_for(app, CANDIDATES[0][1])
    _request(app, candidate)
    assert "the coordinator has not decided yet" in candidate.get("/results/mine").get_data(
        as_text=True
    )
    _decide(coordinator, "accept", "The statement names a part of the rubric worth a new look.")
    # the first readers never get the review; a grader new to the responses does, blind
    assert take_next(client_for(app, world.graders[0].email)) is None
    reviewer = client_for(app, world.graders[2].email)
    codes = []
    while (code := take_next(reviewer)) is not None:
        page = reviewer.get(f"/grading/read/{code}").get_data(as_text=True)
        assert "Isolde" not in page and "supervisory relationship; please" not in page
        assert submit(reviewer, code, all_levels(4), {"REFL": "Fresh eyes."}).status_code == 302
        codes.append(code)
    assert len(codes) == 2
    mine = candidate.get("/results/mine").get_data(as_text=True)
    assert "your result was changed" in mine and "Fresh eyes." in mine
    with app.app_context():
        appeal = db.session.scalar(select(Appeal))
        assert appeal.status == "decided" and appeal.outcome == "changed"
        result = db.session.scalar(select(Result).where(Result.part == "VIGNETTE"))
        assert result.passed and result.released_at is not None
        actions = list(db.session.scalars(select(AuditEvent.action)))
        for step in (
            "appeal.requested",
            "appeal.accepted",
            "appeal.review.assigned",
            "appeal.final.replaced",
            "appeal.decided",
        ):
            assert step in actions, step


def test_a_review_within_one_level_upholds_the_result(app, create_user_):
    world, coordinator = _failed_and_released(app, create_user_)
    candidate = client_for(app, CANDIDATES[0][1])
    _request(app, candidate)
    _decide(coordinator, "accept", "A second look is fair here.")
    reviewer = client_for(app, world.graders[2].email)
    while (code := take_next(reviewer)) is not None:
        submit(reviewer, code, all_levels(3))
    assert "your result stands" in candidate.get("/results/mine").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Appeal.outcome)) == "upheld"
        assert not db.session.scalar(select(Result.passed).where(Result.part == "VIGNETTE"))


def test_a_declined_appeal_says_why_and_sends_nothing_to_graders(app, create_user_):
    world, coordinator = _failed_and_released(app, create_user_)
    candidate = client_for(app, CANDIDATES[0][1])
    _request(app, candidate)
    _decide(coordinator, "decline", "Disagreement with the rubric itself is not a ground.")
    assert take_next(client_for(app, world.graders[2].email)) is None
    mine = candidate.get("/results/mine").get_data(as_text=True)
    assert "Declined" in mine and "not a ground" in mine
    assert "Request a review of Part Two" not in mine


def test_no_appeal_after_the_window_or_for_someone_elses_result(app, create_user_, monkeypatch):
    _failed_and_released(app, create_user_)
    with app.app_context():
        result_id = db.session.scalar(select(Result.id).where(Result.part == "VIGNETTE"))
    stranger = client_for(app, create_user_("candidate").email)
    refused = stranger.post(
        f"/results/{result_id}/appeal",
        data={"csrf_token": token(stranger, "/results/mine"), "statement": STATEMENT},
    )
    assert refused.status_code == 404
    monkeypatch.setitem(app.config, "APPEAL_WINDOW_DAYS", -1)
    candidate = client_for(app, CANDIDATES[0][1])
    assert "Request a review" not in candidate.get("/results/mine").get_data(as_text=True)
    late = candidate.post(
        f"/results/{result_id}/appeal",
        data={"csrf_token": token(candidate, "/results/mine"), "statement": STATEMENT},
    )
    assert late.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(Appeal)) is None


def test_an_accepted_appeal_shows_the_reason_once_as_written(app, create_user_):
    _world, coordinator = _failed_and_released(app, create_user_)
    candidate = client_for(app, CANDIDATES[0][1])
    _request(app, candidate)
    _decide(coordinator, "accept", "A second look is fair here.")
    mine = candidate.get("/results/mine").get_data(as_text=True)
    assert "being read again by a grader who has not read them" in mine
    assert "The coordinator's reason: A second look is fair here.</p>" in mine
    assert "here.." not in mine  # the reason's own full stop is not doubled
