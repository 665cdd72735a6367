"""The coordinator's plan page: solve, explain, pin, replace, re-plan, publish, versions."""

import json
from collections.abc import Sequence
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit
from ..auth import login_required
from ..db import db
from ..filenames import network_stem
from ..job_rows import real_app, runs_inline
from ..jobs import latest_job, reap_stale, start_in_thread, start_job
from ..mail_jobs import check, queue
from ..models import Meeting, Pin, Plan, PlanStatus, Poll
from ..notifications import NotSent, reply_address
from ..plan_edits import (
    EditError,
    pin_date_venue,
    pin_role,
    replacement_choices,
    replacement_pin,
    unpin,
)
from ..plan_view import FairnessRow, MeetingView, fairness_rows, meeting_views
from ..planning import (
    PlanningError,
    active_member_keys,
    build_instance,
    check_plannable,
    history_before,
    plan_versions,
)
from ..publishing import publish
from .scope import coordinator_poll

bp = Blueprint("plan", __name__, url_prefix="/tovholder/plan")


@bp.before_request
@login_required
def require_login():
    return None


def _meeting(poll: Poll, key: str) -> Meeting:
    meeting = next((m for m in poll.meetings if m.key == key), None)
    if meeting is None:
        abort(404, _("The poll has no meeting '%(key)s'.", key=key))
    return meeting


def _version(poll: Poll, versions: list[Plan]) -> Plan | None:
    wanted = request.args.get("version", type=int)
    if wanted is None:
        return versions[-1] if versions else None
    plan = next((p for p in versions if p.version == wanted), None)
    if plan is None:
        abort(404, _("Version %(version)d does not exist.", version=wanted))
    return plan


@bp.get("/<int:year>")
def show(year: int):
    poll = coordinator_poll(year)
    running = reap_stale(poll) is not None
    versions = plan_versions(poll)
    plan = _version(poll, versions)
    previous = next((p for p in reversed(versions) if plan and p.version < plan.version), None)
    job = latest_job(poll)
    views: list[MeetingView] = []
    fairness: list[FairnessRow] = []
    spread: dict[str, int] = {}
    if plan:
        views = meeting_views(poll, plan, previous)
        fairness, spread = fairness_rows(poll, plan, history_before(poll, active_member_keys(poll)))
    pins = db.session.scalars(
        select(Pin).where(Pin.meeting_id.in_([m.id for m in poll.meetings])).order_by(Pin.id)
    ).all()
    return render_template(
        "plan/show.html",
        poll=poll,
        plan=plan,
        previous=previous,
        versions=versions,
        published=next((p for p in versions if p.status == PlanStatus.PUBLISHED), None),
        views=views,
        fairness=fairness,
        spread=spread,
        job=job,
        running=running,
        pins=pins,
        pinned=_pinned(pins),
        choices=replacement_choices(poll, plan) if plan else {},
    )


def _pinned(pins: Sequence[Pin]) -> set[tuple[str, ...]]:
    """What the page marks as pinned: (meeting, "date"), (meeting, "venue") and
    (meeting, role, member) keys."""
    marks: set[tuple[str, ...]] = set()
    for pin in pins:
        key = pin.meeting.key
        if pin.role is not None and pin.member is not None:
            marks.add((key, pin.role.key, pin.member.key))
        if pin.day is not None:
            marks.add((key, "date"))
        if pin.venue is not None:
            marks.add((key, "venue"))
    return marks


@bp.get("/<int:year>/job.json")
def job_status(year: int):
    poll = coordinator_poll(year)
    reap_stale(poll)
    job = latest_job(poll)
    if job is None:
        return jsonify(status=None)
    return jsonify(
        status=job.status.value,
        done=job.stages_done,
        total=job.stages_total,
        stage=job.stage,
        message=job.message,
    )


@bp.post("/<int:year>/solve")
def solve(year: int):
    poll = coordinator_poll(year)
    try:
        check_plannable(poll)  # refuse at once, with the reason; the job builds the instance
    except PlanningError as error:
        flash(str(error), "error")
        return redirect(url_for(".show", year=year)), 303
    here = runs_inline(current_app)
    language = str(get_locale())
    job_id, started = start_job(
        poll, current_app.config.get("SOLVE_TIME_LIMIT"), language=language, here=here
    )
    if started and here and job_id is not None:
        start_in_thread(real_app(), job_id, language)
    else:
        flash(_("A planning of this year is already running."))
    return redirect(url_for(".show", year=year)), 303


