"""A grader scores a whole response with the keyboard only; drafts autosave through htmx."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Reading
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.grading import factories

pytestmark = pytest.mark.browser


def test_keyboard_only_scoring_with_autosave(app, live_server, page, create_user_):
    world = factories.build_world(app, create_user_, [("Xanthe Keyboard", "xk@b.example")], 2)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    browser_sign_in(page, live_server, world.graders[0].email, PASSWORD)
    page.goto(f"{live_server}/grading/")
    page.focus("button:has-text('Next response')")  # autofocused; made explicit for headless
    page.keyboard.press("Enter")
    page.wait_for_url("**/grading/read/*")
    assert "Xanthe" not in page.content()

    page.focus(".response-text")  # reading the response; from here on, keys only
    for level in ("3", "2", "4"):
        page.keyboard.press("Tab")  # into the criterion's radio group
        page.keyboard.press(level)
        page.keyboard.press("Tab")  # to the criterion's feedback
        page.keyboard.type(f"Feedback at level {level}.")
    page.wait_for_selector("#save-status[data-state=saved]")
    assert _draft_ratings(app, page) == {"REFL": 3, "THINK": 2, "WWO": 4}

    page.keyboard.press("Tab")  # overall comment
    page.keyboard.type("Clear and kind.")
    page.keyboard.press("Tab")  # submit
    page.keyboard.press("Enter")
    page.wait_for_url("**/grading/")
    assert "submitted" in page.content()
    with app.app_context():
        reading = db.session.scalar(select(Reading))
        assert reading.submitted_at is not None
        assert reading.ratings == {"REFL": 3, "THINK": 2, "WWO": 4}
        assert reading.comments["WWO"] == "Feedback at level 4."
        assert reading.overall_comment == "Clear and kind."
    assert not [p for p in problems if "Content Security Policy" in p]


def _draft_ratings(app, page, want=3, tries=50):
    """The saved draft's ratings once all `want` criteria are in (saves may still be queued)."""
    for _ in range(tries):
        with app.app_context():
            ratings = db.session.scalar(select(Reading.ratings))
        if len(ratings) == want:
            return ratings
        page.wait_for_timeout(100)
    return ratings
