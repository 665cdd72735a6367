"""The network, its venues, members and roles as the coordinator edits them. Both engines."""

from __future__ import annotations

import html
import re
from datetime import time

import pytest
from sqlalchemy import select

from poll.db import db
from poll.members import member_by_token
from poll.models import Answer, CandidateDay, Member, Network, Plan, Poll, Response, Role, Venue
from poll.planning import build_instance
from tests.factories import log_in, make_network, record_answers

LINK = re.compile(r'value="https?://[^"]*/m/([A-Za-z0-9_-]{20,64})"')


@pytest.fixture
def fx(app, client):
    with app.app_context():
        fixture = make_network()
    log_in(client, fixture)
    return fixture


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def venue(app, fx, key):
    with app.app_context():
        return db.session.scalar(
            select(Venue).where(Venue.network_id == fx.network_id, Venue.key == key)
        )


def member(app, fx, key):
    with app.app_context():
        return db.session.scalar(
            select(Member).where(Member.network_id == fx.network_id, Member.key == key)
        )


def role(app, fx, key):
    with app.app_context():
        return db.session.scalar(
            select(Role).where(Role.network_id == fx.network_id, Role.key == key)
        )


def token_works(app, token) -> bool:
    with app.app_context():
        return member_by_token(token) is not None


# -- dashboard and network -------------------------------------------------------------------


def test_dashboard_shows_the_network_its_polls_and_links(app, client, fx):
    page = text(client.get("/tovholder/"))
    assert "Testnetværk" in page
    assert "2027" in page
    assert "Åben" in page
    assert "0 af 3 har svaret" in page
    for link in (
        "/tovholder/netvaerk",
        "/tovholder/moedesteder",
        "/tovholder/medlemmer",
        "/tovholder/roller",
        "/tovholder/afstemninger/ny",
        f"/tovholder/afstemninger/{fx.poll_id}/rediger",
    ):
        assert link in page, link


def test_network_name_and_hours_are_saved_and_validated(app, client, fx):
    page = text(client.get("/tovholder/netvaerk"))
    assert 'value="10:00"' in page and 'value="15:00"' in page
    assert "Europe/Copenhagen" in page

    bad = client.post(
        "/tovholder/netvaerk", data={"name": "", "meeting_start": "14:00", "meeting_end": "9:00"}
    )
    assert bad.status_code == 422
    assert "Netværkets navn: udfyld et navn." in text(bad)
    assert "Møderne slutter: skal ligge efter starttidspunktet." in text(bad)

    unreadable = client.post(
        "/tovholder/netvaerk", data={"name": "N", "meeting_start": "ti", "meeting_end": "15:00"}
    )
    assert unreadable.status_code == 422
    assert "Møderne begynder: skriv et klokkeslæt som 10:00." in text(unreadable)
    with app.app_context():
        assert db.session.get(Network, fx.network_id).name == "Testnetværk"

    ok = client.post(
        "/tovholder/netvaerk",
        data={"name": "Fynske biblioteker", "meeting_start": "09:30", "meeting_end": "14:30"},
    )
    assert ok.status_code in (302, 303)
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        assert (network.name, network.meeting_start, network.meeting_end) == (
            "Fynske biblioteker",
            time(9, 30),
            time(14, 30),
        )


# -- venues ----------------------------------------------------------------------------------


def test_venues_are_listed_added_edited_and_validated(app, client, fx):
    page = text(client.get("/tovholder/moedesteder"))
    assert "Odense Bibliotek" in page and "Vejle Bibliotek" in page

    added = client.post(
        "/tovholder/moedesteder",
        data={"name": "Århus Dokk1", "address": "Hack Kampmanns Plads 2"},
    )
    assert added.status_code in (302, 303)
    assert venue(app, fx, "aarhus-dokk1").address == "Hack Kampmanns Plads 2"

    for data, message in [
        ({"name": ""}, "Navn: udfyld mødestedets navn."),
        ({"name": "X" * 201}, "Navn: højst 200 tegn."),
    ]:
        response = client.post("/tovholder/moedesteder", data=data)
        assert response.status_code == 422, data
        assert message in text(response), data
    with app.app_context():
        keys = set(db.session.scalars(select(Venue.key).where(Venue.network_id == fx.network_id)))
    assert keys == {"odense", "vejle", "aarhus-dokk1"}

    aarhus = venue(app, fx, "aarhus-dokk1")
    renamed = client.post(
        f"/tovholder/moedesteder/{aarhus.id}", data={"name": "Dokk1", "address": ""}
    )
    assert renamed.status_code in (302, 303)
    assert venue(app, fx, "aarhus-dokk1").name == "Dokk1"


