"""Command line: flask --app poll create-network | create-admin | init-demo | plan-year |
export-ics | export-csv | remind | send-mail | retry-mail | purge | worker | import-busy."""

import logging
import sys
from datetime import date, datetime
from pathlib import Path

import click
from flask import Flask, current_app, url_for
from flask.cli import ScriptInfo, with_appcontext
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from . import accounts, audit, calendar_links
from .busy.cli import import_busy_command
from .db import db
from .demo import init_demo
from .exports import answers_csv, plan_csv
from .feeds import absolute_url
from .feeds import base_url as configured_base_url
from .i18n import long_date, week_label
from .job_rows import real_app
from .jobs import start_in_thread, start_job
from .meeting_notice import run_auto
from .models import MailJob, Member, Network, Plan, Poll, SolveJob
from .notifications import (
    NotSent,
    Outcome,
    auto_reminder_due,
    retry_failed,
    send_invitations,
    send_plan,
    send_reminders,
    today_in,
)
from .plan_calendar import (
    committed,
    find_event,
    meeting_calendar,
    member_calendar,
    network_calendar,
)
from .plan_view import meeting_views
from .planning import latest_plan, plan_versions, published_plan
from .privacy import retention
from .publishing import publish


@click.command("init-demo")
@click.option(
    "--base-url",
    default=None,
    help="Where the app is served, for the printed links (default: MODEPLAN_BASE_URL).",
)
@with_appcontext
def init_demo_command(base_url: str | None) -> None:
    """Migrate the database and create the demo network (idempotent); print logins and links."""
    from flask_migrate import upgrade

    upgrade()
    login = init_demo()
    with current_app.test_request_context(base_url=base_url or configured_base_url()):
        click.echo("Mødeplan demo network 'benchmark'")
        click.echo(f"  Coordinator login: {url_for('auth.login', _external=True)}")
        click.echo(f"    e-mail:   {login.email}")
        click.echo(f"    password: {login.password}")
        click.echo("  Personal links:")
        for member, token in login.links:
            url = url_for("member.answer", token=token, _external=True)
            click.echo(f"    {member.key:<10} {url}")


def _checked(check, value, hint: str, *args):
    try:
        return check(value, *args)
    except accounts.AccountError as error:
        raise click.BadParameter(str(error), param_hint=hint) from None


def _echo_link(new: accounts.NewAccount) -> None:
    if new.token is None:
        click.echo(
            _(
                "%(email)s has an account with a password already: they log in as before "
                "and choose the network. No new link is needed.",
                email=new.account.email,
            )
        )
        return
    url = absolute_url("account.set_password", token=new.token)
    click.echo(
        _(
            "One-time link for %(email)s to set a password (valid %(days)d days):",
            email=new.account.email,
            days=accounts.SET_PASSWORD_DAYS,
        )
    )
    click.echo(f"  {url}")


@click.command("create-network")
@click.argument("slug")
@click.argument("name")
@click.option("--coordinator", "email", required=True, help="The coordinator's e-mail.")
@click.option("--coordinator-name", help="The coordinator's name.")
@with_appcontext
def create_network_command(slug: str, name: str, email: str, coordinator_name: str | None) -> None:
    """Create the network SLUG called NAME with the default roles and meeting hours 10-15, and
    its coordinator's account; print a one-time link where the coordinator sets a password.
    An e-mail that has an account already gets the network added to it (and a link only if it
    has no password yet). Changes nothing and exits 1 when the slug is taken."""
    slug = _checked(accounts.check_slug, slug, "SLUG")
    name = _checked(accounts.check_name, name, "NAME", 200)
    email = _checked(accounts.check_email, email, "--coordinator")
    if coordinator_name is not None:
        coordinator_name = _checked(
            accounts.check_name, coordinator_name, "--coordinator-name", 200
        )
    try:
        new = accounts.create_network(slug, name, email, coordinator_name)
    except accounts.AccountError as error:
        db.session.rollback()
        click.echo(_("Error: %(message)s Nothing was changed.", message=error), err=True)
        sys.exit(1)
    click.echo(_("Created the network '%(slug)s' (%(name)s).", slug=slug, name=name))
    _echo_link(new)


