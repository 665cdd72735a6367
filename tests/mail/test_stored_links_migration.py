"""Mails stored before the links were left out of the stored copy lose them on upgrade
(migration c3d4e5f6a7b8), and a retry puts the member's current link back."""

from datetime import UTC, datetime, time
from email import message_from_bytes
from email.policy import SMTP, default

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from poll.db import db
from poll.mailer import build_message
from tests.conftest import fresh_postgres_database, make_app

BEFORE = "b7c8d9e0f1a2"
TOKEN = "Abc123_-def456GHI789jkl012mnoPQ"
FEED = "Zyx987_-wvu654TSR321qpo098nmlKJ"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")
    with fresh_postgres_database("modeplan_mail_migrate") as url:
        yield url


def test_upgrade_takes_working_links_out_of_stored_mails(empty_url):
    text = (
        f"Dit link: http://127.0.0.1:5000/m/{TOKEN}/2027\n"
        f"Kalender: webcal://127.0.0.1:5000/kalender/{FEED}.ics\n"
    )
    html = f'<a href="http://127.0.0.1:5000/m/{TOKEN}/2027">Svar</a>'
    message = build_message(
        sender="Mødeplan <noreply@modeplan.test>",
        to=("Maria", "maria@example.dk"),
        subject="Invitation",
        text=text,
        html=html,
    )
    now = datetime.now(UTC)
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            metadata = sa.MetaData()
            metadata.reflect(conn, only=["networks", "messages"])
            conn.execute(
                metadata.tables["networks"].insert(),
                {
                    "id": 1,
                    "slug": "n",
                    "name": "N",
                    "timezone": "Europe/Copenhagen",
                    "meeting_start": time(10),
                    "meeting_end": time(15),
                    "created_at": now,
                },
            )
            conn.execute(
                metadata.tables["messages"].insert(),
                {
                    "id": 1,
                    "network_id": 1,
                    "kind": "invitation/2027",
                    "recipient": "maria@example.dk",
                    "subject": "Invitation",
                    "raw": message.as_bytes(policy=SMTP),
                    "status": "failed",
                    "error": "",
                    "attempts": 1,
                    "created_at": now,
                },
            )
        upgrade()
        with db.engine.connect() as conn:
            raw = conn.scalar(sa.text("SELECT raw FROM messages WHERE id = 1"))
        db.engine.dispose()
    stored = message_from_bytes(bytes(raw), policy=default)
    plain = stored.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert plain == text.replace(TOKEN, "[personal-link]").replace(FEED, "[calendar-link]")
    assert stored.get_body(("html",)).get_content().strip() == html.replace(
        TOKEN, "[personal-link]"
    )
    assert stored["Message-ID"] == message["Message-ID"]
    assert TOKEN.encode() not in bytes(raw) and FEED.encode() not in bytes(raw)
