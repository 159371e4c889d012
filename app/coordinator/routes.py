"""Coordinator pages: overview and question bank (browse, upload, preview, confirm)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import role_required
from app.bank.upload import UploadRefused
from app.coordinator import bank_services, services
from app.extensions import db
from app.models import now_utc
from app.security import is_whole_number

bp = Blueprint("coordinator", __name__, template_folder="templates")


@bp.get("/")
@role_required("coordinator")
def home():
    """Counts of what the platform holds, and the sittings to come."""
    return render_template("coordinator/home.html", overview=services.overview())


def _bank_page(problems=(), error: UploadRefused | None = None, status: int = 200):
    kind = request.args.get("kind", "item")
    kind = kind if kind in bank_services.KIND_LABELS else "item"
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if is_whole_number(raw_page) and len(raw_page) < 7 else 1
    html = render_template(
        "coordinator/bank.html",
        listing=bank_services.bank_page(kind, page),
        kinds=bank_services.KIND_LABELS,
        problems=problems,
        error=error,
        max_size=bank_services.readable_size(current_app.config["BANK_UPLOAD_MAX_BYTES"]),
    )
    return html, (error.status if error else status)


@bp.get("/bank")
@role_required("coordinator")
def bank():
    """The bank as stored (latest versions, paged) and the form to upload a bank."""
    return _bank_page()


@bp.post("/bank/upload")
@role_required("coordinator")
def upload_bank():
    """Check an uploaded .toml or .zip; a valid one goes to the preview, problems are listed."""
    file = request.files.get("bank")
    if file is None or not file.filename:
        return _bank_page(error=UploadRefused("Choose a bank file (.toml) or a zip to upload."))
    with file.stream as stream:  # a large upload is a temporary file: close it now
        data = stream.read(current_app.config["BANK_UPLOAD_MAX_BYTES"] + 1)
    try:
        upload, content = bank_services.stage_upload(file.filename, data, current_user, now_utc())
    except UploadRefused as refused:
        db.session.rollback()
        return _bank_page(error=refused)
    if upload is None:
        return _bank_page(problems=content.problems, status=422)
    db.session.commit()
    return redirect(url_for(".preview_upload", token=upload.token))


def _pending(token: str):
    try:
        return bank_services.pending_upload(token, current_user), None
    except UploadRefused as refused:
        return None, _bank_page(error=refused)


@bp.get("/bank/uploads/<token>")
@role_required("coordinator")
def preview_upload(token: str):
    """What importing the staged upload will do: new records, new versions, unchanged."""
    upload, refused = _pending(token)
    if refused:
        return refused
    content, summary = bank_services.preview(upload)
    status = 409 if content.problems else 200
    page = render_template(
        "coordinator/bank_preview.html", upload=upload, content=content, summary=summary
    )
    return page, status


@bp.post("/bank/uploads/<token>/confirm")
@role_required("coordinator")
def confirm_upload(token: str):
    """Import the staged upload, all or nothing (audited)."""
    upload, refused = _pending(token)
    if refused:
        return refused
    try:
        summary = bank_services.confirm(upload, current_user, now_utc())
    except UploadRefused as problem:
        db.session.rollback()
        return _bank_page(error=problem)
    db.session.commit()
    flash(f"Imported: {summary}." if str(summary) else "Imported: nothing changed.")
    return redirect(url_for(".bank"))


@bp.post("/bank/uploads/<token>/discard")
@role_required("coordinator")
def discard_upload(token: str):
    """Drop the staged upload without importing it."""
    upload, refused = _pending(token)
    if refused:
        return refused
    bank_services.discard(upload)
    db.session.commit()
    flash("The upload was discarded; nothing was imported.")
    return redirect(url_for(".bank"))
