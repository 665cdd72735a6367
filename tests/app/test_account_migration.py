"""The migrations of issue #11's accounts, up and down with data on both engines: an account's
one network becomes a row of network_coordinators (and back, one network each), without losing
the rows that refer to the accounts; the password reset requests' table comes and goes."""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from poll.db import db
from tests.app.test_migrations import empty_url  # noqa: F401 (a fixture)
from tests.conftest import make_app

BEFORE = "c8661a369b8a"  # the audit log: an account has one network_id
SEVERAL = "32106352d43f"  # accounts coordinate several networks
RESETS = "b13e93e47db0"  # password reset requests


def _seed(conn) -> None:
    now = datetime.now(UTC)
    rows = {
        "networks": [
            {
                "id": n,
                "slug": slug,
                "name": slug,
                "timezone": "Europe/Copenhagen",
                "meeting_start": time(10),
                "meeting_end": time(15),
                "created_at": now,
            }
            for n, slug in [(1, "syd"), (2, "nord")]
        ],
        "coordinator_accounts": [
            {
                "id": a,
                "network_id": network,
                "email": email,
                "name": email,
                "password_hash": "!",
                "session_version": 0,
                "is_admin": network is None,
                "created_at": now,
            }
            for a, network, email in [
                (1, 1, "a@syd.dk"),
                (2, 2, "b@nord.dk"),
                (3, None, "admin@x.dk"),
            ]
        ],
        "account_tokens": [
            {
                "id": 1,
                "account_id": 1,
                "token_hash": "h" * 64,
                "purpose": "set-password",
                "expires_at": now + timedelta(days=7),
                "created_at": now,
            }
        ],
        "audit_events": [
            {
                "id": 1,
                "at": now,
                "network_id": 1,
                "account_id": 1,
                "actor": "a@syd.dk",
                "action": "publish",
                "detail": "",
            }
        ],
    }
    metadata = sa.MetaData()
    metadata.reflect(conn, only=list(rows))
    for name, values in rows.items():
        conn.execute(metadata.tables[name].insert(), values)


def _columns(table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}


def _kept_references() -> tuple[list, list]:
    """The rows that refer to account 1: its token and its audit event's account."""
    with db.engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT account_id FROM account_tokens")).all(),
            conn.execute(sa.text("SELECT account_id FROM audit_events")).all(),
        )


def test_account_networks_move_to_their_own_table_and_back(empty_url):  # noqa: F811
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            _seed(conn)

        upgrade(revision=SEVERAL)
        with db.engine.connect() as conn:
            links = set(
                conn.execute(
                    sa.text("SELECT account_id, network_id FROM network_coordinators")
                ).all()
            )
        assert links == {(1, 1), (2, 2)}
        assert "network_id" not in _columns("coordinator_accounts")
        assert _kept_references() == ([(1,)], [(1,)])

        # Account 1 coordinates both networks now; the downgrade keeps the first of them.
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO network_coordinators VALUES (1, 2)"))
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            networks = dict(
                conn.execute(sa.text("SELECT id, network_id FROM coordinator_accounts")).all()
            )
            tables = sa.inspect(conn).get_table_names()
        assert networks == {1: 1, 2: 2, 3: None}
        assert "network_coordinators" not in tables
        assert _kept_references() == ([(1,)], [(1,)])

        # Up again: a network's deletion takes its coordinators' links along (the foreign keys
        # are enforced again after migrating), and leaves the accounts.
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM networks WHERE id = 2"))
        with db.engine.connect() as conn:
            links = set(
                conn.execute(
                    sa.text("SELECT account_id, network_id FROM network_coordinators")
                ).all()
            )
            accounts = conn.scalar(sa.text("SELECT count(*) FROM coordinator_accounts"))
        assert links == {(1, 1)}
        assert accounts == 3
        db.engine.dispose()


def test_the_reset_requests_table_comes_and_goes(empty_url):  # noqa: F811
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision=SEVERAL)
        assert "password_reset_requests" not in sa.inspect(db.engine).get_table_names()
        upgrade(revision=RESETS)
        inspector = sa.inspect(db.engine)
        indexed = {i["column_names"][0] for i in inspector.get_indexes("password_reset_requests")}
        assert indexed == {"email_digest", "remote_addr", "at"}
        downgrade(revision=SEVERAL)
        assert "password_reset_requests" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
