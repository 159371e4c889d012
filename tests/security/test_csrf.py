"""CSRF on every state-changing request, generated from app.url_map.

Each POST/PUT/PATCH/DELETE endpoint is called by a demo account whose role is allowed there, on
its own objects, with fields that would otherwise be accepted: without a token, with a forged
token and with another session's token, as a plain form post and as htmx. Every one gets 400
with the clear message and changes nothing."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Attempt, User
from tests.auth.test_roles import ANY_SIGNED_IN, PUBLIC, _endpoints, _url
from tests.conftest import csrf_from
from tests.security.helpers import build_world, changed_tables, demo_client, fingerprint

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
MESSAGE = "expired or did not come from this site"
#: the demo account that uses each role's pages (owner of the objects in the URLs)
ACCOUNT = {
    "candidate": "candidate02@demo.example",
    "proctor": "proctor@demo.example",
    "grader": "grader1@demo.example",
    "lead_grader": "lead@demo.example",
    "coordinator": "coordinator@demo.example",
}


def _role_for(app, endpoint: str) -> str | None:
    if endpoint in PUBLIC:
        return None
    if endpoint in ANY_SIGNED_IN:
        return "candidate"
    return app.view_functions[endpoint].allowed_roles[0]


def _fields(app, world) -> dict:
    """Fields a real page would send, so a missing CSRF check would let the change through."""
    with app.app_context():
        attempt = db.session.scalar(
            select(Attempt).where(Attempt.public_id == world.open_public_id)
        )
        item = attempt.item_order[0]
        option = attempt.option_order[str(item)][0]
        client = attempt.client_token
        candidate = db.session.scalar(select(User.id).where(User.email.like("candidate04@%")))
    return {
        "item": str(item),
        "option": option,
        "seq": "99",
        "client": client,
        "kind": "blur",
        "action": "pause",
        "reason": "checked with the candidate",
        "minutes": "5",
        "seat": str(world.seat_ids["candidate02@demo.example"]),
        "category": "technical",
        "note": "a note",
        "email": "candidate02@demo.example",
        "password": "endorse-demo",
        "current": "endorse-demo",
        "new": "another-long-password",
        "confirm": "another-long-password",
        "name": "Renamed",
        "candidate_id": str(candidate),
        "candidate": str(candidate),
        "grader": str(world.grader_ids["grader2@demo.example"]),
        "track": "IMH-SPECIALIST",
        "capacity": "7",
        "code": world.reading_code,
        "rating-REFL": "3",
    }


def _state_changing(app, world):
    """(endpoint, method, url) for every state-changing rule of the app."""
    args = world.url_args() | {
        "seat_id": str(world.seat_ids["candidate02@demo.example"]),
        "public_id": world.open_public_id,
    }
    for endpoint, _rule, methods, placeholder in _endpoints(app):
        url = _url(app, endpoint, {name: args.get(name, "1") for name in placeholder})
        for method in sorted(STATE_CHANGING & set(methods)):
            yield endpoint, method, url


@pytest.fixture
def world(app, runner):
    return build_world(app, runner)


@pytest.fixture
def clients(app, world):
    """One signed-in client per role (and an anonymous one), built on demand."""
    made = {}

    def get(role):
        if role not in made:
            made[role] = app.test_client() if role is None else demo_client(app, ACCOUNT[role])
        return made[role]

    return get


VARIANTS = {
    "no token": {},
    "no token, htmx": {"HX-Request": "true"},
    "forged token": {"X-CSRFToken": "forged.token.value"},
    "forged token, htmx": {"HX-Request": "true", "X-CSRFToken": "forged"},
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_state_changing_requests_without_a_valid_token_are_refused(app, world, clients, variant):
    fields, headers = _fields(app, world), VARIANTS[variant]
    requests = list(_state_changing(app, world))
    assert len(requests) > 20
    for endpoint, method, url in requests:
        client = clients(_role_for(app, endpoint))
        before = fingerprint(app)
        response = client.open(url, method=method, data=fields, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (variant, endpoint, method, url, response.status_code)
        assert MESSAGE in body, (variant, endpoint)
        if "HX-Request" in headers:
            assert "<html" not in body, f"{endpoint}: htmx gets a fragment"
        after = fingerprint(app)
        assert after == before, f"{variant} {endpoint}: {changed_tables(before, after)}"


def test_another_sessions_token_is_refused(app, world, clients):
    """Tokens are bound to the session: a token lifted from another browser does not work."""
    victim, attacker = clients("proctor"), demo_client(app, "coordinator@demo.example")
    stolen = csrf_from(attacker.get("/proctor/").get_data(as_text=True))
    before = fingerprint(app)
    seat = world.seat_ids["candidate02@demo.example"]
    for headers in ({"X-CSRFToken": stolen}, {"X-CSRFToken": stolen, "HX-Request": "true"}):
        response = victim.post(
            f"/proctor/seat/{seat}/act",
            data={"action": "pause", "reason": "x", "csrf_token": stolen},
            headers=headers,
        )
        assert response.status_code == 400 and MESSAGE in response.get_data(as_text=True)
    assert fingerprint(app) == before


@pytest.mark.parametrize("how", ["form field", "htmx header"])
def test_the_same_requests_with_the_token_do_change_state(app, world, clients, how):
    """The control: with the session's token these requests go through, so a 400 above is the
    CSRF check at work, not a request that would have failed anyway."""
    fields = _fields(app, world)
    client = clients("candidate")
    token = csrf_from(client.get(f"/exam/attempt/{world.open_public_id}").get_data(as_text=True))
    fields["client"] = _fields(app, world)["client"]  # opening the page claimed a new client
    data = fields | ({"csrf_token": token} if how == "form field" else {})
    headers = {"HX-Request": "true"} | ({"X-CSRFToken": token} if how == "htmx header" else {})
    before = fingerprint(app)
    response = client.post(f"/exam/attempt/{world.open_public_id}/save", data=data, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    changed = " ".join(changed_tables(before, fingerprint(app)))
    assert "answer: " in changed and "attempt: " in changed
