"""Proctor console: sittings, the live roster, actions on seats, incident notes."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import role_required
from app.errors import render_error
from app.exam import late, proctoring, sitting_report
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
        waiting=proctoring.waiting(rows),
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
    body = render_template(
        "proctor/_roster.html",
        sitting=s,
        rows=rows,
        waiting=proctoring.waiting(rows),
        categories=proctoring.INCIDENT_CATEGORIES,
        over=over,
    )
    return body, STOP_POLLING if over else 200


def _minutes() -> int:
    value = request.form.get("minutes", "0") or "0"
    if not is_whole_number(value):
        raise DeliveryError("Minutes must be a whole number.")
    return int(value)


def _seat_action() -> proctoring.SeatAction:
    form = request.form
    return proctoring.SeatAction(
        action=form.get("action", ""),
        reason=form.get("reason", ""),
        minutes=_minutes(),
        id_checked=form.get("id_checked") == "yes",
        id_note=form.get("id_note", ""),
        confirmed=form.get("confirmed") == "yes",
    )


@bp.post("/seat/<int:seat_id>/act")
@role_required("proctor", "coordinator")
def act(seat_id: int):
    """Admit (ID checked), pause, resume, extend, credit lost time, force-submit or void."""
    seat = proctoring.seat_for(current_user, seat_id)
    message = proctoring.act_on_seat(seat, _seat_action(), current_user, now_utc())
    db.session.commit()
    if htmx:
        return roster(seat.sitting_id)
    flash(message)
    return redirect(url_for("proctor.sitting", sitting_id=seat.sitting_id))


@bp.get("/seat/<int:seat_id>/confirm")
@role_required("proctor", "coordinator")
def confirm(seat_id: int):
    """The second step of a void or force-submit: names the candidate and what will happen."""
    action = request.args.get("action", "")
    if action not in proctoring.NEEDS_CONFIRMATION:
        raise DeliveryError("Only void and force submit are confirmed on a page of their own.")
    seat = proctoring.seat_for(current_user, seat_id)
    row = proctoring.seat_row(seat, now_utc())
    return render_template("proctor/confirm.html", row=row, action=action)


@bp.post("/sitting/<int:sitting_id>/admit-all")
@role_required("proctor", "coordinator")
def admit_all(sitting_id: int):
    """Admit every candidate listed as waiting, each with its own audit event."""
    s = proctoring.sitting_for(current_user, sitting_id)
    raw = request.form.getlist("seat")
    if not raw or not all(is_whole_number(v) for v in raw):
        raise DeliveryError("No waiting candidates were listed.")
    seats = proctoring.admit_all_waiting(
        s, [int(v) for v in raw], request.form.get("ids_checked") == "yes", current_user, now_utc()
    )
    db.session.commit()
    flash(f"Admitted {len(seats)}: " + ", ".join(seat.candidate.name for seat in seats) + ".")
    return redirect(url_for("proctor.sitting", sitting_id=sitting_id))


@bp.get("/sitting/<int:sitting_id>/report")
@role_required("proctor", "coordinator")
def report(sitting_id: int):
    """The printable sitting report: every seat's times, accommodations and incidents."""
    s, now = proctoring.sitting_for(current_user, sitting_id), now_utc()
    rows, general = sitting_report.sitting_report(s, now)
    return render_template(
        "proctor/report.html", sitting=s, rows=rows, general=general, generated_at=now
    )


@bp.get("/sitting/<int:sitting_id>/report.csv")
@role_required("proctor", "coordinator")
def report_csv(sitting_id: int):
    """The sitting report as CSV, one line per seat."""
    s = proctoring.sitting_for(current_user, sitting_id)
    rows, _ = sitting_report.sitting_report(s, now_utc())
    return Response(
        sitting_report.report_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sitting-{s.id}-report.csv"'},
    )


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
    reason = request.form.get("reason", "")
    flash(late.accept(attempt, current_user, reason, now_utc(), _late_count()))
    db.session.commit()
    return redirect(url_for("proctor.late_answers", seat_id=seat_id))


def _late_count() -> int | None:
    """How many late answers the person was shown (a decision covers exactly those)."""
    raw = request.form.get("count")
    if raw is None:
        return None
    if not is_whole_number(raw):
        raise DeliveryError("The number of late answers must be a whole number.")
    return int(raw)


def _back_to(seat) -> str:
    """Where a decline returns: the console, the coordinator's seat page, or the review page."""
    back = request.values.get("back", "")
    if back == "console":
        return url_for("proctor.sitting", sitting_id=seat.sitting_id)
    if back == "seat" and current_user.role == "coordinator":
        return url_for("scheduling.edit_seat", seat_id=seat.id)
    return url_for("proctor.late_answers", seat_id=seat.id)


@bp.get("/seat/<int:seat_id>/late/<int:attempt_id>/decline/confirm")
@role_required("proctor", "coordinator")
def confirm_decline_late(seat_id: int, attempt_id: int):
    """Confirm declining a part's late answers: who, how many, what follows, and why."""
    seat = proctoring.seat_for(current_user, seat_id)
    attempt = late.attempt_of_seat(seat, attempt_id)
    return render_template(
        "proctor/late_decline.html",
        seat=seat,
        attempt=attempt,
        label=late.PART_LABELS[attempt.part],
        summary=late.decline_preview(attempt),
        back=request.args.get("back", ""),
        cancel=_back_to(seat),
    )


@bp.post("/seat/<int:seat_id>/late/<int:attempt_id>/decline")
@role_required("proctor", "coordinator")
def decline_late(seat_id: int, attempt_id: int):
    """Decline a part's late answers with a reason (audited): kept, never in the record."""
    seat = proctoring.seat_for(current_user, seat_id)
    attempt = late.attempt_of_seat(seat, attempt_id)
    reason = request.form.get("reason", "")
    flash(late.decline(attempt, current_user, reason, now_utc(), _late_count()))
    db.session.commit()
    return redirect(_back_to(seat))
