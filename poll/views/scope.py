"""Lookups that keep a URL inside the requester's own network, with a clear 404; the refusal
of a member's or a calendar link of an archived network."""

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth import current_network
from ..db import db
from ..models import Network, Poll


def network_poll(network_id: int, year: int) -> Poll:
    poll = db.session.scalar(select(Poll).where(Poll.network_id == network_id, Poll.year == year))
    if poll is None:
        abort(404, _("There is no poll for %(year)d.", year=year))
    return poll


def coordinator_poll(year: int) -> Poll:
    """The logged-in coordinator's poll for `year`."""
    return network_poll(current_network().id, year)


def refuse_archived(network: Network) -> None:
    """410 for a personal or calendar link of an archived network (nothing of it is shown)."""
    if network.archived:
        abort(
            410,
            _(
                "The network %(name)s is archived. Its polls, plans and calendars are no longer"
                " available here.",
                name=network.name,
            ),
        )
