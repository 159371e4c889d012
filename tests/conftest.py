"""Fixtures: one migrated database per run (SQLite file, or PostgreSQL via DATABASE_URL),
emptied after each test; factory fixtures; sign-in helpers."""

import os
import re
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import text

from app import create_app
from app.auth.accounts import NewAccount, create_user
from app.config import TestConfig
from app.extensions import db
from app.models import Base

PASSWORD = "correct-horse-battery"
ROOT = Path(__file__).resolve().parent.parent


def database_url(tmp_path_factory) -> str:
    """PostgreSQL when DATABASE_URL names one, else a real SQLite file in a temp folder."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def reset_schema(url: str) -> None:
    """Drop everything so the migrations run from an empty database."""
    if url.startswith("postgresql"):
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
        db.session.commit()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = database_url(tmp_path_factory)
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": url,
            "MAIL_OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
        }
    )
    with app.app_context():
        reset_schema(url)
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database(request, app):
    """Every test starts from empty tables (the schema stays migrated)."""
    yield
    with app.app_context():
        db.session.rollback()
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def persist(app, build):
    """Run build() in an app context, commit, and return the object detached but loaded."""
    with app.app_context():
        obj = build()
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
        return obj


@pytest.fixture
def create_user_(app):
    """create_user_(role, email=None, tracks=()) -> a committed User."""
    counter = iter(range(1, 10_000))

    def make(role="candidate", email=None, name=None, tracks=(), password=PASSWORD):
        n = next(counter)
        email = email or f"{role}{n}@test.example"
        account = NewAccount(email, name or f"{role.title()} {n}", role, password, tuple(tracks))
        return persist(app, lambda: create_user(account))

    return make


def csrf_from(html: str) -> str:
    """The CSRF token in a page (form field or htmx header)."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html) or re.search(
        r'"X-CSRFToken": "([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    """Sign in through the real form (CSRF included); returns the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def signed_in(client, create_user_):
    """signed_in(role, **kw) -> (client, user): a client signed in as a new user of that role."""

    def make(role="candidate", **kwargs):
        user = create_user_(role, **kwargs)
        response = sign_in(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client, user

    return make
