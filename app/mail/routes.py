"""The coordinator's mail pages: every message sent with its outcome (Retry), and the
development outbox where messages land when no mail server is configured."""

from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.roles import role_required
from app.extensions import db
from app.mail import delivery
from app.models import MailMessage, now_utc

bp = Blueprint("mail", __name__, template_folder="templates")
#: the outbox page shows the newest messages only
OUTBOX_LIMIT = 50


@bp.get("/")
@role_required("coordinator")
def log():
    """Every message with its outcome, failures first; paged."""
    page = request.args.get("page", 1, type=int)
    stmt = select(MailMessage).order_by(
        (MailMessage.status == "failed").desc(), MailMessage.id.desc()
    )
    messages = db.paginate(stmt, page=max(page, 1), per_page=50, error_out=False)
    return render_template(
        "mail/log.html", messages=messages, outbox=current_app.config["MAIL_BACKEND"] == "outbox"
    )


@bp.post("/<int:message_id>/retry")
@role_required("coordinator")
def retry(message_id: int):
    """Send one failed message again now."""
    message = db.session.get(MailMessage, message_id) if message_id < 2**31 else None
    if message is None:
        abort(404, description="There is no such message.")
    if message.status != "failed":
        flash("That message is not waiting for a retry.")
        return redirect(url_for(".log"))
    sent = delivery.deliver([message.id], now_utc())
    flash("The message is sent." if sent else "Sending failed again: see the error below.")
    return redirect(url_for(".log"))


def _outbox_entry(path):
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = parsed.get_body(preferencelist=("plain",))
    files = [part.get_filename() for part in parsed.iter_attachments()]
    return {
        "file": path.name,
        "to": parsed["To"],
        "subject": parsed["Subject"],
        # shown through the `when` filter: the association's zone, like every other time
        "date": parsedate_to_datetime(parsed["Date"]) if parsed["Date"] else None,
        "text": body.get_content() if body else "",
        "attachments": [f for f in files if f],
    }


@bp.get("/outbox")
@role_required("coordinator")
def outbox():
    """The development outbox: the newest messages written instead of sent."""
    folder = delivery.outbox_dir()
    paths = sorted(folder.glob("*.eml"), reverse=True)[:OUTBOX_LIMIT] if folder.is_dir() else []
    return render_template(
        "mail/outbox.html",
        entries=[_outbox_entry(p) for p in paths],
        enabled=current_app.config["MAIL_BACKEND"] == "outbox",
    )
