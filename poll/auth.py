"""Coordinator accounts: passwords, sessions, login throttling."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import current_app, g, redirect, request, session, url_for
from sqlalchemy import func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from .db import db
from .models import CoordinatorAccount, LoginFailure, utcnow


def set_password(account: CoordinatorAccount, password: str) -> None:
    account.password_hash = generate_password_hash(password)


def too_many_failures(email: str, remote_addr: str) -> bool:
    window = timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])
    count = db.session.scalar(
        select(func.count(LoginFailure.id)).where(
            or_(LoginFailure.email == email, LoginFailure.remote_addr == remote_addr),
            LoginFailure.at > utcnow() - window,
        )
    )
    return count >= current_app.config["LOGIN_MAX_FAILURES"]


def authenticate(email: str, password: str, remote_addr: str) -> CoordinatorAccount | None:
    """The account for these credentials, or None (and the failure is recorded)."""
    account = db.session.scalar(
        select(CoordinatorAccount).where(func.lower(CoordinatorAccount.email) == email.lower())
    )
    if account and check_password_hash(account.password_hash, password):
        return account
    db.session.add(LoginFailure(email=email.lower(), remote_addr=remote_addr))
    db.session.commit()
    return None


def log_in(account: CoordinatorAccount) -> None:
    session.clear()
    session["account_id"] = account.id
    session.permanent = True


def log_out() -> None:
    session.clear()


def load_account() -> None:
    account_id = session.get("account_id")
    g.account = db.session.get(CoordinatorAccount, account_id) if account_id else None


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("account") is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped
