"""Every calendar link a page shows works, fetched right after the step that makes it: the
plan is planned and published through the coordinator's pages, then each link on the member's
page and the coordinator's calendar page is fetched without any cookie and read by an
independent parser (vobject). The links stay the same from one page view to the next (#9)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
import vobject

from poll.db import db
from poll.models import Poll
from tests.factories import log_in, make_network
from tests.planning.test_plan_page import MEMBERS, answer_all, solve

HREF = re.compile(r'(?:href|value)="((?:webcal|https?)://[^"]+|/kalender/[^"]+)"')


@pytest.fixture
def published(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id))
    coordinator = app.test_client()
    log_in(coordinator, fx)
    assert solve(coordinator)["status"] == "done"
    response = coordinator.post("/tovholder/plan/2027/publish", data={"version": "1"})
    assert response.status_code == 303
    return coordinator, fx


def calendar_links(html: str) -> list[str]:
    """The page's calendar links as paths, webcal:// read as the https:// it stands for."""
    paths = []
    for link in HREF.findall(html):
        parts = urlsplit(unescape(link))
        if parts.path.startswith("/kalender/") or parts.scheme == "webcal":
            paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return sorted(set(paths))


def fetch_calendar(app, path: str) -> list:
    response = app.test_client().get(path)  # a calendar program: no cookie, no login
    assert response.status_code == 200, path
    assert response.mimetype == "text/calendar"
    calendar = vobject.readOne(response.get_data(as_text=True))
    return list(calendar.vevent_list) if hasattr(calendar, "vevent_list") else []


def test_every_calendar_link_on_the_member_page_works_after_publishing(app, published):
    _coordinator, fx = published
    member = app.test_client()
    first = member.get(f"/m/{fx.tokens['henrik']}")
    assert first.status_code == 200
    links = calendar_links(first.get_data(as_text=True))
    # the feed (subscribe, copy, download) and one .ics per meeting
    assert len(links) >= 4, links
    for path in links:
        events = fetch_calendar(app, path)
        assert events, path
        assert all(e.dtstart.value.year == 2027 for e in events)
    again = member.get(f"/m/{fx.tokens['henrik']}").get_data(as_text=True)
    assert calendar_links(again) == links


def test_the_network_calendar_link_on_the_coordinators_page_works(app, published):
    coordinator, _fx = published
    page = coordinator.get("/tovholder/kalender")
    assert page.status_code == 200
    links = calendar_links(page.get_data(as_text=True))
    assert links, "no calendar link on the page"
    for path in links:
        assert len(fetch_calendar(app, path)) == 2  # the two meetings of the published plan
    again = coordinator.get("/tovholder/kalender").get_data(as_text=True)
    assert calendar_links(again) == links
