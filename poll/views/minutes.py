"""Minutes on a meeting's page: the meeting's minute-taker (by personal link) or the coordinator
writes them or uploads a file and publishes them; members read them there and download the
file; each member's page lists the agendas and minutes of the meetings held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from werkzeug.exceptions import RequestEntityTooLarge

from .. import csrf
from .. import minutes as service
from ..agenda_proposals import in_planning_group
from ..auth import login_required
from ..db import db
from ..models import Guest, MeetingMinutes, Member, Poll
from ..notifications import NotSent, reply_address
from ..plan_view import MeetingView
from .meeting_access import OnPage, coordinator_on_page, member_on_page, render_page

bp = Blueprint("minutes", __name__)

# The upload's request may be this much larger than the file (the text, the other fields and
# the multipart framing); the file's own size is checked exactly after.
FORM_ALLOWANCE = 256 * 1024


@dataclass
class MinutesPanel:
    """What plan/_meeting_minutes.html shows."""

    minutes: MeetingMinutes | None
    can_write: bool
    html: Markup
    save_url: str
    file_url: str

    @property
    def published(self) -> bool:
        return self.minutes is not None and self.minutes.published_at is not None

    @property
    def shown(self) -> bool:
        """Whether the reader sees the minutes: published, or a draft to its writer."""
        return self.minutes is not None and (self.published or self.can_write)


def _can_write(view: MeetingView, member: Member | None) -> bool:
    return member is None or service.member_writes(view, member)


@bp.app_template_global()
def minutes_panel(
    view: MeetingView, member: Member | None, token: str | None, guest: Guest | None = None
) -> MinutesPanel:
    """For the meeting page: `member` and `guest` None is the coordinator's page; a guest
    (token: theirs) reads the published minutes and writes none."""
    minutes = service.minutes_for(view.meeting)
    html = service.render_text(minutes.text) if minutes and minutes.text else Markup("")
    if guest is not None:
        file_url = url_for("guests.guest_minutes_file", token=token)
        return MinutesPanel(minutes, can_write=False, html=html, save_url="", file_url=file_url)
    on = OnPage(view.meeting.poll, view, member, token)
    return MinutesPanel(
        minutes=minutes,
        can_write=_can_write(view, member),
        html=html,
        save_url=on.url("minutes.member_save", "minutes.coordinator_save"),
        file_url=on.url("minutes.member_file", "minutes.coordinator_file"),
    )


@dataclass
class HeldMeeting:
    view: MeetingView
    minutes: MeetingMinutes | None
    url: str


@bp.app_template_global()
def held_meetings(
    poll: Poll, plan_views: list[MeetingView], token: str, today: date
) -> list[HeldMeeting]:
    """For the member's page: the meetings held, and any whose minutes are out already, with
    their published minutes, latest first."""
    found = service.published_minutes([v.meeting.id for v in plan_views])
    return [
        HeldMeeting(
            v,
            found.get(v.meeting.id),
            url_for("meeting.member_page", token=token, year=poll.year, key=v.meeting.key),
        )
        for v in reversed(plan_views)
        if v.day < today or v.meeting.id in found
    ]


def _refuse(on: OnPage, error: service.Invalid, typed: str | None = None):
    """The page again with the error; what was typed is shown again (not after a request too
    large to read)."""
    db.session.rollback()
    can_edit = on.member is None or in_planning_group(on.view, on.member)
    return render_page(on, can_edit, error.status, minutes_error=error, minutes_typed=typed)


def _save(on: OnPage):
    """Read the form (the text, perhaps a file), store, and publish if asked."""
    request.max_content_length = service.FILE_MAX + FORM_ALLOWANCE
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        text = request.form.get("minutes")
        action = request.form.get("action", "save")
        upload = request.files.get("minutes_file")
        data = upload.read(service.FILE_MAX + 1) if upload and upload.filename else None
    except RequestEntityTooLarge:
        return _refuse(on, service.too_large())
    minutes = service.minutes_for(on.view.meeting)
    try:
        if text is not None:
            minutes = service.save_text(on.view.meeting, text)
        if data is not None and upload is not None:
            minutes = service.attach_file(on.view.meeting, data, upload.filename or "")
        if action == "remove_file" and minutes is not None:
            service.remove_file(minutes)
        db.session.commit()
        if action == "publish":
            if minutes is None:
                raise service.Invalid(
                    "minutes", _("Minutes: write them or upload a file before publishing.")
                )
            already = minutes.published_at is not None
            outcome = service.publish(minutes, on.poll, _reply_to(on))
    except service.Invalid as error:
        return _refuse(on, error, text)
    except NotSent as reason:
        db.session.rollback()
        abort(409, str(reason))
    if action != "publish":
        flash(_("The minutes are saved."))
    elif already:
        flash(_("The minutes are saved. They were already published, so no mail was sent."))
    else:
        flash(
            ngettext(
                "The minutes are published, and %(num)d member was told by mail.",
                "The minutes are published, and %(num)d members were told by mail.",
                outcome.sent,
            )
            + (
                " "
                + ngettext(
                    "%(num)d mail could not be sent; see the messages page.",
                    "%(num)d mails could not be sent; see the messages page.",
                    outcome.failed,
                )
                if outcome.failed
                else ""
            )
        )
    return redirect(on.page + "#minutes-heading", 303)


def _reply_to(on: OnPage) -> str | None:
    if on.member is not None:
        return None  # the network's coordinator
    return reply_address(g.account.name, g.account.email)


def file_response(on: OnPage, may_read_draft: bool):
    minutes = service.minutes_for(on.view.meeting)
    if (
        minutes is None
        or minutes.file_type is None
        or not (minutes.published_at is not None or may_read_draft)
    ):
        abort(404, _("This meeting has no minutes file."))
    name = service.download_name(on.poll, on.view.meeting, minutes.file_type)
    response = Response(minutes.file_data or b"", mimetype=minutes.file_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/m/<token>/moede/<int:year>/<key>/referat")
@csrf.exempt  # checked in _save, after the upload's own size limit is set
def member_save(token: str, year: int, key: str):
    on = member_on_page(token, year, key)
    assert on.member is not None
    if not service.member_writes(on.view, on.member):
        abort(403, _("Only the meeting's minute-taker and the coordinator can write the minutes."))
    return _save(on)


@bp.post("/tovholder/plan/<int:year>/moede/<key>/referat")
@login_required
@csrf.exempt  # checked in _save, after the upload's own size limit is set
def coordinator_save(year: int, key: str):
    return _save(coordinator_on_page(year, key))


@bp.get("/m/<token>/moede/<int:year>/<key>/referat/fil")
def member_file(token: str, year: int, key: str):
    on = member_on_page(token, year, key)
    assert on.member is not None
    return file_response(on, service.member_writes(on.view, on.member))


@bp.get("/tovholder/plan/<int:year>/moede/<key>/referat/fil")
@login_required
def coordinator_file(year: int, key: str):
    return file_response(coordinator_on_page(year, key), True)