def test_a_venue_with_answers_is_not_deleted(app, client, fx):
    odense = venue(app, fx, "odense")
    with app.app_context():
        day = db.session.scalar(select(CandidateDay).where(CandidateDay.poll_id == fx.poll_id))
        record_answers(fx.poll_id, fx.member_ids["henrik"], [(day.day, "odense", Answer.YES)])
        db.session.commit()
    edit = text(client.get(f"/tovholder/moedesteder/{odense.id}"))
    assert "kan ikke slettes: 1 svar" in edit

    refused = client.post(f"/tovholder/moedesteder/{odense.id}/slet")
    assert refused.status_code == 409
    assert "Odense Bibliotek kan ikke slettes: 1 svar fra medlemmer" in text(refused)
    assert venue(app, fx, "odense") is not None

    vejle = venue(app, fx, "vejle")
    deleted = client.post(f"/tovholder/moedesteder/{vejle.id}/slet")
    assert deleted.status_code in (302, 303)
    assert venue(app, fx, "vejle") is None


def test_a_renamed_venue_keeps_its_key_and_the_answers_given_for_it(app, client, fx):
    odense = venue(app, fx, "odense")
    with app.app_context():
        day = db.session.scalar(select(CandidateDay).where(CandidateDay.poll_id == fx.poll_id))
        record_answers(
            fx.poll_id,
            fx.member_ids["henrik"],
            [(day.day, "odense", Answer.YES), (day.day, "vejle", Answer.NO)],
        )
        db.session.commit()
        iso = day.day.isoformat()
    renamed = client.post(
        f"/tovholder/moedesteder/{odense.id}",
        data={"name": "Odense Centralbibliotek", "address": ""},
    )
    assert renamed.status_code in (302, 303)
    assert venue(app, fx, "odense").name == "Odense Centralbibliotek"
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.member_id == fx.member_ids["henrik"])
        )
        assert response.answers == {iso: {"odense": "yes", "vejle": "no"}}
        poll = db.session.get(Poll, fx.poll_id)
        availability = build_instance(poll)["availability"]
    assert availability == {"henrik": {iso: {"odense": "yes", "vejle": "no"}}}


# -- members ---------------------------------------------------------------------------------


def test_members_are_listed_with_their_details(app, client, fx):
    with app.app_context():
        m = db.session.get(Member, fx.member_ids["maria"])
        m.organisation, m.cannot = "Vejle Bibliotekerne", ["leader"]
        db.session.commit()
    page = text(client.get("/tovholder/medlemmer"))
    for expected in ("Maria", "maria@example.dk", "Vejle Bibliotekerne", "Mødeleder", "Henrik"):
        assert expected in page, expected


