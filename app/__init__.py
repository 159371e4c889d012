"""The exam platform: create_app builds the one app used by the web, the CLI and the tests."""

import os
from pathlib import Path

from flask import Flask

from app.config import ProductionConfig, config_from_environment


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, CLI, headers, error pages.

    No argument (wsgi:app, the flask CLI): the configuration ENDORSEMENT_ENV names, production
    when unset. A dict or class (tests, benchmarks) is laid over the production defaults."""
    app = Flask(__name__, instance_relative_config=True)
    if config is None:
        app.config.from_object(config_from_environment())
    else:
        app.config.from_object(ProductionConfig)
        if isinstance(config, dict):
            app.config.update(config)
        else:
            app.config.from_object(config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set: export SECRET_KEY (a long random value) to start the app."
        )
    _check_time_zone(app)
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    _init_extensions(app)
    from app import security

    security.bound_url_integers(app)  # before the blueprints: each rule binds its converters
    _register_blueprints(app)
    from app import cli, errors, templating
    from app.mail import delivery as mail_delivery

    templating.register(app)
    errors.register(app)
    security.register(app)
    cli.register(app)
    mail_delivery.register(app)
    return app


def _check_time_zone(app: Flask) -> None:
    # A misspelt zone would otherwise surface as a 500 on the first page that shows a time.
    from app.localtime import LocalTimeError, zone_named

    try:
        zone_named(app.config.get("TIME_ZONE") or "")
    except LocalTimeError as error:
        raise RuntimeError(str(error)) from None


def _init_extensions(app: Flask) -> None:
    from app import database
    from app.auth.services import load_user
    from app.extensions import csrf, db, htmx, login_manager, mail, migrate

    os.makedirs(app.instance_path, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.user_loader(load_user)
    htmx.init_app(app)
    csrf.init_app(app)
    mail.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            database.configure_sqlite(db.engine)


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"


def _register_blueprints(app: Flask) -> None:
    from app.auth.routes import bp as auth_bp
    from app.coordinator.analytics import bp as analytics_bp
    from app.coordinator.routes import bp as coordinator_bp
    from app.coordinator.scheduling import bp as scheduling_bp
    from app.exam.proctor_routes import bp as proctor_bp
    from app.exam.routes import bp as exam_bp
    from app.grading.coordinator_routes import bp as results_bp
    from app.grading.routes import bp as grading_bp
    from app.mail.routes import bp as mail_bp
    from app.people.routes import bp as people_bp
    from app.standards.routes import bp as standards_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(exam_bp, url_prefix="/exam")
    app.register_blueprint(proctor_bp, url_prefix="/proctor")
    app.register_blueprint(grading_bp, url_prefix="/grading")
    app.register_blueprint(results_bp)  # /coordinator/results/... and /results/mine
    app.register_blueprint(coordinator_bp, url_prefix="/coordinator")
    app.register_blueprint(scheduling_bp, url_prefix="/coordinator/schedule")
    app.register_blueprint(analytics_bp, url_prefix="/coordinator/analytics")
    app.register_blueprint(people_bp, url_prefix="/coordinator/people")
    app.register_blueprint(mail_bp, url_prefix="/coordinator/mail")
    app.register_blueprint(standards_bp)  # its own /coordinator/... and /standard-setting paths
