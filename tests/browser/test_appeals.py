"""An appeal in a real browser, by visible links and buttons only: the candidate asks from My
results, the coordinator accepts from Results → Appeals, a new grader reads blind, the candidate
sees the outcome."""

import pytest

from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.grading import factories
from tests.grading.helpers import all_levels, client_for, submit, take_next
from tests.grading.test_appeals import CANDIDATES, STATEMENT

pytestmark = pytest.mark.browser


def test_appeal_journey(app, live_server, browser, create_user_):
    world = factories.build_world(app, create_user_, CANDIDATES, graders=3)
    for grader in world.graders[:2]:
        client = client_for(app, grader.email)
        while (code := take_next(client)) is not None:
            submit(client, code, all_levels(2))
    coordinator = create_user_("coordinator")

    def person(email):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_default_timeout(15_000)
        page = context.new_page()
        browser_sign_in(page, live_server, email, PASSWORD)
        return context, page

    ctx, page = person(coordinator.email)
    page.get_by_role("link", name="Results").first.click()
    page.get_by_role("link", name="Test sitting").first.click()
    page.get_by_role("button", name="Release").first.click()
    ctx.close()

    ctx, page = person(CANDIDATES[0][1])
    page.get_by_role("link", name="My results").click()
    page.get_by_label("Request a review of Part Two").fill(STATEMENT)
    page.get_by_role("button", name="Request a review").click()
    assert "has not decided yet" in page.content()
    ctx.close()

    ctx, page = person(coordinator.email)
    page.get_by_role("link", name="Results").first.click()
    page.get_by_role("link", name="Appeals").click()
    page.get_by_label("Reason (the candidate reads it)").fill("A fair request for a new look.")
    page.get_by_role("button", name="Accept: send for review").click()
    assert "Appeal accepted" in page.content()
    ctx.close()

    ctx, page = person(world.graders[2].email)
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

    ctx, page = person(CANDIDATES[0][1])
    page.get_by_role("link", name="My results").click()
    assert "your result was changed" in page.content()
    ctx.close()
