"""Sign-up on a meeting's page: the member's answer (by personal link), the list with counts and
its CSV for the coordinator and the meeting's hosts, and guests added and removed by the
coordinator. The page itself is poll/views/meeting.py's; this part is the include
plan/_meeting_signup.html, fed by the template global `signup_panel`.

POST /m/<token>/moede/<year>/<key>/tilmelding                     the member's answer
GET  /m/<token>/moede/<year>/<key>/tilmeldinger.csv               the list, for a host
GET  /tovholder/plan/<year>/moede/<key>/tilmeldinger.csv          the list, for the coordinator
POST /tovholder/plan/<year>/moede/<key>/gaester                   add a guest
POST /tovholder/plan/<year>/moede/<key>/gaester/<id>/fjern        remove a guest
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import guests as guest_service
from .. import signup as service
from ..answers import local_today
from ..auth import login_required
from ..db import db
from ..guest_links import guest_token
from ..meeting_notice import SIGNUP_ANCHOR, notify_guest_now
from ..members import personal_token
from ..models import Guest, Member, MessageStatus, Poll, Signup
from ..plan_view import MeetingView, meeting_views
from ..planning import published_plan
from ..swaps import offered_roles, relieve
from .feeds import csv_response
from .scope import coordinator_poll, link_member, network_poll

bp = Blueprint("signup", __name__)


def published_view(poll: Poll, key: str) -> MeetingView:
    plan = published_plan(poll)
    if plan is None:
        abort(404, _("The plan for %(year)d is not published yet.", year=poll.year))
    view = next((v for v in meeting_views(poll, plan) if v.meeting.key == key), None)
    if view is None:
        abort(404, _("The plan has no meeting '%(key)s'.", key=key))
    return view


@dataclass
class Panel:
    """What the sign-up part of a meeting's page shows, for whoever looks."""

    view: MeetingView
    today: date
    deadline: date
    open: bool
    mine: Signup | None = None
    action: str | None = None  # where the answer is posted; None: nobody to answer for
    # roles a member who won't come still holds, with no swap asked for
    needs_swap: list[str] = field(default_factory=list)
    listing: service.SignupList | None = None
    csv_url: str | None = None
    guests: list[Guest] = field(default_factory=list)
    add_guest_url: str | None = None
    coordinator: bool = False


@bp.app_template_global("signup_panel")
def signup_panel(
    view: MeetingView, member: Member | None = None, guest: Guest | None = None
) -> Panel | None:
    """The panel for the meeting's page: a member's (by personal link), a guest's, or, with
    neither, the coordinator's (that page needs a login). None before the plan is published."""
    poll = view.meeting.poll
    plan = published_plan(poll)
    if plan is None or not any(e["id"] == view.meeting.key for e in plan.result["meetings"]):
        return None
    network = poll.network
    today = local_today(network)
    panel = Panel(
        view,
        today,
        service.deadline(network, view),
        service.is_open(network, view, today),
    )
    year, key = poll.year, view.meeting.key
    if guest is not None:
        panel.mine = service.signup_of(view, guest=guest)
        token = guest_token(guest)
        if token is not None:
            panel.action = url_for("guests.guest_signup", token=token)
        return panel
    if member is not None:
        panel.mine = service.signup_of(view, member=member)
        token = personal_token(member)
        if token is not None:
            panel.action = url_for("signup.member_signup", token=token, year=year, key=key)
            if service.is_host(view, member):
                panel.listing = service.signup_list(view)
                panel.csv_url = url_for("signup.host_csv", token=token, year=year, key=key)
        if panel.mine is not None and not panel.mine.coming:
            panel.needs_swap = [r.name for r in offered_roles(view, member)]
        return panel
    panel.coordinator = True
    panel.listing = service.signup_list(view)
    panel.csv_url = url_for("signup.coordinator_csv", year=year, key=key)
    panel.guests = guest_service.guests_of(view)
    panel.add_guest_url = url_for("signup.guest_add", year=year, key=key)
    return panel


