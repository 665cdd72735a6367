"""Keys made from names: the coordinator types names only; members, venues and roles get the
short ids that plans and the plan-year exchange format use by themselves. Both engines."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from poll.db import db
from poll.keys import MAX_LENGTH, key_from_name, unique_key
from poll.models import Member, Poll, Role, Venue
from poll.planning import build_instance
from tests.factories import log_in, make_network

# docs/spec/plan-format.md: participants[].id is unique, [a-z0-9_-]+ (and so are the others).
SPEC_ID = re.compile(r"^[a-z0-9_-]+$")


@pytest.fixture
def fx(app, client):
    with app.app_context():
        fixture = make_network()
    log_in(client, fixture)
    return fixture


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def keys(app, fx, model) -> dict[str, str]:
    """key -> name of the network's rows of this kind."""
    with app.app_context():
        rows = db.session.scalars(
            select(model).where(model.network_id == fx.network_id).order_by(model.id)
        )
        return {row.key: row.name for row in rows}


# -- the function ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Søren Ærø Åberg", "soeren-aeroe-aaberg"),
        ("ÆBLE øRE Å", "aeble-oere-aa"),
        ("Vejle Bibliotek", "vejle-bibliotek"),
        ("Mødeleder", "moedeleder"),
        ("José Müller-Lüdenscheidt", "jose-muller-ludenscheidt"),
        ("  Anne-Marie  O'Neil (Herning) ", "anne-marie-o-neil-herning"),
        ("Jens_Peter 2.", "jens-peter-2"),
        ("Straße Łódź", "strasse-lodz"),
        ("!!!", ""),
        ("李明", ""),
        ("", ""),
    ],
)
def test_a_name_is_spelt_in_small_letters_a_to_z(name, key):
    assert key_from_name(name) == key
    assert key == "" or SPEC_ID.match(key)


def test_a_long_name_is_cut_without_a_dash_at_the_end():
    name = "Planlægningsgruppe for de fynske folkebiblioteker og skolebiblioteker"
    key = key_from_name(name)
    assert len(key) <= MAX_LENGTH and not key.endswith("-")
    assert key.startswith("planlaegningsgruppe-for-de-fynske")
    numbered = unique_key(name, {key}, "rolle")
    assert numbered.endswith("-2") and len(numbered) <= MAX_LENGTH
    assert numbered != key


def test_a_taken_key_gets_the_next_free_number():
    assert unique_key("Berit", set(), "medlem") == "berit"
    assert unique_key("Berit", {"berit"}, "medlem") == "berit-2"
    assert unique_key("Berit", {"berit", "berit-2", "berit-3"}, "medlem") == "berit-4"
    assert unique_key("!!!", set(), "medlem") == "medlem"
    assert unique_key("!!!", {"medlem"}, "medlem") == "medlem-2"


# -- the pages -------------------------------------------------------------------------------


def test_the_forms_ask_for_no_key(app, client, fx):
    with app.app_context():
        member_id = fx.member_ids["henrik"]
        role_id = db.session.scalar(select(Role.id).where(Role.key == "leader"))
        venue_id = db.session.scalar(select(Venue.id).where(Venue.key == "odense"))
    for url in (
        "/tovholder/medlemmer/ny",
        f"/tovholder/medlemmer/{member_id}",
        "/tovholder/moedesteder",
        f"/tovholder/moedesteder/{venue_id}",
        "/tovholder/roller/ny",
        f"/tovholder/roller/{role_id}",
        "/tovholder/medlemmer",
        "/tovholder/roller",
    ):
        page = text(client.get(url))
        assert 'name="key"' not in page, url
        assert "Nøgle:" not in page and ">Nøgle<" not in page, url


def test_a_member_added_by_name_gets_a_key_and_a_namesake_the_next_number(app, client, fx):
    data = {"name": "Søren Ærø Åberg", "email": "soeren@example.dk", "active": "y"}
    first = client.post("/tovholder/medlemmer/ny", data=data)
    assert first.status_code == 201, text(first)
    second = client.post("/tovholder/medlemmer/ny", data={**data, "email": "soeren2@example.dk"})
    assert second.status_code == 201
    made = keys(app, fx, Member)
    assert made["soeren-aeroe-aaberg"] == "Søren Ærø Åberg"
    assert made["soeren-aeroe-aaberg-2"] == "Søren Ærø Åberg"

    # The plan-year instance names them by these keys, as the exchange format requires.
    with app.app_context():
        ids = [p["id"] for p in build_instance(db.session.get(Poll, fx.poll_id))["participants"]]
    assert {"soeren-aeroe-aaberg", "soeren-aeroe-aaberg-2"} <= set(ids)
    assert len(set(ids)) == len(ids) and all(SPEC_ID.match(i) for i in ids)


