"""Proctor console: the sittings a proctor runs."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from app.auth.roles import role_required
from app.extensions import db
from app.models import Sitting

bp = Blueprint("proctor", __name__, template_folder="templates")


@bp.get("/")
@role_required("proctor", "coordinator")
def home():
    """The sittings this proctor runs."""
    sittings = db.session.scalars(
        select(Sitting).where(Sitting.proctor_id == current_user.id).order_by(Sitting.starts_at)
    )
    return render_template("proctor/home.html", sittings=list(sittings))
