"""Candidate pages: home, Part One and Part Two delivery."""

from flask import Blueprint, render_template
from flask_login import current_user

from app.auth.roles import role_required
from app.exam import services
from app.models import now_utc

bp = Blueprint("exam", __name__, template_folder="templates")


@bp.get("/")
@role_required("candidate")
def home():
    """The candidate's seats and what each part allows now."""
    seats = services.candidate_seats(current_user, now_utc())
    return render_template("exam/home.html", seats=seats)