def refused_page(message: str, status: int, back: str):
    return render_template("plan/signup_refused.html", message=message, back=back), status


@bp.post("/m/<token>/moede/<int:year>/<key>/tilmelding")
def member_signup(token: str, year: int, key: str):
    member = link_member(token)
    poll = network_poll(member.network_id, year)
    view = published_view(poll, key)
    back = url_for("meeting.member_page", token=token, year=year, key=key, _anchor=SIGNUP_ANCHOR)
    try:
        saved = service.record(
            view,
            local_today(member.network),
            request.form.get("coming", ""),
            request.form.get("dietary", ""),
            member=member,
        )
    except service.SignupRefused as refusal:
        return refused_page(refusal.message, refusal.status, back)
    if saved.coming:
        flash(_("Thank you: you are signed up."))
        return redirect(back, 303)
    started = [swap.role.name for swap in relieve(poll, member, key)]
    if started:
        flash(
            ngettext(
                "Thank you: you are not coming. We have asked the coordinator to find a"
                " replacement for your role as %(roles)s.",
                "Thank you: you are not coming. We have asked the coordinator to find a"
                " replacement for your roles as %(roles)s.",
                len(started),
                roles=", ".join(started),
            )
        )
    elif offered_roles(view, member):
        flash(_("Thank you: you are not coming. Your role needs a replacement: see below."))
    else:
        flash(_("Thank you: you are not coming."))
    return redirect(back, 303)


@bp.get("/m/<token>/moede/<int:year>/<key>/tilmeldinger.csv")
def host_csv(token: str, year: int, key: str):
    member = link_member(token)
    poll = network_poll(member.network_id, year)
    view = published_view(poll, key)
    if not service.is_host(view, member):
        abort(403, _("Only the meeting's hosts and the coordinator can see the sign-up list."))
    return csv_response(service.signup_csv(service.signup_list(view)), service.csv_filename(view))


@bp.get("/tovholder/plan/<int:year>/moede/<key>/tilmeldinger.csv")
@login_required
def coordinator_csv(year: int, key: str):
    view = published_view(coordinator_poll(year), key)
    return csv_response(service.signup_csv(service.signup_list(view)), service.csv_filename(view))


def _coordinator_page(year: int, key: str, anchor: str = "gaester") -> str:
    return url_for("meeting.coordinator_page", year=year, key=key, _anchor=anchor)


@bp.post("/tovholder/plan/<int:year>/moede/<key>/gaester")
@login_required
def guest_add(year: int, key: str):
    view = published_view(coordinator_poll(year), key)
    back = _coordinator_page(year, key)
    try:
        details = guest_service.clean(
            request.form.get("name", ""),
            request.form.get("email", ""),
            request.form.get("organisation", ""),
        )
        guest = guest_service.add_guest(view, details)
    except guest_service.GuestRefused as refusal:
        db.session.rollback()
        return refused_page(refusal.message, 422, back)
    db.session.commit()
    log = notify_guest_now(guest)
    if log is None:
        flash(_("%(name)s is added; they get the notice with the members.", name=guest.name))
    elif log.status == MessageStatus.FAILED:
        flash(
            _(
                "%(name)s is added, but the notice could not be sent: %(error)s. It is kept"
                " among the failed messages.",
                name=guest.name,
                error=log.error,
            )
        )
    else:
        flash(_("%(name)s is added and has been sent the notice.", name=guest.name))
    return redirect(back, 303)


@bp.post("/tovholder/plan/<int:year>/moede/<key>/gaester/<int:guest_id>/fjern")
@login_required
def guest_remove(year: int, key: str, guest_id: int):
    view = published_view(coordinator_poll(year), key)
    guest = db.session.get(Guest, guest_id)
    if guest is None or guest.meeting_id != view.meeting.id:
        abort(404, _("This guest does not exist, or belongs to another meeting."))
    name = guest.name
    guest_service.remove_guest(guest)
    db.session.commit()
    flash(_("%(name)s is no longer a guest of the meeting.", name=name))
    return redirect(_coordinator_page(year, key), 303)
