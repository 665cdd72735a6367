"""Solve jobs: run the solver outside the request, with state and progress in the database so
that every app process can show them, and a crashed solve is reported rather than left running.

A job's state is written by poll/job_rows.py, with plain statements that leave the caller's
session as it was: the app's part of a solve must stay small beside the solver's (issue #4)."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import FrameType
from typing import TYPE_CHECKING

from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from . import job_rows
from .db import db
from .job_rows import JobRows
from .models import JobStatus, Poll, SolveJob
from .planning import PlanningError, build_instance, store_plan, unchanged_plan

if TYPE_CHECKING:  # the solver (OR-Tools, pandas) is imported by the process that solves
    from solver import Stop

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 3
PROGRESS_INTERVAL = 0.25  # seconds between progress writes; the page asks every 0.7 s
STALE_AFTER = timedelta(seconds=4 * HEARTBEAT_SECONDS)  # a dead solve shows as failed in 12 s
STOP_WAIT_SECONDS = 20  # how long a shutting-down process lets its solves end their jobs

# This process's running solves, so that a shutdown (SIGTERM) can stop them and end their jobs.
_running: dict[int, tuple[Stop, threading.Thread]] = {}
_running_lock = threading.Lock()
_sigterm_hooked = threading.Event()
PLANNED = ("optimal", "feasible")

Progress = Callable[[int, int, str], None]

_ROWS = JobRows(
    SolveJob,
    SolveJob.active_poll_id,
    heartbeat_seconds=HEARTBEAT_SECONDS,
    stale_after=STALE_AFTER,
)
_JOB = select(SolveJob.poll_id, SolveJob.time_limit, SolveJob.language).where(
    SolveJob.id == bindparam("job")
)


def latest_job(poll: Poll) -> SolveJob | None:
    return db.session.scalar(
        select(SolveJob).where(SolveJob.poll_id == poll.id).order_by(SolveJob.id.desc()).limit(1)
    )


def reap_stale(poll: Poll) -> int | None:
    """The id of the poll's running job, if any. One whose heartbeat stopped belongs to a
    process that died: it is marked failed, and None returned."""
    return _ROWS.running(poll.id, _died)


def start_job(
    poll: Poll, time_limit: float | None, *, language: str = "da", here: bool = True
) -> tuple[int | None, bool]:
    """The id of a new queued job for the poll, with True; or, with False, the id of the one
    already running (None if it ended just now). `here`: this process runs it; otherwise it
    waits for a worker (`flask worker`) to claim it."""
    return _ROWS.start(
        poll.id,
        _died,
        here=here,
        poll_id=poll.id,
        time_limit=time_limit,
        language=language,
        status=JobStatus.QUEUED,
    )


def claim_job(worker: str) -> int | None:
    """The id of a queued job this worker now runs, if any (each job is claimed once)."""
    return _ROWS.claim(worker)


def reap_all_stale() -> int:
    """End every running job whose process died; how many there were."""
    return _ROWS.reap_all(_died)


def _died() -> dict:
    return _ended(_("The planning stopped without an answer. Try again."))


def run_job(job_id: int, *, language: str | None = None, progress: Progress | None = None) -> None:
    """Solve in this thread (the CLI's, the web app's or a `flask worker`'s); the outcome is in
    the job's row: a plan version stored in the same commit that ends the job, or why there is
    none. The solver explains itself in `language`, by default the one the job was queued in."""
    poll_id, time_limit, queued_in = db.session.connection().execute(_JOB, {"job": job_id}).one()
    language = language or queued_in
    poll = db.session.get(Poll, poll_id)
    if poll is None:  # deleted by hand just now (the app deletes none), and the job with it
        log.warning("solve job %s: poll %s no longer exists", job_id, poll_id)
        return
    _ROWS.write(job_id, status=JobStatus.RUNNING)
    from solver import Stop

    halt = Stop()
    with _running_lock:
        _running[job_id] = (halt, threading.current_thread())
    try:
        with _ROWS.beating(job_id):
            end = _solve(job_id, poll, time_limit, language, progress, halt)
        _ROWS.write_in_session(job_id, **end)
        db.session.commit()
    finally:
        with _running_lock:
            _running.pop(job_id, None)


def _solve(
    job_id: int,
    poll: Poll,
    time_limit: float | None,
    language: str,
    progress: Progress | None,
    halt: Stop,
) -> dict:
    """Solve and store the plan (uncommitted); the columns that end the job."""
    from solver import InstanceError, SolveOptions, Stopped, solve

    try:
        instance = build_instance(poll)
        last_write = time.monotonic()  # a solve shorter than the interval writes no progress

        def on_progress(done: int, total: int, label: str) -> None:
            nonlocal last_write
            if time.monotonic() - last_write >= PROGRESS_INTERVAL:
                _ROWS.write(job_id, stages_done=done, stages_total=total, stage=label[:100])
                last_write = time.monotonic()
            if progress:
                progress(done, total, label)

        options = SolveOptions(
            time_limit=time_limit, language=language, progress=on_progress, stop=halt
        )
        result = solve(instance, options)
        if result["status"] in PLANNED:
            if same := unchanged_plan(poll, result):
                message = _(
                    "The plan is unchanged: planning again gave the same as version"
                    " %(version)d, so no new version is stored.",
                    version=same.version,
                )
                return _ended(message, JobStatus.DONE, plan_id=same.id)
            return _ended("", JobStatus.DONE, plan_id=store_plan(poll, result))
        return _ended("", JobStatus.DONE, result=result)
    except (PlanningError, InstanceError) as error:
        db.session.rollback()
        return _ended(str(error))
    except Stopped:
        db.session.rollback()
        return _ended(_("Planning was stopped because the server restarted. Try again."))
    except Exception:
        log.exception("solve job %s failed", job_id)
        db.session.rollback()
        return _ended(_("Planning failed unexpectedly. Try again."))


def start_in_thread(
    app: Flask, job_id: int, language: str, progress: Progress | None = None
) -> threading.Thread:
    return job_rows.start_in_thread(
        app, f"solve-{job_id}", lambda: run_job(job_id, language=language, progress=progress)
    )


def stop_running_solves(timeout: float = STOP_WAIT_SECONDS) -> int:
    """Stop this process's solves and wait for each to mark its job failed; how many there were."""
    with _running_lock:
        running = list(_running.values())
    for halt, _thread in running:
        halt.request()
    deadline = time.monotonic() + timeout
    for _halt, thread in running:
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    return len(running)


def stop_solves_on_sigterm() -> None:
    """On SIGTERM (a graceful restart or shutdown), stop the running solves cleanly, then do
    what SIGTERM did before (gunicorn's own handler, or ending the process). Once per process,
    and only from the main thread, which alone can set a signal handler."""
    if threading.current_thread() is not threading.main_thread() or _sigterm_hooked.is_set():
        return
    _sigterm_hooked.set()
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if stopped := stop_running_solves():
            log.warning("SIGTERM: stopped %d running solve(s)", stopped)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_sigterm)


def _ended(message: str, status: JobStatus = JobStatus.FAILED, **outcome) -> dict:
    return _ROWS.ended(status=status, message=message, **outcome)
