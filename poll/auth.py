"""Coordinator accounts: passwords, sessions, login throttling.

Throttling follows OWASP's advice to slow guessing down without an account lockout that an
attacker can trigger (Authentication Cheat Sheet, "Account Lockout"): two counters over the
recorded failures, each a separate rule.

- Per address, a hard limit: `LOGIN_ADDRESS_MAX_FAILURES` failures within
  `LOGIN_WINDOW_SECONDS` refuse every further attempt from that address, whatever the account,
  until the oldest of them leaves the window.
- Per account (the normalised e-mail, known account or not), exponential back-off: from
  `LOGIN_MAX_FAILURES` failures within `LOGIN_ACCOUNT_WINDOW_SECONDS` on, the next attempt
  waits `LOGIN_BACKOFF_SECONDS` after the latest failure, doubling with every further failure
  up to `LOGIN_BACKOFF_MAX_SECONDS`. It applies only to addresses that have failures of their
  own within `LOGIN_WINDOW_SECONDS`: an address without any may still try, so whoever guesses
  from elsewhere cannot lock the real coordinator out. Each such address gets at most one
  wrong guess before the back-off applies to it too.

Only attempts that check a password count; refused ones do not. A successful login clears that
address's failures for the account. Rows older than the longest window are purged whenever a
failure is written. Behind a reverse proxy set `MODEPLAN_PROXY_FIX`, or every request has the
proxy's address and the per-address limit holds everyone back at once.

An account may coordinate several networks. The network it works on is kept in the login
session and checked against the account's networks on every request (`load_account`); the
coordinator's pages reach it only through `current_network()`. An account with one network
works on that one; with several it chooses after login (views/auth.py, `choose_network`).
"""

import math
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import cache, wraps

from flask import abort, current_app, g, redirect, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .db import db
from .models import CoordinatorAccount, LoginFailure, Network, utcnow


def normalise_email(email: str) -> str:
    """The one form of an e-mail that the login looks up, counts and stores."""
    return email.strip().lower()


def set_password(account: CoordinatorAccount, password: str) -> None:
    account.password_hash = generate_password_hash(password)
    end_all_sessions(account)


def end_all_sessions(account: CoordinatorAccount) -> None:
    """Every login session of this account ends at its next request (the caller commits)."""
    account.session_version = (account.session_version or 0) + 1


def login_wait_seconds(email: str, remote_addr: str) -> int:
    """How long this address must wait before it may try this e-mail again; 0 = go ahead."""
    config = current_app.config
    now = utcnow()
    window = timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    address_count, address_oldest = db.session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
            LoginFailure.remote_addr == remote_addr, LoginFailure.at > now - window
        )
    ).one()
    if address_count == 0:
        return 0
    if address_count >= config["LOGIN_ADDRESS_MAX_FAILURES"]:
        return _seconds_until(address_oldest + window, now)
    account_window = timedelta(seconds=config["LOGIN_ACCOUNT_WINDOW_SECONDS"])
    account_count, account_latest = db.session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.at)).where(
            LoginFailure.email == email, LoginFailure.at > now - account_window
        )
    ).one()
    if account_count < config["LOGIN_MAX_FAILURES"]:
        return 0
    steps = account_count - config["LOGIN_MAX_FAILURES"]
    backoff = min(
        config["LOGIN_BACKOFF_SECONDS"] * 2 ** min(steps, 32), config["LOGIN_BACKOFF_MAX_SECONDS"]
    )
    return _seconds_until(account_latest + timedelta(seconds=backoff), now)


def _seconds_until(moment, now) -> int:
    return max(0, math.ceil((moment - now).total_seconds()))


