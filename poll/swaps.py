"""Role swaps: a holder's "I cannot after all", the solver's candidates, and the new version.

A request stores the solver's candidates (solver.swap) for the one seat, best first. The
coordinator picks one, or the first is asked by mail through their personal link. Either way the
replacement becomes a new published version that differs from the published one in that one
holder; the two members affected get a change notice with the meeting's .ics, whose SEQUENCE goes
up by one, and the year's role history follows the new version. How a swap enters later
re-plans is written in docs/spec/plan-format.md ("Inputs beyond the poll").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from . import audit
from .db import db, lock_for_write
from .feeds import absolute_url
from .members import mail_language, personal_token
from .models import (
    Answer,
    EventState,
    Meeting,
    Member,
    Plan,
    Poll,
    Response,
    Role,
    SwapRequest,
    SwapStatus,
    utcnow,
)
from .notifications import (
    Delivery,
    compose_change,
    kind_of,
    member_changes,
    member_poll_context,
    render_mail,
    send,
    sender_address,
    today_in,
)
from .plan_calendar import organizer_of, published_events
from .plan_edits import EditError, replacement_pin
from .plan_view import MeetingView, meeting_views
from .planning import PlanningError, build_instance, plan_versions, published_plan
from .publishing import publish

CANDIDATES = 3
PERSONAL_LINK = "personal link"  # the audit log's actor when a member acts by their link
PENDING = (SwapStatus.OPEN, SwapStatus.ASKING, SwapStatus.NOBODY)


class SwapRefused(Exception):
    """The swap cannot be made as asked; the message says why, for the member or coordinator."""


@dataclass(frozen=True)
class CandidateView:
    """One candidate as the coordinator sees them: why they are offered."""

    member: Member
    answer: Answer
    this_year: int  # the role in the published plan, before the swap
    before: int  # the role in earlier years
    load: int  # every role this year, before the swap


def upcoming_view(poll: Poll, plan: Plan, meeting_key: str) -> MeetingView | None:
    """The published meeting, when it has not been held yet."""
    view = next((v for v in meeting_views(poll, plan) if v.meeting.key == meeting_key), None)
    if view is None or view.day < today_in(poll.network):
        return None
    return view


def pending(poll: Poll) -> list[SwapRequest]:
    """Requests the coordinator still has to settle, oldest first."""
    return list(
        db.session.scalars(
            select(SwapRequest)
            .where(SwapRequest.poll_id == poll.id, SwapRequest.status.in_(PENDING))
            .order_by(SwapRequest.id)
        )
    )


def pending_of(member: Member, meeting: Meeting) -> list[SwapRequest]:
    return list(
        db.session.scalars(
            select(SwapRequest).where(
                SwapRequest.member_id == member.id,
                SwapRequest.meeting_id == meeting.id,
                SwapRequest.status.in_(PENDING),
            )
        )
    )


def offered_roles(view: MeetingView, member: Member) -> list[Role]:
    """The roles the member may still give up at this meeting: those held and not asked for
    already. The coordinator holds an `always` role at every meeting: no one can take it over."""
    waiting = {s.role_id for s in pending_of(member, view.meeting)}
    return [
        r
        for r in view.roles_of(member)
        if r.id not in waiting and not (r.includes_coordinator and member.is_coordinator)
    ]


def relieve(poll: Poll, member: Member, meeting_key: str) -> list[SwapRequest]:
    """The member has signed off an upcoming meeting: a request for each role they may still
    give up there. A role the solver cannot be asked about is left to the swap part of the
    page, as before."""
    plan = published_plan(poll)
    view = upcoming_view(poll, plan, meeting_key) if plan is not None else None
    if view is None:
        return []
    started = []
    for role in offered_roles(view, member):
        try:
            started.append(request_swap(poll, member, meeting_key, role.key))
        except SwapRefused:
            db.session.rollback()
    return started


def asked_of(member: Member, poll: Poll) -> list[SwapRequest]:
    """Requests in which this member is the candidate asked right now."""
    return [
        s
        for s in db.session.scalars(
            select(SwapRequest).where(
                SwapRequest.poll_id == poll.id, SwapRequest.status == SwapStatus.ASKING
            )
        )
        if asked_key(s) == member.key
    ]


def asked_key(swap: SwapRequest) -> str | None:
    if swap.status != SwapStatus.ASKING or swap.asked is None:
        return None
    if swap.asked >= len(swap.candidates):
        return None
    return swap.candidates[swap.asked]["id"]


def _role(poll: Poll, key: str) -> Role:
    role = next((r for r in poll.network.roles if r.key == key), None)
    if role is None:
        raise SwapRefused(_("Role: '%(key)s' is not a role of the network.", key=key))
    return role


def _published(poll: Poll) -> Plan:
    plan = published_plan(poll)
    if plan is None:
        raise SwapRefused(_("The plan for %(year)d is not published yet.", year=poll.year))
    return plan


def _solve(poll: Poll, plan: Plan, meeting: str, role: str, leaving: str, limit: int) -> dict:
    # Here, not at the top: the web app imports the solver (OR-Tools) only when it solves
    # (tests/worker/test_lazy_solver.py).
    from solver.swap import SwapError as SolverSwapError
    from solver.swap import swap_candidates

    try:
        instance = build_instance(poll, with_previous=False)
        return swap_candidates(instance, plan.result, meeting, role, leaving, limit=limit)
    except PlanningError as error:
        raise SwapRefused(str(error)) from None
    except SolverSwapError as error:
        if error.field == "member":
            raise SwapRefused(
                _("Role: the published plan does not give that role to that member there.")
            ) from None
        raise SwapRefused(
            _("The published plan no longer fits the meetings of the year; plan it again.")
        ) from None


def find_candidates(poll: Poll, meeting_key: str, role_key: str, member_key: str) -> dict:
    """The solver's answer for a seat of the published plan (the CLI prints it)."""
    plan = _published(poll)
    return _solve(poll, plan, meeting_key, role_key, member_key, CANDIDATES)


