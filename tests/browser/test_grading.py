"""A grader scores whole responses with the keyboard only, on the side-by-side reading page;
drafts autosave through htmx."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Reading
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.grading import factories

pytestmark = pytest.mark.browser


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_keyboard_only_scoring_side_by_side(app, live_server, browser, create_user_):
    world = factories.build_world(app, create_user_, [("Xanthe Keyboard", "xk@b.example")], 2)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    browser_sign_in(page, live_server, world.graders[0].email, PASSWORD)
    page.get_by_role("link", name="Reading queue").first.click()
    page.focus("button:has-text('Next response')")  # autofocused; made explicit for headless
    page.keyboard.press("Enter")
    page.wait_for_url("**/grading/read/*")
    assert "Xanthe" not in page.content()
    assert page.locator("#progress").inner_text() == "0 of 50 committed"

    # at 1280x800 the response and the rubric's first criterion are side by side, both on screen
    response, criterion = _box(page, ".response-text"), _box(page, "fieldset.criterion")
    assert response["x"] + response["width"] <= criterion["x"]
    assert response["y"] < 800 and criterion["y"] < 800
    assert _box(page, "#submit-reading")["y"] > _box(page, ".handback")["y"] + 300
    # the rubric pane scrolls on its own and stays in place
    assert page.eval_on_selector("#rubric-pane", "e => getComputedStyle(e).position") == "sticky"
    assert page.eval_on_selector("#rubric-pane", "e => getComputedStyle(e).overflowY") == "auto"

    page.focus(".response-text")  # reading the response; from here on, keys only
    for level in ("3", "2", "4"):
        page.keyboard.press("n")  # to the next criterion (the first, from the response)
        page.keyboard.press(level)
    page.wait_for_selector("#save-status[data-state=saved]")
    assert _draft_ratings(app, page) == {"REFL": 3, "THINK": 2, "WWO": 4}
    page.keyboard.press("Tab")  # the criterion's feedback, as usual
    page.keyboard.type("Feedback at level 4.")
    page.keyboard.press("Control+Enter")  # submit from anywhere, even a comment
    page.wait_for_url("**/grading/")
    assert "submitted" in page.content()
    with app.app_context():
        reading = db.session.scalar(select(Reading).where(Reading.submitted_at.is_not(None)))
        assert reading.ratings == {"REFL": 3, "THINK": 2, "WWO": 4}
        assert reading.comments["WWO"] == "Feedback at level 4."

    # the next response of the same vignette shows it collapsed; an unrated submit asks first
    page.focus("button:has-text('Next response')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/grading/read/*")
    assert page.locator("#progress").inner_text() == "1 of 50 committed"
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.focus(".response-text")
    page.keyboard.press("n")
    page.keyboard.press("2")
    page.keyboard.press("Control+Enter")
    page.wait_for_timeout(300)
    assert dialogs and "Thinking" in dialogs[0]
    assert "/grading/read/" in page.url  # still reading: nothing submitted
    assert not [p for p in problems if "Content Security Policy" in p]
    context.close()


def _draft_ratings(app, page, want=3, tries=50):
    """The saved draft's ratings once all `want` criteria are in (saves may still be queued)."""
    for _ in range(tries):
        with app.app_context():
            ratings = db.session.scalar(select(Reading.ratings))
        if len(ratings) == want:
            return ratings
        page.wait_for_timeout(100)
    return ratings
