"""A proctor declines late answers from the roster in a real browser, by clicking visible links
and buttons only (the sign-in page is typed): confirmation, reason, and the declined answers in
the sitting report."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import LateAnswer, Result, Seat
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD
from tests.exam.test_late import _offline_at_deadline, _proctored

pytestmark = pytest.mark.browser


def test_the_proctor_declines_late_answers_from_the_roster(
    app, live_server, page, client, exam_seat, create_user_
):
    # three answers made before the deadline arrive late (produced through the save endpoint)
    _, seat_id, *_ = _offline_at_deadline(app, client, exam_seat)
    proctor, _ = _proctored(app, create_user_, seat_id)
    with app.app_context():
        name = db.session.get(Seat, seat_id).candidate.name

    browser_sign_in(page, live_server, proctor.email, PASSWORD)
    page.get_by_role("link", name="Test sitting", exact=True).click()
    roster = page.locator("#roster")
    expect(roster).to_contain_text("3 answers arrived 2 min late")
    roster.get_by_role("link", name=f"Decline 3 late answers of {name}").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Decline 3 late answers of {name}?")
    expect(page.locator("#decline-consequence")).to_contain_text("will not enter")
    # the reason is required: the browser will not send the form without it
    page.get_by_role("button", name="Decline 3 late answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Decline 3 late answers of {name}?")
    page.get_by_label("Reason for declining").fill("changed after the bell, seen by the proctor")
    page.get_by_role("button", name="Decline 3 late answers").click()

    expect(page.locator(".flash")).to_contain_text(f"3 late answers of {name} declined")
    expect(page.locator("#roster")).not_to_contain_text("answers arrived")
    with app.app_context():
        assert {e.decision for e in db.session.scalars(select(LateAnswer))} == {"declined"}
        assert db.session.scalar(select(Result.score)) == 1  # the record did not change

    page.get_by_role("link", name="Sitting report").click()
    cell = page.locator(f'tr[data-seat="{seat_id}"] .late-answers')
    expect(cell).to_contain_text("3 late answers declined by")
    expect(cell).to_contain_text("changed after the bell, seen by the proctor")
