"""Mødeplan: date poll and year planner for networks of Danish public libraries."""

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import auth, cli, errors, i18n, jobs, logs, migrating, security
from .config import DEV_SECRET_KEY, database_url_from_env, defaults
from .converters import BoundedIntConverter
from .db import db

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_prefixed_env("MODEPLAN")
    if url := database_url_from_env():
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if test_config:
        app.config.from_mapping(test_config)
    if app.config["SECRET_KEY"] == DEV_SECRET_KEY and not (app.debug or app.testing):
        raise RuntimeError(
            "Set MODEPLAN_SECRET_KEY (or run with --debug): the development secret is not safe."
        )
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrating.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    logs.init_app(app)
    cli.init_app(app)
    security.init_app(app)
    app.before_request(auth.load_account)
    jobs.stop_solves_on_sigterm()

    from .views import auth as auth_views
    from .views import coordinator, feeds, meeting, member, messages, plan

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(member.bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(plan.bp)
    app.register_blueprint(meeting.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(messages.bp)
    return app
