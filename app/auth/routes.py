"""Sign-in, sign-out and password change pages."""

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import services, tokens
from app.auth.roles import ROLE_HOME
from app.database import begin_writing, reads_first
from app.extensions import db
from app.models import now_utc

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an open redirect would let a phishing link bounce through us.
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    return target if not urlsplit(target).netloc else None


@bp.get("/healthz")
def health():
    """A bare liveness check for load balancers (and the benchmark's baseline)."""
    return "ok", 200, {"Content-Type": "text/plain"}


@bp.get("/")
def index():
    """Send each user to their role's home page, or to sign in."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@reads_first
def login():
    """Sign in with email and password."""
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    address, now = request.remote_addr or "unknown", now_utc()
    email, password = request.form.get("email", ""), request.form.get("password", "")
    try:
        candidate = services.find_login(email, address, now)  # read without the writer lock
        # End the read before the deliberately slow password check, so no database lock is
        # held while it runs; what follows writes (a failure, or clearing them) under the lock.
        begin_writing()
        user = services.complete_login(candidate, password, address, now)
    except services.LoginRefused as refused:
        db.session.commit()  # the failure counts toward the rate limit
        return render_template(
            "auth/login.html", error=refused.message, email=email
        ), refused.status
    db.session.commit()
    login_user(user)
    return redirect(_safe_next(request.form.get("next")) or url_for(ROLE_HOME[user.role]))


@bp.post("/logout")
@login_required
def logout():
    """Sign out everywhere: every session cookie of this user stops working."""
    services.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; other sessions are signed out."""
    if request.method == "GET":
        return render_template("auth/password.html")
    form = request.form
    try:
        services.change_password(
            current_user, form.get("current", ""), form.get("new", ""), form.get("confirm", "")
        )
    except ValueError as problem:
        return render_template("auth/password.html", error=str(problem)), 422
    db.session.commit()
    login_user(current_user)  # re-issue this browser's cookie with the new session version
    flash("Your password is changed. Other browsers have been signed out.")
    return redirect(url_for("auth.index"))


FORGOT_SENT = (
    "If an account uses that address, a link to choose a new password is on its way. "
    "It works once, for {minutes} minutes."
)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    if request.method == "GET":
        return render_template("auth/forgot.html")
    try:
        address = request.remote_addr or "unknown"
        tokens.request_reset(request.form.get("email", ""), address, now_utc())
    except services.LoginRefused as refused:
        db.session.rollback()  # nothing is sent and nothing counted
        page = render_template("auth/forgot.html", error=refused.message)
        return page, refused.status, {"Retry-After": str(math.ceil(refused.wait))}
    db.session.commit()
    minutes = current_app.config["RESET_EXPIRY_MINUTES"]
    flash(FORGOT_SENT.format(minutes=minutes))
    return redirect(url_for("auth.login"))


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a password from an invitation or reset link (single use)."""
    if request.method == "GET":
        found = tokens.valid_token(token, now_utc())
        status = 200 if found else 404
        return render_template("auth/set_password.html", found=found, token=token), status
    form = request.form
    try:
        user = tokens.use_token(token, form.get("new", ""), form.get("confirm", ""), now_utc())
    except LookupError:
        return render_template("auth/set_password.html", found=None, token=token), 404
    except ValueError as problem:
        found = tokens.valid_token(token, now_utc())
        page = render_template(
            "auth/set_password.html", found=found, token=token, error=str(problem)
        )
        return page, 422
    db.session.commit()
    if current_user.is_authenticated:
        logout_user()
    flash(f"Your password is set, {user.name}. Sign in with it now.")
    return redirect(url_for("auth.login"))
