"""Sign-up on the meeting's page (issue 15, points 2 and 5): a member's answer and dietary needs
until the deadline, the list with counts and CSV for the coordinator and the hosts, the role
holder told to find a replacement, guests added, removed and confined to their one meeting,
dietary needs erased, purged and exported. Days are set relative to today, so the deadline is
real on both sides of it."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.answers import local_today
from poll.db import db
from poll.models import Guest, Member, Network, Poll, Signup
from poll.privacy import retention
from poll.privacy.erasure import erase
from tests.calendar.test_feeds_helpers import make_year, publish_result
from tests.factories import PASSWORD, log_in
from tests.html_forms import form_fields

# m1 is open for sign-up (10 days ahead), m2 closed (2 days ahead, deadline 3 days before).
OPEN, CLOSED = 10, 2


@pytest.fixture
def fx(app):
    with app.app_context():
        fx = make_year()
        today = local_today(db.session.get(Network, fx.network_id))
        publish_result(
            fx.poll_id,
            days={"m1": today + timedelta(days=OPEN), "m2": today + timedelta(days=CLOSED)},
        )
    return fx


def page_url(fx, who: str, key: str = "m1") -> str:
    return f"/m/{fx.tokens[who]}/moede/{fx.year}/{key}"


def text(response) -> str:
    return response.get_data(as_text=True)


def sign_up(client, fx, who: str, coming: str, dietary: str = "", key: str = "m1"):
    page = client.get(page_url(fx, who, key))
    assert page.status_code == 200
    fields = dict(form_fields(text(page), "signup-form"))
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="signup-form"', text(page))
    assert action, "the page has a sign-up form"
    fields.update(coming=coming, dietary=dietary)
    return client.post(action.group(1), data=fields)


def signups(app, fx) -> dict[str, tuple[bool, str]]:
    with app.app_context():
        rows = db.session.scalars(select(Signup))
        return {
            (r.member.key if r.member else f"guest:{r.guest.name}"): (r.coming, r.dietary)
            for r in rows
        }


def test_member_signs_up_and_changes_the_answer_until_the_deadline(app, client, fx):
    page = text(client.get(page_url(fx, "maria")))
    assert "Kommer du?" in page
    assert "Jeg kommer" in page and "Jeg kommer ikke" in page
    assert 'href="#rollebytte"' not in page

    saved = sign_up(client, fx, "maria", "yes", "Vegetar, ingen nødder")
    assert saved.status_code == 303
    back = client.get(saved.headers["Location"])
    assert "Tak – du er tilmeldt." in text(back)
    assert "Du har sagt, at du kommer." in text(back)
    assert 'value="Vegetar, ingen nødder"' in text(back)
    assert signups(app, fx) == {"maria": (True, "Vegetar, ingen nødder")}

    changed = sign_up(client, fx, "maria", "no", "Vegetar")
    assert changed.status_code == 303
    # Dietary needs are only kept for someone who comes.
    assert signups(app, fx) == {"maria": (False, "")}


def test_after_the_deadline_the_answer_is_shown_and_not_changeable(app, client, fx):
    page = text(client.get(page_url(fx, "maria", "m2")))
    assert "Tilmeldingen lukkede" in page
    assert 'id="signup-form"' not in page
    url = f"/m/{fx.tokens['maria']}/moede/{fx.year}/m2/tilmelding"
    late = client.post(url, data={"coming": "yes", "dietary": ""})
    assert late.status_code == 409
    assert "Tilmeldingen lukkede" in text(late)
    back = re.search(r'href="([^"]+)">← ', text(late)).group(1)
    assert client.get(back).status_code == 200
    assert signups(app, fx) == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"coming": "maybe", "dietary": ""}, "Kommer du?: vælg"),
        ({"dietary": "x"}, "Kommer du?: vælg"),
        ({"coming": "yes", "dietary": "x" * 201}, "Kost: højst 200 tegn."),
        ({"coming": "yes", "dietary": "vegetar\x1b"}, "Kost: fjern de usynlige kontroltegn."),
    ],
)
def test_bad_sign_up_is_refused_naming_the_field_and_nothing_changes(
    app, client, fx, data, message
):
    assert sign_up(client, fx, "maria", "yes", "Vegan").status_code == 303
    url = f"/m/{fx.tokens['maria']}/moede/{fx.year}/m1/tilmelding"
    bad = client.post(url, data=data)
    assert bad.status_code == 422
    assert message in text(bad)
    assert signups(app, fx) == {"maria": (True, "Vegan")}


def test_bad_links_are_404(client, fx):
    assert client.post(f"/m/{'x' * 32}/moede/{fx.year}/m1/tilmelding").status_code == 404
    token = fx.tokens["maria"]
    assert client.post(f"/m/{token}/moede/{fx.year}/nope/tilmelding").status_code == 404
    assert client.post(f"/m/{token}/moede/1999/m1/tilmelding").status_code == 404
    assert client.get(f"/m/{token}/moede/{fx.year}/m1/tilmelding").status_code == 405


def test_sign_up_needs_the_csrf_token(fx, app, strict):
    client = strict.test_client()
    url = f"/m/{fx.tokens['maria']}/moede/{fx.year}/m1/tilmelding"
    refused = client.post(url, data={"coming": "yes"})
    assert refused.status_code == 400
    assert "sikkerhedstegn" in text(refused)
    page = client.get(page_url(fx, "maria"))
    fields = MultiDict(form_fields(text(page), "signup-form"))
    fields["coming"] = "yes"
    assert client.post(url, data=fields).status_code == 303
    assert signups(app, fx) == {"maria": (True, "")}

    login = text(client.get("/tovholder/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post(
        "/tovholder/login", data={"email": fx.email, "password": PASSWORD, "csrf_token": token}
    )
    guest_url = f"/tovholder/plan/{fx.year}/moede/m1/gaester"
    no_token = client.post(guest_url, data={"name": "Gitte", "email": "gitte@aarhus.dk"})
    assert no_token.status_code == 400
    page = text(client.get(f"/tovholder/plan/{fx.year}/moede/m1"))
    fields = MultiDict(form_fields(page, "guest-form"))
    fields["name"], fields["email"] = "Gitte", "gitte@aarhus.dk"
    assert client.post(guest_url, data=fields).status_code == 303
    with app.app_context():
        assert [g.name for g in db.session.scalars(select(Guest))] == ["Gitte"]
    with strict.app_context():
        db.engine.dispose()


def test_a_role_holder_who_cannot_come_is_sent_to_find_a_replacement(app, client, fx):
    # Berit is the referent (notes) of m1. This fixture's poll has meetings with no possible
    # day, so the solver cannot be asked and no swap starts by itself: she is pointed to the
    # swap part (a swap started by the sign-up is in test_swaps.py).
    saved = sign_up(client, fx, "berit", "no")
    back = text(client.get(saved.headers["Location"]))
    assert "Din rolle som Referent skal have en afløser." in back
    assert 'href="#rollebytte"' in back


def test_coordinator_sees_the_list_counts_and_csv(app, client, fx):
    sign_up(client, fx, "maria", "yes", "Vegetar")
    sign_up(client, fx, "kis", "no")
    log_in(client, fx)
    page = text(client.get(f"/tovholder/plan/{fx.year}/moede/m1"))
    assert "1 kommer · 1 kommer ikke · 3 har ikke svaret" in page
    assert "Vegetar" in page
    link = re.search(r'href="([^"]+tilmeldinger\.csv)"', page).group(1)
    download = client.get(link)
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert (
        'filename="testnetvaerk-2027-m1-tilmeldinger.csv"'
        in download.headers["Content-Disposition"]
    )
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Navn", "Organisation", "Gæst", "Svar", "Kost", "Roller"]
    assert rows[1][:5] == ["Maria", "", "", "Kommer", "Vegetar"]
    assert [r[3] for r in rows[1:]].count("Intet svar") == 3
    assert rows[-1][:4] == ["Kis", "", "", "Kommer ikke"]


def test_the_hosts_see_the_list_and_other_members_do_not(app, client, fx):
    sign_up(client, fx, "maria", "yes")
    # Sara, Henrik and Maria are m1's planning group; Kis is not.
    host = text(client.get(page_url(fx, "henrik")))
    assert "1 kommer · 0 kommer ikke · 4 har ikke svaret" in host
    link = re.search(r'href="([^"]+tilmeldinger\.csv)"', host).group(1)
    assert client.get(link).status_code == 200
    other = text(client.get(page_url(fx, "kis")))
    assert "har ikke svaret" not in other
    csv_url = f"/m/{fx.tokens['kis']}/moede/{fx.year}/m1/tilmeldinger.csv"
    assert client.get(csv_url).status_code == 403
    # A member whose organisation is the venue hosts too (m1 is at Odense).
    with app.app_context():
        kis = db.session.get(Member, fx.member_ids["kis"])
        venue = next(v for v in kis.network.venues if v.key == "odense")
        kis.organisation = venue.name
        db.session.commit()
    assert client.get(csv_url).status_code == 200


def test_coordinator_csv_needs_login(client, fx):
    response = client.get(f"/tovholder/plan/{fx.year}/moede/m1/tilmeldinger.csv")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]


# -- guests ----------------------------------------------------------------------------------


def add_guest(client, fx, **values):
    page = text(client.get(f"/tovholder/plan/{fx.year}/moede/m1"))
    fields = dict(form_fields(page, "guest-form"))
    fields.update(values)
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="guest-form"', page)
    return client.post(action.group(1), data=fields)


def guest_token(app, name: str) -> str:
    from poll.guest_links import guest_token as token_of

    with app.app_context():
        guest = db.session.scalar(select(Guest).where(Guest.name == name))
        token = token_of(guest)
        assert token is not None
        return token


def test_a_guest_signs_up_on_their_page_and_appears_in_the_list(app, client, fx):
    log_in(client, fx)
    added = add_guest(
        client, fx, name="Gitte Gæst", email="gitte@aarhus.dk", organisation="Aarhus Bibliotek"
    )
    assert added.status_code == 303
    page = text(client.get(added.headers["Location"]))
    assert "Gitte Gæst er tilføjet" in page
    assert "gitte@aarhus.dk" in page

    token = guest_token(app, "Gitte Gæst")
    guest = app.test_client()
    own = guest.get(f"/gaest/{token}")
    assert own.status_code == 200
    assert "Møde 1" in text(own) and "Jeg kommer" in text(own)
    fields = dict(form_fields(text(own), "signup-form"))
    fields.update(coming="yes", dietary="Glutenfri")
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="signup-form"', text(own))
    saved = guest.post(action.group(1), data=fields)
    assert saved.status_code == 303
    assert "Du har sagt, at du kommer." in text(guest.get(saved.headers["Location"]))
    assert signups(app, fx) == {"guest:Gitte Gæst": (True, "Glutenfri")}

    listing = text(client.get(f"/tovholder/plan/{fx.year}/moede/m1"))
    assert 'Gitte Gæst <span class="muted">(gæst)</span>' in listing
    assert "1 kommer · 0 kommer ikke · 5 har ikke svaret" in listing


def test_a_guest_link_opens_that_meeting_only(app, client, fx):
    log_in(client, fx)
    add_guest(client, fx, name="Gitte Gæst", email="gitte@aarhus.dk", organisation="")
    token = guest_token(app, "Gitte Gæst")
    other = app.test_client()
    assert other.get(f"/gaest/{token}").status_code == 200
    for url in (
        f"/m/{token}",
        f"/m/{token}/{fx.year}",
        f"/m/{token}/moede/{fx.year}/m1",
        f"/m/{token}/moede/{fx.year}/m2",
        f"/m/{token}/moede/{fx.year}/m1/tilmeldinger.csv",
        f"/kalender/{token}.ics",
        f"/kalender/{token}/{fx.year}/m1.ics",
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/m/{token}/moede/{fx.year}/m2/tilmelding").status_code == 404
    assert other.get(f"/gaest/{fx.tokens['maria']}").status_code == 404
    assert other.get(f"/gaest/{token}x").status_code == 404
    # The minutes file: none yet, and no other link opens it.
    for url in (
        f"/gaest/{token}/referat/fil",
        f"/gaest/{token}x/referat/fil",
        f"/gaest/{fx.tokens['maria']}/referat/fil",
    ):
        assert other.get(url).status_code == 404, url


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "", "email": "a@b.dk"}, "Navn: udfyld gæstens navn."),
        ({"name": "A", "email": "ikke-en-adresse"}, "E-mail: skriv én e-mailadresse"),
        ({"name": "A\x00", "email": "a@b.dk"}, "Navn: fjern de usynlige kontroltegn."),
        ({"name": "A", "email": "a@b.dk", "organisation": "x" * 201}, "Organisation: højst 200"),
    ],
)
def test_bad_guest_is_refused_naming_the_field(app, client, fx, values, message):
    log_in(client, fx)
    bad = add_guest(client, fx, **values)
    assert bad.status_code == 422
    assert message in text(bad)
    with app.app_context():
        assert db.session.scalar(select(Guest)) is None


def test_the_same_guest_twice_is_refused_and_a_guest_can_be_removed(app, client, fx):
    log_in(client, fx)
    add_guest(client, fx, name="Gitte", email="gitte@aarhus.dk")
    twice = add_guest(client, fx, name="Gitte", email="GITTE@aarhus.dk")
    assert twice.status_code == 422
    assert "er allerede gæst ved dette møde" in text(twice)
    token = guest_token(app, "Gitte")
    page = text(client.get(f"/tovholder/plan/{fx.year}/moede/m1"))
    remove = re.search(r'action="([^"]+/fjern)"', page).group(1)
    assert client.get(remove).status_code == 405
    removed = client.post(remove)
    assert removed.status_code == 303
    assert "Gitte er ikke længere gæst ved mødet." in text(client.get(removed.headers["Location"]))
    assert client.get(f"/gaest/{token}").status_code == 404
    assert client.post(remove).status_code == 404


def test_guest_pages_need_login(client, fx):
    assert client.post(f"/tovholder/plan/{fx.year}/moede/m1/gaester").status_code in (302, 303)


# -- personal data ---------------------------------------------------------------------------


def test_dietary_needs_are_exported_erased_and_purged(app, client, fx):
    sign_up(client, fx, "maria", "yes", "Vegetar")
    sign_up(client, fx, "kis", "yes", "Laktosefri")
    export = client.get(f"/m/{fx.tokens['maria']}/mine-oplysninger")
    assert export.status_code == 200
    data = json.loads(export.data)
    assert data["meeting_signups"] == [
        {
            "year": fx.year,
            "meeting": "Møde 1",
            "coming": True,
            "dietary_needs": "Vegetar",
            "saved_at": data["meeting_signups"][0]["saved_at"],
        }
    ]
    with app.app_context():
        erase(db.session.get(Member, fx.member_ids["maria"]))
        db.session.commit()
    assert signups(app, fx) == {"kis": (True, "Laktosefri")}

    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        found = retention.find(local_today(poll.network).replace(year=fx.year + 3), 12)
        assert any(item.poll_id == fx.poll_id for item in found)
        retention.purge(found, lambda item: "test")
        db.session.commit()
    assert signups(app, fx) == {}


# -- settings --------------------------------------------------------------------------------


def test_notice_and_sign_up_days_are_network_settings(app, client, fx):
    log_in(client, fx)
    page = text(client.get("/tovholder/netvaerk"))
    assert 'name="notice_days"' in page and 'value="14"' in page
    assert 'name="signup_deadline_days"' in page and 'value="3"' in page
    base = {"name": "Testnetværk", "meeting_start": "10:00", "meeting_end": "15:00"}
    bad = client.post(
        "/tovholder/netvaerk", data={**base, "notice_days": "0", "signup_deadline_days": "x"}
    )
    assert bad.status_code == 422
    assert "Mødeindkaldelse: et antal dage fra 1 til 90." in text(bad)
    assert "Tilmeldingen lukker: skriv et helt antal dage, fx 3." in text(bad)
    crossed = client.post(
        "/tovholder/netvaerk", data={**base, "notice_days": "5", "signup_deadline_days": "7"}
    )
    assert crossed.status_code == 422
    assert "skal være færre dage før mødet end mødeindkaldelsen" in text(crossed)
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        assert (network.notice_days, network.signup_deadline_days) == (14, 3)

    ok = client.post(
        "/tovholder/netvaerk", data={**base, "notice_days": "21", "signup_deadline_days": "12"}
    )
    assert ok.status_code == 303
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        assert (network.notice_days, network.signup_deadline_days) == (21, 12)
    # m1 is 10 days ahead: with sign-up closing 12 days before, it has closed.
    member = text(client.get(page_url(fx, "maria")))
    assert "Tilmeldingen lukkede" in member and 'id="signup-form"' not in member
