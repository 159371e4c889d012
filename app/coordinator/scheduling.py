"""Coordinator scheduling pages: exam windows, sittings, seats with accommodations, approvals.

Every form re-renders with the coordinator's entries and the message (422, or 409 when the
state forbids the change) and writes nothing; a success commits once and redirects."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.codes import TRACKS
from app.coordinator import scheduling_input as parse
from app.coordinator import scheduling_services as services
from app.coordinator.scheduling_input import Problem
from app.coordinator.windows import window_bounds, window_name
from app.exam import late
from app.extensions import db
from app.localtime import association_zone, clock_label, local_label, to_local
from app.models import ExamWindow, Seat, Sitting, now_utc

bp = Blueprint("scheduling", __name__, template_folder="templates")


def _load(model, ident: int, what: str):
    # A huge id in the URL must be "not found", not a PostgreSQL integer-overflow error.
    found = db.session.get(model, ident) if ident <= parse.MAX_ID else None
    if found is None:
        abort(404, description=f"There is no such {what}.")
    return found


# --- windows -------------------------------------------------------------------------------


@bp.get("/")
@role_required("coordinator")
def list_windows():
    """Every exam window with its sittings."""
    return render_template("coordinator/windows.html", windows=services.windows())


def _window_values(window: ExamWindow) -> dict:
    return {
        "name": window.name,
        "opens_on": window.opens_on.isoformat(),
        "closes_on": window.closes_on.isoformat(),
    }


def _window_form(values, window=None, error: Problem | None = None, day=""):
    page = render_template(
        "coordinator/window_form.html", values=values, window=window, error=error, day=day
    )
    return page, (error.status if error else 200)


def _suggested_window(raw_day: str | None):
    today = to_local(now_utc()).date()
    day = parse.parse_date(raw_day, "Suggest dates for") if raw_day else today
    opens_on, closes_on = window_bounds(day, current_app.config["WINDOW_DEADLINES"])
    values = {
        "name": window_name(opens_on, closes_on),
        "opens_on": opens_on.isoformat(),
        "closes_on": closes_on.isoformat(),
    }
    return values, day.isoformat()


@bp.route("/windows/new", methods=["GET", "POST"])
@role_required("coordinator")
def create_window():
    """A new window; dates suggested from the application deadlines around a chosen day."""
    if request.method == "GET":
        try:
            values, day = _suggested_window(request.args.get("day"))
        except Problem as problem:
            return _window_form({}, error=problem, day=request.args.get("day", ""))
        return _window_form(values, day=day)
    try:
        window = services.create_window(parse.window_input(request.form), current_user, now_utc())
    except Problem as problem:
        return _window_form(request.form, error=problem)
    db.session.commit()
    flash(f"Window “{window.name}” created.")
    return redirect(url_for(".show_window", window_id=window.id))


@bp.get("/windows/<int:window_id>")
@role_required("coordinator")
def show_window(window_id: int):
    """A window's dates and its sittings."""
    window = _load(ExamWindow, window_id, "exam window")
    return render_template("coordinator/window.html", window=window)