@cache
def _dummy_hash() -> str:
    """A hash made like real ones, so an unknown e-mail costs as much as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str, remote_addr: str) -> CoordinatorAccount | None:
    """The account for these credentials (`email` normalised), or None, recording the failure."""
    account = db.session.scalar(
        select(CoordinatorAccount).where(func.lower(CoordinatorAccount.email) == email)
    )
    password_hash = account.password_hash if account is not None else ""
    if "$" not in password_hash:  # no account, or "!" = no password yet
        password_hash = _dummy_hash()
    if check_password_hash(password_hash, password) and account is not None:
        db.session.execute(
            delete(LoginFailure).where(
                LoginFailure.email == email, LoginFailure.remote_addr == remote_addr
            )
        )
        db.session.commit()
        return account
    config = current_app.config
    longest = max(config["LOGIN_WINDOW_SECONDS"], config["LOGIN_ACCOUNT_WINDOW_SECONDS"])
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.at < utcnow() - timedelta(seconds=longest))
    )
    db.session.add(LoginFailure(email=email, remote_addr=remote_addr))
    db.session.commit()
    return None


def log_in(account: CoordinatorAccount) -> None:
    session.clear()
    session["account_id"] = account.id
    session["session_version"] = account.session_version
    session.permanent = True


def keep_this_session(account: CoordinatorAccount) -> None:
    """After `end_all_sessions` (a new password, committed): this login session goes on."""
    session["session_version"] = account.session_version


def choose_network(network_id: int) -> None:
    """Work on this network from now on (the caller checked that the account coordinates it)."""
    session["network_id"] = network_id
    g.network_id = network_id


def leave_network() -> None:
    """This session works on no network any more (the account was removed from it)."""
    session.pop("network_id", None)
    g.network_id = None


def log_out() -> None:
    """End this session and every other session of the same account."""
    account = g.get("account")
    if account is not None:
        end_all_sessions(account)
        db.session.commit()
    session.clear()


def without_account(view: Callable) -> Callable:
    """A view that never looks at the login, so it answers even when the database cannot."""
    view.without_account = True  # type: ignore[attr-defined]
    return view


def load_account() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "without_account", False):
        g.account = g.network_id = None
        return
    account_id = session.get("account_id")
    account = db.session.get(CoordinatorAccount, account_id) if account_id else None
    if account is not None and session.get("session_version") != account.session_version:
        account = None
    if account is None and account_id:
        session.clear()
    g.account = account
    g.network_id = _network_id(account) if account is not None else None


def _network_id(account: CoordinatorAccount) -> int | None:
    """The network this session works on: the one chosen, if the account still coordinates
    it, or the account's only network. Loading the account's networks here (one query) also
    puts them in the session's identity map, so `current_network()` needs no query of its own."""
    ids = [network.id for network in account.networks]
    chosen = session.get("network_id")
    if chosen in ids:
        return chosen
    if len(ids) == 1:
        session["network_id"] = ids[0]
        return ids[0]
    session.pop("network_id", None)
    return None


def current_network() -> Network:
    """The network the logged-in coordinator works on; behind `login_required` there is one."""
    network = db.session.get(Network, g.network_id) if g.get("network_id") else None
    if network is None:
        abort(404, description=_("Choose a network first."))
    return network


def account_required(view: Callable) -> Callable:
    """A view for any logged-in account, whether it has chosen a network or not."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def login_required(view: Callable) -> Callable:
    """A coordinator's view: a logged-in account working on one of its networks. An account
    with several that has not chosen one is asked to; a site administrator without a network
    goes to the administrator's page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        account = g.get("account")
        if account is None:
            return redirect(url_for("auth.login", next=request.full_path))
        if g.network_id is None:
            if account.networks:
                return redirect(url_for("account.networks", next=request.full_path))
            if account.is_admin:
                return redirect(admin_page())
            abort(403, description=_("This account coordinates no network."))
        return view(*args, **kwargs)

    return wrapped


def admin_page() -> str:
    return url_for("admin.index")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path of this site, as a browser would read it, else None.

    Browsers drop tabs and line breaks from URLs and read a backslash as a slash, so
    "/\\evil", "/\\t/evil" and "//evil" all lead off-site; anything but a plain path is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch == "\\" or ch.isspace() or not ch.isprintable() for ch in target):
        return None
    return target
