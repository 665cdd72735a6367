"""The migration that lets workers claim jobs (d4e5f6a7b8c9), down and up again on both
engines: the jobs stored before it count as the app's, so that no worker takes up an old one."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from poll.db import db
from poll.jobs import claim_job
from poll.mail_jobs import claim_batch
from tests.app.test_migrations import empty_url  # noqa: F401 (a fixture)
from tests.conftest import make_app
from tests.factories import make_network

BEFORE_WORKERS = "c3d4e5f6a7b8"


def columns(table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {c["name"] for c in sa.inspect(conn).get_columns(table)}


def test_jobs_stored_before_workers_belong_to_the_app(empty_url):  # noqa: F811
    app = make_app(empty_url)
    with app.app_context():
        upgrade()
        fx = make_network()
        # Ends the session's transaction: its locks would hold up the downgrade's ALTER TABLE
        # of coordinator_accounts on PostgreSQL.
        db.session.remove()
        downgrade(revision=BEFORE_WORKERS)
        assert "worker" not in columns("solve_jobs") | columns("mail_jobs")
        assert "language" not in columns("solve_jobs")
        with db.engine.begin() as conn:  # a job queued, and one done, by the app before
            for status in ("queued", "done"):
                conn.execute(
                    sa.text(
                        "INSERT INTO solve_jobs (poll_id, status, stages_done, stages_total,"
                        " stage, message, created_at) VALUES (:poll, :status, 0, 0, '', '',"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"poll": fx.poll_id, "status": status},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO mail_jobs (network_id, kind, language, status, total, sent,"
                        " written, failed, skipped, message, created_at) VALUES (:network,"
                        " 'invitation', 'da', :status, 0, 0, 0, 0, '[]', '', CURRENT_TIMESTAMP)"
                    ),
                    {"network": fx.network_id, "status": status},
                )

        upgrade()
        with db.engine.connect() as conn:
            solves = conn.execute(sa.text("SELECT worker, language FROM solve_jobs")).all()
            batches = conn.execute(sa.text("SELECT worker FROM mail_jobs")).all()
        assert solves == [("app", "da")] * 2
        assert batches == [("app",)] * 2
        assert claim_job("w:1") is None and claim_batch("w:1") is None

        downgrade(revision=BEFORE_WORKERS)
        with db.engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM solve_jobs")) == 2
        assert "worker" not in columns("solve_jobs") | columns("mail_jobs")
        db.session.remove()
        db.engine.dispose()
