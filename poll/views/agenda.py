"""Agenda proposals on a meeting's page: a member proposes by personal link; the planning group
(by personal link) or the coordinator takes a proposal into the agenda or declines it."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, abort, flash, redirect, request
from flask_babel import gettext as _

from .. import agenda_proposals as proposals
from ..answers import local_today
from ..auth import login_required
from ..db import db
from ..meeting_notice import notice_sent
from ..models import AgendaProposal, Member
from ..plan_view import MeetingView
from .meeting_access import OnPage, coordinator_on_page, member_on_page, render_page

bp = Blueprint("agenda", __name__)


@dataclass
class AgendaInput:
    """What plan/_meeting_proposals.html shows: the proposals, and who may do what."""

    open: bool
    sent: bool  # the agenda went out with the meeting notice
    can_propose: bool
    can_decide: bool
    mine: list[AgendaProposal] = field(default_factory=list)
    all: list[AgendaProposal] = field(default_factory=list)
    propose_url: str = ""
    decide_urls: dict[int, str] = field(default_factory=dict)


@bp.app_template_global()
def agenda_input(view: MeetingView, member: Member | None, token: str | None) -> AgendaInput:
    """For the meeting page: `member` None is the coordinator's page."""
    on = OnPage(view.meeting.poll, view, member, token)
    can_decide = member is None or proposals.in_planning_group(view, member)
    is_open = proposals.proposals_open(view, local_today(view.meeting.poll.network))
    found = proposals.proposals_for(view.meeting)
    return AgendaInput(
        open=is_open,
        sent=notice_sent(view),
        can_propose=member is not None and is_open,
        can_decide=can_decide,
        mine=[p for p in found if member is not None and p.member_id == member.id],
        all=found if can_decide else [],
        propose_url=on.url("agenda.propose", "agenda.propose") if member is not None else "",
        decide_urls={
            p.id: on.url("agenda.member_decide", "agenda.coordinator_decide", proposal_id=p.id)
            for p in found
        }
        if can_decide
        else {},
    )


def _again(on: OnPage, can_edit: bool, error: proposals.Invalid, **form):
    db.session.rollback()
    return render_page(on, can_edit, 400, proposal_error=error, proposal_form=form)


@bp.post("/m/<token>/moede/<int:year>/<key>/forslag")
def propose(token: str, year: int, key: str):
    on = member_on_page(token, year, key)
    assert on.member is not None
    can_edit = proposals.in_planning_group(on.view, on.member)
    if not proposals.proposals_open(on.view, local_today(on.poll.network)):
        if notice_sent(on.view):
            abort(409, _("Proposals for this meeting's agenda are closed: the agenda is sent."))
        abort(409, _("Proposals for this meeting's agenda are closed: the meeting has been held."))
    title, details = request.form.get("title", ""), request.form.get("details", "")
    try:
        proposals.propose(on.view.meeting, on.member, title, details)
    except proposals.Invalid as error:
        return _again(on, can_edit, error, title=title, details=details)
    db.session.commit()
    flash(_("Thank you: your proposal is sent to the planning group."))
    return redirect(on.page + "#proposals-heading", 303)


def _decide(on: OnPage, can_edit: bool, proposal_id: int):
    proposal = proposals.proposal_of(on.view.meeting, proposal_id)
    if proposal is None:
        abort(404, _("This meeting has no such proposal."))
    action = request.form.get("action")
    reason = request.form.get("reason", "")
    try:
        if action == "take":
            proposals.take(proposal, on.view)
            message = _("“%(title)s” is added to the agenda.", title=proposal.title)
        elif action == "decline":
            proposals.decline(proposal, reason)
            message = _("The proposal “%(title)s” is declined.", title=proposal.title)
        else:
            abort(400, _("Choose whether to take the proposal into the agenda or decline it."))
    except proposals.Invalid as error:
        return _again(on, can_edit, error, proposal_id=proposal_id, reason=reason)
    db.session.commit()
    flash(message)
    return redirect(on.page + "#proposals-heading", 303)


@bp.post("/m/<token>/moede/<int:year>/<key>/forslag/<int:proposal_id>")
def member_decide(token: str, year: int, key: str, proposal_id: int):
    on = member_on_page(token, year, key)
    assert on.member is not None
    if not proposals.in_planning_group(on.view, on.member):
        abort(403, _("Only the meeting's planning group can take or decline proposals."))
    return _decide(on, True, proposal_id)


@bp.post("/tovholder/plan/<int:year>/moede/<key>/forslag/<int:proposal_id>")
@login_required
def coordinator_decide(year: int, key: str, proposal_id: int):
    return _decide(coordinator_on_page(year, key), True, proposal_id)
