"""Signing in in a real browser: after repeated wrong passwords the page says how long to wait
and whom to ask; the coordinator's unlock lets the owner in at once."""

import pytest

from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_the_wait_is_explained_and_unlock_lets_the_owner_in(
    app, browser, live_server, create_user_, runner
):
    user = create_user_("candidate")
    context = browser.new_context()
    page = context.new_page()
    for _ in range(app.config["LOGIN_FREE_FAILURES"]):
        browser_sign_in(page, live_server, user.email, "not-my-password")
        assert "do not match an account" in page.text_content("main")
    browser_sign_in(page, live_server, user.email, PASSWORD)
    message = page.text_content("main")
    assert "Too many failed sign-ins for this account from here" in message
    assert "Wait 1 minute" in message and "ask the coordinator" in message
    assert page.url.endswith("/login")
    assert runner.invoke(args=["users", "unlock", user.email]).exit_code == 0
    browser_sign_in(page, live_server, user.email, PASSWORD)
    assert page.url.endswith("/exam/")
    context.close()
