"""The site administrator's side of the networks: the list, a new network's set-password mail,
archiving and deleting.

A new network is made by `accounts.create_network`, as `flask create-network` makes it; its
coordinator's one-time link is shown to the administrator once and mailed here. That mail is
not in the network's message log: the log keeps a copy of every mail for retrying, and a copy
of this one would hold a working link to the account (the administrator has the link and can
pass it on if the mail fails).

Archived (`Network.archived_at`): the members' personal links and calendar links are refused
(poll/views/scope.py) and no mail goes out for the network (poll/notifications.py, the lost-link
mail); nothing is deleted, and the coordinators can still log in. Deleting removes the network
and everything in it through the database's ON DELETE CASCADE foreign keys; the accounts that
coordinated it are kept, without it.

How coordinators are linked to networks is read in `network_coordinators` and undone in
`_release_coordinators`, and nowhere else in this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from . import audit
from .accounts import SET_PASSWORD_DAYS
from .db import db
from .feeds import absolute_url
from .mail_jobs import running_job
from .mailer import build_message, deliver
from .models import (
    CoordinatorAccount,
    Member,
    MessageLog,
    Network,
    Plan,
    Poll,
    Response,
    utcnow,
)
from .notifications import mail_settings, render_mail
from .overview import danish_key

MAIL_KIND = "network_created"


class LifecycleError(Exception):
    """A change that must wait or cannot be made; the message says why."""


# -- how accounts are linked to networks -----------------------------------------------------


def network_coordinators(network: Network) -> list[CoordinatorAccount]:
    """The accounts that coordinate `network`, by e-mail."""
    return sorted(network.coordinators, key=lambda account: account.email)


def _release_coordinators(network: Network) -> None:
    """The accounts that coordinate `network` no longer do; they are kept (the caller commits)."""
    network.coordinators.clear()
    db.session.flush()


# -- the list --------------------------------------------------------------------------------


@dataclass
class NetworkRow:
    network: Network
    coordinators: list[str]  # e-mails
    active_members: int
    years: list[int]
    created: date  # in the network's time zone


def network_rows() -> list[NetworkRow]:
    """Every network, by name in Danish alphabetical order."""
    networks = db.session.scalars(select(Network)).all()
    active = dict(
        db.session.execute(
            select(Member.network_id, func.count(Member.id))
            .where(Member.active.is_(True))
            .group_by(Member.network_id)
        ).all()
    )
    years: dict[int, list[int]] = {}
    for network_id, year in db.session.execute(
        select(Poll.network_id, Poll.year).order_by(Poll.year)
    ):
        years.setdefault(network_id, []).append(year)
    rows = [
        NetworkRow(
            network=network,
            coordinators=[a.email for a in network_coordinators(network)],
            active_members=active.get(network.id, 0),
            years=years.get(network.id, []),
            created=network.created_at.astimezone(ZoneInfo(network.timezone)).date(),
        )
        for network in networks
    ]
    return sorted(rows, key=lambda r: (danish_key(r.network.name), r.network.slug))


# -- a new network ---------------------------------------------------------------------------


def set_password_link(token: str) -> str:
    return absolute_url("account.set_password", token=token)


def mail_set_password_link(account_id: int, network_id: int, link: str) -> None:
    """Mail the new network's coordinator the link where they set their password. Raises
    ValueError for bad mail settings and mailer.DeliveryError when the mail does not go out."""
    account = db.session.get(CoordinatorAccount, account_id)
    network = db.session.get(Network, network_id)
    if account is None or network is None:  # deleted in the meantime: no one to tell
        return
    composed = render_mail(
        MAIL_KIND,
        _l("%(network)s: set your password for Mødeplan", network=network.name),
        {"account": account, "network": network, "link": link, "days": SET_PASSWORD_DAYS},
        subject_after=_l("Set your password for Mødeplan"),
    )
    settings = mail_settings()
    message = build_message(
        sender=settings.sender,
        to=(account.name, account.email),
        subject=composed.subject,
        text=composed.text,
        html=composed.html,
    )
    deliver(message, settings)


# -- archive ---------------------------------------------------------------------------------


def archive(network: Network) -> None:
    """The caller commits."""
    if network.archived_at is None:
        network.archived_at = utcnow()
        audit.record(audit.Action.ARCHIVE_NETWORK, network.id, detail=network.slug)


def unarchive(network: Network) -> None:
    """The caller commits."""
    if network.archived_at is not None:
        network.archived_at = None
        audit.record(audit.Action.UNARCHIVE_NETWORK, network.id, detail=network.slug)


# -- delete ----------------------------------------------------------------------------------


@dataclass
class DeleteSummary:
    """What deleting a network removes, and who loses it."""

    members: int
    polls: int
    responses: int
    plans: int
    messages: int
    coordinators: list[str]  # e-mails of the accounts that lose the network


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count(model.id)).where(*conditions)) or 0


def delete_summary(network: Network) -> DeleteSummary:
    polls = select(Poll.id).where(Poll.network_id == network.id).scalar_subquery()
    return DeleteSummary(
        members=_count(Member, Member.network_id == network.id),
        polls=_count(Poll, Poll.network_id == network.id),
        responses=_count(Response, Response.poll_id.in_(polls)),
        plans=_count(Plan, Plan.poll_id.in_(polls)),
        messages=_count(MessageLog, MessageLog.network_id == network.id),
        coordinators=[a.email for a in network_coordinators(network)],
    )


def delete_network(network: Network) -> None:
    """Delete the network and everything in it; its coordinators' accounts are kept. The
    log's row names it, since the network's own rows go with it. The caller commits.

    Refused while a mail batch of the network runs: it would go on mailing its members."""
    if running_job(network.id) is not None:
        raise LifecycleError(
            _(
                "Messages of %(name)s are being sent right now. Wait until they are sent, then"
                " delete the network.",
                name=network.name,
            )
        )
    slug, name, network_id = network.slug, network.name, network.id
    _release_coordinators(network)
    audit.record(audit.Action.DELETE_NETWORK, None, detail=f"{slug} ({name})")
    db.session.flush()
    # A plain DELETE: the database's cascades remove the rest (the ORM would instead set the
    # children's network_id to NULL).
    db.session.execute(delete(Network).where(Network.id == network_id))
