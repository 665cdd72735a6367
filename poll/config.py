"""Configuration: defaults, then the environment, then test overrides."""

import os
from datetime import timedelta
from pathlib import Path

DEV_SECRET_KEY = "dev-only-not-secret"


def defaults(instance_path: str) -> dict:
    return {
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'modeplan.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "LANGUAGES": ["da", "en"],
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        # A login lasts 12 hours from the last request (Flask's default is 31 days).
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
        # Login throttling; poll/auth.py explains the scheme.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_ACCOUNT_WINDOW_SECONDS": 24 * 3600,
        "LOGIN_BACKOFF_SECONDS": 60,
        "LOGIN_BACKOFF_MAX_SECONDS": 15 * 60,
        "LOGIN_ADDRESS_MAX_FAILURES": 20,
        "LOGIN_WINDOW_SECONDS": 15 * 60,
        # How many reverse proxies in front of the app set X-Forwarded-For/-Proto (true = 1).
        "PROXY_FIX": 0,
        "COMMENT_MAX_LENGTH": 2000,
    }


def database_url_from_env() -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
