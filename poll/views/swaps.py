"""Role swaps: the holder's "I cannot after all" and the asked candidate's answer (personal
link), the coordinator's requests, candidates and choice (login)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import login_required
from ..db import db
from ..models import Member, Poll, SwapRequest, SwapStatus
from ..plan_view import MeetingView
from ..planning import published_plan
from ..swaps import (
    SwapRefused,
    answer,
    ask_next,
    asked_key,
    asked_of,
    candidate_views,
    offered_roles,
    pending,
    pending_of,
    pick,
    request_swap,
    upcoming_view,
)
from .scope import coordinator_poll, link_member, network_poll

bp = Blueprint("swaps", __name__)


def _swap(poll: Poll, swap_id: int) -> SwapRequest:
    swap = db.session.get(SwapRequest, swap_id)
    if swap is None or swap.poll_id != poll.id:
        abort(404, _("That swap does not exist."))
    return swap


@bp.app_template_global()
def swap_panel(poll: Poll, view: MeetingView, member: Member | None = None) -> dict:
    """What the meeting page's swap part shows: to a member, the roles they can give up and
    their requests; to the coordinator, the meeting's open requests."""
    plan = published_plan(poll)
    upcoming = plan is not None and upcoming_view(poll, plan, view.meeting.key) is not None
    if member is None:
        return {"requests": [s for s in pending(poll) if s.meeting_id == view.meeting.id]}
    mine = pending_of(member, view.meeting)
    asked = [s for s in asked_of(member, poll) if s.meeting_id == view.meeting.id]
    return {
        "roles": offered_roles(view, member) if upcoming else [],
        "requests": mine,
        "asked": asked,
    }


@bp.app_template_global()
def pending_swaps(poll: Poll) -> list[SwapRequest]:
    return pending(poll)


@bp.post("/m/<token>/moede/<int:year>/<key>/kan-ikke")
def member_request(token: str, year: int, key: str):
    member = link_member(token)
    poll = network_poll(member.network_id, year)
    role_key = request.form.get("role", "")
    if not role_key:
        abort(400, _("Role: choose the role you cannot hold."))
    try:
        swap = request_swap(poll, member, key, role_key)
    except SwapRefused as error:
        db.session.rollback()
        abort(409, str(error))
    if swap.status == SwapStatus.NOBODY:
        flash(_("Thank you. The coordinator is told, and will find a solution with you."))
    else:
        flash(_("Thank you. The coordinator is told and will find someone to take over."))
    return redirect(
        url_for("meeting.member_page", token=token, year=year, key=key, _anchor="rollebytte")
    ), 303


@bp.route("/m/<token>/rollebytte/<int:swap_id>", methods=["GET", "POST"])
def member_answer(token: str, swap_id: int):
    member = link_member(token)
    swap = db.session.get(SwapRequest, swap_id)
    if swap is None or swap.poll.network_id != member.network_id:
        abort(404, _("That swap does not exist."))
    poll = swap.poll
    meeting_url = url_for("meeting.member_page", token=token, year=poll.year, key=swap.meeting.key)
    if request.method == "POST":
        choice = request.form.get("answer", "")
        if choice not in ("yes", "no"):
            abort(400, _("Answer: choose yes or no."))
        try:
            taken = answer(swap, member, choice == "yes")
        except SwapRefused as error:
            db.session.rollback()
            abort(409, str(error))
        if taken is not None:
            flash(_("Thank you. You now hold the role, and your calendar is updated."))
            return redirect(meeting_url), 303
        flash(_("Thank you for answering. Someone else will be asked."))
        return redirect(url_for(".member_answer", token=token, swap_id=swap.id)), 303
    plan = published_plan(poll)
    view = upcoming_view(poll, plan, swap.meeting.key) if plan else None
    return render_template(
        "swaps/answer.html",
        swap=swap,
        view=view,
        member=member,
        is_asked=asked_key(swap) == member.key,
        meeting_url=meeting_url,
    )


@bp.get("/tovholder/plan/<int:year>/rollebytte")
@login_required
def coordinator_list(year: int):
    poll = coordinator_poll(year)
    return render_template(
        "swaps/list.html", poll=poll, requests=pending(poll), layout="coordinator/_layout.html"
    )


@bp.get("/tovholder/plan/<int:year>/rollebytte/<int:swap_id>")
@login_required
def coordinator_swap(year: int, swap_id: int):
    poll = coordinator_poll(year)
    swap = _swap(poll, swap_id)
    return render_template(
        "swaps/swap.html",
        poll=poll,
        swap=swap,
        candidates=candidate_views(swap),
        asked=asked_key(swap),
        layout="coordinator/_layout.html",
    )


@bp.post("/tovholder/plan/<int:year>/rollebytte/<int:swap_id>/vaelg")
@login_required
def coordinator_pick(year: int, swap_id: int):
    poll = coordinator_poll(year)
    swap = _swap(poll, swap_id)
    key = request.form.get("member", "")
    if not key:
        abort(400, _("Replacement: choose the member who takes over the role."))
    try:
        version = pick(swap, key)
    except SwapRefused as error:
        db.session.rollback()
        abort(409, str(error))
    flash(
        _(
            "Version %(version)d is published with %(name)s as %(role)s at %(meeting)s; the two"
            " members are told.",
            version=version.version,
            name=swap.replacement.name if swap.replacement else key,
            role=swap.role.name,
            meeting=swap.meeting.name,
        )
    )
    return redirect(url_for("plan.show", year=year)), 303


@bp.post("/tovholder/plan/<int:year>/rollebytte/<int:swap_id>/spoerg")
@login_required
def coordinator_ask(year: int, swap_id: int):
    poll = coordinator_poll(year)
    swap = _swap(poll, swap_id)
    try:
        asked = ask_next(swap)
    except SwapRefused as error:
        db.session.rollback()
        abort(409, str(error))
    if asked is None:
        flash(_("Every candidate has been asked."), "error")
    else:
        flash(_("%(name)s is asked by mail.", name=asked.name))
    return redirect(url_for(".coordinator_swap", year=year, swap_id=swap.id)), 303
