"""Solve jobs: run the solver outside the request, with state and progress in the database so
that every app process can show them, and a crashed solve is reported rather than left running."""

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from solver import InstanceError, SolveOptions, solve

from .db import db
from .models import JobStatus, Poll, SolveJob, utcnow
from .planning import PlanningError, build_instance, store_plan

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
PROGRESS_INTERVAL = 0.25  # seconds between progress writes; the page asks every 0.7 s
STALE_AFTER = timedelta(seconds=60)
PLANNED = ("optimal", "feasible")

Progress = Callable[[int, int, str], None]


def active_job(poll: Poll) -> SolveJob | None:
    return db.session.scalar(select(SolveJob).where(SolveJob.active_poll_id == poll.id))


def latest_job(poll: Poll) -> SolveJob | None:
    return db.session.scalar(
        select(SolveJob).where(SolveJob.poll_id == poll.id).order_by(SolveJob.id.desc()).limit(1)
    )


def reap_stale(poll: Poll) -> None:
    """A job whose heartbeat stopped belongs to a process that died: mark it failed."""
    job = active_job(poll)
    if job and job.heartbeat_at and utcnow() - job.heartbeat_at > STALE_AFTER:
        _finish(job, JobStatus.FAILED, _("The solver stopped without an answer. Try again."))
        db.session.commit()


def start_job(poll: Poll, time_limit: float | None) -> tuple[SolveJob, bool]:
    """The poll's running job, or a new queued one; the flag says whether it is new."""
    reap_stale(poll)
    if running := active_job(poll):
        return running, False
    job = SolveJob(
        poll_id=poll.id,
        active_poll_id=poll.id,
        time_limit=time_limit,
        status=JobStatus.QUEUED,
        heartbeat_at=utcnow(),
    )
    db.session.add(job)
    try:
        db.session.commit()
    except IntegrityError:  # another process started one between our check and insert
        db.session.rollback()
        return active_job(poll), False
    return job, True


def run_job(job_id: int, *, language: str = "da", progress: Progress | None = None) -> SolveJob:
    """Solve in this thread; used directly by the CLI and by the web app's worker thread."""
    job = db.session.get(SolveJob, job_id)
    poll = db.session.get(Poll, job.poll_id)
    job.status = JobStatus.RUNNING
    db.session.commit()
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(current_app._get_current_object(), job_id, stop), daemon=True
    )
    beat.start()
    try:
        instance = build_instance(poll)
        last_write = 0.0

        def on_progress(done: int, total: int, label: str) -> None:
            nonlocal last_write
            if time.monotonic() - last_write >= PROGRESS_INTERVAL:
                _record_progress(job_id, done, total, label)
                last_write = time.monotonic()
            if progress:
                progress(done, total, label)

        options = SolveOptions(time_limit=job.time_limit, language=language, progress=on_progress)
        result = solve(instance, options)
        if result["status"] in PLANNED:
            plan = store_plan(poll, result)
            job.plan_id = plan.id
        else:
            job.result = result
        _finish(job, JobStatus.DONE, "")
    except (PlanningError, InstanceError) as error:
        db.session.rollback()
        _finish(job, JobStatus.FAILED, str(error))
    except Exception:
        log.exception("solve job %s failed", job_id)
        db.session.rollback()
        _finish(job, JobStatus.FAILED, _("Planning failed unexpectedly. Try again."))
    finally:
        stop.set()
        beat.join()
    db.session.commit()
    return job


def start_in_thread(app: Flask, job_id: int, language: str) -> threading.Thread:
    def main() -> None:
        with app.app_context():
            run_job(job_id, language=language)

    thread = threading.Thread(target=main, name=f"solve-{job_id}", daemon=True)
    thread.start()
    return thread


def _finish(job: SolveJob, status: JobStatus, message: str) -> None:
    job.status = status
    job.message = message
    job.active_poll_id = None
    job.finished_at = utcnow()


def _record_progress(job_id: int, done: int, total: int, label: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            update(SolveJob)
            .where(SolveJob.id == job_id)
            .values(stages_done=done, stages_total=total, stage=label[:100], heartbeat_at=utcnow())
        )


def _heartbeat(app: Flask, job_id: int, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.wait(HEARTBEAT_SECONDS):
            with db.engine.begin() as conn:
                conn.execute(
                    update(SolveJob).where(SolveJob.id == job_id).values(heartbeat_at=utcnow())
                )
