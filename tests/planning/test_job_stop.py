"""Solve jobs end as failed, never left running: a dead solve within a few heartbeats, a solve
stopped by a shutdown (SIGTERM) at once, with a message the coordinator can act on (#9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select

from poll.db import db
from poll.jobs import HEARTBEAT_SECONDS, STALE_AFTER, run_job, start_job, stop_running_solves
from poll.models import JobStatus, Poll, SolveJob, utcnow
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]


def test_a_dead_solve_is_reported_failed_within_a_few_heartbeats(app, planned):
    client, fx = planned
    assert timedelta(seconds=15) >= STALE_AFTER
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        job_id, _ = start_job(poll, None)
        job = db.session.get(SolveJob, job_id)
        job.status = JobStatus.RUNNING
        job.heartbeat_at = utcnow() - timedelta(seconds=HEARTBEAT_SECONDS)  # alive
        db.session.commit()
    assert client.get("/tovholder/plan/2027/job.json").get_json()["status"] == "running"
    with app.app_context():
        job = db.session.get(SolveJob, job_id)
        job.heartbeat_at = utcnow() - STALE_AFTER - timedelta(seconds=1)  # its process died
        db.session.commit()
    status = client.get("/tovholder/plan/2027/job.json").get_json()
    assert status["status"] == "failed"
    assert "Prøv igen" in status["message"]


def test_a_solve_stopped_by_a_shutdown_ends_its_job_as_failed(app, planned):
    client, fx = planned
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        job_id, _ = start_job(poll, None)
        stopped: list[int] = []

        def progress(done: int, total: int, label: str) -> None:
            if not stopped:
                stopped.append(stop_running_solves(timeout=0))

        run_job(job_id, progress=progress)
        job = db.session.get(SolveJob, job_id)
        assert stopped == [1]
        assert (job.status, job.active_poll_id, job.plan_id) == (JobStatus.FAILED, None, None)
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert "stoppet, fordi serveren genstartede" in page


def test_sigterm_during_plan_year_stops_the_solve_and_marks_the_job_failed(tmp_path):
    """The command line's solve, stopped by SIGTERM in the middle: the process ends by the
    signal's code, not a crash, and the job is failed, not left running."""
    sys.path.insert(0, str(ROOT / "bench"))
    from solver_bench import SIZES, generate

    from poll.instance_import import import_instance

    url = f"sqlite:///{tmp_path / 'stop.sqlite3'}"
    app = make_app(url)
    with app.app_context():
        upgrade()
        xl = next(size for size in SIZES if size.name == "XL")
        import_instance(generate(xl), slug="stor", name="Stort", coordinator_email="t@stor.dk")
        db.session.commit()
        year = db.session.scalar(select(Poll.year))
    env = {**os.environ, "DATABASE_URL": url, "MODEPLAN_SECRET_KEY": "test-secret-" + "x" * 32}
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "poll", "plan-year", "stor", str(year)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with app.app_context():
            for _ in range(600):  # until a search is under way (bounded: 60 s)
                job = db.session.scalar(select(SolveJob))
                if job is not None and job.stages_done >= 1:
                    break
                db.session.rollback()
                time.sleep(0.1)
            else:
                raise AssertionError("the solve did not start")
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM, errors
    with app.app_context():
        job = db.session.scalar(select(SolveJob))
        assert job.status == JobStatus.FAILED and job.active_poll_id is None
        assert "genstartede" in job.message
        db.session.remove()
        db.engine.dispose()
