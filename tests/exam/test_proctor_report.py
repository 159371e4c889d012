"""The sitting report: every seat's times, accommodations, time added, incidents and focus losses,
as a printable page and as CSV, for the sitting's proctor and for coordinators only."""

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.exam.sitting_report import CSV_COLUMNS
from app.extensions import db
from app.models import Attempt, Seat
from app.templating import when
from tests.conftest import csrf_from, sign_in
from tests.exam import test_proctor
from tests.exam.test_proctor import act, attempt_row

proctored = test_proctor.proctored  # the shared fixture: Part One started, proctor signed in


def sitting_of(app, seat_id) -> int:
    with app.app_context():
        return db.session.get(Seat, seat_id).sitting_id


def busy_day(app, client, seat_id):
    """An extension, a credited outage, two incidents and three focus losses."""
    assert act(client, seat_id, "extend", minutes=10).status_code == 302
    # the page went quiet five minutes ago (travelling in time would end the proctor's session)
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        attempt.last_seen_at = datetime.now(UTC) - timedelta(minutes=5)
        db.session.commit()
    assert act(client, seat_id, "credit").status_code == 302
    sitting_id = sitting_of(app, seat_id)
    token = csrf_from(client.get(f"/proctor/sitting/{sitting_id}").text)
    for seat, note in ((str(seat_id), "Laptop restarted"), ("", "Fire drill in the corridor")):
        client.post(
            f"/proctor/sitting/{sitting_id}/incident",
            data={"csrf_token": token, "seat": seat, "category": "technical", "note": note},
        )
    with app.app_context():
        db.session.scalar(select(Attempt)).focus_losses = 3
        db.session.get(Seat, seat_id).accommodation_note = "=1+1 large print"
        db.session.commit()
    return sitting_id


def test_the_console_links_to_the_printable_report(app, proctored):
    client, _, seat_id, _ = proctored
    sitting_id = busy_day(app, client, seat_id)
    console = client.get(f"/proctor/sitting/{sitting_id}").text
    assert f'href="/proctor/sitting/{sitting_id}/report"' in console
    page = client.get(f"/proctor/sitting/{sitting_id}/report")
    assert page.status_code == 200
    row = page.text.split(f'data-seat="{seat_id}"')[1].split("</tr>")[0]
    for shown in ("extended 10 min", "credited 5.", "Laptop restarted", "large print"):
        assert shown in row, shown
    assert when(attempt_row(app).started_at) in row
    assert "Fire drill in the corridor" in page.text.split(f'data-seat="{seat_id}"')[1]
    assert f'href="/proctor/sitting/{sitting_id}/report.csv"' in page.text


def test_the_csv_has_one_line_per_seat_with_the_named_columns(app, proctored):
    client, _, seat_id, _ = proctored
    sitting_id = busy_day(app, client, seat_id)
    response = client.get(f"/proctor/sitting/{sitting_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.text)))
    assert tuple(lines[0]) == CSV_COLUMNS and len(lines) == 2
    row = dict(zip(CSV_COLUMNS, lines[1], strict=True))
    attempt = attempt_row(app)
    assert row["part_one_started"] == when(attempt.started_at)
    assert row["admitted"] != "" and row["part_two_started"] == ""
    assert row["extension_minutes"] == "10" and row["credited_minutes"].startswith("5.")
    assert row["focus_losses"] == "3" and row["late_answers"] == "0"
    assert row["incidents"].endswith("technical: Laptop restarted")
    # a cell a spreadsheet would run as a formula is quoted away
    assert row["accommodations"].startswith("'=1+1")


def test_the_coordinator_reaches_the_report_from_the_sitting_page(app, proctored, create_user_):
    client, _, seat_id, _ = proctored
    sitting_id = sitting_of(app, seat_id)
    coordinator = app.test_client()
    sign_in(coordinator, create_user_("coordinator").email)
    page = coordinator.get(f"/coordinator/schedule/sittings/{sitting_id}").text
    assert f'href="/proctor/sitting/{sitting_id}/report"' in page
    assert coordinator.get(f"/proctor/sitting/{sitting_id}/report").status_code == 200
    assert coordinator.get(f"/proctor/sitting/{sitting_id}/report.csv").status_code == 200


def test_only_the_sittings_proctor_and_coordinators_see_the_report(app, proctored, create_user_):
    _, _, seat_id, _ = proctored
    sitting_id = sitting_of(app, seat_id)
    for role, status in (("proctor", 404), ("candidate", 403), ("grader", 403)):
        other = app.test_client()
        sign_in(other, create_user_(role).email)
        for suffix in ("report", "report.csv"):
            got = other.get(f"/proctor/sitting/{sitting_id}/{suffix}").status_code
            assert got == status, (role, suffix, got)
    assert app.test_client().get(f"/proctor/sitting/{sitting_id}/report").status_code == 302
