"""Pages that write only now and then take SQLite's writer lock only when they write.

Every writer queues on one lock; the waiting room's rules page, the exam page's clock poll and
sign-in are reached by every candidate of a sitting, so what they only read must be read in a
deferred transaction, and what they write must be written under the lock."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import event

from app.extensions import db
from app.models import Attempt, Seat
from tests.conftest import PASSWORD, csrf_from, sign_in
from tests.exam.test_delivery import start


@pytest.fixture
def sqlite_only(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the writer lock is SQLite's")


@contextmanager
def begins(app):
    """The BEGIN statements issued meanwhile, in order, with whether each wrote afterwards."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        head = statement.lstrip().split(None, 1)[0].upper()
        if head == "BEGIN":
            seen.append(statement.strip().upper())
        elif head in {"INSERT", "UPDATE", "DELETE"}:
            seen.append(f"{head} after {seen[-1] if seen else 'nothing'}")

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_only_the_first_visit_to_the_rules_page_takes_the_writer_lock(
    app, client, exam_seat, sqlite_only
):
    user, seat_id = exam_seat(admitted=False)
    sign_in(client, user.email)
    with begins(app) as first:
        assert client.get(f"/exam/seat/{seat_id}/MC").status_code == 200
    # the check-in is written inside a transaction that began with the writer lock
    assert "UPDATE after BEGIN IMMEDIATE" in first
    assert not any(s.startswith("UPDATE after BEGIN") and "IMMEDIATE" not in s for s in first)
    with app.app_context():
        checked_in = db.session.get(Seat, seat_id).checked_in_at
    assert checked_in is not None
    with begins(app) as again:
        assert client.get(f"/exam/seat/{seat_id}/MC").status_code == 200
    assert again and "BEGIN IMMEDIATE" not in again  # read only: nobody's save waits on it
    with app.app_context():
        assert db.session.get(Seat, seat_id).checked_in_at == checked_in


def test_the_clock_poll_writes_its_seen_mark_under_the_lock_and_otherwise_only_reads(
    app, client, exam_seat, sqlite_only
):
    user, seat_id = exam_seat()
    sign_in(client, user.email)
    public_id, _, client_token = start(client, seat_id)
    poll = f"/exam/attempt/{public_id}/clock?client={client_token}"
    with begins(app) as first:
        assert client.get(poll).status_code == 200
    assert "UPDATE after BEGIN IMMEDIATE" in first  # never seen yet: the mark is written
    with begins(app) as soon:
        assert client.get(poll).status_code == 200
    assert soon and "BEGIN IMMEDIATE" not in soon  # seen moments ago: read only
    later = datetime.now(UTC) + timedelta(minutes=2)
    with time_machine.travel(later, tick=False), begins(app) as due:
        assert client.get(poll).status_code == 200
    assert "UPDATE after BEGIN IMMEDIATE" in due
    with app.app_context():
        seen = db.session.query(Attempt).filter_by(public_id=public_id).one().last_seen_at
    assert seen.replace(tzinfo=UTC) == later.replace(microsecond=later.microsecond)


def test_sign_in_reads_without_the_writer_lock_and_writes_under_it(
    app, client, create_user_, sqlite_only
):
    user = create_user_("candidate")
    token = csrf_from(client.get("/login").text)
    form = {"email": user.email, "password": "not-the-password", "csrf_token": token}
    with begins(app) as failed:
        assert client.post("/login", data=form).status_code == 401
    # the waits and the account are read first, without the lock; the failure is written with it
    assert failed[0] == "BEGIN"
    assert "INSERT after BEGIN IMMEDIATE" in failed
    assert not any(
        s.startswith(("INSERT after BEGIN", "UPDATE after BEGIN", "DELETE after BEGIN"))
        and "IMMEDIATE" not in s
        for s in failed
    )
    form["password"] = PASSWORD
    with begins(app) as succeeded:
        assert client.post("/login", data=form).status_code == 302
    assert succeeded[0] == "BEGIN" and "DELETE after BEGIN IMMEDIATE" in succeeded
