"""Command-line jobs under `flask --app wsgi ...`."""

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from app.analysis.commands import report
from app.extensions import db

bank_cli = AppGroup("bank", help="Validate, import and export the question bank.")
users_cli = AppGroup("users", help="Create accounts and unlock them.")
audit_cli = AppGroup("audit", help="Check the audit log and anchor its head.")
sittings_cli = AppGroup("sittings", help="Jobs for sittings and attempts.")
notify_cli = AppGroup("notify", help="Email jobs: reminders and retries.")


def _print_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s) found; nothing was imported.", err=True)


@bank_cli.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
def bank_validate(path: Path) -> None:
    """Check a bank file or folder and report every problem (exit 1 if any)."""
    from app.bank.loader import read_bank
    from app.bank.stored import stored_data

    content = read_bank(path, stored_data)
    if content.problems:
        _print_problems(content.problems)
        sys.exit(1)
    counts = ", ".join(f"{len(v)} {k}(s)" for k, v in content.records.items())
    click.echo(f"OK: {counts}")


@bank_cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
def bank_import(path: Path) -> None:
    """Validate, then import all or nothing; changed records become new versions."""
    from app.bank.importer import import_bank
    from app.bank.loader import read_bank
    from app.bank.stored import stored_data

    content = read_bank(path, stored_data)
    if content.problems:
        _print_problems(content.problems)
        sys.exit(1)
    summary = import_bank(content)
    db.session.commit()
    click.echo(f"Imported: {summary}")


@bank_cli.command("export")
@click.argument("out_dir", type=click.Path(path_type=Path))
def bank_export(out_dir: Path) -> None:
    """Write the latest version of every record to OUT_DIR in the bank format."""
    from app.bank.export import export_bank

    counts = export_bank(out_dir)
    click.echo("Wrote " + ", ".join(f"{n} {k}(s)" for k, n in counts.items()) + f" to {out_dir}")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True)
@click.option("--track", "tracks", multiple=True, help="A track a candidate is approved for.")
@click.option(
    "--with-password",
    is_flag=True,
    help="Prompt for a password (or read it from stdin) instead of emailing an invitation.",
)
def users_create(
    email: str, name: str, role: str, tracks: tuple[str, ...], with_password: bool
) -> None:
    """Create one account and email an invitation to choose a password."""
    from app.auth.accounts import NewAccount, create_user
    from app.auth.tokens import send_invitation
    from app.mail.delivery import deliver_committed
    from app.models import now_utc

    password = None
    if with_password:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=sys.stdin.isatty())
    try:
        user = create_user(NewAccount(email, name, role, password, tracks))
    except ValueError as problem:
        raise click.ClickException(str(problem)) from None
    if not with_password:
        send_invitation(user, None, now_utc())
    db.session.commit()
    deliver_committed()
    click.echo(f"Created {user.role} {user.email}" + ("" if with_password else ", invited"))


@users_cli.command("import")
@click.argument("csv_file", type=click.File("r", encoding="utf-8-sig"))
@click.option(
    "--with-passwords",
    is_flag=True,
    help="The CSV has a password column; no invitations are sent (set-ups without mail).",
)
def users_import(csv_file, with_passwords: bool) -> None:
    """Create every account of a CSV (email,name,role,tracks) or none, and invite each."""
    from app.auth.accounts import import_accounts
    from app.auth.tokens import send_invitation
    from app.mail.delivery import deliver_committed
    from app.models import now_utc

    try:
        users = import_accounts(csv_file.read(), with_passwords=with_passwords)
    except ValueError as problems:
        click.echo(f"{csv_file.name}:\n{problems}", err=True)
        raise click.ClickException("nothing was imported") from None
    if not with_passwords:
        for user in users:
            send_invitation(user, None, now_utc())
    db.session.commit()
    deliver_committed()
    invited = "" if with_passwords else ", each invited by email"
    click.echo(f"Created {len(users)} account(s) from {csv_file.name}{invited}")


@click.command("demo")
@click.option(
    "--history", is_flag=True, help="Also simulate past windows of Part One results (analytics)."
)
@click.option(
    "--force", is_flag=True, help="Load the demo even into a database with real accounts."
)
@with_appcontext
def demo(history: bool, force: bool) -> None:
    """Create the demo accounts, sample bank and a sitting starting now (idempotent)."""
    from app.demo import DEMO_PASSWORD, load_demo, real_accounts
    from app.demo_history import load_history
    from app.models import now_utc

    # Demo accounts share a published password: in a real database they would be a way in.
    if (real := real_accounts()) and not force:
        raise click.ClickException(
            f"this database has accounts that are not demo accounts ({', '.join(real)}): "
            "the demo (published password) is not loaded into it. Use `make run` "
            "(instance/demo.sqlite) for the demo, or pass --force."
        )

    accounts, sitting = load_demo(now_utc())
    past = load_history(now_utc()) if history else None
    db.session.commit()
    from app.mail.delivery import deliver_committed, retry_due

    deliver_committed()  # the demo's notices land in the outbox at once,
    retry_due(now_utc())  # the graders' ones too (normally sent by the next notify run)
    if past is not None:
        click.echo(f"History: {past}")
    click.echo(f"Demo ready: {sitting.name} with {len(sitting.seats)} seats.")
    click.echo(f"Every demo account's password: {DEMO_PASSWORD}")
    for a in accounts:
        click.echo(f"  {a.role:<12} {a.email:<28} {a.name}  {a.track}")