def request_swap(poll: Poll, member: Member, meeting_key: str, role_key: str) -> SwapRequest:
    """The member cannot hold `role_key` at the meeting after all: store the request with the
    solver's candidates, log it and tell the coordinator. The caller commits nothing: this
    commits, then mails."""
    plan = _published(poll)
    view = upcoming_view(poll, plan, meeting_key)
    if view is None:
        raise SwapRefused(_("Meeting: only a meeting that has not been held can be swapped."))
    role = _role(poll, role_key)
    if role not in view.roles_of(member):
        raise SwapRefused(_("Role: you do not hold that role at this meeting."))
    if any(s.role_id == role.id for s in pending_of(member, view.meeting)):
        raise SwapRefused(_("You have already said that you cannot; the coordinator has it."))
    found = _solve(poll, plan, meeting_key, role.key, member.key, CANDIDATES)
    swap = SwapRequest(
        poll_id=poll.id,
        meeting_id=view.meeting.id,
        role_id=role.id,
        member_id=member.id,
        plan_id=plan.id,
        status=SwapStatus.OPEN if found["candidates"] else SwapStatus.NOBODY,
        candidates=found["candidates"],
        explanations=found["explanations"],
        declined=[],
    )
    db.session.add(swap)
    audit.record(
        audit.Action.SWAP_REQUEST,
        poll.network_id,
        f"{poll.year}: {view.meeting.name}, {role.name}",
        actor=PERSONAL_LINK,
        member=member,
    )
    db.session.commit()
    _tell_coordinator(swap, "request")
    return swap


