"""A meeting's page and agenda: for the coordinator, and for the planning group by personal link."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import login_required
from ..db import db
from ..models import Member
from ..plan_view import MeetingView
from ..planning import latest_plan, published_plan
from ..text_checks import has_control
from .meeting_access import meeting_view
from .scope import coordinator_poll, link_member, network_poll

bp = Blueprint("meeting", __name__)

AGENDA_MAX_LENGTH = 4000


def _save_agenda(view: MeetingView) -> str | None:
    """The error message, or None when the agenda was saved."""
    text = request.form.get("agenda", "")
    if len(text) > AGENDA_MAX_LENGTH:
        return _("Agenda: at most %(max)d characters.", max=AGENDA_MAX_LENGTH)
    if has_control(text, multiline=True):
        return _("Agenda: remove the invisible control characters.")
    view.meeting.agenda = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    db.session.commit()
    return None


def _in_planning_group(view: MeetingView, member: Member) -> bool:
    return any(member in rv.holders for rv in view.roles if rv.role.includes_coordinator)


@bp.route("/tovholder/plan/<int:year>/moede/<key>", methods=["GET", "POST"])
@login_required
def coordinator_page(year: int, key: str):
    poll = coordinator_poll(year)
    view = meeting_view(poll, published_plan(poll) or latest_plan(poll), key)
    error = None
    if request.method == "POST":
        error = _save_agenda(view)
        if error is None:
            flash(_("The agenda is saved."))
            return redirect(request.path), 303
    return render_template(
        "plan/meeting.html",
        poll=poll,
        view=view,
        can_edit=True,
        error=error,
        layout="coordinator/_layout.html",
        back=url_for("plan.show", year=year),
        back_label=_("Back to the plan for %(year)d", year=year),
    ), 400 if error else 200


@bp.route("/m/<token>/moede/<int:year>/<key>", methods=["GET", "POST"])
def member_page(token: str, year: int, key: str):
    member = link_member(token)
    poll = network_poll(member.network_id, year)
    view = meeting_view(poll, published_plan(poll), key)
    can_edit = _in_planning_group(view, member)
    error = None
    if request.method == "POST":
        if not can_edit:
            abort(403, _("Only the meeting's planning group can change the agenda."))
        error = _save_agenda(view)
        if error is None:
            flash(_("The agenda is saved."))
            return redirect(request.path), 303
    # Back to the member's own page: the link they came by already holds their token.
    response = render_template(
        "plan/meeting.html",
        poll=poll,
        view=view,
        can_edit=can_edit,
        error=error,
        member=member,
        layout="base.html",
        back=url_for("member.answer_year", token=token, year=year),
        back_label=_("Back to your page for %(year)d", year=year),
    )
    return response, 400 if error else 200
