"""Grader and lead grader pages: the blind queue, readings, conflicts, calibration, quality."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.analysis import frames, raters
from app.auth.roles import role_required
from app.errors import render_error
from app.extensions import db
from app.grading import calibration as calibrating
from app.grading import conflicts as conflicting
from app.grading import graders, lead, services, views
from app.grading import queue as queueing
from app.grading.errors import GradingError
from app.grading.lead_routes import bp as lead_bp
from app.models import now_utc

bp = Blueprint("grading", __name__, template_folder="templates")
bp.register_blueprint(lead_bp, url_prefix="/lead")
READERS = ("grader", "lead_grader")


@bp.errorhandler(GradingError)
def grading_error(error: GradingError):
    """A refused grading action: nothing was written; say why."""
    db.session.rollback()
    return render_error(error.status, error.message)


# --- the queue -----------------------------------------------------------------------------


@bp.get("/")
@role_required(*READERS)
def queue():
    """The grader's queue: next response, progress, drafts and their own finished readings."""
    state = queueing.queue_state(current_user)
    pending = (
        len(lead.adjudication_queue(current_user)) if current_user.role == "lead_grader" else 0
    )
    return render_template("grading/queue.html", state=state, adjudications=pending)


@bp.post("/next")
@role_required(*READERS)
def next_response():
    """Hand the grader their next response (or their unfinished one)."""
    handout = queueing.next_response(current_user, now_utc())
    db.session.commit()
    if handout.reading is None:
        flash(handout.why_none)
        return redirect(url_for("grading.queue"))
    return redirect(url_for("grading.read", code=handout.reading.response.code))


@bp.get("/read/<code>")
@role_required(*READERS)
def read(code: str):
    """The reading page: response code, vignette, response text and the rubric."""
    reading = services.own_reading(current_user, code)
    return render_template("grading/reading.html", **views.reading_context(reading, session))


@bp.post("/read/<code>/draft")
@role_required(*READERS)
def draft(code: str):
    """Autosave the reading as a draft (a whole snapshot of the form)."""
    reading = services.own_reading(current_user, code)
    return _save_draft(reading)


@bp.post("/read/<code>")
@role_required(*READERS)
def submit(code: str):
    """Submit the reading: every criterion rated."""
    reading = services.own_reading(current_user, code)
    return _submit(reading, url_for("grading.queue"))


@bp.post("/read/<code>/hand-back")
@role_required(*READERS)
def ask_recuse(code: str):
    """'I think I know who wrote this': keep the draft, then ask for confirmation."""
    reading = services.own_reading(current_user, code)
    services.save_draft(reading, services.parse_entry(reading, request.form), now_utc())
    db.session.commit()
    return redirect(url_for("grading.confirm_recuse", code=code))


@bp.get("/read/<code>/hand-back")
@role_required(*READERS)
def confirm_recuse(code: str):
    """Confirm handing the response back; the draft stays until this is confirmed."""
    reading = services.own_reading(current_user, code)
    return render_template("grading/recuse.html", code=reading.response.code)


@bp.post("/read/<code>/recuse")
@role_required(*READERS)
def recuse(code: str):
    """Hand the response back and record the conflict, once confirmed."""
    reading = services.own_reading(current_user, code)
    if request.form.get("confirm") != "yes":
        raise GradingError("Confirm that you want to hand this response back.", 422)
    conflicting.recuse(reading, now_utc())
    db.session.commit()
    flash("Thank you. The response went back to the pool and the conflict is recorded.")
    return redirect(url_for("grading.queue"))


def _save_draft(reading):
    now = now_utc()
    services.save_draft(reading, services.parse_entry(reading, request.form), now)
    db.session.commit()
    return render_template("grading/_save_status.html", saved_at=now)


def _submit(reading, then: str):
    entry = services.parse_entry(reading, request.form)
    if entry.problems or entry.missing:
        message = " ".join(entry.problems + [f"{m}: choose a level." for m in entry.missing])
        context = views.reading_context(reading, session, entry, message)
        return render_template("grading/reading.html", **context), 422
    services.submit_reading(reading, entry, now_utc())
    db.session.commit()
    flash(f"Reading of response {reading.response.code} submitted.")
    return redirect(then)


# --- conflicts ---------------------------------------------------------------------------


@bp.get("/conflicts")
@role_required(*READERS)
def conflicts():
    """Names of the round's candidates, to mark any the grader knows, before any response."""
    locked = conflicting.conflicts_locked(current_user)
    choices = [] if locked else conflicting.name_choices(current_user)
    profile = graders.profile_of(current_user)
    return render_template(
        "grading/conflicts.html",
        locked=locked,
        choices=choices,
        profile=profile,
        round=graders.open_round(),
    )


@bp.post("/conflicts")
@role_required(*READERS)
def declare():
    """Record the grader's conflicts (an empty list declares none)."""
    count = conflicting.declare_conflicts(
        current_user, set(request.form.getlist("conflict")), now_utc()
    )
    db.session.commit()
    flash(f"Conflicts recorded: {count}.")
    return redirect(url_for("grading.queue"))


# --- calibration -------------------------------------------------------------------------


@bp.get("/calibration")
@role_required(*READERS)
def calibration():
    """The grader's calibration round: what is read and the agreement reached."""
    state = calibrating.calibration_state(current_user)
    return render_template("grading/calibration.html", state=state)


@bp.post("/calibration/next")
@role_required(*READERS)
def calibration_next():
    """Open the next calibration reading (a new round after a completed one)."""
    reading = calibrating.start_reading(current_user, now_utc())
    db.session.commit()
    return redirect(url_for("grading.calibration_read", code=reading.response.code))


@bp.get("/calibration/<code>")
@role_required(*READERS)
def calibration_read(code: str):
    """A calibration reading: the same page as a live one."""
    reading = calibrating.own_reading(current_user, code)
    return render_template("grading/reading.html", **views.reading_context(reading, session))


@bp.post("/calibration/<code>/draft")
@role_required(*READERS)
def calibration_draft(code: str):
    """Autosave a calibration reading."""
    return _save_draft(calibrating.own_reading(current_user, code))


@bp.post("/calibration/<code>")
@role_required(*READERS)
def calibration_submit(code: str):
    """Submit a calibration reading."""
    return _submit(calibrating.own_reading(current_user, code), url_for("grading.calibration"))


# --- rater agreement -------------------------------------------------------------------


@bp.get("/agreement")
@role_required("lead_grader", "coordinator")
def agreement():
    """Per criterion and per grader: agreement, kappa, severity, readings and time."""
    readings = frames.readings_frame()
    return render_template(
        "grading/agreement.html",
        criteria=raters.criterion_agreement(readings),
        graders=raters.grader_agreement(readings),
    )
