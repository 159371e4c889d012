"""The lead grader's pages: adjudication, back-reading, the calibration set, the graders."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.extensions import db
from app.grading import calibration, lead, rounds, settings
from app.grading import graders as grader_pool
from app.grading.errors import GradingError
from app.grading.parsing import whole_number
from app.models import now_utc

bp = Blueprint("lead", __name__, template_folder="templates")


@bp.get("/adjudication")
@role_required("lead_grader")
def adjudication():
    """Responses whose two readings need the lead grader's third reading."""
    return render_template(
        "grading/lead_adjudication.html", queue=lead.adjudication_queue(current_user)
    )


@bp.post("/adjudication/<code>")
@role_required("lead_grader")
def adjudicate(code: str):
    """Take (or resume) the adjudication of a response."""
    reading = lead.claim(current_user, code, "ADJ", now_utc())
    db.session.commit()
    return redirect(url_for("grading.read", code=reading.response.code))


@bp.get("/back-reading")
@role_required("lead_grader")
def back_reading():
    """The back-reading sample: waiting ones, and finished ones against the final levels."""
    return render_template(
        "grading/lead_back_reading.html",
        queue=lead.back_reading_queue(current_user),
        done=lead.back_readings_done(),
        share=settings.back_read_share(),
    )


@bp.post("/back-reading/<code>")
@role_required("lead_grader")
def back_read(code: str):
    """Take (or resume) the back-reading of a final response."""
    reading = lead.claim(current_user, code, "BACK", now_utc())
    db.session.commit()
    return redirect(url_for("grading.read", code=reading.response.code))


@bp.get("/calibration")
@role_required("lead_grader")
def calibration_set():
    """The calibration set, candidate exemplars, and the required agreement rate."""
    return render_template(
        "grading/lead_calibration.html",
        items=calibration.active_items(),
        exemplars=calibration.exemplars(),
        required=settings.calibration_rate(),
    )


@bp.get("/calibration/mark")
@role_required("lead_grader")
def mark_form():
    """A final response with its key levels to confirm before it joins the set."""
    response = calibration.final_response(request.args.get("code", ""))
    return render_template(
        "grading/lead_mark.html",
        response=response,
        criteria=response.attempt.form.rubric.criteria,
        ratings=calibration.suggested_key(response),
    )


@bp.post("/calibration/mark")
@role_required("lead_grader")
def mark():
    """Put the response in the calibration set with the chosen key levels."""
    response = calibration.final_response(request.form.get("code", ""))
    calibration.mark(
        current_user, response, calibration.parse_key(response, request.form), now_utc()
    )
    db.session.commit()
    flash(f"Response {response.code} is in the calibration set.")
    return redirect(url_for("grading.lead.calibration_set"))


@bp.post("/calibration/<code>/retire")
@role_required("lead_grader")
def retire(code: str):
    """Take a response out of the calibration set."""
    calibration.retire(current_user, calibration.final_response(code), now_utc())
    db.session.commit()
    flash(f"Response {code} left the calibration set.")
    return redirect(url_for("grading.lead.calibration_set"))


@bp.get("/graders")
@role_required("lead_grader")
def graders():
    """The round: every grader's done/committed, coverage, and responses waiting too long."""
    now = now_utc()
    overdue = rounds.overdue(now)
    return render_template(
        "grading/lead_graders.html",
        rows=lead.graders_rows(),
        required=settings.calibration_rate(),
        current=grader_pool.open_round(),
        windows=rounds.windows(),
        coverage=rounds.coverage(),
        overdue=overdue,
        assignable={o.response.id: rounds.assignable(o.response) for o in overdue},
        wait=settings.second_reading_wait(),
    )


@bp.post("/rounds")
@role_required("lead_grader")
def open_round():
    """Open a grading round for an exam window (its list of names is fixed from now)."""
    made = rounds.open_round(current_user, whole_number(request.form.get("window", "")), now_utc())
    db.session.commit()
    flash(f"Grading round {made.name} is open: {len(made.candidate_ids)} candidates listed.")
    return redirect(url_for("grading.lead.graders"))


@bp.post("/overdue/<code>/assign")
@role_required("lead_grader")
def assign(code: str):
    """Give a response waiting too long for its second reading to a named grader."""
    reading = rounds.assign(
        current_user, code, whole_number(request.form.get("grader", "")), now_utc()
    )
    db.session.commit()
    flash(f"Response {code} assigned to {reading.grader.name}.")
    return redirect(url_for("grading.lead.graders"))


def _capacity() -> int:
    capacity = whole_number(request.form.get("capacity", "").strip())
    if capacity is None:
        raise GradingError("Capacity is a whole number from 0 to 10,000.", 422)
    return capacity


@bp.post("/graders/<int:user_id>/capacity")
@role_required("lead_grader")
def capacity(user_id: int):
    """Set how many live readings the grader commits to in the round."""
    user = lead.grader(user_id)
    lead.set_capacity(current_user, user, _capacity(), now_utc())
    db.session.commit()
    flash(f"Capacity of {user.name} saved.")
    return redirect(url_for("grading.lead.graders"))


@bp.post("/graders/<int:user_id>/calibrated")
@role_required("lead_grader")
def waive(user_id: int):
    """Record a grader as calibrated without the set, with the reason (audited)."""
    user = lead.grader(user_id)
    calibration.waive(current_user, user, request.form.get("reason", ""), now_utc())
    db.session.commit()
    flash(f"{user.name} may now read live responses.")
    return redirect(url_for("grading.lead.graders"))
