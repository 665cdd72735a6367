"""Members' proposals for a meeting's agenda, and the planning group's answer to each.

From the plan's publication (the member's meeting page exists only then) until the agenda is
sent with the meeting notice (poll.meeting_notice), every active member can propose an item
through their personal link; the meeting day closes them too, for a meeting whose notice never
went (published too late, or mail off).
The planning group (the holders of the role that includes the coordinator at that meeting,
and the coordinator on the coordinator's page) takes a proposal into the agenda, as its last
item before the standing closing item, or declines it with a short reason; the proposer sees
which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from .db import db
from .meeting_notice import notice_sent
from .models import AgendaProposal, Meeting, Member, ProposalStatus, utcnow
from .plan_view import STANDING_AGENDA, MeetingView
from .text_checks import has_control, one_line

TITLE_MAX = 120
DETAILS_MAX = 1000
REASON_MAX = 200
AGENDA_MAX_LENGTH = 4000  # as the agenda form (views/meeting.py)


@dataclass
class Invalid(Exception):
    """A field of the form that cannot be used: its name and the message."""

    field: str
    message: str


def proposals_open(view: MeetingView, today: date) -> bool:
    return today < view.day and not notice_sent(view)


def in_planning_group(view: MeetingView, member: Member) -> bool:
    return any(member in rv.holders for rv in view.roles if rv.role.includes_coordinator)


def proposals_for(meeting: Meeting) -> list[AgendaProposal]:
    return list(
        db.session.scalars(
            select(AgendaProposal)
            .where(AgendaProposal.meeting_id == meeting.id)
            .order_by(AgendaProposal.created_at, AgendaProposal.id)
        )
    )


def proposal_of(meeting: Meeting, proposal_id: int) -> AgendaProposal | None:
    proposal = db.session.get(AgendaProposal, proposal_id)
    return proposal if proposal is not None and proposal.meeting_id == meeting.id else None


def propose(meeting: Meeting, member: Member, title: str, details: str) -> AgendaProposal:
    """A new pending proposal (the caller commits); raises Invalid for a field."""
    title = one_line(title) if not has_control(title) else title
    if not title:
        raise Invalid("title", _("Title: write what the item is about."))
    if has_control(title):
        raise Invalid("title", _("Title: remove the invisible control characters."))
    if len(title) > TITLE_MAX:
        raise Invalid("title", _("Title: at most %(max)d characters.", max=TITLE_MAX))
    details = details.replace("\r\n", "\n").strip()
    if len(details) > DETAILS_MAX:
        raise Invalid("details", _("Details: at most %(max)d characters.", max=DETAILS_MAX))
    if has_control(details, multiline=True):
        raise Invalid("details", _("Details: remove the invisible control characters."))
    proposal = AgendaProposal(
        meeting_id=meeting.id, member_id=member.id, title=title, details=details
    )
    db.session.add(proposal)
    return proposal


def take(proposal: AgendaProposal, view: MeetingView) -> None:
    """Append the proposal's title to the agenda, before the standing closing item when the
    agenda ends with it (the caller commits); raises Invalid when the agenda would be too long
    or the proposal was already answered."""
    _require_pending(proposal)
    items = view.agenda_items
    at = len(items) - 1 if items and items[-1] == STANDING_AGENDA[-1] else len(items)
    items.insert(at, proposal.title)
    agenda = "\n".join(items)
    if len(agenda) > AGENDA_MAX_LENGTH:
        raise Invalid(
            "proposal",
            _("Agenda: at most %(max)d characters.", max=AGENDA_MAX_LENGTH),
        )
    view.meeting.agenda = agenda
    proposal.status, proposal.decided_at = ProposalStatus.TAKEN, utcnow()


def decline(proposal: AgendaProposal, reason: str) -> None:
    """Decline with a short reason (the caller commits); raises Invalid for the reason."""
    _require_pending(proposal)
    reason = one_line(reason) if not has_control(reason) else reason
    if not reason:
        raise Invalid("reason", _("Reason: say in a word why the item is not taken."))
    if has_control(reason):
        raise Invalid("reason", _("Reason: remove the invisible control characters."))
    if len(reason) > REASON_MAX:
        raise Invalid("reason", _("Reason: at most %(max)d characters.", max=REASON_MAX))
    proposal.status, proposal.reason, proposal.decided_at = (
        ProposalStatus.DECLINED,
        reason,
        utcnow(),
    )


def _require_pending(proposal: AgendaProposal) -> None:
    if proposal.status != ProposalStatus.PENDING:
        raise Invalid("proposal", _("This proposal has already been answered."))
