"""Seat confirmations with .ics, reminders, results and grading notices; failures recorded and
retried; nothing sent for a rolled-back change. A real SMTP server receives every message."""

import re
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from app.extensions import db
from app.mail import notices
from app.mail.delivery import deliver_committed
from app.models import MailMessage, Seat, Sitting, SittingForm, User, now_utc
from tests.conftest import csrf_from
from tests.coordinator.conftest import P1, SCHEDULE, offer, post
from tests.factories import make_result
from tests.grading import factories
from tests.smtp import html_of, link_in, text_of


def _approved(create_user_, email="cand@test.example"):
    return create_user_("candidate", email=email, name="Avery Candidate", tracks=["IMH-SPECIALIST"])


def _seat_it(coordinator, sitting, candidate, **extra):
    app = coordinator.application
    with app.app_context():  # a seat needs a form for each part it sits
        offered = db.session.scalar(
            select(SittingForm.id).where(
                SittingForm.sitting_id == sitting.id, SittingForm.form_code != P1
            )
        )
    if offered is None:
        offer(app, sitting.id)
    data = {"candidate_id": candidate.id, "track": "IMH-SPECIALIST", **extra}
    return post(coordinator, f"{SCHEDULE}/sittings/{sitting.id}/seats", data)


def _ics(message) -> Calendar:
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "sitting.ics"
    assert attachment.get_content_type() == "text/calendar"
    return Calendar.from_ical(attachment.get_content())


def _messages(app, **where) -> list[MailMessage]:
    with app.app_context():
        stmt = select(MailMessage).filter_by(**where).order_by(MailMessage.id)
        rows = list(db.session.scalars(stmt))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_seat_confirmation_has_time_durations_preparation_and_calendar(
    app, coordinator, sitting, create_user_, smtp
):
    candidate = _approved(create_user_)
    response = _seat_it(coordinator, sitting, candidate, time_multiplier="1.5", extra_minutes="10")
    assert response.status_code == 302
    message = smtp.one(candidate.email, "Your exam seat")
    text = text_of(message)
    assert "2031-03-10 14:00" in text  # through the `when` filter
    assert "Part One (multiple choice): 145 minutes" in text  # 90 x 1.5 + 10
    assert "include your accommodations" in text
    assert link_in(message, "/exam/check")
    assert "My exams" in html_of(message)
    event = _ics(message).walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2031, 3, 10, 14, 0, tzinfo=UTC)
    assert event.decoded("dtend") >= datetime(2031, 3, 10, 16, 25, tzinfo=UTC)
    assert "March sitting" in str(event["summary"])


def test_reminders_are_sent_once_for_sittings_starting_within_a_day(
    app, runner, sitting, create_user_, smtp
):
    candidate = _approved(create_user_)
    other = _approved(create_user_, "later@test.example")
    with app.app_context():
        soon = db.session.get(Sitting, sitting.id)
        soon.starts_at = now_utc() + timedelta(hours=20)
        soon.ends_at = soon.starts_at + timedelta(hours=4)
        db.session.add(
            Seat(sitting_id=sitting.id, candidate_id=candidate.id, track="IMH-SPECIALIST")
        )
        later = Sitting(
            window_id=soon.window_id,
            name="Later sitting",
            starts_at=now_utc() + timedelta(days=3),
            ends_at=now_utc() + timedelta(days=3, hours=4),
        )
        db.session.add(later)
        db.session.flush()
        db.session.add(Seat(sitting_id=later.id, candidate_id=other.id, track="IMH-SPECIALIST"))
        db.session.commit()
    first = runner.invoke(args=["notify", "reminders"])
    again = runner.invoke(args=["notify", "reminders"])
    assert first.exit_code == 0 and "1 queued, 1 sent" in first.output, first.output
    assert again.exit_code == 0 and "0 queued" in again.output
    [reminder] = smtp.messages
    assert reminder["To"] == candidate.email and reminder["Subject"].startswith("Reminder")
    assert _ics(reminder).walk("VEVENT")
    assert link_in(reminder, "/exam/check")


def test_results_released_names_no_score_and_links_to_my_results(app, create_user_, smtp):
    world = factories.build_world(app, create_user_, [("Theo Vance", "theo@r.example")], 2)
    coordinator_id = create_user_("coordinator").id
    with app.app_context():
        from app.grading.coordinator import release
        from app.models import Attempt

        attempt = db.session.scalar(select(Attempt))
        db.session.add(make_result(attempt, "MC", 54, 60, passed=True))
        db.session.flush()
        coordinator = db.session.get(User, coordinator_id)
        release(coordinator, db.session.get(Sitting, world.sitting_id), now_utc())
        db.session.commit()
        deliver_committed()
    message = smtp.one("theo@r.example", "results")
    text = text_of(message)
    assert link_in(message, "/results/mine")
    assert "54" not in text and "90" not in text and "pass" not in text.lower()


