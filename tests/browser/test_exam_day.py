"""Exam day in a real browser, by clicking visible links and buttons only (the sign-in page is
typed): the waiting room, the access code, offline across the deadline, two tabs, a phone."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.exam import proctoring, services
from app.extensions import db
from app.models import Attempt, LateAnswer, Result, Seat, User, now_utc
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def admit(app, seat_id):
    """The proctor admits the seat (the console's own buttons are another journey's test)."""
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        proctor = db.session.scalar(select(User).where(User.role == "proctor"))
        proctoring.act_on_seat(
            seat, proctoring.SeatAction("admit", "ID checked", id_checked=True), proctor, now_utc()
        )
        db.session.commit()


def roster_status(app, seat_id):
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        rows = proctoring.roster(seat.sitting, now_utc())
        return next(r.status for r in rows if r.seat.id == seat_id)


def with_proctor(app, create_user_, seat_id):
    proctor = create_user_("proctor")
    with app.app_context():
        db.session.get(Seat, seat_id).sitting.proctor_id = proctor.id
        db.session.commit()
    return proctor


def choose(page, n, label_text):
    """Question n by the navigator, then the option whose label reads label_text."""
    page.click(f"#navigator a[data-n='{n}']")
    page.locator(f"#q-{n} .option label", has_text=label_text).click()


def test_waiting_candidate_is_admitted_and_sits_part_one_to_the_receipt(
    app, live_server, page, exam_seat, create_user_
):
    user, seat_id = exam_seat(n_items=3, admitted=False)
    with_proctor(app, create_user_, seat_id)
    browser_sign_in(page, live_server, user.email, PASSWORD)
    assert roster_status(app, seat_id) == "not arrived"
    page.get_by_role("link", name="Go to the waiting room").click()
    expect(page.locator("#gate")).to_contain_text("the proctor has not admitted you yet")
    assert roster_status(app, seat_id) == "waiting"  # opening the waiting room checked in
    page.get_by_role("link", name="My exams").click()
    expect(page.locator("#seats")).to_contain_text("You are in the waiting room")
    admit(app, seat_id)
    # My exams polls while waiting: the way in appears without a reload
    page.get_by_role("link", name="Read the rules and start Part One").click(timeout=20_000)
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    # during a part, no stray click can sign out or leave for the password page
    expect(page.get_by_role("link", name="Password")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(page.locator("#navigator a[data-n='1']")).to_have_attribute("aria-current", "step")
    expect(page.locator(".legend")).not_to_contain_text("1 answered")
    expect(page.locator("[role=status], [aria-live=polite]")).to_have_count(1)
    for n in (1, 2, 3):
        choose(page, n, "Bravo")
    expect(page.locator("#journal-status")).to_have_text("All answers saved")
    page.get_by_role("link", name="Review and submit").click()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Submit Part One").click()
    expect(page.locator("h1")).to_have_text("Part One (multiple choice): submitted")
    expect(page.locator("#recorded-count")).to_have_text("3")
    with app.app_context():
        assert db.session.scalar(select(Result.score)) == 3


def test_on_demand_candidate_enters_the_code_from_my_exams(app, live_server, page, exam_seat):
    user, seat_id = exam_seat(n_items=2, admitted=False)
    with app.app_context():
        sitting = db.session.get(Seat, seat_id).sitting
        sitting.mode, sitting.access_code = "on_demand", "KX7P2QRW"
        db.session.commit()
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_label("Access code").fill("kx7p2qrw")
    page.get_by_role("button", name="Enter the code").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        assert seat.admitted_at is not None and seat.checked_in_at is not None


def test_offline_across_the_deadline_keeps_every_answer_until_the_proctor_accepts_them(
    app, browser, live_server, context, page, exam_seat, create_user_, monkeypatch
):
    monkeypatch.setitem(app.config, "SAVE_GRACE_SECONDS", 1)
    monkeypatch.setitem(app.config, "EXAM_POLL_SECONDS", 1)
    user, seat_id = exam_seat(n_items=5, minutes=10)
    proctor = with_proctor(app, create_user_, seat_id)
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part One").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    choose(page, 1, "Bravo")
    expect(page.locator("#journal-status")).to_have_text("All answers saved")
    with app.app_context():  # the server owns the deadline: bring it to a few seconds from now
        attempt = db.session.scalar(select(Attempt))
        attempt.deadline_at = now_utc() + timedelta(seconds=8)
        db.session.commit()
    expect(page.locator("#timer")).to_have_text(re.compile(r"^0:0\d$"), timeout=10_000)
    context.set_offline(True)
    for n in (2, 3, 4):
        choose(page, n, "Bravo")
    expect(page.locator("#journal-status")).to_have_text(
        "Time is up — 3 answers are waiting to be sent; keep this page open", timeout=20_000
    )
    with app.app_context():
        deadline = db.session.scalar(select(Attempt.deadline_at))
    # past deadline + grace on the server before the connection returns: these arrive late
    page.wait_for_timeout(max(0, (deadline - now_utc()).total_seconds() + 2.5) * 1000)
    assert "/attempt/" in page.url and not page.url.endswith("/receipt")  # it stayed
    context.set_offline(False)
    page.wait_for_url("**/receipt", timeout=30_000)
    expect(page.locator("#recorded-count")).to_have_text("1")
    expect(page.locator("#late-count")).to_contain_text("3 answers reached the server after")
    with app.app_context():
        assert db.session.scalar(select(Result.score)) == 1  # held apart, not scored
        assert len(db.session.scalars(select(LateAnswer)).all()) == 3

    desk = browser.new_context()
    proctor_page = desk.new_page()
    browser_sign_in(proctor_page, live_server, proctor.email, PASSWORD)
    proctor_page.get_by_role("link", name="Test sitting", exact=True).click()
    expect(proctor_page.locator("#roster")).to_contain_text("3 answers arrived", timeout=10_000)
    expect(proctor_page.locator("#roster")).to_contain_text(
        "made offline before the deadline per the browser"
    )
    proctor_page.get_by_role("link", name="Review late answers").click()
    proctor_page.get_by_label("Reason for accepting").fill("network outage in room 2")
    proctor_page.get_by_role("button", name="Accept 3 late answers").click()
    expect(proctor_page.locator(".flash")).to_contain_text("Score now 4 of 5")
    desk.close()
    with app.app_context():
        assert db.session.scalar(select(Result.score)) == 4
    page.reload()
    expect(page.locator("#recorded-count")).to_have_text("4")


def test_unchosen_essay_is_chosen_by_typing_or_read_only_and_named_before_submit(
    app, live_server, page, part_two_seat
):
    user, seat_id = part_two_seat
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part Two").click()
    page.get_by_role("button", name="Start Part Two").click()
    page.wait_for_selector("#exam")
    boxes = page.get_by_role("checkbox", name="I am answering this vignette")
    areas = page.locator("textarea")
    areas.nth(0).press_sequentially("First response, written without ticking.")
    expect(boxes.nth(0)).to_be_checked()
    areas.nth(1).press_sequentially("Second response.")
    expect(boxes.nth(1)).to_be_checked()
    # two of three chosen: the third cannot take text that would not be scored, and says why
    expect(areas.nth(2)).not_to_be_editable()
    expect(page.locator(".choice-note").nth(2)).to_be_visible()
    expect(page.locator(".choice-note").nth(2)).to_contain_text("read-only")
    expect(page.locator("#journal-status")).to_have_text("All answers saved", timeout=15_000)
    # setting the second aside leaves its text unscored: the review names it
    boxes.nth(1).uncheck()
    expect(areas.nth(2)).to_be_editable()
    expect(page.locator("#journal-status")).to_have_text("All answers saved", timeout=15_000)
    page.get_by_role("link", name="Review and submit").click()
    expect(page.locator("#unscored")).to_contain_text("Vignette 2")
    expect(page.locator("#unscored")).to_contain_text("is not chosen")
    confirm = page.locator("form label", has_text="will not be scored")
    expect(confirm).to_contain_text("Vignette 2")
    with app.app_context():
        attempt = db.session.scalar(select(Attempt).where(Attempt.part == "VIGNETTE"))
        chosen = sorted((a.chosen, bool(a.value)) for a in attempt.answers)
    assert chosen == [(False, True), (True, True)]


def test_two_tabs_of_one_attempt_stay_consistent(
    app, live_server, context, page, exam_seat, monkeypatch
):
    monkeypatch.setitem(app.config, "EXAM_POLL_SECONDS", 1)
    user, seat_id = exam_seat(n_items=3)
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part One").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    choose(page, 1, "Alpha")
    expect(page.locator("#journal-status")).to_have_text("All answers saved")
    second = context.new_page()
    second.goto(f"{live_server}/login")  # the same browser, a new tab (signed in already)
    second.get_by_role("link", name="My exams").click()
    second.get_by_role("link", name="Continue Part One").click()
    second.wait_for_selector("#exam")
    expect(second.locator("#q-1 input[type=radio]:checked")).to_have_count(1)
    # the first tab learns that the second is now the live one and stops taking answers
    expect(page.locator("#closed-banner")).to_contain_text("another window", timeout=10_000)
    expect(page.locator("#q-2 input[type=radio]").first).to_be_disabled()
    choose(second, 2, "Charlie")
    expect(second.locator("#journal-status")).to_have_text("All answers saved")
    # what the live tab journals shows in the other one too
    expect(page.locator("#q-2 input[type=radio]:checked")).to_have_count(1)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert len([a for a in attempt.answers if a.value]) == 2


def test_on_a_phone_the_navigator_folds_behind_a_button(browser, live_server, exam_seat):
    user, _ = exam_seat(n_items=20)
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part One").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    toggle = page.get_by_role("button", name="All questions")
    expect(toggle).to_be_visible()
    expect(page.locator("#navigator")).to_be_hidden()
    first_option = page.locator("#q-1 .option label").first
    assert first_option.bounding_box()["y"] < 844  # the question is on the first screen
    toggle.click()
    expect(page.locator("#navigator")).to_be_visible()
    page.click("#navigator a[data-n='5']")
    expect(page.locator("#q-5")).to_be_visible()
    expect(page.locator("#navigator")).to_be_hidden()
    phone.close()


def test_receipt_page_replays_a_journal_it_finds(app, live_server, page, exam_seat, monkeypatch):
    monkeypatch.setitem(app.config, "EXAM_POLL_SECONDS", 1)
    user, seat_id = exam_seat(n_items=3, minutes=10)
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part One").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        public_id, item = attempt.public_id, attempt.item_order[1]
        option = attempt.option_order[str(item)][0]
        attempt.deadline_at = now_utc() + timedelta(seconds=2)
        db.session.commit()
    page.wait_for_url("**/receipt", timeout=15_000)  # the part ended: the page went on
    # a change this browser still holds (say, from a window closed while offline)
    page.evaluate(
        """([id, item, option]) => localStorage.setItem('journal:' + id, JSON.stringify(
             {['i' + item]: {fields: {item: String(item), option: option, flagged: ''},
                             seq: 7, at: Date.now() - 60000}}))""",
        [public_id, item, option],
    )
    with app.app_context():  # opened again well after the deadline
        attempt = db.session.scalar(select(Attempt))
        attempt.started_at -= timedelta(minutes=2)
        attempt.deadline_at -= timedelta(minutes=2)
        db.session.commit()
    page.reload()
    expect(page.locator("#late-count")).to_contain_text("1 answer reached", timeout=15_000)
    assert page.evaluate(f"localStorage.getItem('journal:{public_id}')") == "{}"
    with app.app_context():
        assert db.session.scalar(select(LateAnswer.item_id)) == item


def test_a_runaway_seq_counter_never_makes_the_page_send_past_the_ceiling(
    app, live_server, page, exam_seat
):
    user, _ = exam_seat(n_items=2)
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part One").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    key = page.get_attribute("#exam", "data-journal-key") + ":seq"
    page.evaluate("(key) => localStorage.setItem(key, String(2 ** 31 - 1))", key)
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data) if r.url.endswith("/save") and r.post_data else None,
    )
    choose(page, 1, "Bravo")
    expect(page.locator("#journal-status")).to_have_text("All answers saved")
    seqs = [int(re.search(r"(?:^|&)seq=(\d+)", body).group(1)) for body in sent]
    assert seqs and max(seqs) <= services.SEQ_CEILING
    with app.app_context():
        assert [a.value for a in db.session.scalar(select(Attempt)).answers if a.value]


RECORD_ANNOUNCER = """
document.addEventListener("DOMContentLoaded", function () {
  const a = document.getElementById("announcer");
  if (!a) return;
  new MutationObserver(function () {
    const said = JSON.parse(sessionStorage.getItem("said") || "[]");
    said.push(a.textContent);
    sessionStorage.setItem("said", JSON.stringify(said));
  }).observe(a, { childList: true, characterData: true, subtree: true });
});
"""


def test_a_close_is_not_announced_as_minutes_left(
    app, live_server, page, exam_seat, create_user_, monkeypatch
):
    monkeypatch.setitem(app.config, "EXAM_POLL_SECONDS", 1)
    user, seat_id = exam_seat(n_items=2, minutes=10)  # 10 minutes: the 5 and 1 marks are ahead
    with_proctor(app, create_user_, seat_id)
    page.add_init_script(RECORD_ANNOUNCER)
    browser_sign_in(page, live_server, user.email, PASSWORD)
    page.get_by_role("link", name="Read the rules and start Part One").click()
    page.get_by_role("button", name="Start Part One").click()
    page.wait_for_selector("#exam")
    with app.app_context():
        seat = db.session.get(Seat, seat_id)
        proctor = db.session.scalar(select(User).where(User.role == "proctor"))
        proctoring.act_on_seat(
            seat,
            proctoring.SeatAction("force_submit", "end of sitting", confirmed=True),
            proctor,
            now_utc(),
        )
        db.session.commit()
    page.wait_for_url("**/receipt", timeout=15_000)
    expect(page.locator("h1")).to_contain_text("submitted")
    said = page.evaluate("JSON.parse(sessionStorage.getItem('said') || '[]')")
    assert not [s for s in said if "minute" in s], said
