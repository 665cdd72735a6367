"""Networks and accounts from the command line, one-time account links and the password policy.

An account coordinates at most one network (CoordinatorAccount.network_id); a site administrator
may have none. A one-time link carries a random token; the database keeps only its SHA-256
(as poll.tokens does for personal links), so a copy of the database opens no account.
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
from .db import db
from .models import AccountToken, CoordinatorAccount, Network, utcnow
from .network_admin import default_roles
from .text_checks import has_control, is_email, one_line
from .tokens import hash_token, looks_like_token

SET_PASSWORD = "set-password"
SET_PASSWORD_DAYS = 7
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
                "'%(slug)s' is not a slug: use lower-case letters a-z, digits and hyphens, "
                "at most 60, not starting or ending with a hyphen",
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


def _account(email: str) -> CoordinatorAccount | None:
    return db.session.scalar(
        select(CoordinatorAccount).where(func.lower(CoordinatorAccount.email) == email)
    )


@dataclass
class NewAccount:
    account: CoordinatorAccount
    token: str


def create_network(slug: str, name: str, email: str, coordinator_name: str | None) -> NewAccount:
    """The network with the default roles, its coordinator's account and a set-password token.

    Arguments are checked by the caller (check_slug, check_email, check_name). Refuses, changing
    nothing, when the slug is taken or the e-mail already coordinates another network. The
    creation is in the audit log, by the logged-in account or the command line.
    """
    if db.session.scalar(select(Network).where(Network.slug == slug)) is not None:
        raise AccountError(
            _("A network with the slug '%(slug)s' exists already.", slug=slug), field="slug"
        )
    account = _account(email)
    if account is not None and account.network_id is not None:
        raise AccountError(
            _(
                "%(email)s already coordinates the network '%(slug)s'; an account belongs to "
                "one network.",
                email=email,
                slug=account.network.slug if account.network else "?",
            ),
            field="email",
        )
    network = Network(slug=slug, name=name, meeting_start=time(10, 0), meeting_end=time(15, 0))
    db.session.add(network)
    default_roles(network)
    if account is None:
        account = CoordinatorAccount(email=email, name="", password_hash=NO_PASSWORD)
        db.session.add(account)
    account.network = network
    if coordinator_name:
        account.name = coordinator_name
    token = issue_token(account, SET_PASSWORD, timedelta(days=SET_PASSWORD_DAYS))
    db.session.flush()
    audit.record(audit.Action.CREATE_NETWORK, network.id, detail=f"{slug} ({name}), {email}")
    db.session.commit()
    return NewAccount(account, token)


def create_admin(email: str) -> NewAccount:
    """Make `email` a site administrator (a new account when it has none) with a set-password
    token; an existing account keeps its password until the link is used."""
    account = _account(email)
    if account is None:
        account = CoordinatorAccount(email=email, name="", password_hash=NO_PASSWORD)
        db.session.add(account)
    account.is_admin = True
    token = issue_token(account, SET_PASSWORD, timedelta(days=SET_PASSWORD_DAYS))
    db.session.commit()
    return NewAccount(account, token)
