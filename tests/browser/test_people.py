"""People and passwords in a real browser, by links and buttons only (the emailed link is opened
as the person would): invitation to first sign-in, Forgot password, disable, a bad CSV import."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.smtp import link_in, smtp  # noqa: F401 - the real SMTP server fixture

pytestmark = pytest.mark.browser


@pytest.fixture
def mail_links(app, live_server, smtp, monkeypatch):  # noqa: F811
    """Emails carry links to the live server; returns the SMTP inbox."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    return smtp


def _click(page, role: str, name: str) -> None:
    page.get_by_role(role, name=name, exact=True).first.click()
    page.wait_for_load_state()


def _as_coordinator(browser, live_server, create_user_):
    coordinator = create_user_("coordinator", name="Casey Coordinator")
    page = browser.new_context().new_page()
    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    _click(page, "link", "People")
    return page


def test_a_coordinator_adds_a_candidate_who_sets_a_password_and_signs_in(
    app, browser, live_server, create_user_, mail_links
):
    page = _as_coordinator(browser, live_server, create_user_)
    _click(page, "link", "Add a person")
    page.fill("#name", "Maya Lindqvist")
    page.fill("#email", "maya@test.example")
    page.select_option("#role", "candidate")
    page.check("input[name=tracks][value=IMH-SPECIALIST]")
    _click(page, "button", "Add and invite")
    assert "invited by email" in page.content()
    url = link_in(mail_links.one("maya@test.example"), "/password/set/")
    assert url.startswith(live_server)

    person = browser.new_context().new_page()
    person.goto(url)
    assert "For Maya Lindqvist" in person.content()
    person.fill("#new", "maya-chooses-this")
    person.fill("#confirm", "maya-chooses-this")
    _click(person, "button", "Set password")
    assert "Your password is set" in person.content()
    person.fill("#email", "maya@test.example")
    person.fill("#password", "maya-chooses-this")
    _click(person, "button", "Sign in")
    assert person.get_by_role("link", name="My exams").count() == 1


def test_forgot_password_end_to_end_single_use_and_no_enumeration(
    app, browser, live_server, create_user_, mail_links
):
    user = create_user_("grader", email="gale@test.example")
    page = browser.new_context().new_page()
    page.goto(f"{live_server}/login")
    _click(page, "link", "Forgot password?")
    page.fill("#email", "nobody@test.example")
    _click(page, "button", "Send me a link")
    unknown = page.text_content("p.flash")
    _click(page, "link", "Forgot password?")
    page.fill("#email", user.email)
    _click(page, "button", "Send me a link")
    assert page.text_content("p.flash") == unknown  # the same answer either way
    assert [m["To"] for m in mail_links.messages] == [user.email]
    url = link_in(mail_links.one(user.email), "/password/set/")
    page.goto(url)
    page.fill("#new", "a-brand-new-pass")
    page.fill("#confirm", "a-brand-new-pass")
    _click(page, "button", "Set password")
    page.fill("#email", user.email)
    page.fill("#password", "a-brand-new-pass")
    _click(page, "button", "Sign in")
    assert page.get_by_role("link", name="Reading queue").count() == 1
    page.goto(url)  # the same link again
    assert "does not work any more" in page.content()


def test_disabling_an_account_ends_its_session(app, browser, live_server, create_user_):
    candidate = create_user_("candidate", name="Dana Disabled")
    theirs = browser.new_context().new_page()
    browser_sign_in(theirs, live_server, candidate.email, PASSWORD)
    page = _as_coordinator(browser, live_server, create_user_)
    page.fill("#q", "Dana")
    _click(page, "button", "Search")
    _click(page, "link", "Dana Disabled")
    _click(page, "button", "Disable account")
    assert "is disabled and signed out everywhere" in page.content()
    _click(theirs, "link", "My exams")
    assert "/login" in theirs.url


def test_a_csv_with_a_bad_row_imports_nobody(app, browser, live_server, create_user_, tmp_path):
    bad = tmp_path / "cohort.csv"
    bad.write_text(
        "email,name,role,tracks\nfine@test.example,Fine Person,,\nnot-an-email,Bad Row,,\n"
    )
    page = _as_coordinator(browser, live_server, create_user_)
    _click(page, "link", "Import a cohort (CSV)")
    page.set_input_files("#file", str(bad))
    _click(page, "button", "Import and invite")
    assert "row 3: email: 'not-an-email' is not a valid address" in page.text_content("#problem")
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 1  # the coordinator only
