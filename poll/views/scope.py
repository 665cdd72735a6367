"""Lookups that keep a URL inside the requester's own network, with a clear 404; the member
behind a personal link; the refusal of a member's or a calendar link of an archived network."""

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ..auth import current_network
from ..db import db
from ..members import member_by_token
from ..models import Member, Network, Poll

# Built once: every save asks it, and building it cost more app CPU than running it.
POLL_BY_YEAR = select(Poll).where(
    Poll.network_id == bindparam("network"), Poll.year == bindparam("year")
)


def network_poll(network_id: int, year: int) -> Poll:
    poll = db.session.scalar(POLL_BY_YEAR, {"network": network_id, "year": year})
    if poll is None:
        abort(404, _("There is no poll for %(year)d.", year=year))
    return poll


def member_poll(member: Member, year: int, polls: list[Poll] | None = None) -> Poll:
    """The poll for `year` of the member's network, from `polls` when the page has read them
    already; 404 naming the year."""
    if polls is None:
        poll = db.session.scalar(POLL_BY_YEAR, {"network": member.network_id, "year": year})
    else:
        poll = next((p for p in polls if p.year == year), None)
    if poll is None:
        abort(404, _("There is no poll for %(year)d in this network.", year=year))
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


def link_member(token: str) -> Member:
    """The active member whose personal link this is: 404 for an unknown link, 410 for an
    archived network."""
    member = member_by_token(token)
    if member is None:
        abort(404, _("This personal link is not valid. Ask your coordinator for a new one."))
    refuse_archived(member.network)
    return member