@click.command("create-admin")
@click.argument("email")
@with_appcontext
def create_admin_command(email: str) -> None:
    """Make EMAIL a site administrator (creating the account if needed); print a one-time link
    where the administrator sets a password."""
    email = _checked(accounts.check_email, email, "EMAIL")
    new = accounts.create_admin(email)
    click.echo(_("%(email)s is a site administrator.", email=email))
    _echo_link(new)


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
            status=_("proven best")
            if plan.result["status"] == "optimal"
            else _("best found within the time limit"),
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
                click.echo(f"  {rv.role.name}: {', '.join(m.shown_name for m in rv.holders)}")
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
        job_id, started = start_job(poll, time_limit, language=lang)
        if not started:
            raise click.ClickException(_("A planning of this year is already running."))
        assert job_id is not None  # started: the id of the row just inserted
        # In a thread of its own, so that SIGTERM reaches this (main) thread and can stop it.
        solving = start_in_thread(real_app(), job_id, lang, progress_bar)
        while solving.is_alive():
            solving.join(0.2)
        # The app deletes no polls, plans or jobs: these are gone only if deleted by hand.
        job = db.session.get(SolveJob, job_id)
        if job is None:
            raise click.ClickException(f"solve job {job_id} was deleted while it ran")
        if job.status != "done":
            raise click.ClickException(job.message)
        if job.plan_id is None:
            click.echo(_("No plan is possible:"), err=True)
            for sentence in (job.result or {}).get("explanation", []):
                click.echo(f"- {sentence}", err=True)
            sys.exit(1)
        plan = latest_plan(poll)
        if plan is None:
            raise click.ClickException(f"the plan this solve stored (id {job.plan_id}) was deleted")
        if job.message:  # planning again changed nothing: the version that was there
            click.echo(job.message, err=True)
        if do_publish and publish(plan):
            audit.record(audit.Action.PUBLISH, poll.network_id, f"{poll.year}: {plan.version}")
        db.session.commit()
        echo_plan(poll, plan)
        if do_publish:
            click.echo("")
            click.echo(_("Published as version %(version)d.", version=plan.version))


# -- calendars, exports and mail (poll/plan_calendar.py, poll/exports.py, poll/notifications.py)


def _lang_option(command):
    return click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True)(
        command
    )


def _member_of(poll: Poll, key: str) -> Member:
    member = next((m for m in poll.network.members if m.key == key and m.erased_at is None), None)
    if member is None:
        raise click.BadParameter(
            _("the network has no member '%(key)s'", key=key), param_hint="--member"
        )
    return member


def _write(output: str, data: bytes) -> None:
    if output == "-":
        click.echo(data, nl=False)
        return
    try:
        Path(output).write_bytes(data)
    except OSError as error:
        raise click.ClickException(
            _("cannot write %(file)s: %(reason)s", file=output, reason=error.strerror or error)
        ) from None
    click.echo(_("Wrote %(file)s (%(size)d bytes).", file=output, size=len(data)), err=True)


OUTPUT = click.option(
    "-o",
    "--output",
    default="-",
    show_default=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write; - is standard output.",
)


@click.command("export-ics")
@click.argument("network")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.option("--member", "member_key", help="A member's short key (e.g. sara): their calendar.")
@click.option("--meeting", "meeting_key", help="Only this meeting (its key, e.g. m1).")
@OUTPUT
@_lang_option
@with_appcontext
def export_ics_command(
    network: str, year: int, member_key: str | None, meeting_key: str | None, output: str, lang: str
) -> None:
    """Write the published plan of NETWORK (its slug) for YEAR as an .ics file."""
    with force_locale(lang):
        poll = find_poll(network, year)
        member = _member_of(poll, member_key) if member_key is not None else None
        if published_plan(poll) is None:
            raise click.ClickException(_("The plan for %(year)d is not published yet.", year=year))
        if meeting_key is not None:
            event = committed(lambda: find_event(poll, meeting_key))
            if event is None:
                raise click.BadParameter(
                    _("the published plan has no meeting '%(key)s'", key=meeting_key),
                    param_hint="--meeting",
                )
            data = meeting_calendar(poll, event, member)
        elif member is not None:
            data = committed(lambda: member_calendar(member, year=year))
        else:
            data = committed(lambda: network_calendar(poll.network, year=year))
        _write(output, data)


@click.command("export-csv")
@click.argument("network")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.argument("what", type=click.Choice(["answers", "plan"]))
@click.option("--version", type=click.IntRange(min=1), help="This plan version, not the published.")
@OUTPUT
@_lang_option
@with_appcontext
def export_csv_command(
    network: str, year: int, what: str, version: int | None, output: str, lang: str
) -> None:
    """Write the answers or the plan of NETWORK for YEAR as CSV for Excel (';', UTF-8 BOM)."""
    with force_locale(lang):
        poll = find_poll(network, year)
        if what == "answers":
            _write(output, answers_csv(poll))
            return
        if version is None:
            plan = published_plan(poll)
            if plan is None:
                raise click.ClickException(
                    _("The plan for %(year)d is not published yet.", year=year)
                )
        else:
            plan = next((p for p in plan_versions(poll) if p.version == version), None)
            if plan is None:
                raise click.BadParameter(
                    _("version %(version)d does not exist", version=version),
                    param_hint="--version",
                )
        _write(output, plan_csv(poll, plan))