@bp.get("/<int:year>/instance.json")
def instance(year: int):
    poll = coordinator_poll(year)
    try:
        data = build_instance(poll)
    except PlanningError as error:
        abort(409, str(error))
    body = json.dumps(data, ensure_ascii=False, indent=1)
    filename = f"{network_stem(poll.network)}-{year}-data.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/<int:year>/pins")
def add_pin(year: int):
    poll = coordinator_poll(year)
    meeting = _meeting(poll, request.form.get("meeting", ""))
    try:
        if request.form.get("kind") == "role":
            pin_role(poll, meeting, request.form.get("role", ""), request.form.get("member", ""))
        else:
            day = _parse_day(request.form.get("date", ""))
            pin_date_venue(poll, meeting, day, request.form.get("venue", ""))
    except EditError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".show", year=year)), 303
    db.session.commit()
    flash(_("Pinned. Plan again to apply it to the rest of the plan."))
    return redirect(url_for(".show", year=year)), 303


@bp.post("/<int:year>/pins/<int:pin_id>/delete")
def remove_pin(year: int, pin_id: int):
    poll = coordinator_poll(year)
    pin = db.session.get(Pin, pin_id)
    if pin is None or pin.meeting.poll_id != poll.id:
        abort(404, _("That pin does not exist."))
    unpin(pin)
    db.session.commit()
    flash(_("The pin is removed."))
    return redirect(url_for(".show", year=year)), 303


@bp.post("/<int:year>/replace")
def replace(year: int):
    poll = coordinator_poll(year)
    meeting = _meeting(poll, request.form.get("meeting", ""))
    plan = _latest_or_404(poll)
    if not request.form.get("new", ""):
        abort(400, _("New holder: choose the member who takes over the role."))
    try:
        replacement_pin(
            poll,
            plan,
            meeting,
            request.form.get("role", ""),
            request.form.get("old", ""),
            request.form.get("new", ""),
        )
    except EditError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".show", year=year)), 303
    db.session.commit()
    return solve(year)


@bp.post("/<int:year>/publish")
def publish_version(year: int):
    """Publish a version; with the boxes ticked (the form ticks both) also close the poll and
    queue the plan mail, whose page is shown then."""
    poll = coordinator_poll(year)
    version = request.form.get("version", type=int)
    plan = next((p for p in plan_versions(poll) if p.version == version), None)
    if plan is None:
        abort(400, _("Version: choose a plan version to publish."))
    close_poll = request.form.get("close_poll") == "1"
    mail_plan = request.form.get("mail_plan") == "1"
    if not publish(plan, close_poll=close_poll):
        db.session.rollback()
        flash(_("Version %(version)d is already published.", version=plan.version))
        return redirect(url_for(".show", year=year)), 303
    audit.record(audit.Action.PUBLISH, poll.network_id, f"{year}: {plan.version}")
    db.session.commit()
    if close_poll:
        flash(
            _(
                "Version %(version)d is published, and the poll is closed.",
                version=plan.version,
            )
        )
    else:
        flash(_("Version %(version)d is published.", version=plan.version))
    if not mail_plan:
        return redirect(url_for(".show", year=year)), 303
    try:
        check("plan-auto", poll)
    except NotSent as reason:
        flash(str(reason), "error")
        return redirect(url_for(".show", year=year)), 303
    job_id, started = queue(
        poll.network_id,
        "plan-auto",
        poll_id=poll.id,
        language=str(get_locale()),
        reply_to=reply_address(g.account.name, g.account.email),  # the coordinator publishing
    )
    if not started:
        flash(
            _(
                "The plan was not mailed: other messages are being sent. Send it from the"
                " messages page when they are sent."
            ),
            "error",
        )
    if job_id is None:
        return redirect(url_for(".show", year=year)), 303
    return redirect(url_for("messages.batch", job_id=job_id)), 303


def _latest_or_404(poll: Poll) -> Plan:
    versions = plan_versions(poll)
    if not versions:
        abort(409, _("Plan the year first."))
    return versions[-1]


def _parse_day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, _("Date: '%(value)s' is not a date.", value=text[:20]))
