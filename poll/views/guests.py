"""A guest's own page: the one meeting they are invited to, where they sign up. Their link opens
nothing else (no member page, no other meeting, no plan, no calendar feed).

GET  /gaest/<token>               the meeting's page for the guest
POST /gaest/<token>/tilmelding    the guest's answer
GET  /gaest/<token>/referat/fil   the meeting's minutes file, once published
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import signup as service
from ..answers import local_today
from ..guest_links import guest_by_token
from ..meeting_notice import SIGNUP_ANCHOR
from ..models import Guest
from .meeting_access import OnPage
from .minutes import file_response
from .scope import refuse_archived
from .signup import published_view, refused_page

bp = Blueprint("guests", __name__)


def _guest(token: str) -> Guest:
    guest = guest_by_token(token)
    if guest is None:
        abort(404, _("This guest link is not valid. Ask the coordinator who invited you."))
    refuse_archived(guest.meeting.poll.network)
    return guest


@bp.get("/gaest/<token>")
def guest_page(token: str):
    guest = _guest(token)
    poll = guest.meeting.poll
    view = published_view(poll, guest.meeting.key)
    return render_template(
        "plan/meeting.html", poll=poll, view=view, can_edit=False, guest=guest, layout="base.html"
    )


@bp.post("/gaest/<token>/tilmelding")
def guest_signup(token: str):
    guest = _guest(token)
    view = published_view(guest.meeting.poll, guest.meeting.key)
    back = url_for("guests.guest_page", token=token, _anchor=SIGNUP_ANCHOR)
    try:
        saved = service.record(
            view,
            local_today(view.meeting.poll.network),
            request.form.get("coming", ""),
            request.form.get("dietary", ""),
            guest=guest,
        )
    except service.SignupRefused as refusal:
        return refused_page(refusal.message, refusal.status, back)
    if saved.coming:
        flash(_("Thank you: you are signed up."))
    else:
        flash(_("Thank you: you are not coming."))
    return redirect(back, 303)


@bp.get("/gaest/<token>/referat/fil")
def guest_minutes_file(token: str):
    guest = _guest(token)
    poll = guest.meeting.poll
    return file_response(OnPage(poll, published_view(poll, guest.meeting.key), None, None), False)