def test_graders_hear_once_per_sitting_that_responses_wait(app, create_user_, smtp, runner):
    factories.build_world(
        app, create_user_, [("Ann One", "one@r.example"), ("Ben Two", "two@r.example")], 2
    )
    rows = _messages(app, kind="grading_open")
    graders = [r.to_email for r in rows]
    assert len(graders) == len(set(graders)) == 3  # two graders and the lead, once each
    assert {r.status for r in rows} == {"pending"}  # not sent from the candidate's request
    result = runner.invoke(args=["notify", "reminders"])
    assert "retries: 3 of 3 sent" in result.output, result.output
    assert sorted(m["To"] for m in smtp.messages) == sorted(graders)
    message = smtp.messages[0]
    assert link_in(message, "/grading/")
    assert "Ann One" not in text_of(message) and "one@r.example" not in text_of(message)


def test_a_stopped_mail_server_is_recorded_shown_and_retried(
    app, coordinator, sitting, create_user_, smtp, runner
):
    candidate = _approved(create_user_)
    smtp.stop()
    response = _seat_it(coordinator, sitting, candidate)
    assert response.status_code == 302  # the coordinator's request never fails for mail
    [failed] = _messages(app, kind="seat_confirmation")
    assert failed.status == "failed" and failed.attempts == 1 and failed.last_error
    log = coordinator.get("/coordinator/mail/").get_data(as_text=True)
    assert "Mail (1 failed)" in log and "Retry" in log
    assert runner.invoke(args=["notify", "retry"]).exit_code != 0  # still down
    smtp.start()
    page = coordinator.get("/coordinator/mail/").get_data(as_text=True)
    retried = coordinator.post(
        f"/coordinator/mail/{failed.id}/retry", data={"csrf_token": csrf_from(page)}
    )
    assert retried.status_code == 302
    [sent] = _messages(app, kind="seat_confirmation")
    assert sent.status == "sent" and sent.attempts == 3
    assert smtp.one(candidate.email, "Your exam seat")


def test_the_retry_command_sends_what_failed(app, create_user_, smtp, runner):
    user = create_user_("candidate")
    smtp.stop()
    with app.app_context():
        notices.results_released(db.session.get(User, user.id), now_utc())
        db.session.commit()
        deliver_committed()
    smtp.start()
    result = runner.invoke(args=["notify", "retry"])
    assert result.exit_code == 0 and "1 sent" in result.output, result.output
    assert smtp.one(user.email)


def test_without_a_mail_server_sends_are_recorded_as_not_configured(
    app, coordinator, sitting, create_user_, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    candidate = _approved(create_user_)
    assert _seat_it(coordinator, sitting, candidate).status_code == 302
    [row] = _messages(app)
    assert row.status == "failed" and "MAIL_SERVER" in row.last_error


def test_a_rolled_back_change_sends_nothing(app, create_user_, smtp):
    user = create_user_("candidate")
    with app.app_context():
        notices.results_released(db.session.get(User, user.id), now_utc())
        db.session.rollback()
        assert deliver_committed() == 0
        assert db.session.scalar(select(MailMessage.id)) is None
    assert smtp.messages == []


def test_the_development_outbox_shows_each_message(app, coordinator, sitting, create_user_):
    assert app.config["MAIL_BACKEND"] == "outbox"
    candidate = _approved(create_user_, "outbox@test.example")
    _seat_it(coordinator, sitting, candidate)
    page = coordinator.get("/coordinator/mail/outbox").get_data(as_text=True)
    assert "Your exam seat: March sitting" in page and "outbox@test.example" in page
    assert "sitting.ics" in page
    assert 'href="/coordinator/mail/outbox"' in coordinator.get("/coordinator/").get_data(
        as_text=True
    )


def test_the_outbox_shows_each_message_time_in_the_association_zone(
    app, coordinator, sitting, create_user_, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path))
    monkeypatch.setitem(app.config, "TIME_ZONE", "America/Denver")
    _seat_it(coordinator, sitting, _approved(create_user_, "zone@test.example"))
    page = coordinator.get("/coordinator/mail/outbox").get_data(as_text=True)
    assert re.search(r"To zone@test\.example · \d{4}-\d\d-\d\d \d\d:\d\d M[SD]T · ", page), page
    assert "+0000" not in page and "-0000" not in page  # not the raw Date header


def test_a_cohort_is_sent_over_one_connection_and_an_outage_fails_fast(app, runner, smtp, tmp_path):
    path = tmp_path / "cohort.csv"
    rows = "".join(f"p{n}@test.example,Person {n},candidate,\n" for n in range(4))
    path.write_text("email,name,role,tracks\n" + rows)
    smtp.connections = 0  # the fixture's own start-up check greets once
    assert runner.invoke(args=["users", "import", str(path)]).exit_code == 0
    assert len(smtp.messages) == 4 and smtp.connections == 1
    smtp.stop()
    path.write_text("email,name,role,tracks\n" + rows.replace("@", "x@"))
    assert runner.invoke(args=["users", "import", str(path)]).exit_code == 0
    failed = _messages(app, status="failed")
    assert len(failed) == 4 and all(m.attempts == 1 for m in failed)
    smtp.start()
    assert runner.invoke(args=["notify", "retry"]).exit_code == 0
    assert len(smtp.messages) == 8
