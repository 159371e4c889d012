"""Candidate pages: home, the rules of a part, the exam itself, autosave, review, submit."""

from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.database import begin_writing, writes
from app.errors import render_error
from app.exam import services, timing, views
from app.extensions import db
from app.models import now_utc
from app.security import is_whole_number

bp = Blueprint("exam", __name__, template_folder="templates")
PARTS = {"MC", "VIGNETTE"}


@bp.errorhandler(services.DeliveryError)
def delivery_error(error: services.DeliveryError):
    """A refused exam action: commit what the refusal recorded (audit, expiry), then say why."""
    db.session.commit()
    body, status = render_error(error.status, error.message, error.title)
    headers = {}
    if getattr(error, "kept", False):
        headers["X-Answer-Kept"] = "1"  # the page may drop it from its journal: the server has it
    if isinstance(error, services.OtherWindow):
        headers["X-Other-Window"] = "1"
    return body, status, headers


@bp.get("/")
@role_required("candidate")
def home():
    """The candidate's seats and what each part allows now."""
    now = now_utc()
    context = views.home_context(services.candidate_seats(current_user, now), now)
    return render_template("exam/home.html", **context)


@bp.get("/seats")
@role_required("candidate")
def home_seats():
    """My exams' seat cards, polled while a seat waits for admission (then 286 stops the poll)."""
    now = now_utc()
    context = views.home_context(services.candidate_seats(current_user, now), now)
    return render_template("exam/_seats.html", **context), 200 if context["polling"] else 286


@bp.get("/check")
@role_required("candidate")
def check():
    """The pre-exam check: browser, JavaScript, storage, connection and clock offset."""
    return render_template("exam/check.html", server_epoch_ms=int(now_utc().timestamp() * 1000))


@bp.get("/seat/<int:seat_id>/<part>")
@role_required("candidate")
def rules(seat_id: int, part: str):
    """The rules of a part before starting it; opening it checks the candidate in."""
    if part not in PARTS:
        abort(404)
    now = now_utc()
    seat = services.seat_of(current_user, seat_id)
    if seat.checked_in_at is None:  # only the first visit writes; later ones only read
        begin_writing()  # (the seat is read again under the writer lock)
        services.check_in(seat, now)
        db.session.commit()  # ends the write before the page is built
    return render_template("exam/rules.html", **views.rules_context(seat, part, now))


@bp.get("/seat/<int:seat_id>/<part>/gate")
@role_required("candidate")
def gate(seat_id: int, part: str):
    """The waiting room's poll: the start button once admitted (then 286 stops the poll)."""
    if part not in PARTS:
        abort(404)
    context = views.gate_context(services.seat_of(current_user, seat_id), part, now_utc())
    status = 200 if context["problem"] else 286
    return render_template("exam/_gate.html", **context), status


@bp.post("/seat/<int:seat_id>/<part>/code")
@role_required("candidate")
def enter_code(seat_id: int, part: str):
    """On-demand sittings: the access code admits the seat."""
    if part not in PARTS:
        abort(404)
    seat = services.seat_of(current_user, seat_id)
    services.admit_by_code(seat, request.form.get("code", ""), now_utc())
    db.session.commit()
    return redirect(url_for("exam.rules", seat_id=seat_id, part=part))


@bp.post("/seat/<int:seat_id>/<part>/start")
@role_required("candidate")
def start(seat_id: int, part: str):
    """Start the part (or rejoin it): the server fixes the deadline now."""
    if part not in PARTS:
        abort(404)
    attempt = services.start_attempt(services.seat_of(current_user, seat_id), part, now_utc())
    db.session.commit()
    return redirect(url_for("exam.sit", public_id=attempt.public_id))


@bp.get("/attempt/<public_id>")
@role_required("candidate")
@writes
def sit(public_id: str):
    """The exam page: every question, the navigator, the timer and the save status."""
    now = now_utc()
    attempt = services.attempt_of(current_user, public_id)
    if timing.is_closed(attempt, now):
        return redirect(url_for("exam.receipt", public_id=public_id))
    services.claim_client(attempt)
    db.session.commit()
    template = "exam/sit_mc.html" if attempt.part == "MC" else "exam/sit_vignette.html"
    return render_template(template, **views.sit_context(attempt, now))


