"""Forgot password? is limited per requesting address (whatever the email), answers 429 with how
long to wait and sends nothing, tells nothing about which emails have accounts, and sees the
client's address through trusted proxies only (PROXY_HOPS)."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.middleware.proxy_fix import ProxyFix

from app.extensions import db
from app.models import AuditEvent, MailMessage, ResetRequest, now_utc
from tests.conftest import csrf_from

FORGOT = "/password/forgot"


@pytest.fixture
def limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_ADDRESS_REQUESTS", 3)
    monkeypatch.setitem(app.config, "RESET_ADDRESS_WINDOW_SECONDS", 900)
    return 3


def _forgot(client, email, address="198.51.100.1", headers=None):
    environ = {"REMOTE_ADDR": address}
    token = csrf_from(client.get(FORGOT, environ_base=environ).get_data(as_text=True))
    return client.post(
        FORGOT,
        data={"email": email, "csrf_token": token},
        environ_base=environ,
        headers=headers or {},
    )


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _body(response) -> str:
    text = response.get_data(as_text=True)
    return text.replace(csrf_from(text), "")


def test_one_address_may_ask_only_so_often_and_is_told_how_long_to_wait(
    app, client, create_user_, smtp, limit
):
    for n in range(limit):
        create_user_("candidate", email=f"person{n}@test.example")
        assert _forgot(client, f"person{n}@test.example").status_code == 302
    assert len(smtp.messages) == limit
    create_user_("candidate", email="next@test.example")
    mails, audits = _count(app, MailMessage), _count(app, AuditEvent)
    refused = _forgot(client, "next@test.example")
    assert refused.status_code == 429
    assert 840 < int(refused.headers["Retry-After"]) <= 900  # the window, less the time taken
    text = refused.get_data(as_text=True)
    assert "Too many requests for a new password from this network" in text
    assert "Wait 15 minutes" in text
    # nothing sent, nothing queued, nothing counted
    assert len(smtp.messages) == limit and _count(app, MailMessage) == mails
    assert _count(app, AuditEvent) == audits and _count(app, ResetRequest) == limit
    # another address is not held back by this one
    assert _forgot(client, "next@test.example", address="198.51.100.2").status_code == 302
    assert [m["To"] for m in smtp.messages][-1] == "next@test.example"


def test_the_wait_ends_when_the_oldest_request_leaves_the_window(app, client, smtp, limit):
    start = now_utc()
    for minute in range(limit):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            assert _forgot(client, "nobody@test.example").status_code == 302
    with time_machine.travel(start + timedelta(minutes=14, seconds=30), tick=False):
        response = _forgot(client, "nobody@test.example")
        assert response.status_code == 429 and "Wait 1 minute " in response.get_data(as_text=True)
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert _forgot(client, "nobody@test.example").status_code == 302


def test_unknown_emails_count_and_the_answers_reveal_nothing(
    app, client, create_user_, smtp, limit
):
    create_user_("candidate", email="known@test.example")
    # under the limit: the same page for a known and an unknown email, and both count
    known = _forgot(client, "known@test.example", address="198.51.100.7")
    unknown = _forgot(client, "nobody@test.example", address="198.51.100.8")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert _count(app, ResetRequest, ResetRequest.address == "198.51.100.7") == 1
    assert _count(app, ResetRequest, ResetRequest.address == "198.51.100.8") == 1
    # unknown emails alone use up an address's requests
    for _ in range(limit - 1):
        _forgot(client, "nobody@test.example", address="198.51.100.8")
    for _ in range(limit - 1):
        _forgot(client, "known@test.example", address="198.51.100.7")
    sent = len(smtp.messages)
    # over the limit: the same refusal whether the email has an account or not
    known = _forgot(client, "known@test.example", address="198.51.100.7")
    unknown = _forgot(client, "nobody@test.example", address="198.51.100.8")
    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]
    assert _body(known) == _body(unknown)
    assert len(smtp.messages) == sent


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(
    app, client, smtp, limit, monkeypatch
):
    spoofed = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(limit + 1)]
    # without PROXY_HOPS the header is the client's to write: it does not escape the limit
    for headers in spoofed[:limit]:
        assert _forgot(client, "a@test.example", headers=headers).status_code == 302
    assert _forgot(client, "a@test.example", headers=spoofed[limit]).status_code == 429
    # behind one trusted proxy (what PROXY_HOPS=1 installs) each forwarded client counts alone
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))
    for headers in spoofed:
        assert _forgot(client, "a@test.example", headers=headers).status_code == 302
    assert _count(app, ResetRequest, ResetRequest.address == "203.0.113.0") == 1


def test_the_sweep_forgets_requests_that_no_longer_count(app, runner, client, smtp, limit):
    _forgot(client, "a@test.example")
    with time_machine.travel(now_utc() + timedelta(minutes=16), tick=False):
        _forgot(client, "b@test.example")
        assert runner.invoke(args=["sittings", "sweep"]).exit_code == 0
    assert _count(app, ResetRequest) == 1
