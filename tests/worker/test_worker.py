"""`flask worker` (poll/worker.py) as it runs in production: real worker processes on one
PostgreSQL database, solve jobs and mail batches queued by the app (MODEPLAN_WORKERS=external),
mail to a real SMTP server (aiosmtpd). Each job is run once, by one worker; a worker killed
outright leaves its job to the heartbeat check, which another worker runs; the coordinator's
pages show a queued job as waiting, then its outcome."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.instance_import import import_instance
from poll.jobs import STALE_AFTER, start_job
from poll.mail_jobs import start_batch
from poll.models import (
    JobStatus,
    MailJob,
    MessageLog,
    MessageStatus,
    Network,
    Plan,
    Poll,
    SolveJob,
)
from tests.conftest import TEST_SECRET, fresh_postgres_database, make_app
from tests.factories import log_in, make_network
from tests.html_forms import form_fields
from tests.mail.test_notifications import Recorder, start_server
from tests.planning.test_plan_page import MEMBERS, answer_all

ROOT = Path(__file__).resolve().parents[2]
WAITING_PLAN = "Venter på, at en baggrundsproces starter planlægningen"
WAITING_MAIL = "Venter på, at en baggrundsproces sender beskederne"


def worker_env(url: str, smtp_port: int | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MODEPLAN_SECRET_KEY": TEST_SECRET,
        "MODEPLAN_WORKERS": "external",
        "MODEPLAN_BASE_URL": "https://modeplan.test",
        "MAIL_SENDER": "Mødeplan <noreply@modeplan.test>",
    }
    for name in ("MAIL_HOST", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_SECURITY"):
        env.pop(name, None)
    if smtp_port is not None:
        env.update(MAIL_HOST="127.0.0.1", MAIL_PORT=str(smtp_port), MAIL_SECURITY="none")
    return env


def worker_command(*args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "poll",
        "worker",
        "--poll-seconds",
        "0.1",
        *args,
    ]


class Worker:
    """A `flask worker` process; `name` is what it writes into the rows of its jobs."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.process = subprocess.Popen(
            worker_command(),
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.name = f"{socket.gethostname()}:{self.process.pid}"
        self.log: list[str] = []
        for line in self.process.stderr:  # until it is ready to claim jobs
            self.log.append(line)
            if "started on" in line:
                break
        else:
            raise AssertionError("the worker did not start:\n" + "".join(self.log))

    def stop(self) -> tuple[int, str]:
        """SIGTERM; its exit code and everything it logged."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _out, rest = self.process.communicate(timeout=60)
        return self.process.returncode, "".join(self.log) + rest


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:.0f} s"
        time.sleep(0.05)


@pytest.fixture
def pg_app(postgres_url) -> Iterator:
    """The app, external workers, on an empty PostgreSQL database of its own (the workers
    are other processes, so nothing may stay in an uncommitted transaction)."""
    with fresh_postgres_database("modeplan_worker") as url:
        app = make_app(url, WORKERS="external")
        with app.app_context():
            upgrade()
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def smtp() -> Iterator[Recorder]:
    handler = Recorder()
    controller = start_server(handler)
    handler.port = controller.port
    yield handler
    controller.stop()


def make_networks(app, count: int) -> list[tuple[int, int, list[str]]]:
    """`count` networks whose five members can all come every day: (network id, poll id,
    member addresses); the members' addresses differ between networks."""
    made = []
    with app.app_context():
        for n in range(count):
            keys = tuple(f"{key}{n}" for key in MEMBERS)
            fx = make_network(keys, slug=f"net{n}")
            answer_all(db.session.get(Poll, fx.poll_id), only=keys)
            made.append((fx.network_id, fx.poll_id, [f"{key}@example.dk" for key in keys]))
    return made


def jobs_of(app, model) -> list:
    with app.app_context():
        rows = db.session.scalars(select(model).order_by(model.id)).all()
        db.session.expunge_all()
        return rows


def all_ended(app) -> bool:
    return all(
        job.status in (JobStatus.DONE, JobStatus.FAILED)
        for model in (SolveJob, MailJob)
        for job in jobs_of(app, model)
    )