def _int_field(name: str, minimum: int = 0, maximum: int | None = None) -> int:
    value = request.form.get(name, "")
    # isdigit() alone lets "²" through to int(), and a long number would overflow the column
    too_big = maximum is not None and is_whole_number(value) and int(value) > maximum
    if not is_whole_number(value) or int(value) < minimum or too_big:
        most = f" and at most {maximum}" if maximum is not None else ""
        abort(
            422,
            description=f"The field {name!r} must be a whole number of at least {minimum}{most}.",
        )
    return int(value)


#: the browser's timestamp of a change, in ms since 1970; later than the year 2400 is nonsense
MAX_CLIENT_MS = 13_000_000_000_000


def _client_at() -> datetime | None:
    """When the page says the change was made (optional; only shown with late answers)."""
    raw = request.form.get("at", "")
    if not raw:
        return None
    # milliseconds outgrow the id columns' range that is_whole_number checks
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 14) or int(raw) > MAX_CLIENT_MS:
        abort(422, description="The field 'at' must be a time in milliseconds since 1970.")
    return datetime.fromtimestamp(int(raw) / 1000, UTC)


@bp.post("/attempt/<public_id>/save")
@role_required("candidate")
def save(public_id: str):
    """Autosave one answer (a whole snapshot with its seq); 200 means it is committed."""
    now, form = now_utc(), request.form
    attempt = services.attempt_of(current_user, public_id)
    seq, client = _int_field("seq", 1, services.SEQ_CEILING), form.get("client", "")
    client_at = _client_at()
    if attempt.part == "MC":
        outcome = services.save_choice(
            attempt,
            _int_field("item", 1),
            form.get("option", ""),
            form.get("flagged") == "1",
            seq,
            client,
            now,
            client_at,
        )
    else:
        outcome = services.save_essay(
            attempt,
            _int_field("vignette", 1),
            form.get("text", ""),
            form.get("chosen") == "1",
            seq,
            client,
            now,
            client_at,
        )
    db.session.commit()
    return render_template("exam/_save_status.html", outcome=outcome, state="open")


@bp.get("/attempt/<public_id>/clock")
@role_required("candidate")
def clock(public_id: str):
    """The seconds left and the attempt's state, for the page's light re-sync poll."""
    now = now_utc()
    attempt = services.attempt_of(current_user, public_id)
    if services.seen_due(attempt, now):
        begin_writing()  # most polls only read: they take no writer lock
    services.note_seen(attempt, now)
    reply = {  # read before the commit, which would make every attribute load again
        "seconds_left": timing.seconds_left(attempt, now),
        "state": timing.attempt_state(attempt, now),
        # a window that another one has replaced learns it here, before its next save
        "live": attempt.client_token in (None, request.args.get("client", attempt.client_token)),
    }
    db.session.commit()
    return render_template("exam/_clock.html", **reply)


@bp.post("/attempt/<public_id>/event")
@role_required("candidate")
def report_event(public_id: str):
    """The page lost focus or was hidden: counted for the proctor, never a penalty by itself."""
    attempt = services.attempt_of(current_user, public_id)
    services.record_focus_loss(attempt, request.form.get("kind", ""), now_utc())
    db.session.commit()
    return "", 204


@bp.get("/attempt/<public_id>/review")
@role_required("candidate")
def review(public_id: str):
    """Unanswered and flagged questions before submitting."""
    now = now_utc()
    attempt = services.attempt_of(current_user, public_id)
    if timing.is_closed(attempt, now):
        return redirect(url_for("exam.receipt", public_id=public_id))
    template = "exam/review.html" if attempt.part == "MC" else "exam/review_vignette.html"
    return render_template(template, **views.review_context(attempt, now))


@bp.post("/attempt/<public_id>/submit")
@role_required("candidate")
def submit(public_id: str):
    """Submit the part: after this, nothing in it changes."""
    attempt = services.attempt_of(current_user, public_id)
    services.submit_attempt(attempt, now_utc(), by_timer=request.form.get("reason") == "time")
    db.session.commit()
    return redirect(url_for("exam.receipt", public_id=public_id))


@bp.get("/attempt/<public_id>/receipt")
@role_required("candidate")
def receipt(public_id: str):
    """The closed page: submitted time, answers recorded, and the receipt hash."""
    now = now_utc()
    attempt = services.attempt_of(current_user, public_id)
    return render_template("exam/receipt.html", **views.receipt_context(attempt, now))