def candidate_views(swap: SwapRequest) -> list[CandidateView]:
    """The stored candidates, with why: their answer and their role counts."""
    members = {m.key: m for m in swap.poll.network.members}
    plan = db.session.get(Plan, swap.plan_id)
    entry = _entry(plan, swap.meeting.key) if plan else None
    response = {
        r.member_id: r
        for r in db.session.scalars(select(Response).where(Response.poll_id == swap.poll_id))
    }
    out = []
    for c in swap.candidates:
        member = members.get(c["id"])
        if member is None or plan is None or entry is None:
            continue
        this_year = sum(
            c["id"] in m["roles"].get(swap.role.key, []) for m in plan.result["meetings"]
        )
        load = sum(
            c["id"] in holders for m in plan.result["meetings"] for holders in m["roles"].values()
        )
        given = response.get(member.id)
        answer = given.answer(date.fromisoformat(entry["date"]), entry["venue"]) if given else None
        out.append(
            CandidateView(
                member=member,
                answer=answer or Answer.MAYBE,
                this_year=this_year,
                before=c["role_count"] - this_year - 1,
                load=load,
            )
        )
    return out


def _entry(plan: Plan, meeting_key: str) -> dict | None:
    return next((m for m in plan.result["meetings"] if m["id"] == meeting_key), None)


def _locked(swap: SwapRequest) -> SwapRequest:
    return db.session.scalars(
        lock_for_write(select(SwapRequest).where(SwapRequest.id == swap.id)).execution_options(
            populate_existing=True
        )
    ).one()


def pick(swap: SwapRequest, member_key: str, actor: str | None = None) -> Plan:
    """Publish a new version in which `member_key` holds the seat instead of the leaving member,
    everything else as published; then mail the two members their change. Refused when the
    request is settled, or when `member_key` cannot take the seat in the plan published now."""
    swap = _locked(swap)
    if swap.status == SwapStatus.DONE:
        raise SwapRefused(_("This swap is already settled."))
    poll, meeting, role, leaving = swap.poll, swap.meeting, swap.role, swap.member
    plan = _published(poll)
    everyone = _solve(poll, plan, meeting.key, role.key, leaving.key, len(poll.network.members))
    chosen = next((c for c in everyone["candidates"] if c["id"] == member_key), None)
    if chosen is None:
        raise SwapRefused(_("Replacement: that member cannot take over the role there."))
    new = next(m for m in poll.network.members if m.key == member_key)
    try:
        replacement_pin(poll, plan, meeting, role.key, leaving.key, new.key)
    except EditError as error:
        raise SwapRefused(str(error)) from None
    result = copy.deepcopy(plan.result)
    entry = _entry_of(result, meeting.key)
    entry["roles"][role.key] = sorted({*entry["roles"].get(role.key, []), new.key} - {leaving.key})
    result["score"] = chosen["score"]
    _cannot_come(poll, leaving, date.fromisoformat(entry["date"]), entry["venue"])
    version = Plan(
        poll_id=poll.id,
        version=max(p.version for p in plan_versions(poll)) + 1,
        result=result,
        note=str(_l("Role swap: %(role)s at %(meeting)s", role=role.name, meeting=meeting.name)),
    )
    db.session.add(version)
    db.session.flush()
    publish(version)
    state = db.session.scalar(select(EventState).where(EventState.meeting_id == meeting.id))
    if state is not None:
        state.sequence += 1  # the event's roles changed: calendars must take the new copy
    swap.status, swap.replacement, swap.decided_at = SwapStatus.DONE, new, utcnow()
    audit.record(
        audit.Action.SWAP,
        poll.network_id,
        f"{poll.year}: {meeting.name}, {role.name}: {version.version}",
        actor=actor,
        member=new,
    )
    db.session.commit()
    _notify_change(poll, plan, version, [leaving, new])
    return version


def _entry_of(result: dict, meeting_key: str) -> dict:
    return next(m for m in result["meetings"] if m["id"] == meeting_key)


def _cannot_come(poll: Poll, member: Member, day: date, venue: str) -> None:
    """The leaving member's answer for the meeting's day and venue becomes "no", so that a
    later re-plan does not give them a seat there again."""
    response = db.session.scalar(
        select(Response).where(Response.poll_id == poll.id, Response.member_id == member.id)
    )
    if response is not None:
        response.record({(day, venue): Answer.NO})


