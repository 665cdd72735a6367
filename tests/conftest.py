"""Shared fixtures: an app per database engine (SQLite file and a fresh PostgreSQL database)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from poll import create_app
from poll.db import db

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ENGINES = ["sqlite", "postgresql"]
# Long enough for the start-up check, so processes started with it in MODEPLAN_SECRET_KEY
# derive the same links as the apps made here.
TEST_SECRET = "test-secret-of-the-suite-0123456789abcdef"


def _postgres_reason() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} does not answer: {error.__class__.__name__}"
    return None


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    reason = _postgres_reason()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests may not skip)")
        pytest.skip(reason)
    with fresh_postgres_database("modeplan_test") as url:
        yield url


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> dict[str, str]:
    return {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"}


def make_app(url: str, **extra):
    """CSRF checks are off here so tests can post plainly; tests/app/test_csrf.py turns them on."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SQLALCHEMY_DATABASE_URI": url,
            "SERVER_NAME": "modeplan.test",
            "WTF_CSRF_ENABLED": False,
            **extra,
        }
    )


@pytest.fixture
def strict(app):
    """The same database through an app with CSRF checks on, as in production."""
    strict = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    yield strict
    with strict.app_context():
        db.engine.dispose()


_migrated: set[str] = set()


@pytest.fixture(params=ENGINES)
def app(request, database_urls):
    """The app on each engine, migrated to head once per session and emptied after each test."""
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = database_urls["sqlite"]
    app = make_app(url)
    with app.app_context():
        if url not in _migrated:
            upgrade()
            _migrated.add(url)
    # No context stays pushed: each request gets its own, as in production. Tests that touch
    # the database directly open one with `with app.app_context():`.
    yield app
    with app.app_context():
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    tables = [t for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def smtp(monkeypatch, app, tmp_path) -> Iterator:
    """A real SMTP server (aiosmtpd on 127.0.0.1) that the app sends to; `smtp.messages()`
    are the mails it received."""
    for name in ("MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_SENDER"):
        monkeypatch.delenv(name, raising=False)
    from tests.mail.test_notifications import Recorder, start_server

    handler = Recorder()
    controller = start_server(handler)
    monkeypatch.setenv("MAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(controller.port))
    monkeypatch.setenv("MAIL_SECURITY", "none")
    app.config["MAIL_OUTBOX"] = tmp_path / "outbox"
    yield handler
    controller.stop()