def _echo_outcome(poll: Poll, outcome: Outcome) -> bool:
    """Print what happened; True when every message went out."""
    for log in outcome.logs:
        status = log.status.value if log.status != "failed" else f"FAILED: {log.error}"
        click.echo(f"  {log.recipient}: {status}")
    for name, reason in outcome.skipped:
        click.echo(f"  {name}: " + _("not sent (%(reason)s)", reason=reason))
    click.echo(
        _(
            "%(year)d: %(sent)d sent, %(failed)d failed, %(skipped)d not sent.",
            year=poll.year,
            sent=outcome.sent,
            failed=outcome.failed,
            skipped=len(outcome.skipped),
        )
    )
    if outcome.failed:
        click.echo(_("Failed messages are kept; send them again with: flask retry-mail"), err=True)
    return outcome.failed == 0


@click.command("remind")
@click.argument("network", required=False)
@click.argument("year", type=click.IntRange(2000, 2100), required=False)
@click.option(
    "--auto",
    is_flag=True,
    help="Only remind when today is MODEPLAN_REMINDER_DAYS (default 3) days before the"
    " deadline, and never twice a day; for cron. Without NETWORK/YEAR: every open poll."
    " Also sends each published meeting's notice and the planning group's agenda reminder"
    " when they are due, each once.",
)
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Take this date (YYYY-MM-DD) as today in the network's time zone.",
)
@_lang_option
@with_appcontext
def remind_command(
    network: str | None, year: int | None, auto: bool, today: datetime | None, lang: str
) -> None:
    """Remind the members of NETWORK who have not answered the YEAR poll."""
    with force_locale(lang):
        if not auto:
            if network is None or year is None:
                raise click.UsageError(_("NETWORK and YEAR are needed (or use --auto)."))
            poll = find_poll(network, year)
            try:
                outcome = send_reminders(poll)
            except NotSent as reason:
                raise click.ClickException(str(reason)) from None
            if not _echo_outcome(poll, outcome):
                sys.exit(1)
            return
        polls = _auto_polls(network, year)
        calendar_links.refresh_kept(polls, click.echo)
        all_sent = True
        for poll in polls:
            day = today.date() if today else today_in(poll.network)
            try:
                not_due = auto_reminder_due(poll, day)
                if not_due is not None:
                    click.echo(
                        _(
                            "%(network)s %(year)d: no reminder: %(reason)s",
                            network=poll.network.slug,
                            year=poll.year,
                            reason=not_due,
                        )
                    )
                    continue
                outcome = send_reminders(poll, auto_day=day)
            except NotSent as reason:
                raise click.ClickException(str(reason)) from None
            all_sent = _echo_outcome(poll, outcome) and all_sent
        all_sent = run_auto(network, year, today.date() if today else None, click.echo) and all_sent
        if not all_sent:
            sys.exit(1)


def _auto_polls(network: str | None, year: int | None) -> list[Poll]:
    if network is not None and year is not None:
        return [find_poll(network, year)]
    query = select(Poll).where(Poll.is_open.is_(True), Poll.deadline.is_not(None))
    if network is not None:
        found = db.session.scalar(select(Network).where(Network.slug == network))
        if found is None:
            raise click.BadParameter(
                _("no network with the slug '%(slug)s'", slug=network), param_hint="NETWORK"
            )
        query = query.where(Poll.network_id == found.id)
    return list(db.session.scalars(query.order_by(Poll.network_id, Poll.year)))


@click.command("send-mail")
@click.argument("network")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.argument("kind", type=click.Choice(["invitation", "plan", "changes"]))
@_lang_option
@with_appcontext
def send_mail_command(network: str, year: int, kind: str, lang: str) -> None:
    """Mail every active member of NETWORK: the YEAR invitation, the published plan, or what
    changed since the previously published version."""
    with force_locale(lang):
        poll = find_poll(network, year)
        try:
            if kind == "invitation":
                outcome = send_invitations(poll)
            else:
                outcome = send_plan(poll, as_changes=kind == "changes")
        except NotSent as reason:
            raise click.ClickException(str(reason)) from None
        if not _echo_outcome(poll, outcome):
            sys.exit(1)


@click.command("retry-mail")
@click.argument("network", required=False)
@_lang_option
@with_appcontext
def retry_mail_command(network: str | None, lang: str) -> None:
    """Send failed messages again (of NETWORK, or of every network)."""
    with force_locale(lang):
        query = select(Network)
        if network is not None:
            query = query.where(Network.slug == network)
        networks = list(db.session.scalars(query))
        if network is not None and not networks:
            raise click.BadParameter(
                _("no network with the slug '%(slug)s'", slug=network), param_hint="NETWORK"
            )
        still = 0
        for found in networks:
            if found.archived:
                click.echo(
                    _(
                        "%(network)s: archived, no mail is sent for it.",
                        network=found.slug,
                    )
                )
                continue
            for log in retry_failed(found.id).logs:
                ok = log.status != "failed"
                still += not ok
                click.echo(f"  {log.recipient}: {log.status.value if ok else log.error}")
        click.echo(_("%(count)d messages still failed.", count=still))
        if still:
            sys.exit(1)


