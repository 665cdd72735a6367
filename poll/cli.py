"""Command line: flask --app poll init-demo | plan-year."""

import sys

import click
from flask import Flask, current_app, url_for
from flask.cli import with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_migrate import upgrade
from sqlalchemy import select

from .db import db
from .demo import init_demo
from .i18n import long_date, week_label
from .jobs import run_job, start_job
from .models import Network, Plan, Poll
from .plan_view import meeting_views
from .planning import latest_plan, publish


@click.command("init-demo")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="Where the app is served, for the printed links.",
)
@with_appcontext
def init_demo_command(base_url: str) -> None:
    """Migrate the database and create the demo network (idempotent); print logins and links."""
    upgrade()
    login = init_demo()
    with current_app.test_request_context(base_url=base_url):
        click.echo("Mødeplan demo network 'benchmark'")
        click.echo(f"  Coordinator login: {url_for('auth.login', _external=True)}")
        click.echo(f"    e-mail:   {login.email}")
        click.echo(f"    password: {login.password}")
        click.echo("  Personal links:")
        for member, token in login.links:
            url = url_for("member.answer", token=token, _external=True)
            click.echo(f"    {member.key:<10} {url}")


def find_poll(slug: str, year: int) -> Poll:
    network = db.session.scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise click.BadParameter(
            _("no network with the slug '%(slug)s'", slug=slug), param_hint="NETWORK"
        )
    poll = db.session.scalar(select(Poll).where(Poll.network_id == network.id, Poll.year == year))
    if poll is None:
        raise click.BadParameter(
            _("the network has no poll for %(year)d", year=year), param_hint="YEAR"
        )
    return poll


def progress_bar(done: int, total: int, label: str) -> None:
    width = 30
    filled = width * done // total if total else 0
    click.echo(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label:<40}", nl=False, err=True
    )
    if total and done >= total:
        click.echo("", err=True)


def echo_plan(poll: Poll, plan: Plan) -> None:
    click.echo(
        _(
            "Plan for %(network)s %(year)d, version %(version)d (%(status)s)",
            network=poll.network.name,
            year=poll.year,
            version=plan.version,
            status=plan.result["status"],
        )
    )
    for view in meeting_views(poll, plan):
        click.echo("")
        click.echo(
            f"{view.meeting.name}: {long_date(view.day)} ({week_label(view.day)}), "
            f"{view.start:%H:%M}–{view.end:%H:%M}"
        )
        click.echo(f"  {view.venue.name}{', ' + view.venue.address if view.venue.address else ''}")
        for rv in view.roles:
            if rv.holders:
                click.echo(f"  {rv.role.name}: {', '.join(m.name for m in rv.holders)}")
        att = view.attendance
        click.echo(
            "  "
            + _(
                "Yes: %(yes)d, if need be: %(maybe)d, no: %(no)d, no answer: %(none)d",
                yes=len(att["yes"]),
                maybe=len(att["maybe"]),
                no=len(att["no"]),
                none=len(att["no_answer"]),
            )
        )
    for sentence in plan.result.get("explanation", []):
        click.echo(f"- {sentence}")


@click.command("plan-year")
@click.argument("network")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1, max=3600),
    default=None,
    help="Stop after this many seconds with the best plan found.",
)
@click.option("--publish", "do_publish", is_flag=True, help="Publish the plan when one is found.")
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True)
@with_appcontext
def plan_year_command(
    network: str, year: int, time_limit: float | None, do_publish: bool, lang: str
) -> None:
    """Plan the year's meetings and roles for NETWORK (its slug) and YEAR."""
    with force_locale(lang):
        poll = find_poll(network, year)
        job, started = start_job(poll, time_limit)
        if not started:
            raise click.ClickException(_("A planning of this year is already running."))
        job = run_job(job.id, language=lang, progress=progress_bar)
        if job.status != "done":
            raise click.ClickException(job.message)
        if job.plan_id is None:
            click.echo(_("No plan is possible:"), err=True)
            for sentence in job.result.get("explanation", []):
                click.echo(f"- {sentence}", err=True)
            sys.exit(1)
        plan = latest_plan(poll)
        if do_publish:
            publish(plan)
            db.session.commit()
        echo_plan(poll, plan)
        if do_publish:
            click.echo("")
            click.echo(_("Published as version %(version)d.", version=plan.version))


def init_app(app: Flask) -> None:
    app.cli.add_command(init_demo_command)
    app.cli.add_command(plan_year_command)
