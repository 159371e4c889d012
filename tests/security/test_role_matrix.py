"""The role x route matrix with demo-like data present: every refused request changes nothing.

Generated from app.url_map (helpers shared with tests/auth/test_roles.py): every endpoint, every
role and anonymous, every method the rule serves (refused by role) and every method it does not
serve (405). URL arguments name real objects (a live seat, an open attempt, an allocated reading),
so a refusal that came too late would have something to change."""

import pytest
from werkzeug.exceptions import MethodNotAllowed

from app.codes import ROLES
from tests.auth.test_roles import ANY_SIGNED_IN, PUBLIC, _endpoints, _url
from tests.conftest import csrf_from, sign_in
from tests.security.helpers import build_world, changed_tables, fingerprint

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _urls(app, args: dict[str, str]) -> list[str]:
    return sorted(
        {
            _url(app, endpoint, {name: args.get(name, "1") for name in placeholder})
            for endpoint, _rule, _methods, placeholder in _endpoints(app)
        }
    )


def _serving(app, url: str, method: str) -> str | None:
    """The endpoint the URL map sends this request to (rules overlap: /calibration/next is
    both a POST rule and a GET of /calibration/<code>), or None when the method is not served."""
    try:
        endpoint, _args = app.url_map.bind("localhost").match(url, method)
    except MethodNotAllowed:
        return None
    return endpoint


def _open_to(app, endpoint: str, role) -> bool:
    allowed = getattr(app.view_functions[endpoint], "allowed_roles", None) or ()
    if endpoint in PUBLIC:
        return True
    return role is not None and (endpoint in ANY_SIGNED_IN or role in allowed)


def _refused(app, role, args: dict[str, str]):
    """(url, method, expected statuses) for every request this role must be refused."""
    for url in _urls(app, args):
        for method in METHODS:
            endpoint = _serving(app, url, method)
            if endpoint is None:
                yield url, method, {405}
            elif not _open_to(app, endpoint, role):
                yield url, method, ({302} if role is None else {403})


@pytest.fixture
def world(app, runner):
    return build_world(app, runner)


def _client(app, create_user_, role):
    client = app.test_client()
    if role is None:
        return client, csrf_from(client.get("/login").get_data(as_text=True))
    assert sign_in(client, create_user_(role).email).status_code == 302
    return client, csrf_from(client.get("/account/password").get_data(as_text=True))


@pytest.mark.parametrize("role", [*ROLES, None])
def test_refused_requests_change_nothing(app, create_user_, world, role):
    client, token = _client(app, create_user_, role)
    baseline = fingerprint(app)
    checked, by_endpoint = 0, {}
    for url, method, expected in _refused(app, role, world.url_args()):
        by_endpoint.setdefault(url, []).append((method, expected))
    for url, requests in by_endpoint.items():
        for method, expected in requests:
            # the token is valid: the refusal must come from the role check, not from CSRF
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            assert response.status_code in expected, (role, method, url, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (role, method, url)
            checked += 1
        after = fingerprint(app)
        tried = ", ".join(m for m, _ in requests)
        assert after == baseline, f"{role} {tried} {url}: {changed_tables(baseline, after)}"
    assert checked > len(by_endpoint) > 10


def test_the_world_gives_real_targets(world):
    """The matrix aims at real objects: an open attempt, an allocated reading, a live seat."""
    args = world.url_args()
    assert args["public_id"] and args["code"] and int(args["seat_id"]) > 0
    assert world.reading_code, "grader1 was allocated a reading"
