import pytest
import sqlalchemy as sa

from poll import create_app
from poll.config import database_url_from_env
from poll.db import db


def test_refuses_to_start_outside_debug_with_the_development_secret(monkeypatch, tmp_path):
    monkeypatch.delenv("MODEPLAN_SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="MODEPLAN_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})
    # Testing (or debug) may use it.
    assert create_app({"TESTING": True}).testing


def test_defaults_then_environment_then_test_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEPLAN_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("MODEPLAN_REMINDER_DAYS", "5")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    app = create_app({"REMINDER_DAYS": 2})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["REMINDER_DAYS"] == 2  # the test override wins
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite3")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "da"  # a default nobody overrode


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_database_url_goes_through_psycopg_3(monkeypatch, given, expected):
    monkeypatch.setenv("DATABASE_URL", given)
    assert database_url_from_env() == expected


def test_sqlite_connections_enforce_foreign_keys_with_wal_and_a_busy_timeout(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 5000
        # Disposing closes only the pool's idle connections, so it comes after the connection
        # is back in the pool; disposed earlier, the connection would be dropped unclosed.
        db.engine.dispose()
