"""Security headers and cookie flags on every response."""

from app import create_app
from app.config import TestConfig


def test_pages_carry_csp_and_hardening_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_lax(client, create_user_):
    from tests.conftest import sign_in

    response = sign_in(client, create_user_("candidate").email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_config_sets_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    from app.config import Config

    assert Config.SESSION_COOKIE_SECURE is True
    assert TestConfig.SESSION_COOKIE_SECURE is False


def test_app_refuses_to_start_without_secret_key():
    import pytest

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SECRET_KEY": ""})


def test_unknown_page_is_a_clear_404_without_trace(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Not found" in body and "Traceback" not in body


def test_htmx_errors_are_fragments(client):
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 404 and "<html" not in body and 'role="alert"' in body


def test_behind_a_proxy_the_client_address_is_taken_from_x_forwarded_for():
    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app(settings | {"PROXY_HOPS": 1, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    seen = {}

    @app.get("/__addr")
    def addr():
        from flask import request

        seen["addr"] = request.remote_addr
        return "ok"

    app.test_client().get("/__addr", headers={"X-Forwarded-For": "203.0.113.7"})
    assert seen["addr"] == "203.0.113.7"