def test_two_workers_run_every_queued_job_exactly_once(pg_app, smtp, tmp_path):
    app = pg_app
    networks = make_networks(app, 4)
    env = worker_env(app.config["SQLALCHEMY_DATABASE_URI"], smtp.port)
    workers = [Worker(env, tmp_path), Worker(env, tmp_path)]
    try:
        with app.app_context():
            for network_id, poll_id, _addresses in networks:
                assert start_job(db.session.get(Poll, poll_id), None, here=False)[1]
                assert start_batch(network_id, "invitation", poll_id=poll_id, here=False)[1]
        wait_until(lambda: all_ended(app), "all eight jobs ending")
    finally:
        stopped = [worker.stop() for worker in workers]
    for code, log in stopped:
        assert code == 0, log
        assert "stopped after" in log and "Traceback" not in log
    names = {worker.name for worker in workers}
    solves, batches = jobs_of(app, SolveJob), jobs_of(app, MailJob)
    assert len(solves) == len(batches) == 4
    for job in [*solves, *batches]:
        assert (job.status, job.message) == (JobStatus.DONE, "")
        assert job.worker in names
    # both processes took jobs, and each logged exactly the jobs its rows name
    by_worker = Counter(job.worker for job in [*solves, *batches])
    assert set(by_worker) == names
    for worker, (_code, log) in zip(workers, stopped, strict=True):
        assert log.count(" done in ") == by_worker[worker.name]
    # one plan version per poll, one message per member: nothing was run twice
    with app.app_context():
        plans = db.session.execute(select(Plan.poll_id, Plan.version)).all()
        assert sorted(plans) == sorted((poll_id, 1) for _n, poll_id, _a in networks)
        sent = db.session.scalars(select(MessageLog.status)).all()
        assert sent == [MessageStatus.SENT] * 20
    arrived = Counter(rcpt for envelope in smtp.envelopes for rcpt in envelope.rcpt_tos)
    expected = {address for _n, _p, addresses in networks for address in addresses}
    assert set(arrived) == expected and set(arrived.values()) == {1}


def _import_large_network(app) -> int:
    """A network the size of solver_bench's XL, whose solve takes a few seconds; its poll id."""
    sys.path.insert(0, str(ROOT / "bench"))
    from solver_bench import SIZES, generate

    with app.app_context():
        xl = next(size for size in SIZES if size.name == "XL")
        import_instance(generate(xl), slug="stor", name="Stort", coordinator_email="t@stor.dk")
        db.session.commit()
        return db.session.scalar(select(Poll.id).join(Network).where(Network.slug == "stor"))


def test_a_killed_worker_s_job_is_reported_failed_and_the_other_worker_goes_on(
    pg_app, smtp, tmp_path
):
    app = pg_app
    large = _import_large_network(app)
    [(network_id, small, addresses)] = make_networks(app, 1)
    env = worker_env(app.config["SQLALCHEMY_DATABASE_URI"], smtp.port)
    workers = [Worker(env, tmp_path), Worker(env, tmp_path)]
    try:
        with app.app_context():
            job_id, _ = start_job(db.session.get(Poll, large), None, here=False)

        def claimed() -> bool:
            [job] = [j for j in jobs_of(app, SolveJob) if j.id == job_id]
            return job.status == JobStatus.RUNNING

        wait_until(claimed, "a worker claiming the large solve")
        [job] = jobs_of(app, SolveJob)
        [killed] = [w for w in workers if w.name == job.worker]
        [survivor] = [w for w in workers if w is not killed]
        killed.process.send_signal(signal.SIGKILL)  # mid-solve: the solve takes seconds
        killed.process.wait(timeout=30)

        # the survivor takes new work at once…
        with app.app_context():
            small_job, _ = start_job(db.session.get(Poll, small), None, here=False)
            batch, _ = start_batch(network_id, "invitation", poll_id=small, here=False)

        def new_jobs_done() -> bool:
            solve = next(j for j in jobs_of(app, SolveJob) if j.id == small_job)
            mail = next(j for j in jobs_of(app, MailJob) if j.id == batch)
            return solve.status == mail.status == JobStatus.DONE

        wait_until(
            new_jobs_done,
            "the survivor running the new jobs",
        )
        # …and, once the dead worker's heartbeat is STALE_AFTER old, reports its job failed
        wait_until(
            lambda: jobs_of(app, SolveJob)[0].status == JobStatus.FAILED,
            "the killed worker's job being reported failed",
            seconds=STALE_AFTER.total_seconds() + 60,
        )
    finally:
        killed_code = workers[0].process.poll(), workers[1].process.poll()
        stopped = [worker.stop() for worker in workers]
    assert -signal.SIGKILL in killed_code
    code, log = stopped[workers.index(survivor)]
    assert code == 0, log
    assert "1 solve job(s) of a dead process failed" in log
    dead, *rest = jobs_of(app, SolveJob)
    assert (dead.worker, dead.active_poll_id, dead.plan_id) == (killed.name, None, None)
    assert "Prøv igen" in dead.message
    assert [(j.status, j.worker) for j in rest] == [(JobStatus.DONE, survivor.name)]
    [mail] = jobs_of(app, MailJob)
    assert (mail.status, mail.worker) == (JobStatus.DONE, survivor.name)
    with app.app_context():
        assert db.session.scalars(select(Plan.poll_id)).all() == [small]
    assert sorted(r for e in smtp.envelopes for r in e.rcpt_tos) == sorted(addresses)


