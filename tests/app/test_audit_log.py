"""The audit log: each logged action done through its page (or command) shows on the network's
log page, in Danish, with who did it; other networks see none of it. Both engines."""

import re

from sqlalchemy import select

from poll.db import db
from poll.models import Answer, AuditEvent, Member, Network, Poll, Venue
from tests.factories import log_in, make_network, record_answers
from tests.planning.test_plan_page import MEMBERS, answer_all, solve


def _log_rows(client) -> list[str]:
    page = client.get("/tovholder/log/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td[^>]*>(.*?)</tr>", body, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_the_log_needs_a_login(client):
    response = client.get("/tovholder/log/")
    assert response.status_code == 302
    assert "/tovholder/login" in response.headers["Location"]


def test_an_empty_log_says_so_in_danish(app, client):
    with app.app_context():
        fx = make_network()
    log_in(client, fx)
    page = client.get("/tovholder/log/").get_data(as_text=True)
    assert "<h1>Log</h1>" in page
    assert "Intet er logget endnu." in page
    assert 'href="/tovholder/log/"' in client.get("/tovholder/").get_data(as_text=True)


def test_member_links_activity_and_deletions_are_logged_with_who_and_what(app, client):
    with app.app_context():
        fx = make_network()
        venue = Venue(network_id=fx.network_id, key="aarhus", name="Aarhus Bibliotek")
        db.session.add(venue)
        db.session.commit()
        venue_id = venue.id
    log_in(client, fx)
    henrik = fx.member_ids["henrik"]
    assert client.post(f"/tovholder/medlemmer/{henrik}/nyt-link").status_code == 200
    assert (
        client.post(f"/tovholder/medlemmer/{henrik}/aktiv", data={"active": "0"}).status_code == 303
    )
    assert client.post("/tovholder/kalender/netvaerk/nyt-link").status_code == 303
    assert client.post(f"/tovholder/moedesteder/{venue_id}/slet").status_code == 303

    rows = _log_rows(client)
    assert [row.split(" tovholder@test.dk ")[1] for row in rows] == [
        "Slettede et mødested Aarhus Bibliotek",
        "Erstattede netværkets kalenderlink",
        "Deaktiverede et medlem Henrik",
        "Erstattede et medlems personlige link Henrik",
    ]


def test_a_refused_deletion_is_not_logged(app, client):
    with app.app_context():
        fx = make_network()
        poll = db.session.get(Poll, fx.poll_id)
        venue = poll.network.venues[0]
        venue_id = venue.id
        cell = (poll.days[0].day, venue.key, Answer.YES)
        record_answers(fx.poll_id, fx.member_ids["sara"], [cell])
        db.session.commit()
    log_in(client, fx)
    assert client.post(f"/tovholder/moedesteder/{venue_id}/slet").status_code == 409
    with app.app_context():
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_publishing_is_logged_and_another_network_sees_none_of_it(app, client):
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id))
        other = make_network(slug="fyn")
    log_in(client, fx)
    assert solve(client)["status"] == "done"
    assert client.post("/tovholder/plan/2027/publish", data={"version": "1"}).status_code == 303
    [row] = _log_rows(client)
    assert "tovholder@test.dk Udgav en plan 2027: 1" in row

    stranger = app.test_client()
    log_in(stranger, other)
    assert _log_rows(stranger) == ["Intet er logget endnu."]


def test_create_network_from_the_command_line_is_logged_as_such(app, runner, client):
    done = runner.invoke(
        args=["create-network", "vest", "Netværk Vest", "--coordinator", "anna@vest.dk"]
    )
    assert done.exit_code == 0, done.output
    with app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "vest"))
        [event] = db.session.scalars(select(AuditEvent)).all()
        assert (event.network_id, event.actor, event.action) == (
            network.id,
            "command line",
            "create-network",
        )
        assert event.detail == "vest (Netværk Vest), anna@vest.dk"


def test_a_member_in_the_log_is_shown_by_their_current_name(app, client):
    with app.app_context():
        fx = make_network()
    log_in(client, fx)
    henrik = fx.member_ids["henrik"]
    client.post(f"/tovholder/medlemmer/{henrik}/nyt-link")
    with app.app_context():
        db.session.get(Member, henrik).name = "Henrik Holm"
        db.session.commit()
    [row] = _log_rows(client)
    assert row.endswith("Erstattede et medlems personlige link Henrik Holm")


def test_a_bad_page_number_shows_the_first_page(app, client):
    with app.app_context():
        fx = make_network()
    log_in(client, fx)
    for value in ("0", "-3", "x", "99999999999"):
        assert client.get(f"/tovholder/log/?side={value}").status_code == 200
