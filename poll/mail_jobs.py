"""Mail batches as jobs: the coordinator's click queues a batch and returns at once; a thread
sends it (poll/notifications.py) and writes its progress and outcome to the job's row, so that
every app process can show them.

One batch per network runs at a time (the unique `active_network_id`): two batches of one
network could otherwise send the same failed message twice. A batch whose heartbeat stopped
belongs to a process that died; it is marked failed, and what it logged as failed can be sent
again. State is written on connections of their own and committed at once, as for solve jobs
(poll/jobs.py)."""

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from .db import db
from .models import JobStatus, MailJob, MessageLog, Network, Poll, utcnow
from .notifications import (
    NotSent,
    Outcome,
    plan_to_send,
    require_open,
    retry,
    retry_failed,
    send_invitations,
    send_plan,
    send_reminders,
)

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
STALE_AFTER = timedelta(seconds=20)

# kind -> send_plan's as_changes, for the three ways of mailing the plan
PLAN_KINDS = {"plan-auto": None, "plan": False, "changes": True}
KINDS = ("invitation", "reminder", *PLAN_KINDS, "retry")

_ACTIVE = select(MailJob.id, MailJob.heartbeat_at).where(
    MailJob.active_network_id == bindparam("network")
)
_NEW = insert(MailJob).returning(MailJob.id)
_SET = update(MailJob).where(MailJob.id == bindparam("job"))  # the columns come as values


def check(kind: str, poll: Poll) -> None:
    """Raises NotSent when a batch of `kind` for `poll` has nothing to send, so the click can
    be refused at once with the reason (the batch checks again when it runs)."""
    if kind in PLAN_KINDS:
        plan_to_send(poll, PLAN_KINDS[kind])
    else:
        require_open(poll)


def running_job(network_id: int) -> int | None:
    """The id of the network's running batch, if any. One whose heartbeat stopped belongs to
    a process that died: it is marked failed, and None returned."""
    active = db.session.connection().execute(_ACTIVE, {"network": network_id}).first()
    if active is None:
        return None
    if active.heartbeat_at is not None and utcnow() - active.heartbeat_at > STALE_AFTER:
        _write(
            active.id,
            **_ended(
                _(
                    "Sending stopped before it was done. The messages that could not be sent"
                    " are kept on the messages page and can be sent again."
                )
            ),
        )
        return None
    return active.id


def start_batch(
    network_id: int,
    kind: str,
    *,
    poll_id: int | None = None,
    message_id: int | None = None,
    language: str = "da",
) -> tuple[int | None, bool]:
    """The id of a new queued batch, with True; or, with False, the id of the network's batch
    already running (None if it ended just now)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of mail batch: {kind!r}")
    if (running := running_job(network_id)) is not None:
        return running, False
    try:
        with db.engine.begin() as conn:
            job_id = conn.scalar(
                _NEW,
                {
                    "network_id": network_id,
                    "active_network_id": network_id,
                    "poll_id": poll_id,
                    "message_id": message_id,
                    "kind": kind,
                    "language": language,
                    "status": JobStatus.QUEUED,
                    "skipped": [],
                    "heartbeat_at": utcnow(),
                },
            )
    except IntegrityError:  # another process started one between our check and insert
        return running_job(network_id), False
    return job_id, True


def run_batch(job_id: int) -> None:
    """Send the batch in this thread; its row says how far it got and how it ended."""
    job = db.session.get(MailJob, job_id)
    _write(job_id, status=JobStatus.RUNNING)
    stop = threading.Event()
    beat = threading.Thread(
        target=_heartbeat, args=(current_app._get_current_object(), job_id, stop), daemon=True
    )
    beat.start()
    try:
        with force_locale(job.language):
            try:
                outcome = _send(job)
                end = _ended(_retry_reason(job, outcome), JobStatus.DONE, **_counts(outcome))
            except NotSent as reason:
                db.session.rollback()
                end = _ended(str(reason))
            except Exception:
                log.exception("mail batch %s failed", job_id)
                db.session.rollback()
                end = _ended(
                    _(
                        "Sending failed unexpectedly. The messages that could not be sent are"
                        " kept on the messages page and can be sent again."
                    )
                )
    finally:
        stop.set()
        beat.join()
    _write(job_id, **end)


def start_in_thread(app: Flask, job_id: int) -> threading.Thread:
    def main() -> None:
        with app.app_context():
            run_batch(job_id)

    thread = threading.Thread(target=main, name=f"mail-{job_id}", daemon=True)
    thread.start()
    return thread


def _send(job: MailJob) -> Outcome:
    def progress(outcome: Outcome, total: int) -> None:
        _write(job.id, total=total, **_counts(outcome))

    if job.kind == "retry":
        if job.message_id is None:
            return retry_failed(job.network_id, progress)
        message = db.session.get(MessageLog, job.message_id)
        outcome = Outcome()
        if message is not None and message.network_id == job.network_id:
            outcome.logs.append(retry(message))
        return outcome
    poll = db.session.get(Poll, job.poll_id)
    if poll is None:
        raise NotSent(_("This year's poll no longer exists."))
    if job.kind == "invitation":
        return send_invitations(poll, progress=progress)
    if job.kind == "reminder":
        return send_reminders(poll, progress=progress)
    return send_plan(poll, as_changes=PLAN_KINDS[job.kind], progress=progress)


def _retry_reason(job: MailJob, outcome: Outcome) -> str:
    """The reason a single message sent again still failed, to show with the outcome."""
    if job.kind == "retry" and job.message_id is not None and outcome.failed:
        return outcome.logs[0].error
    return ""


def _counts(outcome: Outcome) -> dict:
    return dict(
        sent=outcome.sent,
        written=outcome.written,
        failed=outcome.failed,
        skipped=[[name, reason] for name, reason in outcome.skipped],
    )


def _ended(message: str, status: JobStatus = JobStatus.FAILED, **outcome) -> dict:
    """The columns that end a batch; freeing `active_network_id` lets the next one start."""
    if "sent" in outcome:
        outcome["total"] = outcome["sent"] + outcome["failed"]
    return dict(
        status=status, message=message, active_network_id=None, finished_at=utcnow(), **outcome
    )


def _write(job_id: int, **values) -> None:
    with db.engine.begin() as conn:
        conn.execute(_SET, {"job": job_id, "heartbeat_at": utcnow(), **values})


def _heartbeat(app: Flask, job_id: int, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.wait(HEARTBEAT_SECONDS):
            _write(job_id)


def job_of(network: Network, job_id: int) -> MailJob | None:
    """The network's batch with this id (None for another network's)."""
    job = db.session.get(MailJob, job_id)
    return job if job is not None and job.network_id == network.id else None
