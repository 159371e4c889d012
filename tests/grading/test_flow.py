"""End to end through the pages: two blind readings, resolution, adjudication, results, release."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Reading, Resolution, Response, Result
from tests.conftest import csrf_from
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next, token

CANDIDATES = [("Opaline Verhoeven", "opaline@blind.example")]


def _world(app, create_user_, graders=2):
    return factories.build_world(app, create_user_, CANDIDATES, graders=graders)


def _read_all(app, world, levels_by_grader):
    """Each grader reads every response they are handed, with their fixed levels."""
    for grader, levels in zip(world.graders, levels_by_grader, strict=True):
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            response = submit(client, code, levels, {"REFL": f"Feedback from {grader.name}"})
            assert response.status_code == 302, response.get_data(as_text=True)


def test_agreeing_readers_make_a_final_result_with_feedback(app, create_user_):
    world = _world(app, create_user_)
    _read_all(app, world, [all_levels(3), all_levels(3)])
    with app.app_context():
        resolutions = list(db.session.scalars(select(Resolution)))
        assert len(resolutions) == 2
        assert all(r.is_final and r.final_ratings == all_levels(3) for r in resolutions)
        assert all(
            r.detail == dict.fromkeys(("REFL", "THINK", "WWO"), "equal") for r in resolutions
        )
        result = db.session.scalar(select(Result).where(Result.part == "VIGNETTE"))
        assert result.passed and result.score == 9 and result.max_score == 12
        refl = result.domain_scores["REFL"]
        assert refl["level"] == 3 and refl["label"] == "Meets" and refl["domain"] == "REFL"
        # one group per response, comments in alphabetical (not reading-slot) order
        assert (
            refl["feedback"]
            == [
                ["Feedback from Grader Person 0", "Feedback from Grader Person 1"],
            ]
            * 2
        )
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"grading.reading.submitted", "grading.resolved", "result.computed"} <= actions


def test_disagreement_goes_to_the_lead_grader_who_settles_it(app, create_user_):
    world = _world(app, create_user_)
    _read_all(app, world, [all_levels(4), {"REFL": 2, "THINK": 2, "WWO": 3}])
    with app.app_context():
        assert db.session.scalar(select(Result)) is None
        waiting = [r for r in db.session.scalars(select(Resolution)) if not r.is_final]
        assert len(waiting) == 2 and all(r.needs_adjudication for r in waiting)
        codes = [r.response.code for r in waiting]
    lead = client_for(app, world.lead.email)
    page = lead.get("/grading/lead/adjudication").get_data(as_text=True)
    assert all(code in page for code in codes)
    for code in codes:
        claim = lead.post(
            f"/grading/lead/adjudication/{code}", data={"csrf_token": csrf_from(page)}
        )
        assert claim.headers["Location"].endswith(f"/grading/read/{code}")
        reading_page = lead.get(f"/grading/read/{code}").get_data(as_text=True)
        assert "The two readings to settle" in reading_page
        assert submit(lead, code, all_levels(3)).status_code == 302
    with app.app_context():
        resolutions = list(db.session.scalars(select(Resolution)))
        assert all(r.is_final and r.final_ratings == all_levels(3) for r in resolutions)
        assert db.session.scalar(select(Result)).passed


def test_release_makes_the_result_visible_to_the_candidate(app, create_user_):
    world = _world(app, create_user_)
    _read_all(app, world, [all_levels(3), {"REFL": 4, "THINK": 3, "WWO": 3}])
    candidate = client_for(app, CANDIDATES[0][1])
    assert "No results have been released" in candidate.get("/results/mine").get_data(as_text=True)
    coordinator = client_for(app, create_user_("coordinator").email)
    url = f"/coordinator/results/sittings/{world.sitting_id}"
    page = coordinator.get(url).get_data(as_text=True)
    assert "Opaline Verhoeven" in page
    released = coordinator.post(f"{url}/release", data={"csrf_token": csrf_from(page)})
    assert released.status_code == 302
    mine = candidate.get("/results/mine").get_data(as_text=True)
    assert (
        "Feedback from Grader Person 0" in mine
        and "Level 3.5 of 4: between Meets and Exceeds" in mine
    )
    assert "Grader Person 0" not in mine.replace("Feedback from Grader Person 0", "")
    again = coordinator.post(f"{url}/release", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 409


def test_draft_autosave_keeps_partial_ratings_and_submit_needs_all(app, create_user_):
    world = _world(app, create_user_)
    client = client_for(app, world.graders[0].email)
    code = take_next(client)
    csrf = token(client, f"/grading/read/{code}")
    saved = client.post(
        f"/grading/read/{code}/draft",
        data={"rating-REFL": "2", "comment-REFL": "so far"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    assert saved.status_code == 200 and "Draft saved" in saved.get_data(as_text=True)
    page = client.get(f"/grading/read/{code}").get_data(as_text=True)
    assert re.search(r'name="rating-REFL" value="2"\s+checked', page) and "so far" in page
    incomplete = submit(client, code, {"REFL": 2})
    assert incomplete.status_code == 422
    assert "Thinking: choose a level." in incomplete.get_data(as_text=True)
    bad = client.post(
        f"/grading/read/{code}/draft",
        data={"rating-REFL": "9"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )
    assert bad.status_code == 422
    for odd in ("²", "３", " 2e0", "9" * 40, "-2"):
        refused = client.post(
            f"/grading/read/{code}/draft",
            data={"rating-REFL": odd},
            headers={"HX-Request": "true", "X-CSRFToken": csrf},
        )
        assert refused.status_code == 422, odd
    with app.app_context():
        reading = db.session.scalar(select(Reading).join(Response).where(Response.code == code))
        assert reading.ratings == {"REFL": 2} and reading.submitted_at is None
    assert submit(client, code, all_levels(3)).status_code == 302
    late = client.post(
        f"/grading/read/{code}/draft", data=all_levels(1), headers={"X-CSRFToken": csrf}
    )
    assert late.status_code == 409