@bp.route("/windows/<int:window_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit_window(window_id: int):
    """Rename a window or change its dates."""
    window = _load(ExamWindow, window_id, "exam window")
    if request.method == "GET":
        return _window_form(_window_values(window), window)
    try:
        data = parse.window_input(request.form)
        services.update_window(window, data, current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _window_form(request.form, window, problem)
    db.session.commit()
    flash("Window saved.")
    return redirect(url_for(".show_window", window_id=window.id))


# --- sittings ------------------------------------------------------------------------------


def _sitting_values(sitting: Sitting) -> dict:
    starts, ends = to_local(sitting.starts_at), to_local(sitting.ends_at)
    return {
        "name": sitting.name,
        "date": starts.date().isoformat(),
        "starts": f"{starts:%H:%M}",
        "ends": f"{ends:%H:%M}",
        "proctor_id": str(sitting.proctor_id or ""),
        "mode": sitting.mode,
    }


def _saved_sitting(verb: str, sitting: Sitting, data: parse.SittingInput) -> None:
    """The confirmation repeats the local times, says when the end is on the next day and
    which time that happens twice (the autumn change) was taken as its first occurrence."""
    message = (
        f"Sitting “{sitting.name}” {verb}: {local_label(sitting.starts_at)} to "
        f"{clock_label(sitting.ends_at)}"
    )
    if data.ends_next_day:
        message += f", ending the next day ({to_local(sitting.ends_at):%Y-%m-%d})"
    message += "."
    for moment in data.ambiguous:
        message += (
            f" {moment} happens twice when daylight saving time ends; the first occurrence "
            "(still on daylight time) was used."
        )
    flash(message)


def _sitting_form(window, values, codes, sitting=None, error: Problem | None = None):
    page = render_template(
        "coordinator/sitting_form.html",
        window=window,
        sitting=sitting,
        values=values,
        chosen_codes=set(codes),
        proctors=services.proctors(),
        form_choices=services.form_choices(),
        error=error,
    )
    return page, (error.status if error else 200)


@bp.route("/windows/<int:window_id>/sittings/new", methods=["GET", "POST"])
@role_required("coordinator")
def create_sitting(window_id: int):
    """A new sitting in the window: local date and times, proctor, mode and forms."""
    window = _load(ExamWindow, window_id, "exam window")
    if request.method == "GET":
        values = {"date": window.opens_on.isoformat(), "mode": "scheduled"}
        return _sitting_form(window, values, [])
    try:
        data = parse.sitting_input(request.form, association_zone())
        sitting = services.create_sitting(window, data, current_user, now_utc())
    except Problem as problem:
        return _sitting_form(
            window, request.form, request.form.getlist("form_codes"), None, problem
        )
    db.session.commit()
    _saved_sitting("created", sitting, data)
    return redirect(url_for(".show_sitting", sitting_id=sitting.id))


@bp.route("/sittings/<int:sitting_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit_sitting(sitting_id: int):
    """Change a sitting's name, time, proctor, mode or forms."""
    sitting = _load(Sitting, sitting_id, "sitting")
    if request.method == "GET":
        return _sitting_form(sitting.window, _sitting_values(sitting), sitting.form_codes, sitting)
    try:
        data = parse.sitting_input(request.form, association_zone())
        services.update_sitting(sitting, data, current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        codes = request.form.getlist("form_codes")
        return _sitting_form(sitting.window, request.form, codes, sitting, problem)
    db.session.commit()
    _saved_sitting("saved", sitting, data)
    return redirect(url_for(".show_sitting", sitting_id=sitting.id))


def _sitting_page(sitting: Sitting, values=None, error: Problem | None = None):
    # The picker lists a page of matches, not every candidate of the association.
    query = request.values.get("q", "")[:100]
    page = render_template(
        "coordinator/sitting.html",
        sitting=sitting,
        attempted=services.seats_with_attempts(sitting),
        found=services.find_candidates(query, 1, per_page=50, not_in=sitting),
        q=query,
        tracks=TRACKS,
        values=values or {"time_multiplier": "1", "extra_minutes": "0"},
        error=error,
    )
    return page, (error.status if error else 200)


@bp.get("/sittings/<int:sitting_id>")
@role_required("coordinator")
def show_sitting(sitting_id: int):
    """A sitting's details, its seats and the form to seat a candidate."""
    return _sitting_page(_load(Sitting, sitting_id, "sitting"))


# --- seats ---------------------------------------------------------------------------------


@bp.post("/sittings/<int:sitting_id>/seats")
@role_required("coordinator")
def add_seat(sitting_id: int):
    """Seat an approved candidate for a track, with any accommodations."""
    sitting = _load(Sitting, sitting_id, "sitting")
    try:
        seat = services.add_seat(sitting, parse.seat_input(request.form), current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _sitting_page(sitting, request.form, problem)
    db.session.commit()
    flash(f"{seat.candidate.name} is seated for {seat.track}.")
    return redirect(url_for(".show_sitting", sitting_id=sitting.id))


def _seat_values(seat: Seat) -> dict:
    return {
        "time_multiplier": f"{seat.time_multiplier:g}",
        "extra_minutes": str(seat.extra_minutes),
        "accommodation_note": seat.accommodation_note,
    }


def _seat_page(seat: Seat, values=None, error: Problem | None = None):
    attempted = seat.id in services.seats_with_attempts(seat.sitting)
    page = render_template(
        "coordinator/seat_form.html",
        seat=seat,
        attempted=attempted,
        late=late.seat_waiting([seat.id]).get(seat.id, []),
        declined=late.seat_declined([seat.id]).get(seat.id, []),
        values=values or _seat_values(seat),
        error=error,
    )
    return page, (error.status if error else 200)


@bp.route("/seats/<int:seat_id>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def edit_seat(seat_id: int):
    """Change a seat's accommodations, with the reason recorded in the audit log."""
    seat = _load(Seat, seat_id, "seat")
    if request.method == "GET":
        return _seat_page(seat)
    try:
        acc = parse.accommodations_input(request.form)
        reason = parse.reason_input(request.form)
        changed = services.change_accommodations(seat, acc, reason, current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _seat_page(seat, request.form, problem)
    db.session.commit()
    flash("Accommodations saved." if changed else "Nothing changed.")
    return redirect(url_for(".show_sitting", sitting_id=seat.sitting_id))


@bp.post("/seats/<int:seat_id>/remove")
@role_required("coordinator")
def remove_seat(seat_id: int):
    """Remove a seat that has no attempt yet."""
    seat = _load(Seat, seat_id, "seat")
    sitting_id, name = seat.sitting_id, seat.candidate.name
    try:
        services.remove_seat(seat, parse.reason_input(request.form), current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _seat_page(seat, None, problem)
    db.session.commit()
    flash(f"{name}'s seat is removed.")
    return redirect(url_for(".show_sitting", sitting_id=sitting_id))


# --- approvals -----------------------------------------------------------------------------


def _approvals_page(values=None, error: Problem | None = None):
    query = request.values.get("q", "")[:100]
    page_number = request.args.get("page", 1, type=int) or 1
    page = render_template(
        "coordinator/approvals.html",
        candidates=services.find_candidates(query, page_number),
        q=query,
        tracks=TRACKS,
        values=values or {},
        error=error,
    )
    return page, (error.status if error else 200)


@bp.get("/approvals")
@role_required("coordinator")
def list_approvals():
    """Candidates and the tracks each is approved to sit."""
    return _approvals_page()


def _change_approval(change, done: str):
    try:
        candidate_id = parse.parse_id(request.form.get("candidate_id"), "candidate")
        track = parse.parse_track(request.form.get("track"))
        reason = parse.reason_input(request.form)
        candidate = change(candidate_id, track, reason, current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _approvals_page(request.form, problem)
    db.session.commit()
    flash(f"{candidate.name} {done} {track}.")
    return redirect(url_for(".list_approvals"))


@bp.post("/approvals/approve")
@role_required("coordinator")
def approve():
    """Approve a candidate for a track (audited)."""
    return _change_approval(services.approve, "is now approved for")


@bp.post("/approvals/withdraw")
@role_required("coordinator")
def withdraw():
    """Withdraw a candidate's approval for a track (audited)."""
    return _change_approval(services.withdraw, "is no longer approved for")
