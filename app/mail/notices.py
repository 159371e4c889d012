"""The messages the platform sends: each composes text + HTML from templates and queues it."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, render_template

from app.codes import PART_LABELS, track_label
from app.exam.services import form_for
from app.exam.timing import allowed_duration
from app.mail.calendar import seat_calendar
from app.mail.delivery import BASE_MARK, queue
from app.models import MailMessage, Seat, User
from app.templating import when


def link(endpoint: str, **values) -> str:
    """An absolute link for an email (the base is filled in from PUBLIC_URL when sending)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return BASE_MARK + path


def _queue(kind: str, user: User, subject: str, now: datetime, **context) -> MailMessage | None:
    options = {k: context.pop(k) for k in ("ics", "secret", "dedupe_key") if k in context}
    context = {"user": user, "subject": subject, **context}
    text = render_template(f"mail/{kind}.txt", **context)
    html = render_template(f"mail/{kind}.html", **context)
    return queue(kind, user, subject, text, html, now, **options)


def _account_link(
    kind: str, user: User, subject: str, token: str, expires: str, now: datetime
) -> MailMessage | None:
    """A single-use link to set a password; its text is secret (blanked in the log once sent)."""
    url = link("auth.set_password", token=token)
    return _queue(kind, user, subject, now, url=url, expires=expires, secret=True)


def invitation(user: User, token: str, now: datetime) -> MailMessage | None:
    """The invitation to set a first password, with its single-use link."""
    days = current_app.config["INVITE_EXPIRY_DAYS"]
    expires = f"{days} day{'s' if days != 1 else ''}"
    return _account_link("invitation", user, "Your Endorsement exams account", token, expires, now)


def password_reset(user: User, token: str, now: datetime) -> MailMessage | None:
    """A single-use link to choose a new password."""
    expires = f"{current_app.config['RESET_EXPIRY_MINUTES']} minutes"
    subject = "Reset your Endorsement exams password"
    return _account_link("password_reset", user, subject, token, expires, now)


@dataclass
class PartTime:
    label: str
    minutes: int


def _minutes(span: timedelta) -> int:
    return round(span.total_seconds() / 60)


def seat_parts(seat: Seat) -> list[PartTime]:
    """Each part offered to the seat with its duration including accommodations."""
    parts = []
    for part in seat.part_list:  # a retake seat sits only the parts it names
        form = form_for(seat, part)
        if form is not None:
            parts.append(PartTime(PART_LABELS[part], _minutes(allowed_duration(form, seat))))
    return parts


def _seat_context(seat: Seat, now: datetime) -> dict:
    parts = seat_parts(seat)
    total = sum(p.minutes for p in parts)
    ends_at = seat.sitting.starts_at + timedelta(minutes=total or 1)
    host = urlsplit(current_app.config.get("PUBLIC_URL") or "").hostname or ""
    return {
        "seat": seat,
        "track": track_label(seat.track),
        "starts": when(seat.sitting.starts_at),
        "parts": parts,
        "accommodated": seat.time_multiplier != 1 or seat.extra_minutes > 0,
        "check_url": link("exam.check"),
        "exams_url": link("exam.home"),
        "ics": seat_calendar(seat, max(ends_at, seat.sitting.ends_at), now, host),
    }


def seat_confirmation(seat: Seat, now: datetime) -> MailMessage | None:
    """The candidate's seat: date, local time, durations, what to prepare, an .ics file."""
    return _queue(
        "seat_confirmation",
        seat.candidate,
        f"Your exam seat: {seat.sitting.name}",
        now,
        **_seat_context(seat, now),
    )


def reminder(seat: Seat, now: datetime) -> MailMessage | None:
    """The day-before reminder; once per seat however often the job runs."""
    return _queue(
        "reminder",
        seat.candidate,
        f"Reminder: your exam {seat.sitting.name} starts {when(seat.sitting.starts_at)}",
        now,
        dedupe_key=f"reminder:seat:{seat.id}",
        **_seat_context(seat, now),
    )


def results_released(candidate: User, now: datetime) -> MailMessage | None:
    """Results are released: no score in the email, only a link to My results."""
    return _queue(
        "results_released",
        candidate,
        "Your Endorsement exam results are available",
        now,
        url=link("results.mine"),
    )


def appeal_news(candidate: User, now: datetime) -> MailMessage | None:
    """The review request was decided or its review is complete: a link to My results only."""
    return _queue(
        "appeal_news",
        candidate,
        "News about your request for a review",
        now,
        url=link("results.mine"),
    )


def grading_open(grader: User, round_key: str, now: datetime) -> MailMessage | None:
    """Responses wait in the reading queue; once per grader per round (nothing identifying)."""
    return _queue(
        "grading_open",
        grader,
        "Responses are waiting in your reading queue",
        now,
        url=link("grading.queue"),
        dedupe_key=f"grading_open:{round_key}:{grader.id}",
    )
