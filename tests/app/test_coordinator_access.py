"""The coordinator's pages: login required everywhere, one network never reaches another's data,
and CSRF tokens are enforced on the coordinator's forms. Both engines."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from poll.db import db
from poll.members import member_by_token
from poll.models import CandidateDay, Member, Poll, Role, Venue
from tests.factories import PASSWORD, log_in, make_network


@pytest.fixture
def two(app):
    """Our network (logged in) and another one with its own coordinator."""
    with app.app_context():
        ours = make_network()
        theirs = make_network(member_keys=("ole", "pia"), slug="andet")
        ids = {
            "venue": db.session.scalar(
                select(Venue.id).where(Venue.network_id == theirs.network_id)
            ),
            "role": db.session.scalar(select(Role.id).where(Role.network_id == theirs.network_id)),
            "day": db.session.scalar(
                select(CandidateDay.id).where(CandidateDay.poll_id == theirs.poll_id)
            ),
        }
    return ours, theirs, ids


def pages(fx, ids) -> list[str]:
    member = next(iter(fx.member_ids.values()))
    return [
        "/tovholder/",
        "/tovholder/netvaerk",
        "/tovholder/moedesteder",
        f"/tovholder/moedesteder/{ids['venue']}",
        "/tovholder/medlemmer",
        "/tovholder/medlemmer/ny",
        f"/tovholder/medlemmer/{member}",
        "/tovholder/medlemmer/import",
        "/tovholder/roller",
        "/tovholder/roller/ny",
        f"/tovholder/roller/{ids['role']}",
        "/tovholder/afstemninger/ny",
        f"/tovholder/afstemninger/{fx.poll_id}",
        f"/tovholder/afstemninger/{fx.poll_id}/rediger",
        f"/tovholder/afstemninger/{fx.poll_id}/dage",
    ]


def actions(fx, ids) -> list[tuple[str, dict]]:
    member = next(iter(fx.member_ids.values()))
    poll = fx.poll_id
    return [
        (f"/tovholder/moedesteder/{ids['venue']}", {"name": "X"}),
        (f"/tovholder/moedesteder/{ids['venue']}/slet", {}),
        (f"/tovholder/medlemmer/{member}", {"name": "X", "email": "x@example.dk"}),
        (f"/tovholder/medlemmer/{member}/aktiv", {"active": "0"}),
        (f"/tovholder/medlemmer/{member}/nyt-link", {}),
        (f"/tovholder/roller/{ids['role']}", {"name": "X", "per_meeting": "1"}),
        (f"/tovholder/roller/{ids['role']}/slet", {}),
        (f"/tovholder/afstemninger/{poll}/rediger", {"action": "save"}),
        (f"/tovholder/afstemninger/{poll}/dage", {"day": f"{fx.year}-04-05"}),
        (f"/tovholder/afstemninger/{poll}/dage/{ids['day']}/fjern", {"confirm": "x"}),
        (f"/tovholder/afstemninger/{poll}/svarfrist", {"deadline": f"{fx.year}-01-01"}),
        (f"/tovholder/afstemninger/{poll}/luk", {}),
        (f"/tovholder/afstemninger/{poll}/genaabn", {}),
    ]


def snapshot(app, fx) -> dict:
    """What another network has, to prove that refused requests changed nothing."""
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        return {
            "venues": sorted(
                (v.key, v.name)
                for v in db.session.scalars(select(Venue).where(Venue.network_id == fx.network_id))
            ),
            "members": sorted(
                (m.key, m.name, m.active)
                for m in db.session.scalars(
                    select(Member).where(Member.network_id == fx.network_id)
                )
            ),
            "roles": sorted(
                (r.key, r.name)
                for r in db.session.scalars(select(Role).where(Role.network_id == fx.network_id))
            ),
            "poll": (poll.is_open, poll.deadline, list(poll.excluded_days)),
            "days": db.session.scalar(
                select(func.count(CandidateDay.id)).where(CandidateDay.poll_id == fx.poll_id)
            ),
            "tokens": {k: member_by_token(t) is not None for k, t in fx.tokens.items()},
        }


def test_every_page_and_action_sends_a_visitor_to_the_login(app, client, two):
    ours, _theirs, ids = two
    before = snapshot(app, ours)
    for url in pages(ours, ids):
        response = client.get(url)
        assert response.status_code in (302, 303), url
        assert "/tovholder/login" in response.headers["Location"], url
    for url, data in actions(ours, ids):
        response = client.post(url, data=data)
        assert response.status_code in (302, 303), url
        assert "/tovholder/login" in response.headers["Location"], url
    assert snapshot(app, ours) == before


def test_another_networks_things_are_not_found_and_stay_unchanged(app, client, two):
    ours, theirs, ids = two
    log_in(client, ours)
    before = snapshot(app, theirs)
    foreign_pages = [
        f"/tovholder/moedesteder/{ids['venue']}",
        f"/tovholder/medlemmer/{theirs.member_ids['ole']}",
        f"/tovholder/roller/{ids['role']}",
        f"/tovholder/afstemninger/{theirs.poll_id}",
        f"/tovholder/afstemninger/{theirs.poll_id}/rediger",
        f"/tovholder/afstemninger/{theirs.poll_id}/dage",
    ]
    for url in foreign_pages:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "findes ikke" in response.get_data(as_text=True), url
    for url, data in actions(theirs, ids):
        response = client.post(url, data=data)
        assert response.status_code == 404, url
    # Our own poll with their day id: still not found.
    own = client.post(
        f"/tovholder/afstemninger/{ours.poll_id}/dage/{ids['day']}/fjern", data={"confirm": "x"}
    )
    assert own.status_code == 404
    assert snapshot(app, theirs) == before


def test_lists_show_only_the_own_network(app, client, two):
    ours, theirs, _ids = two
    log_in(client, ours)
    members = client.get("/tovholder/medlemmer").get_data(as_text=True)
    assert "Henrik" in members
    assert "Ole" not in members and "Pia" not in members
    dashboard = client.get("/tovholder/").get_data(as_text=True)
    assert f"/tovholder/afstemninger/{ours.poll_id}" in dashboard
    assert f'/tovholder/afstemninger/{theirs.poll_id}"' not in dashboard


def test_unknown_ids_give_a_clear_404(app, client, two):
    ours, _theirs, _ids = two
    log_in(client, ours)
    for url in (
        "/tovholder/moedesteder/99999",
        "/tovholder/medlemmer/99999",
        "/tovholder/roller/99999",
        "/tovholder/afstemninger/99999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "findes ikke" in response.get_data(as_text=True)
    missing_day = client.post(f"/tovholder/afstemninger/{ours.poll_id}/dage/99999/fjern")
    assert missing_day.status_code == 404
    assert "ikke en mulig dag" in missing_day.get_data(as_text=True)


def test_coordinator_forms_refuse_posts_without_the_csrf_token(app, strict):
    with app.app_context():
        fx = make_network()
    client = strict.test_client()

    def token(html: str) -> str:
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    login = token(client.get("/tovholder/login").get_data(as_text=True))
    client.post(
        "/tovholder/login", data={"email": fx.email, "password": PASSWORD, "csrf_token": login}
    )
    form_token = token(client.get("/tovholder/moedesteder").get_data(as_text=True))

    data = {"name": "Aarhus"}  # its key: aarhus
    refused = client.post("/tovholder/moedesteder", data=data)
    assert refused.status_code == 400
    assert "sikkerhedstegn" in refused.get_data(as_text=True)
    closing = client.post(f"/tovholder/afstemninger/{fx.poll_id}/luk")
    assert closing.status_code == 400
    with strict.app_context():
        assert db.session.scalar(select(Venue).where(Venue.key == "aarhus")) is None
        assert db.session.get(Poll, fx.poll_id).is_open

    accepted = client.post("/tovholder/moedesteder", data={**data, "csrf_token": form_token})
    assert accepted.status_code in (302, 303)
    with strict.app_context():
        assert db.session.scalar(select(Venue).where(Venue.key == "aarhus")) is not None
    with strict.app_context():  # its own context: the session above has given its connection back
        db.engine.dispose()
