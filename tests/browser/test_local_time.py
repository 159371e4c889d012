"""Local time in real browsers: the coordinator enters a 16:00-20:00 America/Denver sitting from
the menus and the candidate sees it in MST; a browser in Paris adds its own time."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ExamWindow, Sitting
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD, persist
from tests.coordinator.conftest import P1, bank  # noqa: F401 - shared fixture

pytestmark = pytest.mark.browser


def _window(app):
    def build():
        window = ExamWindow(
            name="Winter 2031", opens_on=date(2031, 1, 1), closes_on=date(2031, 1, 31)
        )
        db.session.add(window)
        return window

    return persist(app, build)


def _enter_sitting(page, live_server, coordinator, candidate) -> None:
    """From the coordinator's menu: window, New sitting, 16:00-20:00 local, seat the candidate."""
    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    page.click("nav >> text=Windows & sittings")
    page.click("text=Winter 2031")
    page.click("text=New sitting")
    assert "Times are in America/Denver (MST/MDT)" in page.content()
    page.fill("#name", "Evening sitting")
    page.fill("#date", "2031-01-15")
    page.fill("#starts", "16:00")
    page.fill("#ends", "20:00")
    page.select_option(
        "#proctor_id", label=page.locator("#proctor_id option").nth(1).text_content()
    )
    page.check(f"input[name=form_codes][value={P1}]")
    page.click("button:has-text('Create sitting')")
    page.wait_for_load_state()
    assert "2031-01-15 16:00 MST to 20:00 MST" in page.text_content(".flash")
    assert page.text_content("dl.facts").count("MST") == 2
    page.select_option("#candidate_id", str(candidate.id))
    page.select_option("#track", "IMH-SPECIALIST")
    page.click("button:has-text('Add seat')")
    page.wait_for_load_state()
    assert "is seated for" in page.text_content(".flash")


@pytest.mark.usefixtures("bank")
def test_coordinator_enters_a_denver_sitting_and_the_candidate_sees_local_and_own_time(
    app, browser, live_server, page, create_user_, monkeypatch
):
    monkeypatch.setitem(app.config, "TIME_ZONE", "America/Denver")
    _window(app)
    create_user_("proctor", name="Pat Proctor")
    coordinator = create_user_("coordinator")
    candidate = create_user_("candidate", tracks=["IMH-SPECIALIST"])
    _enter_sitting(page, live_server, coordinator, candidate)
    with app.app_context():
        sitting = db.session.scalar(select(Sitting))
        assert (sitting.starts_at, sitting.ends_at) == (
            datetime(2031, 1, 15, 23, tzinfo=UTC),
            datetime(2031, 1, 16, 3, tzinfo=UTC),
        )

    # A candidate whose browser is in Paris: the association's time, then their own.
    paris = browser.new_context(timezone_id="Europe/Paris", locale="en-GB")
    abroad = paris.new_page()
    browser_sign_in(abroad, live_server, candidate.email, PASSWORD)
    abroad.click("nav >> text=My exams")
    abroad.wait_for_selector(".your-time")
    line = abroad.text_content(".seat p.muted")
    assert "starts 2031-01-15 16:00 MST" in line
    note = abroad.text_content(".your-time")
    assert note.startswith(" (your time: ") and "16 Jan 2031" in note and "00:00" in note
    paris.close()

    # In Denver itself nothing is added.
    denver = browser.new_context(timezone_id="America/Denver", locale="en-US")
    home = denver.new_page()
    browser_sign_in(home, live_server, candidate.email, PASSWORD)
    home.click("nav >> text=My exams")
    home.wait_for_selector("time[data-your-time]", state="attached")
    assert "2031-01-15 16:00 MST" in home.text_content(".seat p.muted")
    assert home.locator(".your-time").count() == 0
    denver.close()
