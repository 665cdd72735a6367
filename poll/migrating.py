"""Migrations (Flask-Migrate, on Alembic and Mako: ~11 MiB and a quarter of a second) are loaded
only by a process that migrates: `flask db …`, `init-demo`, a test's `upgrade()`. A web or
worker process never does, so it does without them; `flask db` and the app's
extensions["migrate"] stand in for Flask-Migrate's until first used."""

from pathlib import Path
from typing import Any

import click
from flask import Flask

from .db import db

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class _Config:
    """Flask-Migrate's app.extensions["migrate"], made (and put in its place) when first read."""

    def __init__(self, app: Flask):
        self._app = app

    def __getattr__(self, name: str) -> Any:
        from flask_migrate import Migrate

        Migrate(self._app, db, directory=str(MIGRATIONS))
        return getattr(self._app.extensions["migrate"], name)


class _DbGroup(click.Group):
    """`flask db`: Flask-Migrate's command group, imported when it is run or listed."""

    @staticmethod
    def _group() -> click.Group:
        from flask_migrate.cli import db as group

        return group

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        return self._group().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._group().get_command(ctx, name)


def init_app(app: Flask) -> None:
    app.extensions["migrate"] = _Config(app)
    app.cli.add_command(_DbGroup("db", help="Perform database migrations."))