def run_once(app, smtp_port: int | None = None) -> str:
    """`flask worker --once` on the app's database; what it logged."""
    done = subprocess.run(
        worker_command("--once"),
        cwd=ROOT,
        env=worker_env(app.config["SQLALCHEMY_DATABASE_URI"], smtp_port),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


@pytest.fixture
def external(app):
    """The test app (each engine) leaving its jobs to workers, and a logged-in coordinator of
    a network whose members can all come."""
    app.config["WORKERS"] = "external"
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id))
    client = app.test_client()
    log_in(client, fx)
    yield client
    with app.app_context():
        db.engine.dispose()  # the SQLite file is the worker's too


def test_plan_the_year_waits_for_a_worker_then_shows_the_plan(app, external):
    client = external
    response = client.post("/tovholder/plan/2027/solve")
    assert response.status_code == 303
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert WAITING_PLAN in page and 'data-running="true"' in page
    assert "Udgiv version 1" not in page
    assert client.get("/tovholder/plan/2027/job.json").get_json()["status"] == "queued"
    # a second click while it waits starts nothing
    client.post("/tovholder/plan/2027/solve")
    assert len(jobs_of(app, SolveJob)) == 1

    log = run_once(app)
    [job] = jobs_of(app, SolveJob)
    assert f"solve job {job.id} done" in log and "stopped after 1 job(s)" in log
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert WAITING_PLAN not in page and 'data-running="false"' in page
    assert "Udgiv version 1" in page and "Planlægningsgruppe" in page
    assert client.get("/tovholder/plan/2027/job.json").get_json()["status"] == "done"


def test_invitations_wait_for_a_worker_then_show_what_was_sent(app, external, smtp):
    client = external
    preview = client.get("/tovholder/beskeder/2027/invitationer").get_data(as_text=True)
    assert "Beskeden sendes til 5 medlemmer." in preview
    fields = form_fields(preview, "confirm-send")
    response = client.post("/tovholder/beskeder/2027/invitationer", data=MultiDict(fields))
    assert response.status_code == 303
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert WAITING_MAIL in page and 'http-equiv="refresh"' in page
    index = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Venter på, at en baggrundsproces sender: Invitationer" in index
    assert f'href="{location.removeprefix("http://modeplan.test")}"' in index
    assert smtp.envelopes == []

    log = run_once(app, smtp.port)
    [job] = jobs_of(app, MailJob)
    assert f"mail job {job.id} done" in log
    page = client.get(location).get_data(as_text=True)
    assert WAITING_MAIL not in page and 'http-equiv="refresh"' not in page
    assert "5 af 5 beskeder sendt." in page
    assert len(smtp.envelopes) == 5


def test_worker_once_with_nothing_queued_exits_at_once(app):
    log = run_once(app)
    assert "stopped after 0 job(s)" in log


def test_sigterm_stops_the_worker_s_solve_and_marks_its_job_failed(tmp_path):
    """A graceful stop (a deploy, systemd): the running solve ends as failed, so that the
    coordinator can click again, and the worker exits 0 without taking more work."""
    url = f"sqlite:///{tmp_path / 'stop.sqlite3'}"
    app = make_app(url, WORKERS="external")
    with app.app_context():
        upgrade()
    large = _import_large_network(app)
    [(_network, small, _addresses)] = make_networks(app, 1)
    with app.app_context():
        job_id, _ = start_job(db.session.get(Poll, large), None, here=False)
        waiting, _ = start_job(db.session.get(Poll, small), None, here=False)
    worker = Worker(worker_env(url), tmp_path)
    try:

        def solving() -> bool:
            job = jobs_of(app, SolveJob)[0]
            return job.status == JobStatus.RUNNING and job.stages_done >= 1

        wait_until(solving, "the large solve getting under way")
    finally:
        code, log = worker.stop()
    assert code == 0, log
    assert "SIGTERM" in log and f"solve job {job_id} failed" in log
    stopped, queued = jobs_of(app, SolveJob)
    assert (stopped.status, stopped.active_poll_id, stopped.worker) == (
        JobStatus.FAILED,
        None,
        worker.name,
    )
    assert "genstartede" in stopped.message
    assert (queued.id, queued.status, queued.worker) == (waiting, JobStatus.QUEUED, None)
    with app.app_context():
        db.engine.dispose()


def test_worker_on_a_database_not_migrated_says_so_without_a_traceback(tmp_path):
    done = subprocess.run(
        worker_command("--once"),
        cwd=tmp_path,
        env=worker_env(f"sqlite:///{tmp_path / 'empty.sqlite3'}"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "the job tables cannot be read" in done.stderr and "db upgrade" in done.stderr
    assert "Traceback" not in done.stderr
