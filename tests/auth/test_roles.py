"""The role x route matrix, generated from the app's URL map: every endpoint, every role."""

import pytest

from app.codes import ROLES
from tests.conftest import csrf_from, sign_in

# Endpoints open to anyone, or to any signed-in user whatever the role.
PUBLIC = {
    "static",
    "auth.index",
    "auth.login",
    "auth.health",
    "auth.forgot_password",
    "auth.set_password",
}
ANY_SIGNED_IN = {"auth.logout", "auth.change_password"}


def _endpoints(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        args = {name: "1" for name in rule.arguments}
        yield rule.endpoint, rule, methods, args


def _url(app, endpoint, args):
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **args)


def test_every_endpoint_declares_its_roles(app):
    undeclared = [
        endpoint
        for endpoint, *_ in _endpoints(app)
        if endpoint not in PUBLIC | ANY_SIGNED_IN
        and not getattr(app.view_functions[endpoint], "allowed_roles", None)
    ]
    assert undeclared == [], "routes without role_required"


@pytest.mark.parametrize("role", [*ROLES, None])
def test_roles_not_allowed_are_refused_everywhere(app, create_user_, role):
    client = app.test_client()
    if role:
        sign_in(client, create_user_(role).email)
        token = csrf_from(client.get("/account/password").get_data(as_text=True))
    else:
        token = csrf_from(client.get("/login").get_data(as_text=True))
    checked = 0
    for endpoint, _rule, methods, args in _endpoints(app):
        allowed = getattr(app.view_functions[endpoint], "allowed_roles", None)
        if not allowed or role in allowed:
            continue
        url = _url(app, endpoint, args)
        for method in methods:
            response = client.open(url, method=method, headers={"X-CSRFToken": token})
            expected = {302} if role is None else {403}
            assert response.status_code in expected, (role, method, url, response.status_code)
            if role is None:
                assert "/login" in response.headers["Location"]
            checked += 1
    assert checked > 0
