"""GET /healthz on both engines: healthy, with a backlog, with the database down, empty or
behind the migrations; never a 500, never a login."""

import socket
from collections.abc import Iterator

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from poll.db import db
from poll.models import JobStatus, LoginFailure, MailJob, SolveJob
from tests.conftest import fresh_postgres_database, make_app
from tests.factories import log_in, make_network

BEFORE_HEAD = "4cd8477b2207"  # an older revision of poll/migrations


def _health(client, expected_status: int) -> dict:
    response = client.get("/healthz")
    assert response.status_code == expected_status
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def test_a_healthy_instance_answers_ok_with_no_backlog(client):
    response = client.get("/healthz")
    assert "Set-Cookie" not in response.headers  # it starts no session
    assert _health(client, 200) == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "jobs": {"solve": {"queued": 0, "running": 0}, "mail": {"queued": 0, "running": 0}},
    }


def test_the_backlog_counts_every_job_that_has_not_ended(app, client):
    with app.app_context():
        fx = make_network()
        solves = [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RUNNING, JobStatus.DONE]
        mails = [JobStatus.QUEUED, JobStatus.FAILED, JobStatus.DONE, JobStatus.QUEUED]
        db.session.add_all(SolveJob(poll_id=fx.poll_id, status=s) for s in solves)
        db.session.add_all(
            MailJob(network_id=fx.network_id, kind="invite", status=s) for s in mails
        )
        db.session.flush()
        # A state this code does not know (a later worker's) is backlog too, not an error.
        unknown = SolveJob(poll_id=fx.poll_id, status=JobStatus.QUEUED)
        db.session.add(unknown)
        db.session.flush()
        db.session.execute(
            text("UPDATE solve_jobs SET status = 'claimed' WHERE id = :id"), {"id": unknown.id}
        )
        db.session.commit()
    health = _health(client, 200)
    assert health["jobs"] == {
        "solve": {"queued": 1, "running": 2, "claimed": 1},
        "mail": {"queued": 2, "running": 0},
    }
    assert health["status"] == "ok"


def test_it_needs_no_login_and_ignores_one(app, client):
    with app.app_context():
        fx = make_network()
    log_in(client, fx)
    assert _health(client, 200)["status"] == "ok"
    assert client.get("/tovholder/").status_code == 200  # the login is untouched


def test_an_address_held_back_by_login_throttling_still_gets_an_answer(app, client):
    with app.app_context():
        fx = make_network()
        db.session.add_all(
            LoginFailure(email=fx.email, remote_addr="127.0.0.1")
            for _ in range(app.config["LOGIN_ADDRESS_MAX_FAILURES"])
        )
        db.session.commit()
    refused = client.post("/tovholder/login", data={"email": fx.email, "password": "x"})
    assert refused.status_code == 429
    for _ in range(3):
        assert _health(client, 200)["status"] == "ok"
    with app.app_context():
        count = db.session.scalar(select(func.count(LoginFailure.id)))
    assert count == app.config["LOGIN_ADDRESS_MAX_FAILURES"]


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_database_that_does_not_answer_is_503_not_500(closed_port):
    app = make_app(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/modeplan")
    client = app.test_client()
    assert _health(client, 503) == {
        "status": "failed",
        "database": "failed",
        "migrations": "not checked",
        "jobs": "not checked",
    }
    # Even with a login cookie, which other pages would look up in the database.
    with client.session_transaction() as session:
        session["account_id"] = 1
        session["session_version"] = 1
    assert _health(client, 503)["database"] == "failed"


def test_a_sqlite_file_without_tables_is_not_at_the_migrations_head(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert _health(app.test_client(), 503) == {
        "status": "failed",
        "database": "ok",
        "migrations": "failed",
        "jobs": "not checked",
    }
    with app.app_context():
        db.engine.dispose()  # closes the pooled connection (Python 3.13 warns otherwise)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'behind.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")  # skips (or fails under CI) without a server
    with fresh_postgres_database("modeplan_health") as url:
        yield url


def test_a_database_behind_the_migrations_is_503_until_upgraded(empty_url):
    app = make_app(empty_url)
    client = app.test_client()
    with app.app_context():
        upgrade(revision=BEFORE_HEAD)
    assert _health(client, 503)["migrations"] == "failed"
    with app.app_context():
        upgrade()
    assert _health(client, 200)["migrations"] == "ok"
    with app.app_context():
        db.engine.dispose()
