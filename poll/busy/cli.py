"""flask --app poll import-busy: a member's calendar as a proposal, and with --apply saved
as No in their blank cells of busy days."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from .. import answers
from ..db import db
from ..i18n import long_date, week_label
from ..models import Answer, Member, Poll
from . import (
    CalDavSource,
    CalendarError,
    DayBusy,
    ErrorKind,
    IcsSource,
    Source,
    error_message,
    propose_for_network,
)
from .addresses import checked_url


@click.command("import-busy")
@click.argument("network")
@click.argument("year", type=click.IntRange(2000, 2100))
@click.argument("member_key", metavar="MEMBER")
@click.argument("url")
@click.option(
    "--apply", "apply", is_flag=True, help="Save No in the member's blank cells of busy days."
)
@click.option("--user", help="A CalDAV account's user name (URL is then the CalDAV server).")
@click.option(
    "--password",
    envvar="MODEPLAN_CALDAV_PASSWORD",
    help="The CalDAV password (default: $MODEPLAN_CALDAV_PASSWORD, else asked for).",
)
@click.option("--lang", type=click.Choice(["da", "en"]), default="da", show_default=True)
@with_appcontext
def import_busy_command(
    network: str,
    year: int,
    member_key: str,
    url: str,
    apply: bool,
    user: str | None,
    password: str | None,
    lang: str,
) -> None:
    """Read MEMBER's calendar at URL (an ICS or webcal link) and print, for each candidate day
    of NETWORK's poll for YEAR, whether the member is busy in the meeting hours: one line per
    day, the ISO date, then busy, partly or free. --apply saves No in the member's blank cells
    (every venue) of the busy days, through the member's normal save; answered cells and
    partly busy days are left as they are. In debug and testing, http on 127.0.0.1 is read."""
    from ..cli import find_poll  # poll.cli registers this command: imported when it runs

    with force_locale(lang):
        poll = find_poll(network, year)
        member = next(
            (m for m in poll.network.members if m.key == member_key and m.erased_at is None),
            None,
        )
        if member is None:
            raise click.BadParameter(
                _("the network has no member '%(key)s'", key=member_key), param_hint="MEMBER"
            )
        try:
            checked_url(url, allow_local=current_app.debug or current_app.testing)
        except CalendarError as error:
            raise click.BadParameter(error_message(error), param_hint="URL") from None
        source: Source = IcsSource(url)
        if user is not None:
            if password is None:
                password = click.prompt(_("Password"), hide_input=True)
            source = CalDavSource(url, user, password or "")
        try:
            flags = propose_for_network(source, poll)
        except CalendarError as error:
            click.echo(_("Error: %(message)s", message=error_message(error)), err=True)
            sys.exit(2 if error.kind == ErrorKind.BAD_URL else 1)
        for day, flag in sorted(flags.items()):
            click.echo(f"{day.isoformat()} {flag.value:<6} {long_date(day)} ({week_label(day)})")
        if apply:
            count = _apply(member, poll, flags)
            click.echo(
                ngettext(
                    "Saved %(answer)s in %(num)d blank cell of the busy days; answered cells"
                    " were left as they were.",
                    "Saved %(answer)s in %(num)d blank cells of the busy days; answered cells"
                    " were left as they were.",
                    count,
                    answer=answers.answer_labels()[Answer.NO],
                )
            )


def _apply(member: Member, poll: Poll, flags: dict[date, DayBusy]) -> int:
    """No in the member's blank cells of the busy days, saved as the member's page saves."""
    busy = {day for day, flag in flags.items() if flag == DayBusy.BUSY}
    if not busy:
        return 0
    sheet = answers.lock_sheet(member, poll, with_roles=False)
    closed = sheet.closed_message()
    if closed is not None:
        db.session.rollback()
        raise click.ClickException(closed)
    cells = {
        (day.id, venue.id): Answer.NO
        for day in sheet.days
        if day.day in busy
        for venue in sheet.venues
        if (day.id, venue.id) not in sheet.answers
    }
    if not cells:
        db.session.rollback()
        return 0
    submission = answers.Submission(cells, None, None, shown=answers.Shown(dict(sheet.answers)))
    return answers.save(sheet, submission).changed
