import json
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade

from poll.db import db
from tests.conftest import fresh_postgres_database, make_app

BEFORE_DOCUMENTS = "4cd8477b2207"  # answers were one availability row per day and venue


def test_upgrade_to_head_leaves_no_pending_autogenerate_difference(app):
    # The app fixture upgraded an empty database to head; `check` raises on any difference.
    with app.app_context():
        check()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    """An empty database of its own, since these tests move it between revisions."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    with fresh_postgres_database("modeplan_migrate") as url:
        yield url


def _seed_rows(conn) -> None:
    """A poll with two days and two venues at the old revision: Henrik answered three cells
    and has a response; Maria has one answer but, oddly, no response row."""
    now = datetime.now(UTC)
    rows = {
        "networks": [
            {
                "id": 1,
                "slug": "n",
                "name": "N",
                "timezone": "Europe/Copenhagen",
                "meeting_start": time(10),
                "meeting_end": time(15),
                "created_at": now,
            }
        ],
        "members": [
            {
                "id": m,
                "network_id": 1,
                "key": k,
                "name": k,
                "email": "",
                "organisation": "",
                "active": True,
                "is_coordinator": m == 1,
                "cannot": [],
                "token_salt": "",
                "token_hash": k * 8,
                "created_at": now,
            }
            for m, k in [(1, "henrik"), (2, "maria")]
        ],
        "venues": [
            {"id": v, "network_id": 1, "key": k, "name": k, "address": "", "position": v}
            for v, k in [(7, "odense"), (8, "vejle")]
        ],
        "polls": [
            {
                "id": 1,
                "network_id": 1,
                "year": 2027,
                "weekdays": [0],
                "blackout_weeks": [],
                "excluded_days": [],
                "is_open": True,
                "hide_answers": False,
                "min_days_between": 28,
                "min_attendance": 0.5,
                "created_at": now,
            }
        ],
        "meetings": [
            {
                "id": 1,
                "poll_id": 1,
                "key": "m1",
                "name": "Møde 1",
                "position": 0,
                "window_start": date(2027, 3, 1),
                "window_end": date(2027, 3, 8),
            }
        ],
        "candidate_days": [
            {"id": d, "poll_id": 1, "meeting_id": 1, "day": day, "manual": False}
            for d, day in [(11, date(2027, 3, 1)), (12, date(2027, 3, 8))]
        ],
        "responses": [
            {
                "poll_id": 1,
                "member_id": 1,
                "comment": "hej",
                "cannot_roles": [],
                "updated_at": now,
            }
        ],
        "availability": [
            {"id": i, "member_id": m, "day_id": d, "venue_id": v, "value": value}
            for i, (m, d, v, value) in enumerate(
                [(1, 11, 7, "yes"), (1, 11, 8, "no"), (1, 12, 8, "maybe"), (2, 12, 7, "yes")],
                start=1,
            )
        ],
    }
    metadata = sa.MetaData()
    metadata.reflect(conn, only=list(rows))
    for name, values in rows.items():
        conn.execute(metadata.tables[name].insert(), values)


def test_answers_move_into_one_document_per_member_and_back(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision=BEFORE_DOCUMENTS)
        with db.engine.begin() as conn:
            _seed_rows(conn)

        upgrade()
        with db.engine.connect() as conn:
            documents = dict(
                conn.execute(sa.text("SELECT member_id, answers FROM responses")).all()
            )
            comment = conn.scalar(sa.text("SELECT comment FROM responses WHERE member_id = 1"))
            tables = sa.inspect(conn).get_table_names()
        decoded = {m: json.loads(d) if isinstance(d, str) else d for m, d in documents.items()}
        assert decoded == {
            1: {"2027-03-01": {"odense": "yes", "vejle": "no"}, "2027-03-08": {"vejle": "maybe"}},
            2: {"2027-03-08": {"odense": "yes"}},
        }
        assert comment == "hej"
        assert "availability" not in tables

        downgrade(revision=BEFORE_DOCUMENTS)
        with db.engine.connect() as conn:
            rows = set(
                conn.execute(
                    sa.text("SELECT member_id, day_id, venue_id, value FROM availability")
                ).all()
            )
            columns = {c["name"] for c in sa.inspect(conn).get_columns("responses")}
        assert rows == {(1, 11, 7, "yes"), (1, 11, 8, "no"), (1, 12, 8, "maybe"), (2, 12, 7, "yes")}
        assert "answers" not in columns
        db.engine.dispose()
