"""Calendar feeds over HTTP: content type, ETag and 304, tokens that can be replaced, the
coordinator's feed page, and the member page's calendar partial."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from flask import render_template
from sqlalchemy import select

from poll.db import db
from poll.feeds import feed_owner, feed_token, member_calendar_links
from poll.models import Member, Network, Poll
from poll.planning import published_plan
from poll.tokens import hash_token
from tests.calendar.test_feeds_helpers import check_ics, events_by_uid, make_year, publish_result
from tests.factories import log_in, make_network


@pytest.fixture
def published(app):
    """A published 2027 plan; the network's and Henrik's feed paths (tokens made lazily)."""
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
        network = db.session.get(Network, fx.network_id)
        henrik = db.session.get(Member, fx.member_ids["henrik"])
        paths = {"network": f"/kalender/{feed_token(network)}.ics"}
        paths["henrik"] = f"/kalender/{feed_token(henrik)}.ics"
        db.session.commit()
    return fx, paths


def test_network_feed_is_text_calendar_with_etag_and_every_meeting(app, published):
    _fx, paths = published
    response = app.test_client().get(paths["network"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert "inline" in response.headers["Content-Disposition"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    check_ics(response.data)
    uids = [f"test-2027-m{n}@modeplan" for n in (1, 2, 3, 4)]
    assert sorted(events_by_uid(response.data)) == uids
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H" in response.data


def test_if_none_match_gives_304_and_head_works(app, published):
    _fx, paths = published
    client = app.test_client()
    first = client.get(paths["network"])
    again = client.get(paths["network"], headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(paths["network"]).data == first.data  # byte-stable between publications
    head = client.head(paths["network"])
    assert head.status_code == 200 and head.headers["ETag"] == first.headers["ETag"]
    other = client.get(paths["network"], headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_etag_changes_when_a_new_plan_is_published(app, published):
    fx, paths = published
    client = app.test_client()
    before = client.get(paths["network"]).headers["ETag"]
    with app.app_context():
        from datetime import date

        publish_result(fx.poll_id, days={"m2": date(2027, 3, 30)})
    response = client.get(paths["network"], headers={"If-None-Match": before})
    assert response.status_code == 200 and response.headers["ETag"] != before


def test_member_feed_has_the_members_roles(app, published):
    _fx, paths = published
    response = app.test_client().get(paths["henrik"] + "?download=1")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    events = events_by_uid(check_ics(response.data))
    assert str(events["test-2027-m1@modeplan"]["SUMMARY"]).endswith(
        "(Planlægningsgruppe, Mødeleder)"
    )
    assert str(events["test-2027-m2@modeplan"]["SUMMARY"]).endswith("(Referent)")
    assert "Dine roller: Referent" in str(events["test-2027-m2@modeplan"]["DESCRIPTION"])


@pytest.mark.parametrize(
    "path",
    [
        "/kalender/not-a-token.ics",
        "/kalender/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics",
        "/kalender/%3Cscript%3E.ics",
        "/kalender/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/2027/m1.ics",
    ],
)
def test_wrong_tokens_are_404(app, published, path):
    assert app.test_client().get(path).status_code == 404


def test_coordinator_replaces_the_network_feed_token(app, published):
    fx, paths = published
    client = app.test_client()
    log_in(client, fx)
    response = client.post("/tovholder/kalender/netvaerk/nyt-link")
    assert response.status_code == 303
    assert client.get(paths["network"]).status_code == 404
    page = client.get("/tovholder/kalender").get_data(as_text=True)
    new_path = urlsplit(re.search(r'value="(http://[^"]+\.ics)"', page).group(1)).path
    assert new_path != paths["network"]
    assert client.get(new_path).status_code == 200


def test_coordinator_replaces_a_members_feed_token(app, published):
    fx, paths = published
    client = app.test_client()
    log_in(client, fx)
    response = client.post(f"/tovholder/kalender/medlem/{fx.member_ids['henrik']}/nyt-link")
    assert response.status_code == 303
    assert client.get(paths["henrik"]).status_code == 404
    assert client.get(paths["network"]).status_code == 200  # the others keep working
    with app.app_context():
        henrik = db.session.get(Member, fx.member_ids["henrik"])
        assert feed_owner(feed_token(henrik)) == henrik
        assert henrik.feed_token_hash == hash_token(feed_token(henrik))


def test_feed_routes_are_scoped_to_the_coordinators_network(app, published):
    fx, _paths = published
    with app.app_context():
        other = make_network(("ole", "per"), slug="andet")
    client = app.test_client()
    log_in(client, fx)
    foreign = other.member_ids["ole"]
    assert client.post(f"/tovholder/kalender/medlem/{foreign}/nyt-link").status_code == 404
    assert client.post("/tovholder/kalender/medlem/999999/nyt-link").status_code == 404
    anonymous = app.test_client()
    response = anonymous.post("/tovholder/kalender/netvaerk/nyt-link")
    assert response.status_code == 302 and "/tovholder/login" in response.headers["Location"]
    assert anonymous.get("/tovholder/kalender/2027.ics").status_code == 302


def test_inactive_members_feed_is_404(app, published):
    fx, paths = published
    with app.app_context():
        db.session.get(Member, fx.member_ids["henrik"]).active = False
        db.session.commit()
    assert app.test_client().get(paths["henrik"]).status_code == 404


def test_feed_of_a_network_without_a_published_plan_is_an_empty_calendar(app):
    with app.app_context():
        fx = make_network(("sara", "henrik"))
        path = f"/kalender/{feed_token(db.session.get(Network, fx.network_id))}.ics"
        db.session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 200
    assert b"BEGIN:VEVENT" not in response.data
    check_ics(response.data)


def test_single_meeting_by_member_feed_token(app, published):
    _fx, paths = published
    base = paths["henrik"].removesuffix(".ics")
    client = app.test_client()
    response = client.get(f"{base}/2027/m2.ics")
    assert response.status_code == 200
    events = events_by_uid(check_ics(response.data))
    assert list(events) == ["test-2027-m2@modeplan"]
    assert client.get(f"{base}/2027/m9.ics").status_code == 404
    assert client.get(f"{base}/2031/m1.ics").status_code == 404
    assert client.get(f"{base}/2027/{'x' * 300}.ics").status_code == 404


def test_member_calendar_partial(app, published):
    fx, _paths = published
    with app.test_request_context("/m/x"):
        henrik = db.session.get(Member, fx.member_ids["henrik"])
        poll = db.session.get(Poll, fx.poll_id)
        links = member_calendar_links(henrik, poll, published_plan(poll))
        html = render_template("feeds/_member_calendar.html", calendar_links=links)
        html += render_template(
            "plan/_member_plan.html",
            calendar_links=links,
            plan_views=links["views"],
            member=henrik,
            token="x" * 32,
            poll=poll,
        )
    assert links["webcal_url"].startswith("webcal://modeplan.test/kalender/")
    assert links["published"] and len(links["meetings"]) == 4
    m1 = links["meetings"][0]
    assert m1["roles"] == ["Planlægningsgruppe", "Mødeleder"]
    assert m1["google_url"].startswith("https://calendar.google.com/calendar/render?")
    assert m1["outlook_url"].startswith("https://outlook.office.com/calendar/deeplink/compose?")
    assert "Planl%C3%A6gningsgruppe" in m1["google_url"]
    for expected in (links["webcal_url"], "Tilføj til Google Kalender", "Tilføj til Outlook"):
        assert expected in html
    # The links in the partial work.
    client = app.test_client()
    assert client.get(urlsplit(links["download_url"]).path).status_code == 200
    assert client.get(urlsplit(m1["ics_url"]).path).status_code == 200


def test_member_calendar_partial_before_publication(app):
    with app.app_context():
        fx = make_network(("sara", "henrik"))
    with app.test_request_context("/m/x"):
        henrik = db.session.get(Member, fx.member_ids["henrik"])
        links = member_calendar_links(henrik, db.session.get(Poll, fx.poll_id), None)
        html = render_template("feeds/_member_calendar.html", calendar_links=links)
    assert not links["published"] and links["meetings"] == []
    assert "ikke udgivet" in html
    with app.app_context():
        # The token made for the page was committed, so the link works.
        stored = db.session.scalar(select(Member).where(Member.key == "henrik"))
        assert stored.feed_token_hash is not None


BIG = "99999999999999999999"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/tovholder/beskeder/{BIG}"),
        ("post", f"/tovholder/beskeder/{BIG}/igen"),
        ("post", f"/tovholder/beskeder/{BIG}/plan"),
        ("post", f"/tovholder/kalender/medlem/{BIG}/nyt-link"),
        ("get", f"/tovholder/eksport/{BIG}/svar.csv"),
        ("get", f"/tovholder/kalender/{BIG}.ics"),
        ("get", f"/kalender/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/{BIG}/m1.ics"),
        ("get", f"/tovholder/eksport/2027/plan.csv?version={BIG}"),
    ],
)
def test_out_of_range_numbers_are_404_not_500(app, published, method, path):
    fx, _paths = published
    client = app.test_client()
    log_in(client, fx)
    assert getattr(client, method)(path).status_code == 404
