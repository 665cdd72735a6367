"""The coordinator's messages page: send invitations, reminders and the plan; see the log;
retry what failed (login required, own network only).

GET  /tovholder/beskeder                          what can be sent per year, and the log
GET  /tovholder/beskeder/<id>                     one logged message (its plain text)
GET  /tovholder/beskeder/<year>/invitationer      the invitation as the first member gets it,
                                                  the number of members, and "Send"
POST /tovholder/beskeder/<year>/invitationer      invite every active member (refused with 409
                                                  once the year's plan is published)
GET  /tovholder/beskeder/<year>/paamindelser      the reminder's preview, likewise
POST /tovholder/beskeder/<year>/paamindelser      remind those who have not answered
GET  /tovholder/beskeder/<year>/plan?mode=…       the plan mail's preview, likewise
POST /tovholder/beskeder/<year>/plan              mail the published plan (mode=auto|plan|changes)
POST /tovholder/beskeder/<id>/igen                retry one failed message
POST /tovholder/beskeder/igen                     retry every failed message
GET  /tovholder/beskeder/udsendelse/<id>          a batch's progress and outcome

A mass mail is sent only from its preview page: the POST carries `recipients`, the number
of members the preview named; a POST without it (or with a number that no longer holds) sends
nothing and shows the preview (again). Every POST that sends queues a batch
(poll/mail_jobs.py) and redirects at once to its page, which reloads itself while the batch
runs.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth import current_network, login_required
from ..db import db
from ..mail_jobs import check, job_of, queue, running_job
from ..mail_preview import preview, retry_preview, stored_copy
from ..models import JobStatus, MailJob, MessageLog, MessageStatus, Poll, utcnow
from ..notifications import (
    NotSent,
    failed_count,
    kind_of,
    non_respondents,
    previous_published,
    reply_address,
    require_unplanned,
)
from ..planning import published_plan
from .scope import coordinator_poll

bp = Blueprint("messages", __name__, url_prefix="/tovholder/beskeder")

LOG_LIMIT = 300
PLAN_MODES = {"auto": "plan-auto", "plan": "plan", "changes": "changes"}  # mode -> batch kind
REFRESH_SECONDS = 2


@bp.before_request
@login_required
def require_login():
    return None


@bp.app_context_processor
def failed_messages_notice() -> dict:
    """`failed_message_count()` for any coordinator page that wants to show the notice."""

    def count() -> int:
        network_id = g.get("network_id")
        return failed_count(network_id) if network_id is not None else 0

    return {"failed_message_count": count}


def _log(message_id: int) -> MessageLog:
    log = db.session.get(MessageLog, message_id)
    if log is None or log.network_id != current_network().id:
        abort(404, _("This message does not exist, or belongs to another network."))
    return log


def kind_label(kind: str) -> str:
    name, _sep, rest = kind.partition("/")
    year = rest.split("/", 1)[0]
    labels = {
        "invitation": _("Invitation"),
        "reminder": _("Reminder"),
        "reminder-auto": _("Automatic reminder"),
        "plan": _("Plan"),
        "change": _("Change notice"),
        "lost-link": _("Lost link, asked for again"),
        "minutes": _("Minutes published"),
        "notice": _("Meeting notice"),
        "agenda-reminder": _("Agenda reminder"),
    }
    label = labels.get(name, name)
    return f"{label} {year}" if year else label


def batch_label(job: MailJob) -> str:
    return kind_batch_label(job.kind, job.poll.year if job.poll is not None else 0)


def kind_batch_label(kind: str, year: int) -> str:
    labels = {
        "invitation": _("Invitations for %(year)d", year=year),
        "reminder": _("Reminders for %(year)d", year=year),
        "plan-auto": _("The plan for %(year)d", year=year),
        "plan": _("The plan for %(year)d", year=year),
        "changes": _("Change notices for %(year)d", year=year),
        "retry": _("Failed messages sent again"),
    }
    return labels.get(kind, kind)


def status_label(status: MessageStatus) -> str:
    return {
        MessageStatus.SENT: _("sent"),
        MessageStatus.WRITTEN: _("saved on the server, not sent"),
        MessageStatus.FAILED: _("failed"),
    }[status]


@bp.get("")
def index():
    network = current_network()
    logs = db.session.scalars(
        select(MessageLog)
        .where(MessageLog.network_id == network.id)
        .order_by(MessageLog.id.desc())
        .limit(LOG_LIMIT)
    ).all()
    years = []
    for poll in reversed(network.polls):
        plan = published_plan(poll)
        years.append(
            {
                "poll": poll,
                "missing": non_respondents(poll),
                "plan": plan,
                "previous": previous_published(poll, plan) if plan else None,
            }
        )
    running = running_job(network.id)
    return render_template(
        "messages/index.html",
        network=network,
        running=db.session.get(MailJob, running) if running is not None else None,
        batch_label=batch_label,
        logs=logs,
        years=years,
        failed=[log for log in logs if log.status == MessageStatus.FAILED],
        kind_label=kind_label,
        status_label=status_label,
    )


@bp.get("/<int(max=2147483647):message_id>")
def show(message_id: int):
    log = _log(message_id)
    text, attachments = stored_copy(log)
    return render_template(
        "messages/show.html",
        log=log,
        text=text,
        attachments=attachments,
        kind_label=kind_label,
        status_label=status_label,
    )


RESEND_PAUSE = timedelta(seconds=60)


def _just_sent(poll: Poll, kinds: tuple[str, ...]) -> bool:
    """Whether a batch of these kinds went out for `poll` less than a minute ago: a second
    click on a send button must not mail everyone twice."""
    return (
        db.session.scalar(
            select(MessageLog.id)
            .where(
                MessageLog.network_id == poll.network_id,
                MessageLog.kind.in_([kind_of(kind, poll) for kind in kinds]),
                MessageLog.created_at > utcnow() - RESEND_PAUSE,
            )
            .limit(1)
        )
        is not None
    )


def _start(kind: str, *, poll: Poll | None = None, message_id: int | None = None):
    """Queue a batch and show its page; a batch of the network already running is shown
    instead, since two at once could send the same message twice."""
    job_id, started = queue(
        current_network().id,
        kind,
        poll_id=poll.id if poll is not None else None,
        message_id=message_id,
        language=str(get_locale()),
        reply_to=reply_address(g.account.name, g.account.email),
    )
    if not started:
        flash(
            _("Other messages are being sent. Wait until they are sent, then try again."), "error"
        )
        if job_id is None:  # it ended just now
            return redirect(url_for(".index"), 303)
    return redirect(url_for(".batch", job_id=job_id), 303)


def _confirm_page(kind: str, poll: Poll, action: str, mode: str | None = None, status: int = 200):
    """The mail as its first recipient gets it, the number of recipients and "Send"."""
    try:
        shown = preview(kind, poll)
    except NotSent as reason:
        flash(str(reason), "error")
        return redirect(url_for(".index"), 303)
    return render_template(
        "messages/confirm.html",
        poll=poll,
        preview=shown,
        label=kind_batch_label(kind, poll.year),
        action=action,
        mode=mode,
        not_sent="; ".join(f"{name} ({reason})" for name, reason in shown.skipped),
    ), status


def _batch(kind: str, poll: Poll, kinds: tuple[str, ...], action: str, mode: str | None = None):
    """GET: the preview. POST: send, if the preview was seen and still holds."""
    if request.method == "GET":
        return _confirm_page(kind, poll, action, mode)
    seen = request.form.get("recipients", "")
    if not seen:
        return redirect(action, 303)  # nothing goes out without the preview
    if _just_sent(poll, kinds):
        flash(
            _("These messages went out less than a minute ago. Wait a minute to send them again."),
            "error",
        )
        return redirect(url_for(".index"), 303)
    try:
        check(kind, poll)
        now = preview(kind, poll).recipients
    except NotSent as reason:
        flash(str(reason), "error")
        return redirect(url_for(".index"), 303)
    if seen != str(now):
        flash(
            _(
                "Recipients: the number of members who get this message has changed since the"
                " page was shown. Look at it again, then send."
            ),
            "error",
        )
        return _confirm_page(kind, poll, action, mode, status=409)
    return _start(kind, poll=poll)


@bp.route("/<int(min=1,max=9999):year>/invitationer", methods=["GET", "POST"])
def invite(year: int):
    poll = coordinator_poll(year)
    try:
        require_unplanned(poll)
    except NotSent as reason:
        abort(409, str(reason))
    return _batch("invitation", poll, ("invitation",), url_for(".invite", year=year))


@bp.route("/<int(min=1,max=9999):year>/paamindelser", methods=["GET", "POST"])
def remind(year: int):
    poll = coordinator_poll(year)
    return _batch("reminder", poll, ("reminder",), url_for(".remind", year=year))


@bp.route("/<int(min=1,max=9999):year>/plan", methods=["GET", "POST"])
def plan(year: int):
    poll = coordinator_poll(year)
    mode = request.form.get("mode") or request.args.get("mode") or "auto"
    if mode not in PLAN_MODES:
        abort(400, _("Mode: choose auto, plan or changes."))
    action = url_for(".plan", year=year, mode=mode)
    return _batch(PLAN_MODES[mode], poll, ("plan", "change"), action, mode)


@bp.post("/<int(max=2147483647):message_id>/igen")
def retry_one(message_id: int):
    log = _log(message_id)
    if log.status != MessageStatus.FAILED:
        flash(_("This message was already sent."))
        return redirect(url_for(".index"), 303)
    return _start("retry", message_id=log.id)


@bp.route("/igen", methods=["GET", "POST"])
def retry_all():
    """GET: the first failed message and how many there are. POST: send them all again, if
    the number the page showed still holds."""
    network = current_network()
    shown = retry_preview(network.id)
    status = 200
    if request.method == "POST":
        seen = request.form.get("recipients", "")
        if not seen:
            return redirect(url_for(".retry_all"), 303)
        if seen == str(shown.recipients):
            return _start("retry")
        flash(
            _(
                "Recipients: the number of members who get this message has changed since the"
                " page was shown. Look at it again, then send."
            ),
            "error",
        )
        status = 409
    return render_template(
        "messages/confirm.html",
        poll=None,
        preview=shown,
        label=kind_batch_label("retry", 0),
        action=url_for(".retry_all"),
        mode=None,
        not_sent="",
    ), status


@bp.get("/udsendelse/<int(max=2147483647):job_id>")
def batch(job_id: int):
    network = current_network()
    running_job(network.id)  # a batch whose process died is reported as failed
    job = job_of(network, job_id)
    if job is None:
        abort(404, _("This sending does not exist, or belongs to another network."))
    running = job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    return render_template(
        "messages/batch.html",
        job=job,
        running=running,
        refresh=REFRESH_SECONDS,
        label=batch_label(job),
        not_sent="; ".join(f"{name} ({reason})" for name, reason in job.skipped),
    )
