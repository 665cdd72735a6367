"""Forgot your password? A coordinator asks for a link by e-mail, from the login page.

Built like "lost your link?" (poll/lost_links.py): the answer never says whether the e-mail has
an account and takes the same path either way; the request only checks the limits and records
the attempt, and the account is looked up, its link made and mailed, after the response has gone
out (`send_link`, run by the view from the response's close).

Limits, counted over the accepted requests of every process (the password_reset_requests table):
`PASSWORD_RESET_ADDRESS_MAX` per client address within `PASSWORD_RESET_ADDRESS_WINDOW_SECONDS`,
and `PASSWORD_RESET_EMAIL_MAX` per e-mail within `PASSWORD_RESET_EMAIL_WINDOW_SECONDS`. A
refused request does not count. The e-mail is stored as an HMAC under the secret key.

The link (accounts.RESET_PASSWORD) works once, for an hour; a newer one replaces it. Using it
sets the new password, which ends every session of the account (views/auth.py).
"""

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete

from . import account_mail, accounts
from .db import db
from .models import PasswordResetRequest, utcnow
from .rate_limits import seconds_until_free


def email_digest(email: str) -> str:
    """The normalised e-mail as stored: an HMAC under the secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"password-reset:{email}".encode(), hashlib.sha256).hexdigest()


def wait_seconds(email: str, remote_addr: str) -> int:
    """How long before this address may ask for a link for this e-mail again; 0 = go ahead."""
    config = current_app.config
    now = utcnow()
    return max(
        seconds_until_free(
            PasswordResetRequest.at,
            PasswordResetRequest.remote_addr == remote_addr,
            config["PASSWORD_RESET_ADDRESS_MAX"],
            timedelta(seconds=config["PASSWORD_RESET_ADDRESS_WINDOW_SECONDS"]),
            now,
        ),
        seconds_until_free(
            PasswordResetRequest.at,
            PasswordResetRequest.email_digest == email_digest(email),
            config["PASSWORD_RESET_EMAIL_MAX"],
            timedelta(seconds=config["PASSWORD_RESET_EMAIL_WINDOW_SECONDS"]),
            now,
        ),
    )


def record(email: str, remote_addr: str) -> None:
    """Count this request (and forget the ones no window looks at any more); commits."""
    config = current_app.config
    longest = max(
        config["PASSWORD_RESET_ADDRESS_WINDOW_SECONDS"],
        config["PASSWORD_RESET_EMAIL_WINDOW_SECONDS"],
    )
    db.session.execute(
        delete(PasswordResetRequest).where(
            PasswordResetRequest.at < utcnow() - timedelta(seconds=longest)
        )
    )
    db.session.add(PasswordResetRequest(email_digest=email_digest(email), remote_addr=remote_addr))
    db.session.commit()


def send_link(email: str) -> bool:
    """Mail a new reset link to the account of this (normalised) e-mail, if there is one;
    whether a mail went out."""
    account = accounts.account_by_email(email)
    if account is None:
        return False
    token = accounts.issue_token(account, accounts.RESET_PASSWORD, accounts.RESET_PASSWORD_LIFETIME)
    db.session.commit()
    return account_mail.send_reset(account, token) is None
