"""Proctor console: sittings, the live roster, actions on seats, incident notes."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import role_required
from app.errors import render_error
from app.exam import late, proctoring
from app.exam.services import DeliveryError
from app.extensions import db, htmx
from app.models import Sitting, now_utc
from app.security import is_whole_number

bp = Blueprint("proctor", __name__, template_folder="templates")
STOP_POLLING = 286  # htmx stops an `every` poll when it gets this status


@bp.errorhandler(DeliveryError)
def refused(error: DeliveryError):
    """A refused proctor action: say why, change nothing."""
    db.session.rollback()
    return render_error(error.status, error.message)


@bp.get("/")
@role_required("proctor", "coordinator")
def home():
    """The sittings this proctor runs."""
    sittings = db.session.scalars(
        select(Sitting).where(Sitting.proctor_id == current_user.id).order_by(Sitting.starts_at)
    )
    return render_template("proctor/home.html", sittings=list(sittings))


@bp.get("/sitting/<int:sitting_id>")
@role_required("proctor", "coordinator")
def sitting(sitting_id: int):
    """The console: the live roster, actions and incident notes."""
    now = now_utc()
    s = proctoring.sitting_for(current_user, sitting_id)
    rows = proctoring.roster(s, now)
    return render_template(
        "proctor/sitting.html",
        sitting=s,
        rows=rows,
        incidents=proctoring.incidents(s),
        categories=proctoring.INCIDENT_CATEGORIES,
        over=proctoring.sitting_is_over(s, rows, now),
    )


@bp.get("/sitting/<int:sitting_id>/roster")
@role_required("proctor", "coordinator")
def roster(sitting_id: int):
    """The roster fragment, polled every few seconds; 286 stops the polling once it is over."""
    now = now_utc()
    s = proctoring.sitting_for(current_user, sitting_id)
    rows = proctoring.roster(s, now)
    over = proctoring.sitting_is_over(s, rows, now)
    body = render_template("proctor/_roster.html", sitting=s, rows=rows, over=over)
    return body, STOP_POLLING if over else 200


def _minutes() -> int:
    value = request.form.get("minutes", "0") or "0"
    if not is_whole_number(value):
        raise DeliveryError("Minutes must be a whole number.")
    return int(value)


@bp.post("/sitting/<int:sitting_id>/act")
@role_required("proctor", "coordinator")
def act_form(sitting_id: int):
    """The console's action form: the seat comes as a field."""
    seat = request.form.get("seat", "")
    if not is_whole_number(seat):
        raise DeliveryError("Choose a candidate.")
    return act(int(seat))


@bp.post("/seat/<int:seat_id>/act")
@role_required("proctor", "coordinator")
def act(seat_id: int):
    """Admit, pause, resume, extend, credit lost time, force-submit or void, with a reason."""
    seat = proctoring.seat_for(current_user, seat_id)
    message = proctoring.act_on_seat(
        seat,
        request.form.get("action", ""),
        request.form.get("reason", ""),
        _minutes(),
        current_user,
        now_utc(),
    )
    db.session.commit()
    if htmx:
        return roster(seat.sitting_id)
    flash(message)
    return redirect(url_for("proctor.sitting", sitting_id=seat.sitting_id))


@bp.post("/sitting/<int:sitting_id>/incident")
@role_required("proctor", "coordinator")
def incident(sitting_id: int):
    """Record an incident note for the sitting or one seat."""
    s = proctoring.sitting_for(current_user, sitting_id)
    seat = request.form.get("seat", "")
    if seat and not is_whole_number(seat):
        raise DeliveryError("That seat is not in this sitting.")
    proctoring.record_incident(
        s,
        int(seat) if seat else None,
        request.form.get("category", ""),
        request.form.get("note", ""),
        current_user,
        now_utc(),
    )
    db.session.commit()
    flash("Incident recorded.")
    return redirect(url_for("proctor.sitting", sitting_id=sitting_id))


@bp.get("/seat/<int:seat_id>/late")
@role_required("proctor", "coordinator")
def late_answers(seat_id: int):
    """The seat's answers that arrived after a part closed, and the decision to accept them."""
    seat = proctoring.seat_for(current_user, seat_id)
    return render_template("proctor/late.html", seat=seat, parts=late.seat_late_answers(seat))


@bp.post("/seat/<int:seat_id>/late/<int:attempt_id>/accept")
@role_required("proctor", "coordinator")
def accept_late(seat_id: int, attempt_id: int):
    """Accept a part's late answers into its record with a reason (audited), then re-score."""
    seat = proctoring.seat_for(current_user, seat_id)
    attempt = late.attempt_of_seat(seat, attempt_id)
    flash(late.accept(attempt, current_user, request.form.get("reason", ""), now_utc()))
    db.session.commit()
    return redirect(url_for("proctor.late_answers", seat_id=seat_id))
