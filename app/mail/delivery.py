"""Queue, send and retry email.

A message is a MailMessage row written in the request's own transaction (so a rolled-back
request sends nothing). Its id is handed over only when that transaction commits; after the
response is built the committed messages are sent. A failed send stays recorded as failed and is
retried by `notify retry`, the reminders run or the coordinator's Retry button."""

import smtplib
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from flask_mail import Attachment, Connection, Mail, Message
from sqlalchemy import and_, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import MailMessage, User, now_utc

#: stands for PUBLIC_URL in stored bodies; replaced when sending, so a retry after PUBLIC_URL
#: is configured sends working links
BASE_MARK = "@@PUBLIC_URL@@"
#: a message in "sending" longer than this belongs to a process that died: it may be claimed again
STALE_SENDING = timedelta(minutes=10)
#: kinds not sent from the request that queued them (a candidate's submit or autosave must not
#: wait on SMTP): the next `notify reminders` / `notify retry` run sends them
DEFERRED_KINDS = ("grading_open",)
#: automatic retries stop after this many attempts (the Retry button still works)
MAX_AUTOMATIC_ATTEMPTS = 5
LINK_REMOVED_NOTE = "(This message carried a single-use link; its text is not kept after sending.)"


class MailNotSent(Exception):
    """Not configured (production without MAIL_SERVER or PUBLIC_URL), or the server is down."""


