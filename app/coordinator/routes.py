"""Coordinator pages: overview and question bank."""

from flask import Blueprint, render_template

from app.auth.roles import role_required
from app.coordinator import services

bp = Blueprint("coordinator", __name__, template_folder="templates")


@bp.get("/")
@role_required("coordinator")
def home():
    """Counts of what the platform holds, and the sittings to come."""
    return render_template("coordinator/home.html", overview=services.overview())


@bp.get("/bank")
@role_required("coordinator")
def bank():
    """The forms in the bank, latest versions first."""
    return render_template("coordinator/bank.html", forms=services.bank_forms())
