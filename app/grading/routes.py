"""Grader pages: the blind reading queue."""

from flask import Blueprint, render_template

from app.auth.roles import role_required

bp = Blueprint("grading", __name__, template_folder="templates")


@bp.get("/")
@role_required("grader", "lead_grader")
def queue():
    """The grader's queue of responses to read."""
    return render_template("grading/queue.html")