def queue(
    kind: str,
    user: User,
    subject: str,
    text: str,
    html: str,
    now: datetime,
    *,
    ics: str | None = None,
    secret: bool = False,
    dedupe_key: str | None = None,
) -> MailMessage | None:
    """Record a message to send once the caller commits; None when dedupe_key was used before."""
    message = MailMessage(
        kind=kind,
        user_id=user.id,
        to_email=user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        ics=ics,
        has_secret=secret,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    if dedupe_key is not None:
        known = select(MailMessage.id).where(MailMessage.dedupe_key == dedupe_key)
        if db.session.scalar(known) is not None:
            return None
        try:
            with db.session.begin_nested():  # a concurrent run that got there first wins
                db.session.add(message)
        except IntegrityError:
            return None
    else:
        db.session.add(message)
    db.session.flush()
    if kind not in DEFERRED_KINDS:
        db.session.info.setdefault("mail_queued", []).append(message.id)
    return message


# --- handing over on commit -----------------------------------------------------------------


def _after_commit(session: Session) -> None:
    queued = session.info.pop("mail_queued", [])
    session.info.setdefault("mail_committed", []).extend(queued)


def _after_rollback(session: Session) -> None:
    # A message flushed and then rolled back never existed; one that did survive (a savepoint
    # rolled back elsewhere) is still pending and the retry run sends it.
    session.info.pop("mail_queued", None)


def deliver_committed(now: datetime | None = None) -> int:
    """Send the messages committed by this context's session; returns how many were sent."""
    ids = db.session.info.pop("mail_committed", [])
    return deliver(ids, now or now_utc()) if ids else 0


def _deliver_after_request(response):
    try:
        deliver_committed()
    except Exception:  # noqa: BLE001 - a mail problem must never fail the request that queued it
        current_app.logger.exception("mail delivery after the request failed")
        db.session.rollback()
    return response


# --- sending --------------------------------------------------------------------------------


class _TimedConnection(Connection):
    # Flask-Mail opens SMTP without a timeout: a dead mail server would hang the request.
    def configure_host(self):
        mail, timeout = self.mail, current_app.config["MAIL_TIMEOUT"]
        smtp = smtplib.SMTP_SSL if mail.use_ssl else smtplib.SMTP
        host = smtp(mail.server, mail.port, timeout=timeout)
        if mail.use_tls:
            host.starttls()
        if mail.username and mail.password:
            host.login(mail.username, mail.password)
        return host


def _message(row: MailMessage, base: str) -> Message:
    config = current_app.config
    message = Message(
        subject=row.subject,
        recipients=[row.to_email],
        body=row.body_text.replace(BASE_MARK, base),
        html=row.body_html.replace(BASE_MARK, base),
        sender=config["MAIL_DEFAULT_SENDER"],
    )
    if row.ics:
        message.attachments.append(
            Attachment("sitting.ics", "text/calendar; method=PUBLISH", row.ics.encode())
        )
    return message


class _SmtpSender:
    """One SMTP connection reused for a batch (a cohort's invitations), reopened after a failure."""

    def __init__(self):
        config = current_app.config
        missing = [k for k in ("MAIL_SERVER", "PUBLIC_URL") if not config.get(k)]
        self.problem = f"mail is not configured: set {' and '.join(missing)}" if missing else ""
        self.base = (config.get("PUBLIC_URL") or "").rstrip("/")
        self.connection: _TimedConnection | None = None

    def send(self, row: MailMessage) -> None:
        if self.problem:
            raise MailNotSent(self.problem)
        if self.connection is None:
            state = Mail().init_mail(current_app.config, debug=False, testing=False)
            try:
                self.connection = _TimedConnection(state).__enter__()
            except (smtplib.SMTPException, OSError) as problem:
                # the server is down: the rest of the batch fails at once, not one timeout each
                self.problem = f"{type(problem).__name__}: {problem}"
                raise
        try:
            self.connection.send(_message(row, self.base))
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and connection.host is not None:
            try:
                connection.host.quit()
            except (smtplib.SMTPException, OSError):
                connection.host.close()


def outbox_dir() -> Path:
    return Path(current_app.config["MAIL_OUTBOX_DIR"] or Path(current_app.instance_path, "outbox"))


class _OutboxSender:
    """Development: each message becomes an .eml file in the outbox folder."""

    def send(self, row: MailMessage) -> None:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        base = (current_app.config.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
        (folder / f"{row.id:07d}-{row.kind}.eml").write_bytes(_message(row, base).as_bytes())

    def close(self) -> None:
        pass


BACKENDS = {"smtp": _SmtpSender, "outbox": _OutboxSender}


def _claim(message_id: int, now: datetime) -> bool:
    """Mark one message as being sent by this process, unless another has it."""
    claimable = or_(
        MailMessage.status.in_(("pending", "failed")),
        and_(MailMessage.status == "sending", MailMessage.last_attempt_at < now - STALE_SENDING),
    )
    result = db.session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, claimable)
        .values(status="sending", attempts=MailMessage.attempts + 1, last_attempt_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


def _send_one(sender, row: MailMessage, now: datetime) -> bool:
    try:
        sender.send(row)
    except Exception as problem:  # noqa: BLE001 - any SMTP/OS failure is recorded, not raised
        row.status, row.last_error = "failed", f"{type(problem).__name__}: {problem}"[:1000]
        db.session.commit()
        return False
    row.status, row.sent_at, row.last_error = "sent", now, ""
    if row.has_secret:  # the link must not outlive its delivery in the database
        row.body_text = row.body_html = LINK_REMOVED_NOTE
    db.session.commit()
    return True


def deliver(ids: list[int], now: datetime) -> int:
    """Send the given messages (each committed on its own); returns how many were sent."""
    sent, sender = 0, BACKENDS[current_app.config["MAIL_BACKEND"]]()
    try:
        for message_id in ids:
            if _claim(message_id, now):
                sent += _send_one(sender, db.session.get(MailMessage, message_id), now)
    finally:
        sender.close()
    return sent


def retry_due(now: datetime) -> tuple[int, int]:
    """Send deferred messages, failed ones (under the automatic limit) and stuck ones:
    (tried, sent)."""
    due = select(MailMessage.id).where(
        or_(
            and_(
                MailMessage.status == "failed",
                MailMessage.attempts < MAX_AUTOMATIC_ATTEMPTS,
            ),
            # pending of any age: a request still sending it loses the claim, so nothing is
            # sent twice, and messages a request left (deferred, or a crash) go out now
            MailMessage.status == "pending",
            and_(
                MailMessage.status == "sending", MailMessage.last_attempt_at < now - STALE_SENDING
            ),
        )
    )
    ids = list(db.session.scalars(due.order_by(MailMessage.id)))
    return len(ids), deliver(ids, now)


def register(app: Flask) -> None:
    """Hand committed messages over for sending after each request."""
    if not event.contains(Session, "after_commit", _after_commit):  # once per process
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    app.after_request(_deliver_after_request)
    app.context_processor(lambda: {"failed_mail_count": failed_count})


def failed_count() -> int:
    """Messages whose last send failed (shown in the coordinator's menu)."""
    stmt = select(func.count()).where(MailMessage.status == "failed")
    return db.session.scalar(stmt) or 0
