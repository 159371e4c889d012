"""The proctor's console in a real browser, reached from the menus and used by clicking only:
admission with the ID check from a roster row, Admit all waiting, void behind a confirmation
that names the candidate, the sitting report (page and CSV) for the proctor and the coordinator,
and the console on a tablet and a phone."""

import csv
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.exam.sitting_report import CSV_COLUMNS
from app.extensions import db
from app.models import Attempt, AuditEvent, Seat
from tests.browser.conftest import browser_sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def sitting(app, exam_seat, create_user_):
    """sitting(n, started=0) -> (proctor, [(seat id, name)]): n arrived candidates; the first
    `started` of them admitted with Part One begun, the others waiting."""

    def make(n, started=0):
        from app.exam import services

        proctor = create_user_("proctor")
        seats = [exam_seat(n_items=3, admitted=False)[1] for _ in range(n)]
        now = datetime.now(UTC)
        with app.app_context():
            for i, seat_id in enumerate(seats):
                seat = db.session.get(Seat, seat_id)
                seat.checked_in_at = now
                seat.sitting.proctor_id = proctor.id
                if i < started:
                    seat.admitted_at = now
                    services.start_attempt(seat, "MC", now)
            db.session.commit()
            names = [db.session.get(Seat, s).candidate.name for s in seats]
        return proctor, list(zip(seats, names, strict=True))

    return make


def open_console(page, live_server, proctor):
    """Sign in (the one typed URL) and reach the console through My sittings."""
    browser_sign_in(page, live_server, proctor.email, PASSWORD)
    page.click("nav >> text=My sittings")
    page.click("text=Test sitting")
    page.wait_for_selector("#roster table.roster")


def row(page, seat_id):
    return page.locator(f"#roster tr[data-seat='{seat_id}']")


def seat_of(app, seat_id) -> Seat:
    with app.app_context():
        found = db.session.get(Seat, seat_id)
        db.session.expunge(found)
        return found


def test_proctor_admits_one_with_the_id_check_then_all_the_others(app, page, live_server, sitting):
    proctor, seats = sitting(3)
    (first, first_name), *others = seats
    open_console(page, live_server, proctor)
    mine = row(page, first)
    mine.locator("summary").click()
    mine.get_by_label("ID checked").check()
    mine.get_by_label("ID note (optional)").fill("Passport, photo matches")
    mine.get_by_role("button", name=f"Admit {first_name}").click()
    page.wait_for_selector(f"text=Admit: done for {first_name}")
    assert "ID checked" in row(page, first).locator("td.status").inner_text()
    admitted = seat_of(app, first)
    assert admitted.id_checked_at is not None and admitted.id_check_note.startswith("Passport")

    bulk = page.locator("#admit-all")
    assert bulk.get_by_role("button").inner_text() == "Admit all 2 waiting"
    bulk.get_by_label("I have seen the photo ID of each of them").check()
    bulk.get_by_role("button").click()
    page.wait_for_selector("text=Admitted 2")
    assert page.locator("#admit-all").count() == 0
    for seat_id, _ in others:
        assert seat_of(app, seat_id).admitted_at is not None
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "proctor.admit"))
        assert sorted(int(e.subject_id) for e in events) == sorted(s for s, _ in seats)


def test_void_asks_for_confirmation_naming_the_candidate(app, page, live_server, sitting):
    proctor, [(seat_id, name), _] = sitting(2, started=1)
    open_console(page, live_server, proctor)
    row(page, seat_id).locator("summary").click()
    row(page, seat_id).get_by_role("link", name=f"Void… {name}").click()
    page.wait_for_selector("#consequence")
    assert name in page.locator("h1").inner_text()
    assert "cannot be undone" in page.locator("#consequence").inner_text()
    assert name in page.locator("#consequence").inner_text()
    page.get_by_role("link", name="Cancel").click()
    page.wait_for_selector("#roster table.roster")
    assert seat_of(app, seat_id).voided_at is None  # cancel changed nothing

    row(page, seat_id).locator("summary").click()
    row(page, seat_id).get_by_role("link", name=f"Void… {name}").click()
    page.get_by_label("Reason (goes into the audit log)").fill("Notes found on the desk")
    page.get_by_role("button", name=f"Void {name}").click()
    page.wait_for_selector(f"text=Void: done for {name}")
    assert "voided" in row(page, seat_id).locator("td.status").inner_text()
    assert seat_of(app, seat_id).voided_at is not None
    with app.app_context():
        assert db.session.scalar(select(Attempt.submit_reason)) == "void"


def read_csv(download) -> list[list[str]]:
    with open(download.path(), newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_proctor_opens_the_sitting_report_and_its_csv(app, page, live_server, sitting):
    proctor, seats = sitting(2, started=1)
    open_console(page, live_server, proctor)
    page.click("text=Sitting report")
    page.wait_for_selector("table.report")
    assert page.locator("h1").inner_text() == "Sitting report: Test sitting"
    for seat_id, name in seats:
        assert name in page.locator(f"table.report tr[data-seat='{seat_id}']").inner_text()
    with page.expect_download() as got:
        page.click("text=Download CSV")
    lines = read_csv(got.value)
    assert tuple(lines[0]) == CSV_COLUMNS
    assert sorted(line[0] for line in lines[1:]) == sorted(name for _, name in seats)


def test_coordinator_opens_the_report_from_the_sitting_page(
    app, page, live_server, sitting, create_user_
):
    _, seats = sitting(1)
    coordinator = create_user_("coordinator")
    browser_sign_in(page, live_server, coordinator.email, PASSWORD)
    page.click("nav >> text=Windows & sittings")
    page.click("text=Test window")
    page.click("text=Test sitting")
    page.click("text=Sitting report")
    page.wait_for_selector("table.report")
    assert seats[0][1] in page.locator("table.report").inner_text()
    with page.expect_download() as got:
        page.click("text=Download CSV")
    assert tuple(read_csv(got.value)[0]) == CSV_COLUMNS


@pytest.mark.parametrize("width", [768, 390])
def test_the_console_fits_a_tablet_and_a_phone(browser, live_server, sitting, width):
    proctor, [(seat_id, name), _] = sitting(2, started=1)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    open_console(page, live_server, proctor)
    mine = row(page, seat_id)
    for part in (mine.locator("summary"), mine.locator("th[scope=row]")):
        box = part.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
    mine.locator("summary").click()
    button = mine.get_by_role("button", name=f"Pause {name}")
    box = button.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
    context.close()


def test_an_open_actions_panel_survives_the_roster_refresh(page, live_server, sitting):
    proctor, [(seat_id, name), _] = sitting(2, started=1)
    open_console(page, live_server, proctor)
    mine = row(page, seat_id)
    mine.locator("summary").click()
    mine.locator("form.act-extend input[name=reason]").fill("fire alarm in the building")
    page.wait_for_timeout(6_000)  # longer than the roster's 5 s poll
    reason = row(page, seat_id).locator("form.act-extend input[name=reason]")
    assert reason.is_visible() and reason.input_value() == "fire alarm in the building"
