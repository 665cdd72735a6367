"""flask --app poll swap NETWORK YEAR MEETING ROLE MEMBER: the candidates for a role seat."""

import sys

import click
from flask.cli import with_appcontext
from flask_babel import get_locale
from flask_babel import gettext as _

from .cli import find_poll
from .swaps import SwapRefused, find_candidates


@click.command("swap")
@click.argument("network")
@click.argument("year", type=int)
@click.argument("meeting")
@click.argument("role")
@click.argument("member")
@with_appcontext
def swap_command(network: str, year: int, meeting: str, role: str, member: str) -> None:
    """Print who could take over ROLE from MEMBER at MEETING of the published plan, best first,
    one a line starting with the member's id, everything else in the plan kept. Exits 1 when
    MEMBER does not hold ROLE there; with no candidate, says why on stderr."""
    poll = find_poll(network, year)
    if meeting not in {m.key for m in poll.meetings}:
        raise click.BadParameter(
            _("the poll has no meeting '%(key)s'", key=meeting), param_hint="MEETING"
        )
    if role not in {r.key for r in poll.network.roles}:
        raise click.BadParameter(
            _("the network has no role '%(key)s'", key=role), param_hint="ROLE"
        )
    members = {m.key: m for m in poll.network.members if m.active}
    if member not in members:
        raise click.BadParameter(
            _("the network has no active member '%(key)s'", key=member), param_hint="MEMBER"
        )
    try:
        found = find_candidates(poll, meeting, role, member)
    except SwapRefused as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    names = {m.key: m.name for m in poll.network.members}
    for c in found["candidates"]:
        answer = _("yes") if c["answer"] == "yes" else _("if need be")
        click.echo(
            _(
                "%(key)s  %(name)s: answered %(answer)s; %(role)s %(count)d times with this"
                " one (earlier years included), %(load)d roles in all",
                key=c["id"],
                name=names.get(c["id"], c["id"]),
                answer=answer,
                role=role,
                count=c["role_count"],
                load=c["load"],
            )
        )
    for sentence in found["explanations"].get(str(get_locale()), found["explanation"]):
        click.echo(sentence, err=True)
