"""Mødeplan: date poll and year planner for networks of Danish public libraries."""

import os

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from . import auth, cli, errors, i18n, jobs, logs, migrating, security
from .config import defaults, from_environment, require_mail_sender, require_secret_key
from .converters import BoundedIntConverter
from .db import db
from .version import __version__

csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    environment = from_environment(os.environ)
    instance = (test_config or {}).get("INSTANCE_PATH") or environment.get("INSTANCE_PATH")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance)
    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_mapping(environment)
    if test_config:
        app.config.from_mapping(test_config)
    require_secret_key(app.config, app.debug)
    require_mail_sender(app.config, os.environ, app.debug)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrating.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    logs.init_app(app)
    cli.init_app(app)
    security.init_app(app)
    app.jinja_env.globals["modeplan_version"] = __version__
    app.jinja_env.globals["current_network"] = auth.current_network
    app.before_request(auth.load_account)
    jobs.stop_solves_on_sigterm()

    from .views import (
        admin,
        agenda,
        calendar_import,
        coordinator,
        feeds,
        health,
        meeting,
        member,
        messages,
        minutes,
        plan,
        privacy,
        site,
        start,
        swaps,
    )
    from .views import audit as audit_views
    from .views import auth as auth_views
    from .views import guests as guest_views
    from .views import signup as signup_views

    app.register_blueprint(start.bp)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(auth_views.account_bp)
    app.register_blueprint(member.bp)
    app.register_blueprint(calendar_import.bp)
    app.register_blueprint(coordinator.bp)
    app.register_blueprint(plan.bp)
    app.register_blueprint(meeting.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(audit_views.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(privacy.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(agenda.bp)
    app.register_blueprint(minutes.bp)
    app.register_blueprint(swaps.bp)
    app.register_blueprint(signup_views.bp)
    app.register_blueprint(guest_views.bp)
    return app
