"""Results: the coordinator's results per sitting and release, conflicts and break-glass, and
the candidate's own printable results page.

The coordinator's pages live under /coordinator/results; the candidate's page is /results/mine,
so the blueprint carries full paths instead of one url_prefix.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.errors import render_error
from app.extensions import db
from app.grading import appeals, calibration, coordinator, results, settings
from app.grading.errors import GradingError
from app.grading.parsing import whole_number
from app.models import now_utc

bp = Blueprint("results", __name__, template_folder="templates")
PREFIX = "/coordinator/results"


@bp.errorhandler(GradingError)
def grading_error(error: GradingError):
    """A refused action: nothing was written; say why."""
    db.session.rollback()
    return render_error(error.status, error.message)


@bp.get(f"{PREFIX}/")
@role_required("coordinator")
def index():
    """Sittings with their results, release state and Part Two grading progress."""
    return render_template("results/index.html", rows=coordinator.sittings_overview())


@bp.get(f"{PREFIX}/sittings/<int:sitting_id>")
@role_required("coordinator")
def sitting(sitting_id: int):
    """Every seat of a sitting with its results; identity is shown to the coordinator only."""
    found = coordinator.sitting(sitting_id)
    return render_template(
        "results/sitting.html", sitting=found, rows=coordinator.sitting_results(found)
    )


@bp.post(f"{PREFIX}/sittings/<int:sitting_id>/release")
@role_required("coordinator")
def release(sitting_id: int):
    """Release the sitting's results (both parts) to the candidates."""
    count = coordinator.release(current_user, coordinator.sitting(sitting_id), now_utc())
    db.session.commit()
    flash(f"Released {count} result(s).")
    return redirect(url_for("results.sitting", sitting_id=sitting_id))


@bp.get(f"{PREFIX}/seats/<int:seat_id>")
@role_required("coordinator")
def seat(seat_id: int):
    """One seat's results and its final responses (by code) with every reading."""
    detail = coordinator.seat_detail(seat_id)
    return render_template("results/seat.html", detail=detail, readings_of=coordinator.readings_of)


@bp.get(f"{PREFIX}/conflicts")
@role_required("coordinator")
def conflicts():
    """Recorded conflicts of interest, and a form to add one."""
    return render_template(
        "results/conflicts.html",
        conflicts=coordinator.conflicts(),
        graders=coordinator.people(("grader", "lead_grader")),
        candidates=coordinator.people(("candidate",)),
        leads=coordinator.lead_graders(),
    )


def _int_field(name: str) -> int:
    number = whole_number(request.form.get(name, "").strip())
    if number is None:
        raise GradingError(f"Choose a {name}.", 422)
    return number


@bp.post(f"{PREFIX}/conflicts")
@role_required("coordinator")
def add_conflict():
    """Record a conflict between a grader and a candidate."""
    coordinator.add_conflict(current_user, _int_field("grader"), _int_field("candidate"), now_utc())
    db.session.commit()
    flash("Conflict recorded.")
    return redirect(url_for("results.conflicts"))


@bp.post(f"{PREFIX}/conflicts/<int:conflict_id>/remove")
@role_required("coordinator")
def remove_conflict(conflict_id: int):
    """Remove a recorded conflict."""
    coordinator.remove_conflict(current_user, conflict_id, now_utc())
    db.session.commit()
    flash("Conflict removed.")
    return redirect(url_for("results.conflicts"))


@bp.post(f"{PREFIX}/leads/<int:user_id>/calibrated")
@role_required("coordinator")
def waive_lead(user_id: int):
    """Record a lead grader as calibrated without the set (theirs is never their own call)."""
    lead_user = coordinator.lead_grader(user_id)
    calibration.waive(current_user, lead_user, request.form.get("reason", ""), now_utc())
    db.session.commit()
    flash(f"{lead_user.name} may now read live responses.")
    return redirect(url_for("results.conflicts"))


@bp.get(f"{PREFIX}/appeals")
@role_required("coordinator")
def appeals_list():
    """Appeals of Part Two results: open requests first, with statements and outcomes."""
    return render_template("results/appeals.html", appeals=appeals.all_appeals())


@bp.post(f"{PREFIX}/appeals/<int:appeal_id>/decide")
@role_required("coordinator")
def decide_appeal(appeal_id: int):
    """Accept (a blind review reading follows) or decline an appeal, with the reason."""
    decision = request.form.get("decision", "")
    if decision not in ("accept", "decline"):
        raise GradingError("Choose to accept or decline the appeal.", 422)
    appeal = appeals.decide(
        current_user, appeal_id, decision == "accept", request.form.get("reason", ""), now_utc()
    )
    db.session.commit()
    flash(f"Appeal {appeal.status}.")
    return redirect(url_for("results.appeals_list"))


@bp.post(f"{PREFIX}/reveal")
@role_required("coordinator")
def reveal():
    """Break-glass: whose response a code is, before it is final (reason required, audited)."""
    found = coordinator.reveal(
        current_user, request.form.get("code", ""), request.form.get("reason", ""), now_utc()
    )
    db.session.commit()
    return render_template("results/reveal.html", seat=found, code=request.form.get("code"))


@bp.get("/results/mine")
@role_required("candidate")
def mine():
    """The candidate's released results: Part One score, Part Two domain feedback, outcome."""
    now, wait = now_utc(), settings.retake_wait_days()
    return render_template(
        "results/mine.html",
        outcomes=results.candidate_results(current_user),
        may_retake=lambda r: results.may_retake(r, now, wait),
        retake_from=lambda r: results.retake_from(r, wait),
        appeal_of=appeals.appeal_of,
        may_appeal=lambda r: appeals.may_appeal(r, now),
        appeal_closes=appeals.appeal_closes,
    )


@bp.post("/results/<int:result_id>/appeal")
@role_required("candidate")
def request_appeal(result_id: int):
    """The candidate asks for a review of a failed Part Two, with a short statement."""
    appeals.request_review(current_user, result_id, request.form.get("statement", ""), now_utc())
    db.session.commit()
    flash("Your request for a review is recorded. The coordinator will decide on it.")
    return redirect(url_for("results.mine"))
