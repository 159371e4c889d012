"""People pages for the coordinator: list, search, create, import, edit, disable, unlock, invite.

A bad form re-renders with the message (422, or 409 when the state forbids it) and writes
nothing; a success commits once and redirects."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from app.auth.accounts import has_password
from app.auth.roles import role_required
from app.auth.services import failure_count
from app.codes import ROLES, TRACKS
from app.coordinator.scheduling_input import Problem
from app.extensions import db
from app.models import MailMessage, User, now_utc
from app.people import services

bp = Blueprint("people", __name__, template_folder="templates")
#: a cohort file larger than this is refused before it is read
MAX_CSV_BYTES = 1_000_000


def _person(user_id: int) -> User:
    found = db.session.get(User, user_id) if user_id < 2**31 else None
    if found is None:
        abort(404, description="There is no such person.")
    return found


@bp.get("/")
@role_required("coordinator")
def index():
    """Everyone, searchable by name or email and role, 25 a page."""
    query, role = request.args.get("q", "")[:100], request.args.get("role", "")
    role = role if role in ROLES else ""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    people = services.search(query, role, page)
    return render_template(
        "people/index.html",
        people=people,
        q=query,
        role=role,
        roles=ROLES,
        has_password=has_password,
    )


def _new_form(values=None, error: Problem | None = None):
    page = render_template(
        "people/new.html",
        values=values or {"role": "candidate"},
        roles=ROLES,
        tracks=TRACKS,
        chosen=set((values or {}).getlist("tracks") if values else ()),
        error=error,
    )
    return page, (error.status if error else 200)


@bp.route("/new", methods=["GET", "POST"])
@role_required("coordinator")
def create():
    """Add one person; they are emailed a link to choose a password."""
    if request.method == "GET":
        return _new_form()
    try:
        user = services.create_person(services.person_input(request.form), current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _new_form(request.form, problem)
    db.session.commit()
    flash(f"{user.name} is added and invited by email to choose a password.")
    return redirect(url_for(".show", user_id=user.id))


def _import_page(error: Problem | None = None):
    return render_template("people/import.html", error=error), (error.status if error else 200)


def _uploaded_text() -> str:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Problem("File: choose a CSV file to import.")
    raw = upload.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise Problem("File: larger than 1 MB; split the cohort into several files.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem("File: not UTF-8 text; save the spreadsheet as “CSV UTF-8”.") from None


@bp.route("/import", methods=["GET", "POST"])
@role_required("coordinator")
def import_csv():
    """Import a cohort from CSV (no passwords): all rows or none, each person invited."""
    if request.method == "GET":
        return _import_page()
    try:
        users = services.import_people(_uploaded_text(), current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _import_page(problem)
    db.session.commit()
    flash(f"{len(users)} people imported; each is invited by email to choose a password.")
    return redirect(url_for(".index"))


def _show_page(user: User, values=None, error: Problem | None = None):
    mail = db.session.scalars(
        select(MailMessage).where(MailMessage.user_id == user.id).order_by(MailMessage.id.desc())
    ).fetchmany(10)
    page = render_template(
        "people/show.html",
        person=user,
        values=values,
        roles=ROLES,
        tracks=TRACKS,
        chosen=set(values.getlist("tracks")) if values else set(user.approved_tracks),
        failures=failure_count(user, now_utc()),
        has_password=has_password(user),
        mail=mail,
        error=error,
    )
    return page, (error.status if error else 200)


@bp.get("/<int:user_id>")
@role_required("coordinator")
def show(user_id: int):
    """One person: details to edit, sign-in state, actions and the mail sent to them."""
    return _show_page(_person(user_id))


@bp.post("/<int:user_id>/edit")
@role_required("coordinator")
def edit(user_id: int):
    """Change name, email, role and approved tracks."""
    user = _person(user_id)
    try:
        data = services.person_input(request.form)
        changes = services.update_person(user, data, current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _show_page(_person(user_id), request.form, problem)
    db.session.commit()
    if user.id == current_user.id:
        login_user(user)  # a new email ended every session: keep this browser signed in
    flash("Saved." if changes else "Saved (name, email and role unchanged).")
    return redirect(url_for(".show", user_id=user.id))


def _action(user_id: int, change, done: str):
    user = _person(user_id)
    try:
        change(user, current_user, now_utc())
    except Problem as problem:
        db.session.rollback()
        return _show_page(_person(user_id), None, problem)
    db.session.commit()
    flash(done.format(name=user.name))
    return redirect(url_for(".show", user_id=user.id))


@bp.post("/<int:user_id>/disable")
@role_required("coordinator")
def disable(user_id: int):
    """Disable an account: it cannot sign in and every session ends."""
    change = lambda u, a, n: services.set_active(u, False, a, n)  # noqa: E731
    return _action(user_id, change, "{name} is disabled and signed out everywhere.")


@bp.post("/<int:user_id>/enable")
@role_required("coordinator")
def enable(user_id: int):
    """Enable a disabled account again."""
    change = lambda u, a, n: services.set_active(u, True, a, n)  # noqa: E731
    return _action(user_id, change, "{name} can sign in again.")


@bp.post("/<int:user_id>/unlock")
@role_required("coordinator")
def unlock(user_id: int):
    """Clear the sign-in limits after too many failed attempts."""
    return _action(user_id, services.unlock, "{name} can try to sign in again at once.")


@bp.post("/<int:user_id>/invite")
@role_required("coordinator")
def invite(user_id: int):
    """Email a fresh single-use link to choose a password."""
    return _action(user_id, services.reinvite, "A new link is emailed to {name}.")
