"""The audit log: who did what, when, to a network (publish, delete, erase, replace a link,
account changes), read by the network's coordinators.

`record` adds a row to the caller's transaction, so an action and its log row are saved
together or not at all. In a request the actor is the logged-in account; outside one (a command)
it is COMMAND_LINE.
"""

import enum

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .db import db
from .models import AuditEvent, CoordinatorAccount, Member

COMMAND_LINE = "command line"
PAGE_SIZE = 100
SITE_EVENTS = 50


class Action(enum.StrEnum):
    PUBLISH = "publish"
    DELETE_VENUE = "delete-venue"
    DELETE_ROLE = "delete-role"
    REMOVE_DAY = "remove-day"
    DEACTIVATE_MEMBER = "deactivate-member"
    REACTIVATE_MEMBER = "reactivate-member"
    REPLACE_MEMBER_LINK = "replace-member-link"
    REPLACE_NETWORK_FEED = "replace-network-feed"
    REPLACE_MEMBER_FEED = "replace-member-feed"
    CREATE_NETWORK = "create-network"
    CREATE_ADMIN = "create-admin"
    SET_PASSWORD = "set-password"
    CHANGE_PASSWORD = "change-password"
    RESET_PASSWORD = "reset-password"
    INVITE_COORDINATOR = "invite-coordinator"
    ADD_COORDINATOR = "add-coordinator"
    REMOVE_COORDINATOR = "remove-coordinator"
    ARCHIVE_NETWORK = "archive-network"
    UNARCHIVE_NETWORK = "unarchive-network"
    DELETE_NETWORK = "delete-network"
    ERASE_MEMBER = "erase-member"
    PURGE = "purge"
    SWAP_REQUEST = "swap-request"
    SWAP = "swap"


LABELS = {
    Action.PUBLISH: _l("Published a plan"),
    Action.DELETE_VENUE: _l("Deleted a venue"),
    Action.DELETE_ROLE: _l("Deleted a role"),
    Action.REMOVE_DAY: _l("Removed a day from a poll"),
    Action.DEACTIVATE_MEMBER: _l("Deactivated a member"),
    Action.REACTIVATE_MEMBER: _l("Made a member active again"),
    Action.REPLACE_MEMBER_LINK: _l("Replaced a member's personal link"),
    Action.REPLACE_NETWORK_FEED: _l("Replaced the network's calendar link"),
    Action.REPLACE_MEMBER_FEED: _l("Replaced a member's calendar link"),
    Action.CREATE_NETWORK: _l("Created the network"),
    Action.CREATE_ADMIN: _l("Made a site administrator"),
    Action.SET_PASSWORD: _l("Set a password through a one-time link"),
    Action.CHANGE_PASSWORD: _l("Changed their password"),
    Action.RESET_PASSWORD: _l("Reset a forgotten password through a link by mail"),
    Action.INVITE_COORDINATOR: _l("Invited a new coordinator"),
    Action.ADD_COORDINATOR: _l("Added an existing account as coordinator"),
    Action.REMOVE_COORDINATOR: _l("Removed a coordinator"),
    Action.ARCHIVE_NETWORK: _l("Archived the network"),
    Action.UNARCHIVE_NETWORK: _l("Reopened the archived network"),
    Action.DELETE_NETWORK: _l("Deleted a network"),
    Action.ERASE_MEMBER: _l("Erased a member's personal data"),
    Action.PURGE: _l("Removed old answers, comments and messages"),
    Action.SWAP_REQUEST: _l("A role holder said they cannot after all"),
    Action.SWAP: _l("Published a role swap"),
}


def label(action: str) -> str:
    """The action in the reader's language; an action this version does not know is shown as
    stored."""
    try:
        return str(LABELS[Action(action)])
    except ValueError:
        return action


def record(
    action: Action,
    network_id: int | None,
    detail: str = "",
    actor: CoordinatorAccount | str | None = None,
    member: Member | None = None,
) -> None:
    """Log `action` in the current transaction (the caller commits). Without `actor`, the
    logged-in account of the request is the actor. A member acted on goes in `member`, never by
    name in `detail`."""
    if actor is None and has_request_context():
        actor = g.get("account")
    account = actor if isinstance(actor, CoordinatorAccount) else None
    if account is not None:
        name = account.email
    else:
        name = actor if isinstance(actor, str) else COMMAND_LINE
    db.session.add(
        AuditEvent(
            network_id=network_id,
            account_id=account.id if account is not None else None,
            actor=name,
            action=str(action),
            detail=detail,
            member=member,
        )
    )


def record_for_account(
    action: Action, account: CoordinatorAccount, actor: CoordinatorAccount | str | None = None
) -> None:
    """Log an event of the account itself (its password) in the log of every network it
    coordinates, so that each network's coordinators see it; once without a network when it
    coordinates none."""
    network_ids: list[int | None] = [n.id for n in account.networks]
    for network_id in network_ids or [None]:
        record(action, network_id, detail=account.email, actor=actor)


def events(network_id: int, page: int = 1) -> tuple[list[AuditEvent], int]:
    """One page of the network's log, newest first, and the number of pages."""
    total = db.session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.network_id == network_id)
    )
    pages = max(1, -(-(total or 0) // PAGE_SIZE))
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.network_id == network_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(PAGE_SIZE)
        .offset((min(page, pages) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), pages


def site_events(limit: int = SITE_EVENTS) -> list[AuditEvent]:
    """The latest events that belong to no network (a deleted network, a new administrator),
    newest first, for the administrator's page."""
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.network_id.is_(None))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(rows)
