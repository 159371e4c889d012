"""Part One in a real browser: offline answers are replayed, reload restores, timer closes."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, now_utc
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def start_part_one(page, live_server, user, seat_id):
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.goto(f"{live_server}/exam/seat/{seat_id}/MC")
    page.click("text=Start Part One")
    page.wait_for_selector("#exam")


def answer(page, n: int, option_index: int = 0) -> None:
    """Go to question n with the navigator and choose an option by its label (keyboard-sized)."""
    page.click(f"#navigator a[data-n='{n}']")
    page.locator(f"#q-{n} .option label").nth(option_index).click()


def saved_answers(app):
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        return {a.item_id: a.value for a in attempt.answers if a.value}


def test_answers_given_offline_reach_the_server_when_back_online(
    app, live_server, context, page, exam_seat
):
    user, seat_id = exam_seat(n_items=8)
    start_part_one(page, live_server, user, seat_id)
    answer(page, 1)
    page.wait_for_selector("#journal-status[data-kind=saved]")
    context.set_offline(True)
    for n in range(2, 7):
        answer(page, n, option_index=1)
    page.wait_for_selector("#journal-status[data-kind=offline]")
    assert page.text_content("#journal-status") == "Offline: 5 answers waiting"
    assert len(saved_answers(app)) == 1
    context.set_offline(False)
    page.wait_for_selector("#journal-status[data-kind=saved]", timeout=20_000)
    assert len(saved_answers(app)) == 6
    # the navigator shows what is answered
    assert page.locator("#navigator a.answered").count() == 6


def test_reload_restores_every_answer(app, live_server, page, exam_seat):
    user, seat_id = exam_seat(n_items=5)
    start_part_one(page, live_server, user, seat_id)
    for n in (1, 3, 5):
        answer(page, n, option_index=2)
    page.wait_for_selector("#journal-status[data-kind=saved]")
    expect(page.locator("#navigator a.answered")).to_have_count(3)
    page.reload()
    page.wait_for_selector("#exam")
    checked = page.locator("input[type=radio]:checked")
    assert checked.count() == 3
    assert sorted(saved_answers(app).values()) == sorted(
        checked.nth(i).get_attribute("value") for i in range(3)
    )


def test_timer_reaching_zero_closes_the_attempt(app, live_server, page, exam_seat):
    user, seat_id = exam_seat(n_items=3)
    start_part_one(page, live_server, user, seat_id)
    answer(page, 2)
    page.wait_for_selector("#journal-status[data-kind=saved]")
    with app.app_context():  # the server owns the deadline: bring it to a few seconds from now
        attempt = db.session.scalar(select(Attempt))
        attempt.deadline_at = now_utc() + timedelta(seconds=4)
        db.session.commit()
    page.reload()
    page.wait_for_url("**/receipt", timeout=20_000)
    assert "Your answers are recorded" in page.content()
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.submit_reason == "time" and attempt.submitted_at is not None
    assert len(saved_answers(app)) == 1
