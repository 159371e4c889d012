"""Sign-in, sign-out, sessions invalidated, passwords hashed, rate limits, CSRF."""

import pytest
from sqlalchemy import select

from app.auth.roles import ROLE_HOME
from app.codes import ROLES
from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, csrf_from, sign_in


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_on_its_home(client, create_user_, role):
    user = create_user_(role)
    response = sign_in(client, user.email)
    assert response.status_code == 302
    home = client.get(response.headers["Location"])
    assert home.status_code == 200
    assert user.name in home.get_data(as_text=True)
    with client.application.test_request_context():
        from flask import url_for

        assert response.headers["Location"].endswith(url_for(ROLE_HOME[role]))


def test_wrong_password_and_unknown_email_get_the_same_message(client, create_user_):
    user = create_user_("candidate")
    wrong = sign_in(client, user.email, "not-the-password")
    unknown = sign_in(client, "nobody@test.example", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match an account."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_password_is_stored_as_argon2_hash(app, create_user_):
    user = create_user_("grader")
    with app.app_context():
        stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_logout_invalidates_every_copy_of_the_session_cookie(app, client, create_user_):
    user = create_user_("candidate")
    sign_in(client, user.email)
    other = app.test_client()  # a second browser holding a copy of the same cookie
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)
    assert other.get("/exam/").status_code == 200
    token = csrf_from(client.get("/exam/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert other.get("/exam/").status_code == 302  # sent to sign in


def test_password_change_signs_out_other_browsers(app, client, create_user_):
    user = create_user_("coordinator")
    sign_in(client, user.email)
    other = app.test_client()
    sign_in(other, user.email)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    response = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
    )
    assert response.status_code == 302
    assert client.get("/coordinator/").status_code == 200  # this browser stays signed in
    assert other.get("/coordinator/").status_code == 302
    assert sign_in(app.test_client(), user.email, "a-new-long-password").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(app, client, create_user_):
    user = create_user_("grader")
    sign_in(client, user.email)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    response = client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "wrong-password",
            "new": "another-password",
            "confirm": "another-password",
        },
    )
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)
    assert sign_in(app.test_client(), user.email).status_code == 302


def test_post_without_csrf_token_is_refused(client, create_user_):
    user = create_user_("candidate")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "expired or did not come from this site" in response.get_data(as_text=True)
    assert client.get("/exam/").status_code == 302  # not signed in


def test_csrf_token_does_not_expire(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_login_is_rate_limited_per_account(app, client, create_user_):
    user = create_user_("candidate")
    free = app.config["LOGIN_FREE_FAILURES"]
    for _ in range(free):
        assert sign_in(client, user.email, "wrong-password!").status_code == 401
    refused = sign_in(client, user.email)  # even the right password waits now, from here
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)


def test_open_redirect_after_login_is_ignored(client, create_user_):
    user = create_user_("candidate")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["Location"].endswith("/exam/")


def test_users_are_created_by_email_in_lower_case(app, create_user_):
    create_user_("candidate", email="Mixed.Case@Test.Example")
    with app.app_context():
        assert db.session.scalar(select(User.email)) == "mixed.case@test.example"


def test_stored_hash_is_upgraded_when_cost_settings_change(app, client, create_user_, monkeypatch):
    user = create_user_("candidate")
    with app.app_context():
        old = db.session.get(User, user.id).password_hash
    monkeypatch.setitem(app.config, "ARGON2_TIME_COST", app.config["ARGON2_TIME_COST"] + 1)
    assert sign_in(client, user.email).status_code == 302
    with app.app_context():
        new = db.session.get(User, user.id).password_hash
    assert new != old and f"t={app.config['ARGON2_TIME_COST']}" in new


def test_hashes_have_one_lane_and_four_lane_hashes_are_upgraded_at_sign_in(
    app, client, create_user_
):
    from argon2 import PasswordHasher

    from tests.conftest import PASSWORD

    user = create_user_("candidate")
    with app.app_context():
        assert ",p=1$" in db.session.get(User, user.id).password_hash
        # what earlier versions stored: the same passes and memory over four lanes
        four_lanes = PasswordHasher(
            app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"], parallelism=4
        ).hash(PASSWORD)
        db.session.get(User, user.id).password_hash = four_lanes
        db.session.commit()
    assert sign_in(client, user.email).status_code == 302
    with app.app_context():
        upgraded = db.session.get(User, user.id).password_hash
    assert upgraded != four_lanes and ",p=1$" in upgraded
