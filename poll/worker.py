"""`flask worker`: run the solve jobs and mail batches the app queued (MODEPLAN_WORKERS =
external), in a process of its own. Any number of workers, on any machines, share one database:
each job is claimed once (poll/job_rows.py). A worker also ends the running jobs whose process
died (their heartbeat stopped), so that they show as failed even when no page asks.

SIGTERM stops a running solve, which marks its job failed so that the coordinator can click
again (as in the app); a mail batch is sent to its end, since a batch cut short would have to
be sent again. Either way the worker then exits. A worker killed outright (SIGKILL, a lost
machine) leaves its job running until the heartbeat check reports it failed."""

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from . import jobs, mail_jobs
from .db import db
from .job_rows import JobModel, start_in_thread, worker_id
from .models import MailJob, SolveJob

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0  # how long an idle worker sleeps between looks for queued jobs
JOIN_SECONDS = 0.2  # the main thread waits in short steps so that SIGTERM reaches it


class Worker:
    def __init__(self, app: Flask, *, name: str | None = None, poll_seconds: float = POLL_SECONDS):
        self.app = app
        self.name = name or worker_id()
        self.poll_seconds = poll_seconds
        self.stopping = threading.Event()

    def run(self, *, once: bool = False) -> int:
        """Run jobs until SIGTERM (or, with `once`, until none is queued); how many ran."""
        ran = 0
        while not self.stopping.is_set():
            try:
                with self.app.app_context():
                    self._reap()
                    claimed = self._claim()
            except SQLAlchemyError:
                if once:
                    raise
                # the database is away for a moment (a restart, a failover): try again
                log.exception("worker %s: cannot reach the job tables", self.name)
                self.stopping.wait(max(self.poll_seconds, 5.0))
                continue
            if claimed is None:
                if once:
                    break
                self.stopping.wait(self.poll_seconds)
                continue
            self._run(*claimed)
            ran += 1
        return ran

    def stop(self) -> None:
        """Take no more jobs, and stop a running solve (its job is marked failed)."""
        self.stopping.set()
        jobs.stop_running_solves(timeout=0)

    def stop_on_sigterm(self) -> None:
        def on_sigterm(signum: int, frame: FrameType | None) -> None:
            if self.stopping.is_set():  # asked twice: go now, and leave the job to the heartbeat
                raise SystemExit(128 + signum)
            log.warning("worker %s: %s, stopping", self.name, signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, on_sigterm)
        signal.signal(signal.SIGINT, on_sigterm)

    def _reap(self) -> None:
        for kind, reap in (("solve", jobs.reap_all_stale), ("mail", mail_jobs.reap_all_stale)):
            if ended := reap():
                log.warning(
                    "worker %s: %d %s job(s) of a dead process failed", self.name, ended, kind
                )
        db.session.remove()

    def _claim(self) -> tuple[str, int, Callable[[], None]] | None:
        # mail first: a batch is short and someone waits for it; a solve may take minutes
        if (batch := mail_jobs.claim_batch(self.name)) is not None:
            return "mail", batch, lambda: mail_jobs.run_batch(batch)
        if (solve := jobs.claim_job(self.name)) is not None:
            return "solve", solve, lambda: jobs.run_job(solve)
        return None

    def _run(self, kind: str, job_id: int, work: Callable[[], None]) -> None:
        started = time.monotonic()
        # In a thread of its own, so that SIGTERM reaches this (main) thread and can stop it.
        thread = start_in_thread(self.app, f"{kind}-{job_id}", work)
        while thread.is_alive():
            thread.join(JOIN_SECONDS)
            if self.stopping.is_set():  # also a solve that had not yet begun at SIGTERM
                jobs.stop_running_solves(timeout=0)
        with self.app.app_context():
            job: JobModel | None  # a get per model: mypy types one of `MailJob if …` as Base
            if kind == "mail":
                job = db.session.get(MailJob, job_id)
            else:
                job = db.session.get(SolveJob, job_id)
            if job is None:  # deleted by hand while it ran (the app deletes no job rows)
                log.warning("worker %s: %s job %d no longer exists", self.name, kind, job_id)
            else:
                log.info(
                    "worker %s: %s job %d %s in %.1f s%s",
                    self.name,
                    kind,
                    job_id,
                    job.status.value,
                    time.monotonic() - started,
                    f": {job.message}" if job.message else "",
                )
            db.session.remove()
