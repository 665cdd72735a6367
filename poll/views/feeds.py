"""Calendar feeds, .ics downloads and CSV exports.

Public, by feed token (the URL is the credential; calendar programs cannot log in):
GET  /kalender/<token>.ics                       the network's or the member's feed
                                                 (?download=1 serves it as a file)
GET  /kalender/<token>/<year>/<meeting>.ics      one meeting (with the member's roles)

The coordinator's (login required, own network only):
GET  /tovholder/kalender                         feed links, downloads, replace feed links
POST /tovholder/kalender/netvaerk/nyt-link       replace the network's feed token
POST /tovholder/kalender/medlem/<id>/nyt-link    replace a member's feed token
GET  /tovholder/kalender/<year>.ics              the year's published plan (?member=<key>)
GET  /tovholder/kalender/<year>/<meeting>.ics    one meeting of it
GET  /tovholder/eksport/<year>/svar.csv          the answers
GET  /tovholder/eksport/<year>/plan.csv          the published plan (?version=<n>: that one)
"""

from __future__ import annotations

import hashlib
import re

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import audit
from ..auth import current_network, login_required
from ..calendar import webcal_url
from ..db import db
from ..exports import answers_csv, plan_csv
from ..feeds import feed_owner, feed_token, replace_feed_token
from ..filenames import network_stem
from ..models import Member, Network, Plan, Poll
from ..plan_calendar import (
    committed,
    find_event,
    meeting_calendar,
    member_calendar,
    network_calendar,
)
from ..planning import plan_versions, published_plan
from .scope import coordinator_poll, network_poll, refuse_archived

bp = Blueprint("feeds", __name__)

FEED_REFRESH_HOURS = 6
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def calendar_response(body: bytes, filename: str, *, download: bool) -> Response:
    """text/calendar with a strong ETag over the bytes; 304 when the client has them."""
    response = Response(body, mimetype="text/calendar")
    response.set_etag(hashlib.sha256(body).hexdigest()[:40])
    response.headers["Cache-Control"] = "private, max-age=300"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.make_conditional(request)
    return _private(response)


def csv_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _owner_or_404(token: str) -> Network | Member:
    owner = feed_owner(token)
    if owner is None:
        abort(404, _("This calendar link is not valid (it may have been replaced)."))
    refuse_archived(owner if isinstance(owner, Network) else owner.network)
    return owner


def _slug(owner: Network | Member) -> str:
    if isinstance(owner, Network):
        return network_stem(owner)
    return f"{network_stem(owner.network)}-{owner.key}"


# -- public feeds ----------------------------------------------------------------------------


@bp.get("/kalender/<token>.ics")
def feed(token: str):
    owner = _owner_or_404(token)
    if isinstance(owner, Network):
        body = committed(lambda: network_calendar(owner, refresh_hours=FEED_REFRESH_HOURS))
    else:
        body = committed(lambda: member_calendar(owner, refresh_hours=FEED_REFRESH_HOURS))
    download = request.args.get("download") == "1"
    return calendar_response(body, f"moeder-{_slug(owner)}.ics", download=download)


@bp.get("/kalender/<token>/<int(min=1,max=9999):year>/<key>.ics")
def feed_meeting(token: str, year: int, key: str):
    owner = _owner_or_404(token)
    network = owner if isinstance(owner, Network) else owner.network
    member = None if isinstance(owner, Network) else owner
    poll = network_poll(network.id, year)
    return _meeting_download(poll, key, member)


def _meeting_download(poll: Poll, key: str, member: Member | None):
    if published_plan(poll) is None:
        abort(404, _("The plan for %(year)d is not published yet.", year=poll.year))
    event = committed(lambda: find_event(poll, key)) if KEY_PATTERN.match(key) else None
    if event is None:
        abort(404, _("The published plan has no meeting '%(key)s'.", key=key[:40]))
    body = meeting_calendar(poll, event, member)
    return calendar_response(
        body, f"{network_stem(poll.network)}-{poll.year}-{key}.ics", download=True
    )


