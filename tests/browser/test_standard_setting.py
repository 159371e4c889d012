"""Standard setting in a real browser, by menus and buttons only: the coordinator opens a study
and names a panellist, the panellist rates every item, the coordinator sees the cut."""

import pytest

from app.extensions import db
from tests.analysis_pages.conftest import build_world
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

RATINGS = ["60", "70", "80", "90"]  # sum 300: a cut of 3.00 of 4 items, 75 %


def test_coordinator_opens_a_study_a_panellist_rates_and_the_cut_appears(
    app, browser, live_server, create_user_
):
    with app.app_context():
        build_world()
        db.session.commit()
    coordinator = create_user_("coordinator")
    grader = create_user_("grader", name="Gail Panellist")

    lead = browser.new_context()
    page = lead.new_page()
    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    page.get_by_role("link", name="Analytics", exact=True).click()
    page.get_by_role("link", name="Standard setting", exact=True).click()
    page.fill("#study-name", "Browser panel")
    page.select_option("#study-form", label="T-P1 v1 · Test Part One (pass mark 75 %)")
    page.get_by_role("button", name="Open study").click()
    page.wait_for_selector("h1:has-text('Browser panel')")
    page.select_option("#panellist", label=f"Gail Panellist · {grader.email} (grader)")
    page.get_by_role("button", name="Add to panel").click()
    page.wait_for_selector("td:has-text('Gail Panellist')")

    panel = browser.new_context()
    rater = panel.new_page()
    browser_sign_in(rater, live_server, grader.email, PASSWORD)
    rater.get_by_role("link", name="Standard setting", exact=True).click()
    rater.get_by_role("link", name="Browser panel").click()
    assert "p =" not in rater.content()  # round one: no statistics
    for n, value in enumerate(RATINGS, 1):
        rater.get_by_label(f"Rating for item {n}").select_option(value)
        rater.get_by_role("button", name=f"Save item {n}").click()
        rater.wait_for_load_state()
    assert rater.text_content("#rated-count") == "4 of 4"
    panel.close()

    page.get_by_role("link", name="Standard setting", exact=True).click()
    page.get_by_role("link", name="Browser panel").click()
    assert page.text_content("#cut-raw") == "3.00"
    assert page.text_content("#cut-percent") == "75.00 %"
    lead.close()