def test_a_new_member_gets_a_working_link_shown_after_creating(app, client, fx):
    response = client.post(
        "/tovholder/medlemmer/ny",
        data={
            "name": "Berit Jensen",
            "email": "berit@example.dk",
            "organisation": "Herning Bibliotekerne",
            "cannot": ["leader", "notes"],
            "active": "y",
        },
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    tokens = LINK.findall(text(response))
    assert len(tokens) == 1
    assert token_works(app, tokens[0])
    berit = member(app, fx, "berit-jensen")
    assert (berit.name, berit.organisation, berit.cannot, berit.active) == (
        "Berit Jensen",
        "Herning Bibliotekerne",
        ["leader", "notes"],
        True,
    )
    # The list never shows links.
    assert tokens[0] not in text(client.get("/tovholder/medlemmer"))


def test_member_fields_are_validated_with_messages_naming_the_field(app, client, fx):
    for data, message in [
        ({"name": "", "email": "s@x.dk"}, "Navn: udfyld medlemmets navn."),
        ({"name": "S", "email": "ikke-en-adresse"}, "E-mail: det er ikke en gyldig"),
        ({"name": "S", "email": ""}, "E-mail: udfyld medlemmets e-mailadresse."),
        (
            {"name": "S", "email": "s@x.dk", "cannot": ["boss"]},
            "Roller, medlemmet ikke kan have: ukendt rolle 'boss'.",
        ),
    ]:
        response = client.post("/tovholder/medlemmer/ny", data=data)
        assert response.status_code == 422, data
        assert message in text(response), data
    with app.app_context():
        assert (
            len(db.session.scalars(select(Member).where(Member.network_id == fx.network_id)).all())
            == 3
        )


def test_a_member_is_edited_and_the_coordinator_mark_moves(app, client, fx):
    henrik = fx.member_ids["henrik"]
    page = text(client.get(f"/tovholder/medlemmer/{henrik}"))
    assert 'value="henrik@example.dk"' in page
    assert fx.tokens["henrik"] in page  # the current link can be shown again
    response = client.post(
        f"/tovholder/medlemmer/{henrik}",
        data={
            "name": "Henrik Holm",
            "email": "hh@example.dk",
            "organisation": "Odense",
            "cannot": ["presenter"],
            "is_coordinator": "y",
            "active": "y",
        },
    )
    assert response.status_code in (302, 303)
    edited = member(app, fx, "henrik")
    assert (edited.name, edited.email, edited.cannot, edited.is_coordinator) == (
        "Henrik Holm",
        "hh@example.dk",
        ["presenter"],
        True,
    )
    assert member(app, fx, "sara").is_coordinator is False


def test_deactivating_stops_the_link_and_reactivating_restores_it(app, client, fx):
    maria = fx.member_ids["maria"]
    off = client.post(f"/tovholder/medlemmer/{maria}/aktiv", data={"active": "0"})
    assert off.status_code in (302, 303)
    assert member(app, fx, "maria").active is False
    assert not token_works(app, fx.tokens["maria"])
    on = client.post(f"/tovholder/medlemmer/{maria}/aktiv", data={"active": "1"})
    assert on.status_code in (302, 303)
    assert token_works(app, fx.tokens["maria"])

    bad = client.post(f"/tovholder/medlemmer/{maria}/aktiv", data={"active": "maybe"})
    assert bad.status_code == 400
    coordinator = client.post(
        f"/tovholder/medlemmer/{fx.member_ids['sara']}/aktiv", data={"active": "0"}
    )
    assert coordinator.status_code == 409
    assert "Sara er tovholder og kan ikke deaktiveres" in text(coordinator)
    assert member(app, fx, "sara").active is True


def test_replacing_the_link_shows_the_new_one_and_the_old_one_stops(app, client, fx):
    henrik = fx.member_ids["henrik"]
    response = client.post(f"/tovholder/medlemmer/{henrik}/nyt-link")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    (new,) = LINK.findall(text(response))
    assert new != fx.tokens["henrik"]
    assert token_works(app, new)
    assert not token_works(app, fx.tokens["henrik"])
    assert client.get(f"/tovholder/medlemmer/{henrik}/nyt-link").status_code == 405


# -- roles -----------------------------------------------------------------------------------


def test_roles_are_listed_and_edited(app, client, fx):
    page = text(client.get("/tovholder/roller"))
    for name in ("Planlægningsgruppe", "Mødeleder", "Referent", "Oplægsholder"):
        assert name in page
    presenter = role(app, fx, "presenter")
    response = client.post(
        f"/tovholder/roller/{presenter.id}",
        data={"name": "Oplægsholdere", "per_meeting": "2", "within": "", "conflicts": ["notes"]},
    )
    assert response.status_code in (302, 303)
    edited = role(app, fx, "presenter")
    assert (edited.name, edited.per_meeting, edited.within, edited.conflicts) == (
        "Oplægsholdere",
        2,
        None,
        ["notes"],
    )
    # The key stays, whatever is posted.
    client.post(
        f"/tovholder/roller/{presenter.id}",
        data={"key": "hacked", "name": "Oplægsholdere", "per_meeting": "0"},
    )
    assert role(app, fx, "presenter").per_meeting == 0


def test_role_rules_are_validated_with_messages_naming_the_field(app, client, fx):
    planning = role(app, fx, "planning")
    leader = role(app, fx, "leader")
    cases = [
        (
            leader,
            {"name": "Mødeleder", "per_meeting": "-1", "within": "planning"},
            "Antal pr. møde: et helt tal fra 0 til 50.",
        ),
        (
            leader,
            {"name": "Mødeleder", "per_meeting": "en", "within": "planning"},
            "Antal pr. møde: udfyld et helt tal, 0 eller mere.",
        ),
        (
            planning,
            {
                "name": "Planlægningsgruppe",
                "per_meeting": "3",
                "within": "leader",
                "includes_coordinator": "y",
            },
            "Indehaverne skal også have: det ville give en cirkel",
        ),
        (
            leader,
            {
                "name": "Mødeleder",
                "per_meeting": "1",
                "within": "planning",
                "conflicts": ["planning"],
            },
            "Kan ikke kombineres med: Planlægningsgruppe er den rolle",
        ),
        (
            leader,
            {"name": "Mødeleder", "per_meeting": "1", "within": "nobody"},
            "Indehaverne skal også have: vælg en af de andre roller.",
        ),
        (leader, {"name": "", "per_meeting": "1"}, "Navn: udfyld rollens navn."),
        (
            planning,
            {"name": "Planlægningsgruppe", "per_meeting": "0", "includes_coordinator": "y"},
            "Antal pr. møde: Mødeleder skal bruge 1 af dem",
        ),
        (
            planning,
            {"name": "Planlægningsgruppe", "per_meeting": "3", "within": "notes"},
            "Indehaverne skal også have: Referent kan ikke kombineres med denne rolle.",
        ),
    ]
    for target, data, message in cases:
        response = client.post(f"/tovholder/roller/{target.id}", data=data)
        assert response.status_code == 422, data
        assert message in text(response), (data, text(response)[:3000])
    assert role(app, fx, "planning").within is None
    assert role(app, fx, "leader").per_meeting == 1


def test_a_role_is_added_and_deleted_and_a_parent_role_is_protected(app, client, fx):
    added = client.post(
        "/tovholder/roller/ny",
        data={"name": "Vært", "per_meeting": "1", "conflicts": ["notes"]},
    )
    assert added.status_code in (302, 303)
    assert role(app, fx, "vaert").conflicts == ["notes"]

    parent = client.post(f"/tovholder/roller/{role(app, fx, 'planning').id}/slet")
    assert parent.status_code == 409
    assert "Mødeleder skal ligge inden for den" in text(parent)
    assert role(app, fx, "planning") is not None

    with app.app_context():
        db.session.get(Member, fx.member_ids["maria"]).cannot = ["notes", "presenter"]
        db.session.commit()
    deleted = client.post(f"/tovholder/roller/{role(app, fx, 'notes').id}/slet")
    assert deleted.status_code in (302, 303)
    assert role(app, fx, "notes") is None
    assert role(app, fx, "vaert").conflicts == []
    assert member(app, fx, "maria").cannot == ["presenter"]


def test_keys_and_things_that_a_stored_plan_refers_to_are_kept(app, client, fx):
    with app.app_context():
        db.session.add(
            Plan(
                poll_id=fx.poll_id,
                version=1,
                result={
                    "format": "plan-result/1",
                    "status": "optimal",
                    "meetings": [
                        {
                            "id": "m1",
                            "date": "2027-03-02",
                            "venue": "vejle",
                            "roles": {"planning": ["sara", "henrik", "maria"], "leader": ["sara"]},
                        }
                    ],
                },
            )
        )
        db.session.commit()
    vejle = venue(app, fx, "vejle")
    # A posted key is no field of the form: the rename keeps the key the plan refers to.
    rename = client.post(f"/tovholder/moedesteder/{vejle.id}", data={"key": "vejle2", "name": "V"})
    assert rename.status_code in (302, 303)
    assert venue(app, fx, "vejle").name == "V"

    delete = client.post(f"/tovholder/moedesteder/{vejle.id}/slet")
    assert delete.status_code == 409
    assert "en plan placerer møder der" in text(delete)
    assert venue(app, fx, "vejle") is not None

    henrik = fx.member_ids["henrik"]
    rekey = client.post(
        f"/tovholder/medlemmer/{henrik}",
        data={"key": "henrik2", "name": "Henrik Holm", "email": "h@example.dk", "active": "y"},
    )
    assert rekey.status_code in (302, 303)
    assert member(app, fx, "henrik").name == "Henrik Holm"
    assert member(app, fx, "henrik2") is None

    role_delete = client.post(f"/tovholder/roller/{role(app, fx, 'leader').id}/slet")
    assert role_delete.status_code == 409
    assert "Sæt i stedet antal pr. møde til 0." in text(role_delete)
    assert role(app, fx, "leader") is not None


# -- control characters ----------------------------------------------------------------------

# (page, a valid form, the field, its label as the message names it). Every one-line text field
# of the network, venue, member and role pages.
TEXT_FIELDS = [
    ("/tovholder/netvaerk", {"meeting_start": "10:00", "meeting_end": "15:00"}, "name",
     "Netværkets navn"),
    ("/tovholder/moedesteder", {"name": "Ny", "address": "Vej 1"}, "name", "Navn"),
    ("/tovholder/moedesteder", {"name": "Ny", "address": "Vej 1"}, "address", "Adresse"),
    ("/tovholder/medlemmer/ny", {"name": "Ny", "email": "ny@example.dk"}, "name", "Navn"),
    ("/tovholder/medlemmer/ny", {"name": "Ny", "email": "ny@example.dk"}, "email", "E-mail"),
    ("/tovholder/medlemmer/ny", {"name": "Ny", "email": "ny@example.dk"}, "organisation",
     "Organisation"),
    ("/tovholder/roller/ny", {"name": "Ny", "per_meeting": "1"}, "name", "Navn"),
]  # fmt: skip


def _network_state(app, fx) -> tuple:
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        return (
            network.name,
            sorted((v.key, v.name, v.address) for v in network.venues),
            sorted((m.key, m.name, m.email, m.organisation) for m in network.members),
            sorted((r.key, r.name) for r in network.roles),
        )


@pytest.mark.parametrize(("url", "form", "field", "label"), TEXT_FIELDS)
def test_control_characters_are_refused_in_every_text_field(
    app, client, fx, url, form, field, label
):
    before = _network_state(app, fx)
    for bad in ["Ny\x00", "Ny\r\nlinje", "Ny\tfane", "Ny\x1b[0m", "Ny\u2028linje"]:
        response = client.post(url, data={**form, field: bad})
        assert response.status_code == 422, repr(bad)
        page = text(response)
        assert f"{label}: fjern de usynlige kontroltegn (fx linjeskift)." in page, repr(bad)
        if "\x00" not in bad:  # the form is shown again with what was typed
            assert f'value="{bad}"' in page, repr(bad)
    assert _network_state(app, fx) == before


@pytest.mark.parametrize("field", ["name", "email", "organisation"])
def test_an_edited_member_with_a_line_break_keeps_what_was_saved(app, client, fx, field):
    henrik = member(app, fx, "henrik")
    before = _network_state(app, fx)
    data = {"name": "Henrik", "email": "henrik@example.dk", "active": "y"}
    response = client.post(f"/tovholder/medlemmer/{henrik.id}", data={**data, field: "a\nb"})
    assert response.status_code == 422
    assert _network_state(app, fx) == before


@pytest.mark.parametrize(
    "email", ["a,b@example.dk", "a b@example.dk", "ab.example.dk", "a@b@example.dk", "a@example"]
)
def test_a_member_email_must_be_one_plain_address(app, client, fx, email):
    response = client.post("/tovholder/medlemmer/ny", data={"name": "Ny", "email": email})
    assert response.status_code == 422
    assert "E-mail: det er ikke en gyldig e-mailadresse." in text(response)
    assert member(app, fx, "ny") is None
