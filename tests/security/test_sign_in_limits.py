"""Sign-in rate limits per account and per address (5x), with a clear message; cookie flags
under the test and the production configuration. (Logout and password change ending every
session are tested in tests/auth/test_login.py.)"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app import create_app
from app.config import Config
from tests.conftest import PASSWORD, csrf_from

LIMIT = 3  # a small per-account limit keeps the per-address budget (5x) quick to exhaust
TOO_MANY = "Too many failed sign-ins. Wait 15 minutes"


@pytest.fixture
def limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_ATTEMPTS", LIMIT)
    return LIMIT


def attempt(app, email: str, password: str, address: str = "198.51.100.7"):
    """One sign-in from a fresh browser at this address."""
    client = app.test_client()
    env = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=env,
    )


def test_per_account_limit_holds_across_addresses(app, create_user_, limit):
    user = create_user_("candidate")
    for n in range(limit):
        assert attempt(app, user.email, "wrong-password", f"203.0.113.{n}").status_code == 401
    refused = attempt(app, user.email, PASSWORD, "203.0.113.200")  # new address, right password
    assert refused.status_code == 429
    assert TOO_MANY in refused.get_data(as_text=True)
    other = create_user_("candidate")
    assert attempt(app, other.email, PASSWORD, "203.0.113.200").status_code == 302


def test_per_address_limit_is_five_times_the_account_limit(app, create_user_, limit):
    """Guessing across many accounts from one address stops at 5x the per-account limit."""
    victim = create_user_("candidate")
    for n in range(limit * 5):
        # a different account each time, so no per-account limit is reached
        response = attempt(app, f"guess{n}@test.example", "wrong-password")
        assert response.status_code == 401, n
    refused = attempt(app, victim.email, PASSWORD)
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert TOO_MANY in body and "ask the coordinator" in body
    # the same account from another address is not locked out by this address's guessing
    assert attempt(app, victim.email, PASSWORD, "192.0.2.44").status_code == 302


def test_a_shared_room_below_five_times_the_limit_still_signs_in(app, create_user_, limit):
    """An exam room behind one address: typos by many candidates do not lock the room out."""
    users = [create_user_("candidate") for _ in range(limit * 5 - 1)]
    for user in users:
        assert attempt(app, user.email, "typo-password").status_code == 401
    assert attempt(app, users[0].email, PASSWORD).status_code == 302


def test_the_limit_lifts_after_the_window(app, create_user_, limit):
    user = create_user_("candidate")
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(limit):
            attempt(app, user.email, "wrong-password")
        assert attempt(app, user.email, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        assert attempt(app, user.email, PASSWORD).status_code == 302


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
