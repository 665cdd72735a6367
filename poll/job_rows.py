"""The row of a background job (a solve, a mail batch): its state written with plain statements
on connections of their own, committed at once so that every app process sees it, and the
caller's session left as it was. A job table has an `active_*` column that is set only while
the job runs and is unique, so the database itself keeps it to one running job per key (a
poll, a network), whichever process asks; a heartbeat tells a running job from one whose
process died.

Who runs a job: with WORKERS = "inline" the process that queued it, in a thread; with
"external" a `flask worker` process (poll/worker.py), any number of them on one database. A
job queued for the workers has no `worker` and no heartbeat until one claims it, so it waits
however long it takes; a claim is a conditional update, so each job is claimed once (and
`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL lets workers pass over each other's rows)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute

from .db import db
from .models import JobStatus, MailJob, SolveJob, utcnow


def worker_id() -> str:
    """This process, as a job's row names who runs it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def real_app() -> Flask:
    """The app behind `current_app`, for a thread that must outlive this context (a job)."""
    # Flask types the current_app proxy as the app itself, which has no such method.
    return current_app._get_current_object()  # type: ignore[attr-defined]


def runs_inline(app: Flask) -> bool:
    """Whether this app runs the jobs it queues (in a thread) rather than leaving them to
    `flask worker` processes."""
    return app.config.get("WORKERS", "inline") == "inline"


# The models of job rows: each has id, status, message, worker, heartbeat_at, finished_at and
# an `active_*` column. (Not a Protocol of Mapped[...] members: mypy matches a model against it
# by its instances' attributes, which are plain values, so no model would fit.)
JobModel = SolveJob | MailJob


class JobRows:
    def __init__(
        self,
        model: type[JobModel],
        active: InstrumentedAttribute,
        *,
        heartbeat_seconds: float,
        stale_after: timedelta,
    ):
        self.model = model
        self.active_column = active.key
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_after = stale_after
        self._active = select(model.id, model.heartbeat_at).where(active == bindparam("key"))
        self._new = insert(model).returning(model.id)
        self._set = update(model).where(model.id == bindparam("job"))  # columns come as values

    def write(self, job_id: int, **values) -> None:
        """Set these columns and the heartbeat, committed at once."""
        with db.engine.begin() as conn:
            conn.execute(self._set, {"job": job_id, "heartbeat_at": utcnow(), **values})

    def write_in_session(self, job_id: int, **values) -> None:
        """Set these columns in the session's transaction, to commit with what the job stored."""
        db.session.connection().execute(self._set, {"job": job_id, **values})

    def ended(self, **values) -> dict:
        """The columns that end a job; freeing the active column lets the next one start."""
        return {self.active_column: None, "finished_at": utcnow(), **values}

    def running(self, key: int, end_stale: Callable[[], dict]) -> int | None:
        """The id of the key's running job, if any. One whose heartbeat stopped belongs to a
        process that died: it is ended with the columns `end_stale()` gives, and None returned."""
        active = db.session.connection().execute(self._active, {"key": key}).first()
        if active is None:
            return None
        if active.heartbeat_at is not None and utcnow() - active.heartbeat_at > self.stale_after:
            self.write(active.id, **end_stale())
            return None
        return active.id

    def start(
        self, key: int, end_stale: Callable[[], dict], *, here: bool = True, **values
    ) -> tuple[int | None, bool]:
        """The id of a new queued job for the key, with True; or, with False, the id of the one
        already running (None if it ended just now). `here`: this process runs it (it is
        claimed at once); otherwise it waits for a worker, with no heartbeat until then."""
        if (running := self.running(key, end_stale)) is not None:
            return running, False
        owner = {"worker": worker_id(), "heartbeat_at": utcnow()} if here else {}
        try:
            with db.engine.begin() as conn:
                job_id = conn.scalar(self._new, {self.active_column: key, **owner, **values})
        except IntegrityError:  # another process started one between our check and insert
            return self.running(key, end_stale), False
        return job_id, True

    def claim(self, worker: str) -> int | None:
        """The oldest job queued for the workers, now running under `worker`; None if there is
        none. The update only takes a row no one has claimed, so a job is claimed once even
        where SKIP LOCKED does not exist (SQLite, which ignores FOR UPDATE)."""
        model = self.model
        waiting = (
            select(model.id)
            .where(model.status == JobStatus.QUEUED, model.worker.is_(None))
            .order_by(model.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with db.engine.begin() as conn:
            job_id = conn.scalar(waiting)
            if job_id is None:
                return None
            taken = conn.execute(
                update(model)
                .where(model.id == job_id, model.worker.is_(None))
                .values(worker=worker, status=JobStatus.RUNNING, heartbeat_at=utcnow())
            )
        return job_id if taken.rowcount == 1 else None

    def reap_all(self, end_stale: Callable[[], dict]) -> int:
        """End every running job whose heartbeat stopped, as `running` does for one key; how
        many there were."""
        model = self.model
        active = getattr(model, self.active_column)
        keys = db.session.scalars(
            select(active).where(active.is_not(None), model.heartbeat_at.is_not(None))
        ).all()
        return sum(self.running(key, end_stale) is None for key in keys)

    @contextmanager
    def beating(self, job_id: int) -> Iterator[None]:
        """A heartbeat for the job while the block runs (in a thread of its own)."""
        stop = threading.Event()
        app = real_app()

        def beat() -> None:
            with app.app_context():
                while not stop.wait(self.heartbeat_seconds):
                    self.write(job_id)

        thread = threading.Thread(target=beat, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def start_in_thread(app: Flask, name: str, work: Callable[[], None]) -> threading.Thread:
    """Run `work` in a daemon thread with an app context of its own."""

    def main() -> None:
        with app.app_context():
            work()

    thread = threading.Thread(target=main, name=name, daemon=True)
    thread.start()
    return thread
