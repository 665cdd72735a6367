"""Who is on a meeting's page, for the forms beside the agenda (views/agenda.py and
views/minutes.py): the coordinator (logged in) or a member by personal link; and the page
drawn again with a form's error, as views/meeting.py draws it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, render_template, url_for
from flask_babel import gettext as _

from ..auth import current_network
from ..models import Member, Plan, Poll
from ..plan_view import MeetingView, meeting_views
from ..planning import latest_plan, published_plan
from .scope import link_member, network_poll


@dataclass
class OnPage:
    poll: Poll
    view: MeetingView
    member: Member | None  # None: the coordinator
    token: str | None

    def url(self, member_endpoint: str, coordinator_endpoint: str, **values) -> str:
        """The form's address on this side (member or coordinator)."""
        year, key = self.poll.year, self.view.meeting.key
        if self.member is None:
            return url_for(coordinator_endpoint, year=year, key=key, **values)
        return url_for(member_endpoint, token=self.token, year=year, key=key, **values)

    @property
    def page(self) -> str:
        return self.url("meeting.member_page", "meeting.coordinator_page")


def meeting_view(poll: Poll, plan: Plan | None, key: str) -> MeetingView:
    """The meeting `key` of the year's plan: 404 when the year has no plan or the plan no such
    meeting."""
    if plan is None:
        abort(404, _("The year has no plan yet."))
    view = next((v for v in meeting_views(poll, plan) if v.meeting.key == key), None)
    if view is None:
        abort(404, _("The plan has no meeting '%(key)s'.", key=key))
    return view


def coordinator_on_page(year: int, key: str) -> OnPage:
    """Call under login_required."""
    poll = network_poll(current_network().id, year)
    return OnPage(
        poll, meeting_view(poll, published_plan(poll) or latest_plan(poll), key), None, None
    )


def member_on_page(token: str, year: int, key: str) -> OnPage:
    member = link_member(token)
    poll = network_poll(member.network_id, year)
    return OnPage(poll, meeting_view(poll, published_plan(poll), key), member, token)


def render_page(on: OnPage, can_edit: bool, status: int, **extra):
    """The meeting page with a form's error (`extra`), as views/meeting.py renders it."""
    year = on.poll.year
    if on.member is None:
        context = {
            "layout": "coordinator/_layout.html",
            "back": url_for("plan.show", year=year),
            "back_label": _("Back to the plan for %(year)d", year=year),
        }
    else:
        context = {
            "member": on.member,
            "layout": "base.html",
            "back": url_for("member.answer_year", token=on.token, year=year),
            "back_label": _("Back to your page for %(year)d", year=year),
        }
    page = render_template(
        "plan/meeting.html",
        poll=on.poll,
        view=on.view,
        can_edit=can_edit,
        error=None,
        **context,
        **extra,
    )
    return page, status
