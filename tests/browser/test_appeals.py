"""An appeal in a real browser, by visible links and buttons only: the candidate asks from My
results, the coordinator accepts or declines from Results → Appeals with a reason, a new grader
reads blind, the candidate sees the outcome."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next
from tests.grading.test_appeals import CANDIDATES, STATEMENT

pytestmark = pytest.mark.browser


def _person(browser, base: str, email: str):
    """A browser of its own for one person, signed in through the sign-in page."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    browser_sign_in(page, base, email, PASSWORD)
    return context, page


def _graded_and_released(app, browser, base, create_user_, candidates):
    """Two graders read every response low (Part Two not passed); the coordinator releases."""
    world = factories.build_world(app, create_user_, candidates, graders=3)
    for grader in world.graders[:2]:
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            submit(client, code, all_levels(2))
    coordinator = create_user_("coordinator")
    ctx, page = _person(browser, base, coordinator.email)
    page.get_by_role("link", name="Results").first.click()
    page.get_by_role("link", name="Test sitting").first.click()
    page.get_by_role("button", name="Release").first.click()
    ctx.close()
    return world, coordinator


def _request_review(browser, base, email, statement=STATEMENT):
    ctx, page = _person(browser, base, email)
    page.get_by_role("link", name="My results").click()
    page.get_by_label("Request a review of Part Two").fill(statement)
    page.get_by_role("button", name="Request a review").click()
    expect(page.locator("#appeal-status")).to_contain_text("the coordinator has not decided yet")
    ctx.close()


def test_appeal_journey(app, live_server, browser, create_user_):
    world, coordinator = _graded_and_released(app, browser, live_server, create_user_, CANDIDATES)
    _request_review(browser, live_server, CANDIDATES[0][1])

    ctx, page = _person(browser, live_server, coordinator.email)
    page.get_by_role("link", name="Results").first.click()
    page.get_by_role("link", name="Appeals").click()
    page.get_by_label("Reason (the candidate reads it)").fill("A fair request for a new look.")
    page.get_by_role("button", name="Accept: send for review").click()
    assert "Appeal accepted" in page.content()
    ctx.close()

    ctx, page = _person(browser, live_server, world.graders[2].email)
    for _ in range(2):
        page.get_by_role("link", name="Reading queue").first.click()
        page.get_by_role("button", name="Next response").click()
        page.wait_for_url("**/grading/read/*")
        assert "Isolde" not in page.content() and "supervisory relationship" not in page.content()
        page.focus(".response-text")
        for _ in range(3):
            page.keyboard.press("n")
            page.keyboard.press("4")
        page.keyboard.press("Control+Enter")
        page.wait_for_url("**/grading/")
    ctx.close()

    ctx, page = _person(browser, live_server, CANDIDATES[0][1])
    page.get_by_role("link", name="My results").click()
    assert "your result was changed" in page.content()
    ctx.close()


ACCEPTED = ("Ines Accepted", "ines@appeal.example")
DECLINED = ("Dario Declined", "dario@appeal.example")


def test_the_coordinator_accepts_one_appeal_and_declines_another_with_reasons(
    app, live_server, browser, create_user_
):
    _world, coordinator = _graded_and_released(
        app, browser, live_server, create_user_, [ACCEPTED, DECLINED]
    )
    _request_review(browser, live_server, ACCEPTED[1])
    _request_review(browser, live_server, DECLINED[1], "I think the rubric itself is too strict.")

    ctx, page = _person(browser, live_server, coordinator.email)
    page.get_by_role("link", name="Results").first.click()
    page.get_by_role("link", name="Appeals").click()
    expect(page.locator("article.appeal")).to_have_count(2)
    accepted = page.locator("article.appeal", has_text=ACCEPTED[0])
    accepted.get_by_label("Reason (the candidate reads it)").fill(
        "Your statement names a criterion worth a second look."
    )
    accepted.get_by_role("button", name="Accept: send for review").click()
    expect(page.locator("p.flash")).to_have_text("Appeal accepted.")
    declined = page.locator("article.appeal", has_text=DECLINED[0])
    declined.get_by_label("Reason (the candidate reads it)").fill(
        "Disagreement with the rubric itself is not a ground for review."
    )
    declined.get_by_role("button", name="Decline").click()
    expect(page.locator("p.flash")).to_have_text("Appeal declined.")
    # both decided: no form left, each card names its decision and reason
    expect(page.get_by_role("button", name="Decline")).to_have_count(0)
    expect(page.locator("article.appeal", has_text=ACCEPTED[0])).to_contain_text(
        "worth a second look"
    )
    expect(page.locator("article.appeal", has_text=DECLINED[0])).to_contain_text("not a ground")
    ctx.close()

    ctx, page = _person(browser, live_server, ACCEPTED[1])
    page.get_by_role("link", name="My results").click()
    status = page.locator("#appeal-status")
    expect(status).to_contain_text("being read again by a grader who has not read them")
    # the reason as the coordinator wrote it, its own full stop not doubled
    expect(status).to_contain_text(
        "The coordinator's reason: Your statement names a criterion worth a second look."
    )
    expect(status).not_to_contain_text("..")
    ctx.close()

    ctx, page = _person(browser, live_server, DECLINED[1])
    page.get_by_role("link", name="My results").click()
    status = page.locator("#appeal-status")
    expect(status).to_contain_text("Declined")
    expect(status).to_contain_text("Disagreement with the rubric itself is not a ground")
    expect(page.get_by_role("button", name="Request a review")).to_have_count(0)
    ctx.close()
