"""Networks and accounts from the command line, a network's coordinators, one-time account
links and the password policy.

An account may coordinate several networks (models.network_coordinators) and a network has one
or more coordinators; a site administrator may coordinate none. A one-time link carries a
random token; the database keeps only its SHA-256 (as poll.tokens does for personal links), so
a copy of the database opens no account.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import time, timedelta
from functools import cache
from pathlib import Path
from typing import cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, delete, func, select, update

from . import audit
from .auth import normalise_email
from .db import db, lock_for_write
from .models import AccountToken, CoordinatorAccount, Network, network_coordinators, utcnow
from .network_admin import default_roles
from .text_checks import has_control, is_email, one_line
from .tokens import hash_token, looks_like_token

SET_PASSWORD = "set-password"
SET_PASSWORD_DAYS = 7
RESET_PASSWORD = "reset-password"
RESET_PASSWORD_LIFETIME = timedelta(hours=1)
PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
NO_PASSWORD = "!"
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt"
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")


class AccountError(Exception):
    """A request that would change nothing or break a rule; the message says why, and `field`
    names the input it is about ("slug", "email"), if one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(COMMON_PASSWORDS.read_text(encoding="utf-8").split())


def password_problem(password: str) -> str | None:
    """Why `password` may not be used, or None when it may."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _("New password: at least %(num)d characters.", num=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return _("New password: at most %(num)d characters.", num=PASSWORD_MAX_LENGTH)
    if password.lower() in _common_passwords():
        return _("New password: this is one of the most common passwords. Choose another.")
    return None


def issue_token(account: CoordinatorAccount, purpose: str, lifetime: timedelta) -> str:
    """A new one-time token for `account`, replacing its unused ones of this purpose (the caller
    commits): only the latest link printed or sent works."""
    if account.id is not None:
        db.session.execute(
            delete(AccountToken).where(
                AccountToken.account_id == account.id,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
            )
        )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AccountToken(
            account=account,
            token_hash=hash_token(token),
            purpose=purpose,
            expires_at=utcnow() + lifetime,
        )
    )
    return token


def use_token(row: AccountToken) -> bool:
    """Mark `row` used; False when another request used it first (the caller commits)."""
    result = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    return cast(CursorResult, result).rowcount == 1


def usable_token(token: str, purpose: str) -> AccountToken | None:
    """The stored token for `token`, if it has this purpose, is unused and has not expired."""
    if not looks_like_token(token):
        return None
    row = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(token))
    )
    if row is None or row.purpose != purpose or row.used_at is not None:
        return None
    return row if row.expires_at > utcnow() else None


def check_slug(slug: str) -> str:
    if not SLUG.fullmatch(slug):
        raise AccountError(
            _(
                "'%(slug)s' is not a valid short name: use lower-case letters a-z, digits and "
                "hyphens, at most 60, not starting or ending with a hyphen",
                slug=slug,
            )
        )
    return slug


def check_email(email: str) -> str:
    email = normalise_email(email)
    if not is_email(email):
        raise AccountError(_("'%(email)s' is not an e-mail address", email=email))
    return email


def check_name(name: str, limit: int) -> str:
    if has_control(name) or not one_line(name) or len(one_line(name)) > limit:
        raise AccountError(_("give a name of 1 to %(num)d characters on one line", num=limit))
    return one_line(name)


def account_by_email(email: str) -> CoordinatorAccount | None:
    """The account of this (normalised) e-mail."""
    return db.session.scalar(
        select(CoordinatorAccount).where(func.lower(CoordinatorAccount.email) == email)
    )


@dataclass
class NewAccount:
    account: CoordinatorAccount
    # None when the account has a password already: it logs in as before.
    token: str | None
    network: Network | None = None


def create_network(slug: str, name: str, email: str, coordinator_name: str | None) -> NewAccount:
    """The network with the default roles and its coordinator's account; a set-password token
    unless that account has a password already (an existing account gets the network added).

    Arguments are checked by the caller (check_slug, check_email, check_name). Refuses, changing
    nothing, when the slug is taken. The creation is in the audit log, by the logged-in account or
    the command line.
    """
    if db.session.scalar(select(Network).where(Network.slug == slug)) is not None:
        raise AccountError(
            _("A network with the short name '%(slug)s' exists already.", slug=slug), field="slug"
        )
    network = Network(slug=slug, name=name, meeting_start=time(10, 0), meeting_end=time(15, 0))
    db.session.add(network)
    default_roles(network)
    account = account_by_email(email)
    if account is None:
        account = CoordinatorAccount(email=email, name="", password_hash=NO_PASSWORD)
        db.session.add(account)
    account.networks.append(network)
    if coordinator_name:
        account.name = coordinator_name
    token = None
    if not account.has_password:
        token = issue_token(account, SET_PASSWORD, timedelta(days=SET_PASSWORD_DAYS))
    db.session.flush()
    audit.record(audit.Action.CREATE_NETWORK, network.id, detail=f"{slug} ({name}), {email}")
    db.session.commit()
    return NewAccount(account, token, network)


def create_admin(email: str) -> NewAccount:
    """Make `email` a site administrator (a new account when it has none) with a set-password
    token; an existing account keeps its password until the link is used."""
    account = account_by_email(email)
    if account is None:
        account = CoordinatorAccount(email=email, name="", password_hash=NO_PASSWORD)
        db.session.add(account)
    account.is_admin = True
    token = issue_token(account, SET_PASSWORD, timedelta(days=SET_PASSWORD_DAYS))
    audit.record_for_account(audit.Action.CREATE_ADMIN, account)
    db.session.commit()
    return NewAccount(account, token)


# -- a network's coordinators ----------------------------------------------------------------


@dataclass
class Invited:
    account: CoordinatorAccount
    # A set-password token for an account without a password; None when it has one.
    token: str | None
    new: bool


def invite_coordinator(network: Network, email: str, name: str) -> Invited:
    """Make the account of `email` (a new one if there is none) a coordinator of `network`,
    with a set-password token unless it has a password (the caller commits, then mails).

    Inviting a coordinator who has not set a password yet again replaces their link. Refuses a
    coordinator who has one: nothing would change.
    """
    account = account_by_email(email)
    new = account is None
    if account is None:
        account = CoordinatorAccount(email=email, name=name, password_hash=NO_PASSWORD)
        db.session.add(account)
    elif network in account.networks and account.has_password:
        raise AccountError(
            _("E-mail: %(email)s is a coordinator of this network already.", email=email)
        )
    if network not in account.networks:
        account.networks.append(network)
    if name and not account.name:
        account.name = name
    token = None
    if not account.has_password:
        token = issue_token(account, SET_PASSWORD, timedelta(days=SET_PASSWORD_DAYS))
    action = audit.Action.INVITE_COORDINATOR if new else audit.Action.ADD_COORDINATOR
    audit.record(action, network.id, detail=email)
    return Invited(account, token, new)


def remove_coordinator(network: Network, account: CoordinatorAccount) -> None:
    """`account` no longer coordinates `network` (the caller commits). Refuses to remove the
    last coordinator: the network's row is locked first, so two coordinators who remove each
    other at the same moment cannot leave it without any."""
    db.session.scalar(lock_for_write(select(Network).where(Network.id == network.id)))
    count = db.session.scalar(
        select(func.count())
        .select_from(network_coordinators)
        .where(network_coordinators.c.network_id == network.id)
    )
    if (count or 0) <= 1:
        raise AccountError(
            _(
                "A network needs at least one coordinator, and %(email)s is the last one. "
                "Invite another coordinator first.",
                email=account.email,
            )
        )
    db.session.execute(
        delete(network_coordinators).where(
            network_coordinators.c.network_id == network.id,
            network_coordinators.c.account_id == account.id,
        )
    )
    db.session.expire(network, ["coordinators"])
    db.session.expire(account, ["networks"])
    audit.record(audit.Action.REMOVE_COORDINATOR, network.id, detail=account.email)