def ask_next(swap: SwapRequest) -> Member | None:
    """Ask the next candidate not yet asked by mail; None (and the coordinator told) when
    every candidate has been asked."""
    swap = _locked(swap)
    if swap.status == SwapStatus.DONE:
        raise SwapRefused(_("This swap is already settled."))
    start = 0 if swap.asked is None else swap.asked + 1
    left = list(range(start, len(swap.candidates)))
    if not left:
        swap.status, swap.asked = SwapStatus.NOBODY, None
        db.session.commit()
        _tell_coordinator(swap, "declined")
        return None
    swap.status, swap.asked = SwapStatus.ASKING, left[0]
    db.session.commit()
    member = next(m for m in swap.poll.network.members if m.key == swap.candidates[left[0]]["id"])
    _ask(swap, member)
    return member


def answer(swap: SwapRequest, member: Member, accept: bool) -> Plan | None:
    """The asked candidate's answer: yes publishes the swap, no asks the next one."""
    if asked_key(swap) != member.key:
        raise SwapRefused(_("You are not the one asked to take over this role."))
    if accept:
        return pick(swap, member.key, actor=PERSONAL_LINK)
    swap.declined = [*swap.declined, member.key]
    db.session.commit()
    ask_next(swap)
    return None


# -- mail -------------------------------------------------------------------------------------


def _tell_coordinator(swap: SwapRequest, what: str) -> None:
    """Mail the network's coordinator: a new request, or every asked candidate declined."""
    poll = swap.poll
    coordinator = poll.network.coordinator
    if coordinator is None or not coordinator.email:
        return
    context = {
        **member_poll_context(coordinator, poll),
        "swap": swap,
        "what": what,
        "leaving": swap.member,
        "meeting": swap.meeting,
        "role": swap.role,
        "candidates": candidate_views(swap),
        "explanation": swap.explanations.get(mail_language(coordinator), []),
        "url": absolute_url("swaps.coordinator_swap", year=poll.year, swap_id=swap.id),
    }
    subject = _l(
        "%(network)s: %(member)s cannot be %(role)s at %(meeting)s after all",
        network=poll.network.name,
        member=swap.member.name,
        role=swap.role.name,
        meeting=swap.meeting.name,
    )
    composed = render_mail(
        "swap_coordinator", subject, context, languages=(mail_language(coordinator),)
    )
    with Delivery() as delivery:
        send(poll.network, coordinator, kind_of("swap", poll), composed, delivery)


def _ask(swap: SwapRequest, member: Member) -> None:
    poll = swap.poll
    token = personal_token(member)
    if token is None:
        return
    plan = db.session.get(Plan, swap.plan_id)
    entry = _entry(plan, swap.meeting.key) if plan else None
    view = upcoming_view(poll, plan, swap.meeting.key) if plan and entry else None
    context = {
        **member_poll_context(member, poll),
        "leaving": swap.member,
        "meeting": swap.meeting,
        "role": swap.role,
        "view": view,
        "url": absolute_url("swaps.member_answer", token=token, swap_id=swap.id),
    }
    subject = _l(
        "%(network)s: can you be %(role)s at %(meeting)s?",
        network=poll.network.name,
        role=swap.role.name,
        meeting=swap.meeting.name,
    )
    composed = render_mail("swap_ask", subject, context, languages=(mail_language(member),))
    with Delivery() as delivery:
        send(poll.network, member, kind_of("swap", poll), composed, delivery)


def _notify_change(poll: Poll, before: Plan, after: Plan, members: list[Member]) -> None:
    """The change notice, with the changed meeting's .ics, to the members the swap touched."""
    events = published_events(poll)
    db.session.commit()
    organizer = organizer_of(poll.network, parseaddr(sender_address())[1])
    with Delivery() as delivery:
        for member in members:
            if not member.active or not member.email:
                continue
            changes = member_changes(poll, before, after, member)
            if changes:
                composed = compose_change(member, poll, events, changes, organizer)
                send(poll.network, member, kind_of("change", poll), composed, delivery)
