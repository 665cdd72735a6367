"""Unguessable tokens for personal links and feeds.

A token is an HMAC of the app's secret key over a random 128-bit salt. The database keeps the
salt and a SHA-256 of the token (to look it up), never the token itself: a copy of the database
alone reveals no working link, while the app can show a member's link again or mail it. A new
salt replaces a token; rotating SECRET_KEY replaces them all.
"""

import base64
import hashlib
import hmac
import secrets

from flask import current_app


def new_salt() -> str:
    return secrets.token_hex(16)


def derive_token(purpose: str, salt: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{purpose}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)
