"""Calendar feed tokens for a network and for each member, and absolute URLs for mails.

Same scheme as personal links (poll/tokens.py): the token is an HMAC of the secret key over a
random salt; the database keeps the salt and a SHA-256 of the token. Salts are made lazily, the
first time a feed link is shown, so existing networks and members need no migration. Replacing a
token means a new salt: the old feed URL answers 404 from then on.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from sqlalchemy import select

from .calendar import google_calendar_url, outlook_calendar_url, webcal_url
from .db import db
from .models import Member, Network, Plan, Poll
from .plan_calendar import calendar_event, committed, role_names, sync_events
from .tokens import derive_token, hash_token, looks_like_token, new_salt

NETWORK_PURPOSE = "network-feed"
MEMBER_PURPOSE = "member-feed"
DEFAULT_BASE_URL = "http://127.0.0.1:5000"

FeedOwner = Network | Member


def _purpose(owner: FeedOwner) -> str:
    return NETWORK_PURPOSE if isinstance(owner, Network) else MEMBER_PURPOSE


def replace_feed_token(owner: FeedOwner) -> str:
    """A new feed token for the network or member; the old feed URL stops working.

    The caller commits.
    """
    owner.feed_salt = new_salt()
    token = derive_token(_purpose(owner), owner.feed_salt)
    owner.feed_token_hash = hash_token(token)
    return token


def feed_token(owner: FeedOwner) -> str:
    """The current feed token, made on first use; the caller commits."""
    if not owner.feed_salt or not owner.feed_token_hash:
        return replace_feed_token(owner)
    return derive_token(_purpose(owner), owner.feed_salt)


def feed_owner(token: str) -> FeedOwner | None:
    """The network or the active member whose feed this token opens, else None."""
    if not looks_like_token(token):
        return None
    digest = hash_token(token)
    owner: FeedOwner | None = db.session.scalar(
        select(Network).where(Network.feed_token_hash == digest)
    )
    if owner is None:
        owner = db.session.scalar(
            select(Member).where(Member.feed_token_hash == digest, Member.active.is_(True))
        )
    # The index finds the row; a constant-time comparison has the final word.
    if owner is None or not hmac.compare_digest(owner.feed_token_hash or "", digest):
        return None
    return owner


def base_url() -> str:
    """Where the app is reached from outside: config BASE_URL (env MODEPLAN_BASE_URL)."""
    return str(current_app.config.get("BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL under BASE_URL, without needing (or using) a request.

    Mails and the CLI use this, so a link never points at whatever host a request came in on.
    """
    parts = urlsplit(base_url())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"BASE_URL must be an http(s) URL, not {base_url()!r}")
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


def _url(endpoint: str, **values) -> str:
    """Absolute URL: the host the page was reached on inside a request, else BASE_URL."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    return absolute_url(endpoint, **values)


def member_calendar_links(member: Member, poll: Poll, plan: Plan | None) -> dict:
    """Everything templates/feeds/_member_calendar.html shows for `member` and `poll`.

    Makes the member's feed token on first use and commits (the page that shows the links is a
    GET, and a link that was never stored would not work). Keys: feed_url, download_url,
    webcal_url, year, published, meetings (name, day, start, end, venue, address, roles,
    cancelled, ics_url, google_url, outlook_url), views (the plan's current MeetingViews).
    `plan` is the poll's published plan, or None.
    """
    token, events = committed(
        lambda: (feed_token(member), sync_events(poll, plan) if plan is not None else [])
    )
    feed_url = _url("feeds.feed", token=token)
    meetings = []
    for event in events:
        view = event.view
        item = {
            "key": view.meeting.key,
            "name": view.meeting.name,
            "day": view.day,
            "start": view.start,
            "end": view.end,
            "venue": view.venue.name,
            "address": view.venue.address,
            "roles": role_names(view, member),
            "cancelled": event.cancelled,
            "ics_url": _url(
                "feeds.feed_meeting", token=token, year=poll.year, key=view.meeting.key
            ),
            "google_url": None,
            "outlook_url": None,
        }
        if not event.cancelled:
            entry = calendar_event(event, member)
            item["google_url"] = google_calendar_url(entry)
            item["outlook_url"] = outlook_calendar_url(entry)
        meetings.append(item)
    return {
        "feed_url": feed_url,
        "download_url": _url("feeds.feed", token=token, download=1),
        "webcal_url": webcal_url(feed_url),
        "year": poll.year,
        "published": plan is not None,
        "meetings": meetings,
        "views": [event.view for event in events if not event.cancelled],
    }
