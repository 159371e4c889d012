"""The coordinator's Mail menu in a real browser, by visible links and buttons only: a message
whose send failed is shown as failed and Retry sends it to the real SMTP server; the development
Outbox lists an invitation."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.smtp import link_in, smtp  # noqa: F401 - the real SMTP server fixture

pytestmark = pytest.mark.browser


def _invite(page, name: str, email: str) -> None:
    """People → Add a person → Add and invite, as the coordinator."""
    page.get_by_role("link", name="People", exact=True).click()
    page.get_by_role("link", name="Add a person").click()
    page.fill("#name", name)
    page.fill("#email", email)
    page.select_option("#role", "candidate")
    page.get_by_role("button", name="Add and invite").click()
    expect(page.locator("p.flash")).to_contain_text(f"{name} is added")


def test_a_failed_message_is_shown_and_retry_sends_it(
    app,
    live_server,
    page,
    create_user_,
    smtp,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    coordinator = create_user_("coordinator")
    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    smtp.stop()  # the mail server is down: the port is closed
    _invite(page, "Mira Retry", "mira@test.example")
    assert smtp.messages == []

    page.get_by_role("link", name="Mail (1 failed)").click()
    row = page.locator("tbody tr", has_text="mira@test.example")
    expect(row).to_contain_text("invitation")
    expect(row.locator("td").nth(3)).to_contain_text("failed")
    expect(row.locator("td").nth(4)).to_have_text("1")

    smtp.start()  # the mail server is back
    row.get_by_role("button", name="Retry invitation to mira@test.example").click()
    expect(page.locator("p.flash")).to_have_text("The message is sent.")
    row = page.locator("tbody tr", has_text="mira@test.example")
    expect(row.locator("td").nth(3)).to_contain_text("sent")
    expect(row.locator("td").nth(4)).to_have_text("2")
    expect(row.get_by_role("button", name="Retry")).to_have_count(0)
    # the menu no longer counts a failure
    expect(page.get_by_role("link", name="Mail", exact=True)).to_be_visible()
    message = smtp.one("mira@test.example", "account")
    assert link_in(message, "/password/set/").startswith(live_server)


def test_the_outbox_lists_a_sent_invitation(
    app, live_server, page, create_user_, tmp_path, monkeypatch
):
    # the development outbox (the test config's MAIL_BACKEND); a folder of this test's own
    assert app.config["MAIL_BACKEND"] == "outbox"
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    coordinator = create_user_("coordinator")
    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    _invite(page, "Oona Outbox", "oona@test.example")

    page.get_by_role("link", name="Outbox").click()
    entry = page.locator("article.outbox-message", has_text="oona@test.example")
    expect(entry).to_have_count(1)
    expect(entry.get_by_role("heading")).to_contain_text("account")
    expect(entry).to_contain_text("/password/set/")
    # the Mail log names it as sent, and points to the Outbox
    page.get_by_role("link", name="Mail", exact=True).click()
    row = page.locator("tbody tr", has_text="oona@test.example")
    expect(row.locator("td").nth(3)).to_contain_text("sent")
    expect(page.locator("main").get_by_role("link", name="Outbox")).to_be_visible()
