"""What a mass mail would send, before it is sent: the first recipient's copy (subject and
plain text, with placeholders for the personal and calendar links) and the number of members
who would get it. The coordinator's messages page shows it and asks for confirmation.

The copy is composed by the same functions as the batch (poll/notifications.py) and picks
its recipients the same way, so the preview says what the batch will do. Composing may make a
calendar link or the calendar state of the plan's meetings; the preview keeps none of that
(the session is rolled back), the batch makes them again when it sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default
from email.utils import parseaddr

from flask_babel import gettext as _

from .db import db
from .mail_jobs import PLAN_KINDS
from .models import Member, MessageLog, Poll
from .notifications import (
    FEED_MARK,
    PERSONAL_MARK,
    Composed,
    Outcome,
    _redact,
    answer_link,
    compose_change,
    compose_invitation,
    compose_plan,
    compose_reminder,
    failed_messages,
    mailable_members,
    member_changes,
    non_respondents,
    plan_to_send,
    require_open,
    require_unplanned,
    sender_address,
)
from .plan_calendar import organizer_of, published_events

KINDS = ("invitation", "reminder", *PLAN_KINDS)


@dataclass
class Preview:
    """A batch of `kind` for one year as it would go out now."""

    kind: str
    recipients: int
    first_name: str = ""
    first_address: str = ""
    subject: str = ""
    text: str = ""
    attachments: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


def preview(kind: str, poll: Poll) -> Preview:
    """The first recipient's copy of a batch of `kind` for `poll`, and how many get one;
    raises NotSent (as the batch would) when it must not go out at all."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of mass mail: {kind!r}")
    try:
        result = _plan_preview(kind, poll) if kind in PLAN_KINDS else _ask_preview(kind, poll)
    finally:
        db.session.rollback()  # nothing composing made is kept (see the module's docstring)
    return result


def _ask_preview(kind: str, poll: Poll) -> Preview:
    require_open(poll)
    if kind == "invitation":
        require_unplanned(poll)
        members = [m for m in poll.network.members if m.active]
        compose = compose_invitation
    else:
        members = non_respondents(poll)
        compose = compose_reminder
    outcome = Outcome()
    result = Preview(kind, 0)
    first: tuple[Member, Composed] | None = None
    for member in mailable_members(poll, members, outcome):
        link = answer_link(member, poll)
        if link is None:
            outcome.skipped.append((member.name, _("no personal link; make a new one")))
            continue
        result.recipients += 1
        if first is None:
            first = (member, compose(member, poll, link))
    return _filled(result, first, outcome)


def _plan_preview(kind: str, poll: Poll) -> Preview:
    plan, previous = plan_to_send(poll, PLAN_KINDS[kind])
    events = published_events(poll)
    organizer = organizer_of(poll.network, parseaddr(sender_address())[1])
    outcome = Outcome()
    result = Preview(kind, 0)
    first: tuple[Member, Composed] | None = None
    for member in mailable_members(poll, [m for m in poll.network.members if m.active], outcome):
        if previous is None:
            result.recipients += 1
            if first is None:
                first = (member, compose_plan(member, poll, events, organizer))
            continue
        changes = member_changes(poll, previous, plan, member)
        if not changes:
            outcome.skipped.append((member.name, _("nothing changed for this member")))
            continue
        result.recipients += 1
        if first is None:
            first = (member, compose_change(member, poll, events, changes, organizer))
    return _filled(result, first, outcome)


def _filled(result: Preview, first: tuple[Member, Composed] | None, outcome: Outcome) -> Preview:
    result.skipped = outcome.skipped
    if first is None:
        return result
    member, composed = first
    stored = _redact(composed, member)  # the links as placeholders, as the message log shows
    result.first_name = member.name
    result.first_address = member.email
    result.subject = stored.subject
    result.text = stored.text.replace(PERSONAL_MARK, _("[personal link]")).replace(
        FEED_MARK, _("[calendar link]")
    )
    result.attachments = [name for name, _mime, _data in stored.attachments]
    return result


def stored_copy(log: MessageLog) -> tuple[str, list[str]]:
    """A logged message's plain text, with placeholders for the links, and its attachments'
    names."""
    if not log.raw:
        return "", []
    message = message_from_bytes(log.raw, policy=default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    # The stored copy holds markers, never working links (notifications._redact).
    text = text.replace(PERSONAL_MARK, _("[personal link]")).replace(
        FEED_MARK, _("[calendar link]")
    )
    names = [part.get_filename() or "" for part in message.iter_attachments()]
    return text, names


def retry_preview(network_id: int) -> Preview:
    """Sending every failed message of the network again: the first of them as it is stored
    (it goes out as it was composed, with the member's current links), and how many there are."""
    failed = failed_messages(network_id)
    result = Preview("retry", len(failed))
    if failed:
        first = failed[0]
        result.first_name = first.member.shown_name if first.member else ""
        result.first_address = first.recipient
        result.subject = first.subject
        result.text, result.attachments = stored_copy(first)
    return result
