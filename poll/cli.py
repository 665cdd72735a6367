"""Command line: flask --app poll init-demo, ..."""

import click
from flask import Flask, current_app, url_for
from flask_migrate import upgrade

from .demo import init_demo


@click.command("init-demo")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the app is served, for the printed links.",
)
def init_demo_command(base_url: str) -> None:
    """Migrate the database and create the demo network (idempotent); print logins and links."""
    upgrade()
    login = init_demo()
    with current_app.test_request_context(base_url=base_url):
        click.echo("Mødeplan demo network 'benchmark'")
        click.echo(f"  Coordinator login: {url_for('auth.login', _external=True)}")
        click.echo(f"    e-mail:   {login.email}")
        click.echo(f"    password: {login.password}")
        click.echo("  Personal links (new on every run):")
        for member, token in login.links:
            click.echo(
                f"    {member.key:<10} {url_for('member.answer', token=token, _external=True)}"
            )


def init_app(app: Flask) -> None:
    app.cli.add_command(init_demo_command)