def test_a_renamed_member_keeps_the_key_shown_for_the_command_line(app, client, fx):
    data = {"name": "Søren Ærø Åberg", "email": "soeren@example.dk", "active": "y"}
    assert client.post("/tovholder/medlemmer/ny", data=data).status_code == 201
    with app.app_context():
        soeren = db.session.scalar(select(Member).where(Member.key == "soeren-aeroe-aaberg"))
        url = f"/tovholder/medlemmer/{soeren.id}"
    renamed = client.post(url, data={**data, "name": "Søren Åberg Holm", "key": "hacked"})
    assert renamed.status_code in (302, 303)
    made = keys(app, fx, Member)
    assert made["soeren-aeroe-aaberg"] == "Søren Åberg Holm"
    assert "hacked" not in made and "soeren-aaberg-holm" not in made
    page = text(client.get(url))
    assert "Nøgle til kommandolinjen: soeren-aeroe-aaberg" in re.sub(r"<[^>]+>", "", page)


def test_a_venue_added_by_name_gets_a_key_and_keeps_it_when_renamed(app, client, fx):
    # The network's own Vejle Bibliotek has the key vejle; the new ones get theirs from the name.
    for address in ("Willy Sørensens Plads 1", "Vestergade 2"):
        added = client.post(
            "/tovholder/moedesteder", data={"name": "Vejle Bibliotek", "address": address}
        )
        assert added.status_code in (302, 303)
        assert "Vejle Bibliotek er tilføjet." in text(client.get(added.headers["Location"]))
    made = keys(app, fx, Venue)
    assert {k for k, name in made.items() if name == "Vejle Bibliotek"} == {
        "vejle",
        "vejle-bibliotek",
        "vejle-bibliotek-2",
    }
    with app.app_context():
        venue_id = db.session.scalar(select(Venue.id).where(Venue.key == "vejle-bibliotek"))
    renamed = client.post(
        f"/tovholder/moedesteder/{venue_id}", data={"name": "Vejle Hovedbibliotek", "address": ""}
    )
    assert renamed.status_code in (302, 303)
    assert keys(app, fx, Venue)["vejle-bibliotek"] == "Vejle Hovedbibliotek"


def test_a_role_added_by_name_gets_a_key_and_keeps_it_when_renamed(app, client, fx):
    # The network's own Mødeleder has the key leader.
    for _ in range(2):
        added = client.post("/tovholder/roller/ny", data={"name": "Mødeleder", "per_meeting": "1"})
        assert added.status_code in (302, 303)
    made = keys(app, fx, Role)
    assert made["moedeleder"] == made["moedeleder-2"] == made["leader"] == "Mødeleder"
    with app.app_context():
        role_id = db.session.scalar(select(Role.id).where(Role.key == "moedeleder"))
    renamed = client.post(
        f"/tovholder/roller/{role_id}", data={"name": "Ordstyrer", "per_meeting": "1"}
    )
    assert renamed.status_code in (302, 303)
    assert keys(app, fx, Role)["moedeleder"] == "Ordstyrer"


def test_a_name_without_letters_a_to_z_gets_a_plain_danish_key(app, client, fx):
    for email in ("a@example.dk", "b@example.dk"):
        response = client.post(
            "/tovholder/medlemmer/ny", data={"name": "!!!", "email": email, "active": "y"}
        )
        assert response.status_code == 201
    assert client.post("/tovholder/moedesteder", data={"name": "—"}).status_code == 303
    role = client.post("/tovholder/roller/ny", data={"name": "?", "per_meeting": "0"})
    assert role.status_code == 303
    assert {"medlem", "medlem-2"} <= keys(app, fx, Member).keys()
    assert "moedested" in keys(app, fx, Venue)
    assert "rolle" in keys(app, fx, Role)


def test_a_csv_file_without_an_id_column_is_imported_with_keys_from_the_names(app, client, fx):
    csv = (
        "navn;email\r\n"
        "Søren Ærø Åberg;soeren@example.dk\r\n"
        "Søren Ærø Åberg;soeren2@example.dk\r\n"
        "Henrik;henrik2@example.dk\r\n"
    ).encode("utf-8-sig")
    response = client.post(
        "/tovholder/medlemmer/import",
        data={"file": (io.BytesIO(csv), "medlemmer.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, text(response)
    assert "3 medlemmer er importeret" in text(response)
    made = keys(app, fx, Member)
    assert made["soeren-aeroe-aaberg"] == made["soeren-aeroe-aaberg-2"] == "Søren Ærø Åberg"
    assert made["henrik-2"] == "Henrik"  # the network's Henrik has the key henrik


def test_a_csv_id_column_may_be_given_and_its_empty_cells_are_made_from_names(app, client, fx):
    csv = b"id;navn;email\nberit;Berit;berit@example.dk\n;Berit;berit2@example.dk\n"
    response = client.post(
        "/tovholder/medlemmer/import",
        data={"file": (io.BytesIO(csv), "medlemmer.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, text(response)
    made = keys(app, fx, Member)
    assert made["berit"] == made["berit-2"] == "Berit"
