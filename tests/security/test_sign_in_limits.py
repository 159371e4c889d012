"""Sign-in limits that protect accounts without locking owners out (OWASP): failures count per
(account, address) pair with waits that grow, so guessing at one address never blocks the owner
at another; a per-address limit on distinct accounts (credential stuffing) that an exam room
behind one address never reaches; a coordinator's unlock clears an account. Cookie flags under
the test and the production configuration. (Logout and password change ending every session are
tested in tests/auth/test_login.py.)"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app import create_app
from app.auth.services import unlock_account
from app.config import Config
from app.extensions import db
from app.models import AuditEvent, LoginFailure, User
from tests.conftest import PASSWORD, csrf_from

TOO_MANY = "Too many failed sign-ins"
ROOM = "198.51.100.7"


def attempt(app, email: str, password: str, address: str = ROOM):
    """One sign-in from a fresh browser at this address."""
    client = app.test_client()
    env = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=env,
    )


def failures(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginFailure))


def fail_until(app, email: str, count: int, address: str, start: datetime) -> datetime:
    """`count` wrong passwords for the account at this address, each one after any wait is
    over (so every one is checked and recorded); the time after the last."""
    now = start
    for _ in range(count):
        for _ in range(40):  # bounded: the longest wait is LOGIN_MAX_WAIT_SECONDS
            with time_machine.travel(now, tick=False):
                response = attempt(app, email, "wrong-password", address)
            if response.status_code == 401:
                break
            assert response.status_code == 429, response.status_code
            now += timedelta(seconds=30)
        else:
            raise AssertionError("the wait never ended")
        now += timedelta(seconds=1)
    return now


def test_waits_grow_per_account_and_address_and_say_how_long(app, create_user_):
    user = create_user_("candidate")
    start = datetime.now(UTC)
    free = app.config["LOGIN_FREE_FAILURES"]
    with time_machine.travel(start, tick=False):
        for _ in range(free):
            assert attempt(app, user.email, "wrong-password").status_code == 401
        refused = attempt(app, user.email, PASSWORD)  # the right password waits too, here
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert TOO_MANY in body and "Wait 1 minute" in body and "ask the coordinator" in body
    assert failures(app) == free  # a refused try is not checked, so it is not a failure
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert attempt(app, user.email, "wrong-password").status_code == 401
        assert "Wait 2 minutes" in attempt(app, user.email, PASSWORD).get_data(as_text=True)
    with time_machine.travel(start + timedelta(seconds=61 + 121), tick=False):
        assert attempt(app, user.email, PASSWORD).status_code == 302


def test_the_owner_at_another_address_signs_in_after_12_failures_elsewhere(app, create_user_):
    user = create_user_("candidate")
    start = datetime.now(UTC)
    now = fail_until(app, user.email, 12, "203.0.113.9", start)
    assert failures(app) == 12
    with time_machine.travel(now, tick=False):
        assert attempt(app, user.email, PASSWORD, "203.0.113.9").status_code == 429
        assert attempt(app, user.email, PASSWORD, "192.0.2.44").status_code == 302


def test_40_failures_over_four_accounts_do_not_stop_a_fifth_at_that_address(app, create_user_):
    users = [create_user_("candidate") for _ in range(5)]
    now = datetime.now(UTC)
    for user in users[:4]:
        now = fail_until(app, user.email, 10, ROOM, now)
    assert failures(app) == 40
    with time_machine.travel(now, tick=False):
        assert attempt(app, users[4].email, PASSWORD).status_code == 302


def test_a_shared_exam_room_all_get_in(app, create_user_):
    """100 candidates behind one address, 20 of them mistyping twice: every one signs in."""
    users = [create_user_("candidate") for _ in range(100)]
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for user in users[:20]:
            assert attempt(app, user.email, "typo-password").status_code == 401
            assert attempt(app, user.email, "typo-passw0rd").status_code == 401
        assert failures(app) == 40
        for user in users:
            assert attempt(app, user.email, PASSWORD).status_code == 302, user.email
    assert failures(app) == 0  # a success clears its own failures


def test_credential_stuffing_from_one_address_is_stopped(app, create_user_):
    """Failing on many distinct accounts from one address makes the address wait; another
    address, and the same address once the failures age out, are not affected."""
    victim = create_user_("candidate")
    limit = app.config["LOGIN_ADDRESS_ACCOUNTS"]
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for n in range(limit):
            # a different account each time, so no account's own wait starts
            assert attempt(app, f"guess{n}@test.example", "wrong-password").status_code == 401
        refused = attempt(app, victim.email, PASSWORD)
        assert refused.status_code == 429
        body = refused.get_data(as_text=True)
        assert "from this network" in body and "Wait 15 minutes" in body
        assert "ask the coordinator" in body
        assert attempt(app, victim.email, PASSWORD, "192.0.2.44").status_code == 302
    later = start + timedelta(seconds=app.config["LOGIN_ADDRESS_WINDOW_SECONDS"] + 1)
    with time_machine.travel(later, tick=False):
        assert attempt(app, victim.email, PASSWORD).status_code == 302


def test_unlock_clears_the_accounts_failures_at_every_address(app, create_user_):
    user, coordinator = create_user_("candidate"), create_user_("coordinator")
    other = create_user_("candidate")
    start = datetime.now(UTC)
    for address in ("203.0.113.1", "203.0.113.2"):
        fail_until(app, user.email, 6, address, start)
    fail_until(app, other.email, 6, "203.0.113.1", start)
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        assert attempt(app, user.email, PASSWORD, "203.0.113.1").status_code == 429
        with app.app_context():
            unlock_account(
                db.session.get(User, user.id), db.session.get(User, coordinator.id), start
            )
            db.session.commit()
            event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            assert (event.action, event.actor_id, event.subject_id) == (
                "user.unlocked",
                coordinator.id,
                str(user.id),
            )
            assert event.data == {"failures_cleared": 12}
        assert failures(app) == 6  # the other account's failures stay
        assert attempt(app, user.email, PASSWORD, "203.0.113.1").status_code == 302
        assert attempt(app, other.email, PASSWORD, "203.0.113.1").status_code == 429


def test_waits_end_once_the_failures_are_older_than_the_window(app, create_user_):
    user = create_user_("candidate")
    start = datetime.now(UTC)
    now = fail_until(app, user.email, 8, ROOM, start)
    with time_machine.travel(now, tick=False):
        assert attempt(app, user.email, PASSWORD).status_code == 429
    later = now + timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"])
    with time_machine.travel(later, tick=False):
        assert attempt(app, user.email, PASSWORD).status_code == 302


def test_the_sweep_forgets_failures_that_no_longer_count(app, runner, create_user_):
    user = create_user_("candidate")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        attempt(app, user.email, "wrong-password")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        attempt(app, user.email, "wrong-password")
    assert failures(app) == 2
    later = start + timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"] + 60)
    with time_machine.travel(later, tick=False):
        assert runner.invoke(args=["sittings", "sweep"]).exit_code == 0
    assert failures(app) == 1  # the newer one still counts toward the account's wait


def _cookie(response, name="session") -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, f"no {name} cookie set"
    return cookies[-1]


def test_session_cookie_flags_under_the_test_config(app, create_user_):
    user = create_user_("candidate")
    cookie = _cookie(attempt(app, user.email, PASSWORD))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in tests and `make run`


@pytest.fixture
def production_app(app):
    """The production Config (Secure cookies, argon2 defaults) over the test database."""
    settings = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    settings |= {
        "SECRET_KEY": "production-like-secret-" + "x" * 16,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
    }
    production = create_app(settings)
    yield production
    with production.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_session_cookie_is_secure_under_the_production_config(production_app, create_user_):
    assert Config.SESSION_COOKIE_SECURE, "run without SESSION_COOKIE_SECURE=0 in the environment"
    user = create_user_("candidate")
    client = production_app.test_client()
    https = {"base_url": "https://exams.example", "headers": {"Referer": "https://exams.example/"}}
    page = client.get("/login", **https)
    assert all("Secure" in c for c in page.headers.getlist("Set-Cookie"))
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}, **https
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    cookie = _cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "remember_token" not in " ".join(response.headers.getlist("Set-Cookie"))
