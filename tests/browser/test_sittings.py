"""Proctored sittings in real browsers: pause and extend reach the candidate without a reload;
essays typed offline are saved on reconnect; choosing 2 of 3 stores exactly two responses."""

import re
import time

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Answer, Attempt, Seat
from tests.browser.conftest import browser_sign_in
from tests.browser.test_part_one import start_part_one
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def seconds_shown(page) -> int:
    text = page.text_content("#timer")
    parts = [int(p) for p in re.findall(r"\d+", text)]
    return sum(v * 60**i for i, v in enumerate(reversed(parts)))


def proctor_act(browser, live_server, proctor, seat_id, sitting_id, action, minutes="10"):
    """The proctor acts from the candidate's row of the roster (Actions), reached from the menu."""
    context = browser.new_context()
    page = context.new_page()
    browser_sign_in(page, live_server, proctor.email, PASSWORD)
    page.click("nav >> text=My sittings")
    page.click("text=Test sitting")
    form = page.locator(f"#roster tr[data-seat='{seat_id}'] form.act-{action}")
    page.locator(f"#roster tr[data-seat='{seat_id}'] summary").click()
    if action == "extend":
        form.locator("input[name=minutes]").fill(minutes)
    form.locator("input[name=reason]").fill("fire alarm" if action == "pause" else "as agreed")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".flash >> text=done for")
    context.close()


def test_pause_and_extend_reach_the_candidate_without_reload(
    app, browser, live_server, exam_seat, create_user_, monkeypatch
):
    monkeypatch.setitem(app.config, "EXAM_POLL_SECONDS", 1)  # not the production interval
    user, seat_id = exam_seat(n_items=3)
    proctor = create_user_("proctor")
    with app.app_context():
        sitting = db.session.get(Seat, seat_id).sitting
        sitting.proctor_id = proctor.id
        db.session.commit()
        sitting_id = sitting.id
    context = browser.new_context()
    page = context.new_page()
    start_part_one(page, live_server, user, seat_id)
    proctor_act(browser, live_server, proctor, seat_id, sitting_id, "pause")
    page.wait_for_selector("#paused-banner:not([hidden])", timeout=20_000)
    assert page.text_content("#timer") == "Paused"
    proctor_act(browser, live_server, proctor, seat_id, sitting_id, "resume")
    page.wait_for_selector("#paused-banner", state="hidden", timeout=20_000)
    before = seconds_shown(page)
    proctor_act(browser, live_server, proctor, seat_id, sitting_id, "extend", "30")
    # poll from Python: the page's CSP (rightly) forbids the eval that wait_for_function uses
    deadline = time.monotonic() + 20
    while seconds_shown(page) <= before + 1500:
        assert time.monotonic() < deadline, "the extension never reached the candidate's timer"
        page.wait_for_timeout(250)
    context.close()


def test_offline_essay_is_saved_and_two_of_three_are_submitted(
    app, live_server, context, page, part_two_seat
):
    user, seat_id = part_two_seat
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.goto(f"{live_server}/exam/seat/{seat_id}/VIGNETTE")
    page.click("text=Start Part Two")
    page.wait_for_selector("#exam[data-part=VIGNETTE]")
    forms = page.locator("form.essay")
    forms.nth(0).locator("input[name=chosen]").check()
    forms.nth(0).locator("textarea").fill("First response, written online.")
    page.wait_for_selector("#journal-status[data-kind=saved]")
    context.set_offline(True)
    forms.nth(2).locator("input[name=chosen]").check()
    assert forms.nth(1).locator("input[name=chosen]").is_disabled()  # k = 2 already chosen
    forms.nth(2).locator("textarea").fill("Second response, typed while the connection was down.")
    forms.nth(2).locator("textarea").blur()
    page.wait_for_selector("#journal-status[data-kind=offline]")
    context.set_offline(False)
    page.wait_for_selector("#journal-status[data-kind=saved]", timeout=20_000)
    with app.app_context():
        texts = sorted(a.value for a in db.session.scalars(select(Answer).where(Answer.chosen)))
    assert texts == [
        "First response, written online.",
        "Second response, typed while the connection was down.",
    ]
    page.click("#review-link")
    page.check("input[name=confirm]")
    page.click("text=Submit Part Two")
    page.wait_for_url("**/receipt")
    from app.models.grading import Response

    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.part == "VIGNETTE"))
        assert attempt.submitted_at is not None
        assert (
            len(db.session.scalars(select(Response).where(Response.attempt_id == attempt.id)).all())
            == 2
        )
