"""Production is the default: `import wsgi` in a clean environment (what gunicorn does) refuses
to start without SECRET_KEY, and with it runs with Secure cookies and no debug or test mode;
the development configuration only when ENDORSEMENT_ENV asks for it."""

import os
import subprocess
import sys

from tests.conftest import ROOT

REPORT = (
    "import json, wsgi; c = wsgi.app.config; print(json.dumps({k: c[k] for k in "
    "('SECRET_KEY', 'SESSION_COOKIE_SECURE', 'DEBUG', 'TESTING', 'SQLALCHEMY_DATABASE_URI')}))"
)


def import_wsgi(tmp_path, **env: str) -> subprocess.CompletedProcess:
    """`import wsgi` in a fresh interpreter whose environment holds only PATH and `env`."""
    clean = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wsgi_refuses_to_start_without_secret_key(tmp_path):
    done = import_wsgi(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: SECRET_KEY is not set: export SECRET_KEY")


def test_wsgi_with_a_secret_key_runs_the_production_config(tmp_path):
    import json

    secret = "a-long-random-production-secret-0123456789"
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    done = import_wsgi(tmp_path, SECRET_KEY=secret, DATABASE_URL=url)
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout.strip().splitlines()[-1])
    assert config == {
        "SECRET_KEY": secret,
        "SESSION_COOKIE_SECURE": True,
        "DEBUG": False,
        "TESTING": False,
        "SQLALCHEMY_DATABASE_URI": url,
    }


def test_production_database_default_is_the_production_file(tmp_path):
    import json

    done = import_wsgi(tmp_path, SECRET_KEY="s" * 40)
    assert done.returncode == 0, done.stderr
    url = json.loads(done.stdout.strip().splitlines()[-1])["SQLALCHEMY_DATABASE_URI"]
    assert url.endswith("/instance/endorsement.sqlite")


def test_development_config_only_when_asked(tmp_path):
    import json

    done = import_wsgi(tmp_path, ENDORSEMENT_ENV="development")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout.strip().splitlines()[-1])
    assert config["SESSION_COOKIE_SECURE"] is False and config["SECRET_KEY"]
    # the demo's published password never lands in the production file
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("/instance/demo.sqlite")


def test_an_unknown_environment_name_is_refused(tmp_path):
    done = import_wsgi(tmp_path, ENDORSEMENT_ENV="staging", SECRET_KEY="s" * 40)
    assert done.returncode != 0
    assert "ENDORSEMENT_ENV='staging' is unknown" in done.stderr


def test_secure_cookies_can_be_turned_off_only_explicitly(tmp_path):
    import json

    base = {"SECRET_KEY": "s" * 40, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    for value, secure in (("0", False), ("1", True), ("", True), ("yes", True)):
        done = import_wsgi(tmp_path, SESSION_COOKIE_SECURE=value, **base)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[-1])["SESSION_COOKIE_SECURE"] is secure
