"""Mail batches as jobs: the coordinator's click queues a batch and returns at once; a thread
sends it (poll/notifications.py) and writes its progress and outcome to the job's row, so that
every app process can show them.

One batch per network runs at a time (the unique `active_network_id`): two batches of one
network could otherwise send the same failed message twice. A batch whose heartbeat stopped
belongs to a process that died; it is marked failed, and what it logged as failed can be sent
again. The row is kept as for solve jobs (poll/job_rows.py)."""

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from . import job_rows
from .db import db
from .job_rows import JobRows, real_app, runs_inline
from .models import JobStatus, MailJob, MessageLog, Network, Poll
from .notifications import (
    NotSent,
    Outcome,
    plan_to_send,
    require_open,
    require_unplanned,
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

_ROWS = JobRows(
    MailJob,
    MailJob.active_network_id,
    heartbeat_seconds=HEARTBEAT_SECONDS,
    stale_after=STALE_AFTER,
)


def check(kind: str, poll: Poll) -> None:
    """Raises NotSent when a batch of `kind` for `poll` has nothing to send, so the click can
    be refused at once with the reason (the batch checks again when it runs)."""
    if kind in PLAN_KINDS:
        plan_to_send(poll, PLAN_KINDS[kind])
    else:
        require_open(poll)
        if kind == "invitation":
            require_unplanned(poll)


def running_job(network_id: int) -> int | None:
    """The id of the network's running batch, if any. One whose heartbeat stopped belongs to
    a process that died: it is marked failed, and None returned."""
    return _ROWS.running(network_id, _died)


def _died() -> dict:
    return _ended(
        _(
            "Sending stopped before it was done. The messages that could not be sent"
            " are kept on the messages page and can be sent again."
        )
    )


def start_batch(
    network_id: int,
    kind: str,
    *,
    poll_id: int | None = None,
    message_id: int | None = None,
    language: str = "da",
    reply_to: str | None = None,
    here: bool = True,
) -> tuple[int | None, bool]:
    """The id of a new queued batch, with True; or, with False, the id of the network's batch
    already running (None if it ended just now). `here`: this process sends it; otherwise it
    waits for a worker (`flask worker`) to claim it. `language` is the sender's, for the
    batch's outcome; its mails answer to `reply_to`, the coordinator who sends them (None: the
    network's coordinator, notifications.network_reply_to)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of mail batch: {kind!r}")
    return _ROWS.start(
        network_id,
        _died,
        here=here,
        network_id=network_id,
        poll_id=poll_id,
        message_id=message_id,
        kind=kind,
        language=language,
        reply_to=reply_to,
        status=JobStatus.QUEUED,
        skipped=[],
    )


def queue(
    network_id: int,
    kind: str,
    *,
    poll_id: int | None = None,
    message_id: int | None = None,
    language: str = "da",
    reply_to: str | None = None,
) -> tuple[int | None, bool]:
    """Queue a batch as `start_batch` does and, when this process sends its batches itself
    (MODEPLAN_WORKERS=inline), start sending it in a thread."""
    here = runs_inline(current_app)
    job_id, started = start_batch(
        network_id,
        kind,
        poll_id=poll_id,
        message_id=message_id,
        language=language,
        reply_to=reply_to,
        here=here,
    )
    if started and here and job_id is not None:
        start_in_thread(real_app(), job_id)
    return job_id, started


def run_batch(job_id: int) -> None:
    """Send the batch in this thread; its row says how far it got and how it ended."""
    job = db.session.get(MailJob, job_id)
    if job is None:  # deleted by hand with its network (the app deletes none): nothing to send
        log.warning("mail batch %s no longer exists", job_id)
        return
    _ROWS.write(job_id, status=JobStatus.RUNNING)
    with _ROWS.beating(job_id), force_locale(job.language):
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
    _ROWS.write(job_id, **end)


def claim_batch(worker: str) -> int | None:
    """The id of a queued batch this worker now sends, if any (each batch is claimed once)."""
    return _ROWS.claim(worker)


def reap_all_stale() -> int:
    """End every running batch whose process died; how many there were."""
    return _ROWS.reap_all(_died)


def start_in_thread(app: Flask, job_id: int) -> threading.Thread:
    return job_rows.start_in_thread(app, f"mail-{job_id}", lambda: run_batch(job_id))


def _send(job: MailJob) -> Outcome:
    def progress(outcome: Outcome, total: int) -> None:
        _ROWS.write(job.id, total=total, **_counts(outcome))

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
        return send_invitations(poll, progress=progress, reply_to=job.reply_to)
    if job.kind == "reminder":
        return send_reminders(poll, progress=progress, reply_to=job.reply_to)
    return send_plan(
        poll, as_changes=PLAN_KINDS[job.kind], progress=progress, reply_to=job.reply_to
    )


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
    if "sent" in outcome:
        outcome["total"] = outcome["sent"] + outcome["failed"]
    return _ROWS.ended(status=status, message=message, **outcome)


def job_of(network: Network, job_id: int) -> MailJob | None:
    """The network's batch with this id (None for another network's)."""
    job = db.session.get(MailJob, job_id)
    return job if job is not None and job.network_id == network.id else None