# -- personal data (poll/privacy/)


class PurgeCommand(click.Command):
    """An unknown or misused option is refused in the app's language, naming it (click's own
    messages are English); exit 2 as ever."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as error:
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                message = _("There is no option %(option)s.", option=error.option_name)
        except click.BadOptionUsage as error:
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                message = _(
                    "%(option)s is used wrongly: --older-than takes a number of months,"
                    " --dry-run nothing.",
                    option=error.option_name,
                )
        raise click.UsageError(message, ctx)


def _purge_line(item: retention.YearPurge) -> str:
    return _(
        "%(year)d: answers %(answers)d, comments %(comments)d, messages %(messages)d",
        year=item.year,
        answers=item.answers,
        comments=item.comments,
        messages=item.messages,
    )


@click.command("purge", cls=PurgeCommand)
@click.option(
    "--older-than",
    "older_than",
    metavar="MONTHS",
    help="Polls whose year ended at least this many months ago (default MODEPLAN_PURGE_MONTHS,"
    " 24).",
)
@click.option("--dry-run", is_flag=True, help="Only print what would be removed.")
@_lang_option
@with_appcontext
def purge_command(older_than: str | None, dry_run: bool, lang: str) -> None:
    """Remove the answers, comments and mails of polls whose year ended MONTHS months ago or
    more; plans and role history are kept. Prints nothing when there is nothing to remove
    (for cron)."""
    with force_locale(lang):
        if older_than is None:
            months = current_app.config["PURGE_MONTHS"]
        elif older_than.isascii() and older_than.isdigit() and int(older_than) >= 1:
            months = int(older_than)
        else:
            raise click.UsageError(
                _(
                    "--older-than: give a whole number of months, 1 or more (not '%(value)s').",
                    value=older_than[:20],
                )
            )
        found = retention.find(date.today(), months)
        if not found:
            return
        for item in found:
            click.echo(f"{item.network} {_purge_line(item)}")
        totals = {
            "answers": sum(i.answers for i in found),
            "comments": sum(i.comments for i in found),
            "messages": sum(i.messages for i in found),
        }
        if dry_run:
            click.echo(
                _(
                    "--dry-run: nothing was removed. It would remove answers %(answers)d,"
                    " comments %(comments)d, messages %(messages)d.",
                    **totals,
                )
            )
            return
        retention.purge(found, _purge_line)
        db.session.commit()
        click.echo(
            _(
                "Removed answers %(answers)d, comments %(comments)d, messages %(messages)d of"
                " polls that ended %(months)d months ago or more; plans and role history are"
                " kept.",
                months=months,
                **totals,
            )
        )


# -- background jobs (poll/worker.py)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit (for cron and tests).")
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=0.05, max=60),
    default=1.0,
    show_default=True,
    help="How long to sleep when no job is queued.",
)
@with_appcontext
def worker_command(once: bool, poll_seconds: float) -> None:
    """Run the solve jobs and mail batches the app queues (MODEPLAN_WORKERS=external).

    Start as many as you like, on any machines, against one PostgreSQL database: each job is
    run once. SIGTERM stops a running solve (its job is marked failed) and lets a mail batch
    finish, then exits."""
    from .worker import Worker

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("poll").setLevel(logging.INFO)
    try:  # a clear message rather than a traceback for a database that is down or behind
        with db.engine.connect() as conn:
            for model in (SolveJob, MailJob):
                conn.execute(select(model.worker).limit(1))
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"the job tables cannot be read ({error.__class__.__name__}): is the database up,"
            " and migrated (flask --app poll db upgrade)?"
        ) from error
    worker = Worker(real_app(), poll_seconds=poll_seconds)
    worker.stop_on_sigterm()
    logging.getLogger("poll.worker").info(
        "worker %s: started on %s", worker.name, db.engine.url.render_as_string(hide_password=True)
    )
    ran = worker.run(once=once)
    logging.getLogger("poll.worker").info("worker %s: stopped after %d job(s)", worker.name, ran)


def init_app(app: Flask) -> None:
    app.cli.add_command(worker_command)
    app.cli.add_command(create_network_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(init_demo_command)
    app.cli.add_command(plan_year_command)
    app.cli.add_command(export_ics_command)
    app.cli.add_command(export_csv_command)
    app.cli.add_command(remind_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(retry_mail_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(import_busy_command)
    from .swap_cli import swap_command  # here: swap_cli imports find_poll from this module

    app.cli.add_command(swap_command)
