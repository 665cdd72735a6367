"""The audit log: who did what, when, to a network (publish, delete, erase, replace a link,
account changes), read by the network's coordinators.

`record` adds a row to the caller's transaction, so an action and its log row are saved
together or not at all. In a request the actor is the logged-in account; a command passes
`actor=COMMAND_LINE`.
"""

import enum

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .db import db
from .models import AuditEvent, CoordinatorAccount

COMMAND_LINE = "command line"
PAGE_SIZE = 100


class Action(enum.StrEnum):
    PUBLISH = "publish"
    DELETE_VENUE = "delete-venue"
    DELETE_ROLE = "delete-role"
    REMOVE_DAY = "remove-day"
    REPLACE_MEMBER_LINK = "replace-member-link"
    REPLACE_NETWORK_FEED = "replace-network-feed"
    REPLACE_MEMBER_FEED = "replace-member-feed"
    CREATE_NETWORK = "create-network"
    CREATE_ADMIN = "create-admin"
    SET_PASSWORD = "set-password"
    ERASE_MEMBER = "erase-member"
    PURGE = "purge"


LABELS = {
    Action.PUBLISH: _l("Published a plan"),
    Action.DELETE_VENUE: _l("Deleted a venue"),
    Action.DELETE_ROLE: _l("Deleted a role"),
    Action.REMOVE_DAY: _l("Removed a day from a poll"),
    Action.REPLACE_MEMBER_LINK: _l("Replaced a member's personal link"),
    Action.REPLACE_NETWORK_FEED: _l("Replaced the network's calendar link"),
    Action.REPLACE_MEMBER_FEED: _l("Replaced a member's calendar link"),
    Action.CREATE_NETWORK: _l("Created the network"),
    Action.CREATE_ADMIN: _l("Made a site administrator"),
    Action.SET_PASSWORD: _l("Set a password through a one-time link"),
    Action.ERASE_MEMBER: _l("Erased a member's personal data"),
    Action.PURGE: _l("Removed old answers, comments and messages"),
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
) -> None:
    """Log `action` in the current transaction (the caller commits). Without `actor`, the
    logged-in account of the request is the actor."""
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
        )
    )


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
