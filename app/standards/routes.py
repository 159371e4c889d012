"""Standard setting (modified Angoff): the coordinator's studies and the panellists' ratings.

Panellists are existing staff accounts (proctor, grader, lead grader, coordinator) named to a
study's panel: each panel route also checks membership, answering 404 to anyone else.
"""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.coordinator.analytics import FORMATS, _download
from app.errors import render_error
from app.extensions import db
from app.models import now_utc
from app.standards import services
from app.standards.services import PANEL_ROLES, StandardsError

bp = Blueprint("standards", __name__, template_folder="templates")

STUDIES = "/coordinator/analytics/standard-setting"


@bp.errorhandler(StandardsError)
def standards_error(error: StandardsError):
    """A refused request: say why, change nothing."""
    db.session.rollback()
    return render_error(error.status, error.message)


# --- coordinator -----------------------------------------------------------------------------


@bp.get(STUDIES)
@role_required("coordinator")
def studies():
    """Every study, and the form to open a new one."""
    return render_template(
        "standards/studies.html",
        studies=services.studies(),
        forms=services.part_one_forms(),
        mine=services.my_studies(current_user),
    )


@bp.post(STUDIES)
@role_required("coordinator")
def open_study():
    """Open a round-one study of a Part One form version."""
    study = services.open_study(
        request.form.get("form_id", ""), request.form.get("name", ""), current_user, now_utc()
    )
    db.session.commit()
    return redirect(url_for("standards.study", study_id=study.id))


@bp.get(f"{STUDIES}/<int:study_id>")
@role_required("coordinator")
def study(study_id: int):
    """The study: panel and progress, each panellist's cut, the recommended cut and impact."""
    found = services.get_study(study_id)
    return render_template(
        "standards/study.html",
        study=found,
        summary=services.summary(found),
        accounts=services.candidates_for_panel(found),
    )


@bp.post(f"{STUDIES}/<int:study_id>/panellists")
@role_required("coordinator")
def add_panellist(study_id: int):
    """Name a staff account to the study's panel."""
    found = services.get_study(study_id)
    services.add_panellist(found, request.form.get("user_id", ""), current_user, now_utc())
    db.session.commit()
    return redirect(url_for("standards.study", study_id=study_id))


@bp.post(f"{STUDIES}/<int:study_id>/advance")
@role_required("coordinator")
def advance(study_id: int):
    """Move the study to round two, or close it."""
    found = services.get_study(study_id)
    services.advance(found, request.form.get("to", ""), current_user, now_utc())
    db.session.commit()
    return redirect(url_for("standards.study", study_id=study_id))


@bp.post(f"{STUDIES}/<int:study_id>/adopt")
@role_required("coordinator")
def adopt(study_id: int):
    """Adopt the recommended cut as the pass mark of a new form version."""
    found = services.get_study(study_id)
    services.adopt(found, current_user, now_utc())
    db.session.commit()
    return redirect(url_for("standards.study", study_id=study_id))


@bp.get(f"{STUDIES}/<int:study_id>/ratings.<fmt>")
@role_required("coordinator")
def download_ratings(study_id: int, fmt: str):
    """Every saved rating of the study as CSV or XLSX."""
    if fmt not in FORMATS:
        raise StandardsError(f"Downloads come as csv or xlsx, not {fmt!r}.", 404)
    found = services.get_study(study_id)
    return _download(services.ratings_table(found), fmt, f"angoff-{found.id}-ratings")


# --- panellist -------------------------------------------------------------------------------


@bp.get("/standard-setting")
@role_required(*PANEL_ROLES)
def mine():
    """The studies this account sits on."""
    return render_template("standards/mine.html", studies=services.my_studies(current_user))


@bp.get("/standard-setting/<int:study_id>")
@role_required(*PANEL_ROLES)
def rate(study_id: int):
    """Every item of the study's form to rate; round two adds p and the panel's spread."""
    found = services.panel_study(study_id, current_user)
    rows = services.rating_rows(found, current_user, now_utc())
    db.session.commit()  # the item analysis cache row round two's p may have written
    return render_template(
        "standards/rate.html", study=found, rows=rows, values=services.VALUES,
        round=services.ROUND[found.status],
    )  # fmt: skip


@bp.post("/standard-setting/<int:study_id>/items/<int:item_id>")
@role_required(*PANEL_ROLES)
def save_rating(study_id: int, item_id: int):
    """Save the panellist's rating of one item in the current round."""
    found = services.panel_study(study_id, current_user)
    services.save_rating(found, current_user, item_id, request.form.get("value", ""), now_utc())
    db.session.commit()
    return redirect(url_for("standards.rate", study_id=study_id, _anchor=f"item-{item_id}"))