# -- the coordinator's ----------------------------------------------------------------------


def _member(member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.network_id != current_network().id:
        abort(404, _("This member does not exist, or belongs to another network."))
    if member.erased_at is not None:
        abort(410, _("This member's personal data is erased."))
    return member


@bp.get("/tovholder/kalender")
@login_required
def overview():
    network = current_network()
    token = committed(lambda: feed_token(network))
    feed_url = url_for(".feed", token=token, _external=True)
    polls = [(poll, published_plan(poll)) for poll in reversed(network.polls)]
    return render_template(
        "feeds/coordinator.html",
        network=network,
        feed_url=feed_url,
        webcal=webcal_url(feed_url),
        polls=polls,
    )


@bp.post("/tovholder/kalender/netvaerk/nyt-link")
@login_required
def replace_network_feed():
    replace_feed_token(current_network())
    audit.record(audit.Action.REPLACE_NETWORK_FEED, current_network().id)
    db.session.commit()
    flash(_("The network's calendar has a new link. The old link no longer works."))
    return redirect(url_for(".overview"), 303)


@bp.post("/tovholder/kalender/medlem/<int(max=2147483647):member_id>/nyt-link")
@login_required
def replace_member_feed(member_id: int):
    member = _member(member_id)
    replace_feed_token(member)
    audit.record(audit.Action.REPLACE_MEMBER_FEED, member.network_id, member=member)
    db.session.commit()
    flash(
        _(
            "%(name)s's calendar has a new link. The old link no longer works; the new one is"
            " on %(name)s's personal page.",
            name=member.name,
        )
    )
    return redirect(url_for(".overview"), 303)


@bp.get("/tovholder/kalender/<int(min=1,max=9999):year>.ics")
@login_required
def year_ics(year: int):
    poll = coordinator_poll(year)
    if published_plan(poll) is None:
        abort(409, _("The plan for %(year)d is not published yet.", year=year))
    network = poll.network
    member_key = request.args.get("member", "")
    if member_key:
        member = next(
            (m for m in network.members if m.key == member_key and m.erased_at is None), None
        )
        if member is None:
            abort(404, _("Member: there is no member '%(key)s'.", key=member_key[:40]))
        body = committed(lambda: member_calendar(member, year=year))
        filename = f"{network_stem(network)}-{year}-{member.key}.ics"
    else:
        body = committed(lambda: network_calendar(network, year=year))
        filename = f"{network_stem(network)}-{year}.ics"
    return calendar_response(body, filename, download=True)


@bp.get("/tovholder/kalender/<int(min=1,max=9999):year>/<key>.ics")
@login_required
def meeting_ics(year: int, key: str):
    return _meeting_download(coordinator_poll(year), key, None)


@bp.get("/tovholder/eksport/<int(min=1,max=9999):year>/svar.csv")
@login_required
def answers_export(year: int):
    poll = coordinator_poll(year)
    return csv_response(answers_csv(poll), f"{network_stem(poll.network)}-{year}-svar.csv")


@bp.get("/tovholder/eksport/<int(min=1,max=9999):year>/plan.csv")
@login_required
def plan_export(year: int):
    poll = coordinator_poll(year)
    plan = _chosen_plan(poll)
    return csv_response(
        plan_csv(poll, plan), f"{network_stem(poll.network)}-{year}-plan-v{plan.version}.csv"
    )


def _chosen_plan(poll: Poll) -> Plan:
    raw = request.args.get("version")
    if raw is None:
        plan = published_plan(poll)
        if plan is None:
            abort(409, _("The plan for %(year)d is not published yet.", year=poll.year))
        return plan
    if not raw.isdigit():
        abort(400, _("Version: '%(value)s' is not a version number.", value=raw[:20]))
    plan = next((p for p in plan_versions(poll) if p.version == int(raw)), None)
    if plan is None:
        abort(404, _("Version %(version)d does not exist.", version=int(raw)))
    return plan