@audit_cli.command("verify")
@click.option(
    "--anchor",
    "anchor_file",
    type=click.File("r"),
    help="An anchor file from `audit anchor`: also fail if the chain no longer reaches it.",
)
def audit_verify(anchor_file) -> None:
    """Check the audit log's hash chain; exit 1 naming every edited or removed row."""
    from app.audit import Anchor, verify_chain

    anchor = None
    if anchor_file is not None:
        try:
            anchor = Anchor.from_json(anchor_file.read())
        except ValueError as problem:
            raise click.ClickException(f"{anchor_file.name}: {problem}") from None
    problems = verify_chain(anchor)
    for p in problems:
        click.echo(p, err=True)
    if problems:
        raise click.ClickException(f"the audit log has {len(problems)} problem(s)")
    reach = f" and reaches the anchor (event {anchor.id})" if anchor else ""
    click.echo(f"The audit log is intact{reach}.")


@audit_cli.command("anchor")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def audit_anchor(out: Path) -> None:
    """Write the chain's head (last id and hash) to OUT; keep it off this machine."""
    from app.audit import chain_head, verify_chain

    problems = verify_chain()
    if problems:
        raise click.ClickException(
            f"the audit log has {len(problems)} problem(s) (see `audit verify`): no anchor written"
        )
    if out.exists():
        raise click.ClickException(f"{out} already exists: an anchor never overwrites a file.")
    head = chain_head()
    out.write_text(head.to_json() + "\n")
    click.echo(f"Anchored the audit log at event {head.id} in {out}.")
    click.echo("Keep it off this machine; check later with `audit verify --anchor FILE`.")


@users_cli.command("unlock")
@click.argument("email")
def users_unlock(email: str) -> None:
    """Clear an account's failed sign-ins (every address), so its owner can sign in now."""
    from app.auth.services import find_user, unlock_account
    from app.models import now_utc

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"there is no account with email {email}")
    unlock_account(user, None, now_utc())
    db.session.commit()
    click.echo(f"Unlocked {user.email}: its failed sign-ins are cleared.")


@sittings_cli.command("sweep")
def sittings_sweep() -> None:
    """Finalise attempts past their deadline that no browser submitted (safe to run any time)."""
    from app.auth.services import prune_login_failures
    from app.auth.tokens import prune_reset_requests
    from app.exam.services import sweep
    from app.models import now_utc

    count = sweep(now_utc())
    prune_login_failures(now_utc())
    prune_reset_requests(now_utc())
    db.session.commit()
    click.echo(f"Finalised {count} expired attempt(s).")


@notify_cli.command("reminders")
def notify_reminders() -> None:
    """Email the day-before reminders, then retry failed mail (idempotent; run from cron)."""
    from app.mail.delivery import deliver_committed, retry_due
    from app.mail.jobs import queue_reminders
    from app.models import now_utc

    now = now_utc()
    queued = queue_reminders(now)
    db.session.commit()
    sent = deliver_committed(now)
    tried, retried = retry_due(now)
    click.echo(f"Reminders: {queued} queued, {sent} sent; retries: {retried} of {tried} sent.")


@notify_cli.command("retry")
def notify_retry() -> None:
    """Send again every email whose sending failed (safe to run any time)."""
    from app.mail.delivery import retry_due
    from app.models import now_utc

    tried, sent = retry_due(now_utc())
    click.echo(f"Retried {tried} message(s): {sent} sent, {tried - sent} still failing.")
    if tried > sent:
        raise click.ClickException("some messages could not be sent; see the Mail page")


@click.command("backup")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def backup(out: Path) -> None:
    """Copy the SQLite database to OUT while the app serves (consistent; PostgreSQL: pg_dump)."""
    from app.backup import BackupRefused, backup_sqlite, sqlite_file

    try:
        source = sqlite_file(db.engine)
        counts = backup_sqlite(source, out)
    except BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    tables = ("user", "attempt", "answer", "audit_event")
    rows = ", ".join(f"{counts.get(t, 0)} {t}" for t in tables)
    click.echo(f"Backed up {source} to {out}: integrity ok, {len(counts)} tables ({rows}).")
    _print_anchor()


def _print_anchor() -> None:
    # The head, printed with every backup, is the anchor for `audit verify --anchor`: kept off
    # the machine, it shows newest rows removed later (which leave a shorter, whole chain).
    from app.audit import chain_head

    click.echo(f"Audit anchor (save off this machine): {chain_head().to_json()}")


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    for command in (bank_cli, users_cli, audit_cli, sittings_cli, notify_cli, demo, report):
        app.cli.add_command(command)
    app.cli.add_command(backup)
