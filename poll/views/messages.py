"""The coordinator's messages page: send invitations, reminders and the plan; see the log;
retry what failed (login required, own network only).

GET  /tovholder/beskeder                          what can be sent per year, and the log
GET  /tovholder/beskeder/<id>                     one logged message (its plain text)
POST /tovholder/beskeder/<year>/invitationer      invite every active member
POST /tovholder/beskeder/<year>/paamindelser      remind those who have not answered
POST /tovholder/beskeder/<year>/plan              mail the published plan (mode=auto|plan|changes)
POST /tovholder/beskeder/<id>/igen                retry one failed message
POST /tovholder/beskeder/igen                     retry every failed message
"""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from email.policy import default

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from ..auth import login_required
from ..db import db
from ..models import MessageLog, MessageStatus, Poll, utcnow
from ..notifications import (
    NotSent,
    Outcome,
    failed_count,
    kind_of,
    non_respondents,
    previous_published,
    retry,
    retry_failed,
    send_invitations,
    send_plan,
    send_reminders,
)
from ..planning import published_plan
from .scope import coordinator_poll

bp = Blueprint("messages", __name__, url_prefix="/tovholder/beskeder")

LOG_LIMIT = 300
PLAN_MODES = {"auto": None, "plan": False, "changes": True}


@bp.before_request
@login_required
def require_login():
    return None


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def failed_messages_notice() -> dict:
    """`failed_message_count()` for any coordinator page that wants to show the notice."""

    def count() -> int:
        account = g.get("account")
        return failed_count(account.network_id) if account is not None else 0

    return {"failed_message_count": count}


def _log(message_id: int) -> MessageLog:
    log = db.session.get(MessageLog, message_id)
    if log is None or log.network_id != g.account.network_id:
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
    }
    label = labels.get(name, name)
    return f"{label} {year}" if year else label


def status_label(status: MessageStatus) -> str:
    return {
        MessageStatus.SENT: _("sent"),
        MessageStatus.WRITTEN: _("written to the outbox folder"),
        MessageStatus.FAILED: _("failed"),
    }[status]


@bp.get("")
def index():
    network = g.account.network
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
    return render_template(
        "messages/index.html",
        network=network,
        logs=logs,
        years=years,
        failed=[log for log in logs if log.status == MessageStatus.FAILED],
        kind_label=kind_label,
        status_label=status_label,
        when=lambda moment: format_datetime(moment, "short"),
    )


@bp.get("/<int(max=2147483647):message_id>")
def show(message_id: int):
    log = _log(message_id)
    text = ""
    if log.raw:
        message = message_from_bytes(log.raw, policy=default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        attachments = [part.get_filename() for part in message.iter_attachments()]
    else:
        attachments = []
    return render_template(
        "messages/show.html",
        log=log,
        text=text,
        attachments=attachments,
        kind_label=kind_label,
        status_label=status_label,
    )


def _report(outcome: Outcome) -> None:
    if outcome.logs or not outcome.skipped:
        flash(
            _(
                "%(sent)d of %(total)d messages sent (%(written)d of them written to the outbox"
                " folder because no mail server is set up).",
                sent=outcome.sent,
                total=len(outcome.logs),
                written=outcome.written,
            )
            if outcome.written
            else _(
                "%(sent)d of %(total)d messages sent.", sent=outcome.sent, total=len(outcome.logs)
            )
        )
    if outcome.failed:
        flash(
            _(
                "%(count)d messages could not be sent. They are kept below and can be sent again.",
                count=outcome.failed,
            ),
            "error",
        )
    if outcome.skipped:
        names = "; ".join(f"{name} ({reason})" for name, reason in outcome.skipped)
        flash(_("Not sent to: %(names)s", names=names))


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


def _batch(send, poll: Poll, kinds: tuple[str, ...], **kwargs):
    if _just_sent(poll, kinds):
        flash(
            _("These messages went out less than a minute ago. Wait a minute to send them again."),
            "error",
        )
        return redirect(url_for(".index"), 303)
    try:
        outcome = send(poll, **kwargs)
    except NotSent as reason:
        flash(str(reason), "error")
    else:
        _report(outcome)
    return redirect(url_for(".index"), 303)


@bp.post("/<int(min=1,max=9999):year>/invitationer")
def invite(year: int):
    return _batch(send_invitations, coordinator_poll(year), ("invitation",))


@bp.post("/<int(min=1,max=9999):year>/paamindelser")
def remind(year: int):
    return _batch(send_reminders, coordinator_poll(year), ("reminder",))


@bp.post("/<int(min=1,max=9999):year>/plan")
def plan(year: int):
    poll = coordinator_poll(year)
    mode = request.form.get("mode", "auto")
    if mode not in PLAN_MODES:
        abort(400, _("Mode: choose auto, plan or changes."))
    return _batch(send_plan, poll, ("plan", "change"), as_changes=PLAN_MODES[mode])


@bp.post("/<int(max=2147483647):message_id>/igen")
def retry_one(message_id: int):
    log = _log(message_id)
    if log.status != MessageStatus.FAILED:
        flash(_("This message was already sent."))
    elif retry(log).status == MessageStatus.FAILED:
        flash(_("Still not sent: %(reason)s", reason=log.error), "error")
    else:
        flash(_("The message to %(recipient)s is sent.", recipient=log.recipient))
    return redirect(url_for(".index"), 303)


@bp.post("/igen")
def retry_all():
    logs = retry_failed(g.account.network_id)
    still = sum(1 for log in logs if log.status == MessageStatus.FAILED)
    flash(_("%(sent)d of %(total)d messages sent.", sent=len(logs) - still, total=len(logs)))
    if still:
        flash(_("%(count)d messages still failed; see the reasons below.", count=still), "error")
    return redirect(url_for(".index"), 303)
