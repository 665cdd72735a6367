"""A network fresh from `create-network`, with no demo data (issue #11): what the coordinator's
overview says it lacks before a year can be planned, why "Plan the year" refuses until it has
it, and where the no-plan-possible page sends the coordinator. Both engines."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.days import week_window
from poll.db import db
from poll.models import Answer, Network, SolveJob
from poll.planning import roles_shortfall
from poll.poll_admin import MeetingDraft, PollRules, create_poll
from tests.factories import record_answers
from tests.html_forms import form_fields, with_values
from tests.planning.test_plan_page import wait_for_job

PASSWORD = "læsehest-vejle-2027"
SET_PASSWORD = re.compile(r"https?://\S+/konto/adgangskode/\S+")
GAPS = re.compile(r'<section class="notice" aria-labelledby="gaps-h">.*?</section>', re.S)
HREF = re.compile(r'href="([^"]+)"')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def anna(app, runner):
    """A client logged in as Anna, whose network `create-network` has just made."""
    done = runner.invoke(
        args=[
            "create-network",
            "vest",
            "Netværk Vest",
            "--coordinator",
            "anna@vest.dk",
            "--coordinator-name",
            "Anna Holm",
        ]
    )
    assert done.exit_code == 0, done.output
    path = urlsplit(SET_PASSWORD.search(done.output).group(0)).path
    client = app.test_client()
    page = client.get(path).get_data(as_text=True)
    fields = with_values(form_fields(page), {"password": PASSWORD, "confirm": PASSWORD})
    assert client.post(path, data=MultiDict(fields)).status_code == 302
    login = {"email": "anna@vest.dk", "password": PASSWORD}
    assert client.post("/tovholder/login", data=login).status_code == 302
    return client


def add_member(client, key: str, name: str, coordinator: bool = False) -> None:
    data = {"name": name, "email": f"{key}@vest.dk", "active": "y"}
    if coordinator:
        data["is_coordinator"] = "y"
    assert client.post("/tovholder/medlemmer/ny", data=data).status_code == 201


def gaps(client) -> str:
    """The overview's "before the year can be planned" box, or "" when there is none."""
    found = GAPS.search(text(client.get("/tovholder/")))
    return found.group(0) if found else ""


def make_poll(app) -> None:
    with app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "vest"))
        create_poll(network, 2027, PollRules([MeetingDraft(None, "", week_window(2027, 9, 10))]))
        db.session.commit()


def solve_jobs(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(SolveJob)).all())


def test_a_new_network_s_overview_says_what_it_lacks_and_links_to_each_fix(app, anna):
    box = gaps(anna)
    assert "Før året kan planlægges" in box
    assert "Netværket har ingen mødesteder." in box
    assert "Netværket har ingen aktive medlemmer." in box
    assert "Intet aktivt medlem er markeret som netværkets tovholder" in box
    for href in HREF.findall(box):
        assert anna.get(href).status_code == 200, href
    assert set(HREF.findall(box)) == {
        "/tovholder/moedesteder",
        "/tovholder/medlemmer/ny",
        "/tovholder/medlemmer",
    }

    venue = {"name": "Aarhus Hovedbibliotek", "address": "Hack Kampmanns Plads 2"}
    assert anna.post("/tovholder/moedesteder", data=venue).status_code == 303
    add_member(anna, "bo", "Bo Berg")
    add_member(anna, "cecilie", "Cecilie Dam")
    box = gaps(anna)
    assert "mødesteder" not in box and "ingen aktive medlemmer" not in box
    assert "markeret som netværkets tovholder" in box
    # The default roles: a planning group of 3 and a note-taker outside it need 4 people.
    assert (
        "Planlægningsgruppe (3 pr. møde) og Referent (1) kan ikke kombineres, så hvert møde"
        " kræver 4 forskellige personer, men antallet af aktive medlemmer er 2." in box
    )
    assert "/tovholder/roller" in HREF.findall(box)

    add_member(anna, "anna", "Anna Holm", coordinator=True)
    add_member(anna, "dorte", "Dorte Ravn")
    assert gaps(anna) == ""


def test_plan_the_year_refuses_a_new_network_with_what_to_do(app, anna):
    venue = {"name": "Aarhus Hovedbibliotek", "address": ""}
    assert anna.post("/tovholder/moedesteder", data=venue).status_code == 303
    add_member(anna, "bo", "Bo Berg")
    add_member(anna, "cecilie", "Cecilie Dam")
    make_poll(app)

    refused = anna.post("/tovholder/plan/2027/solve", follow_redirects=True)
    assert refused.status_code == 200
    assert (
        "Intet aktivt medlem er markeret som netværkets tovholder, og planen skal have én."
        " Tilføj dig selv under Medlemmer (eller åbn tovholderen), og sæt flueben ved"
        " “Netværkets tovholder”." in text(refused)
    )

    add_member(anna, "anna", "Anna Holm", coordinator=True)
    refused = anna.post("/tovholder/plan/2027/solve", follow_redirects=True)
    assert (
        "Planlægningsgruppe (3 pr. møde) og Referent (1) kan ikke kombineres, så hvert møde"
        " kræver 4 forskellige personer, men antallet af aktive medlemmer er 3. Tilføj flere"
        " medlemmer, eller giv en rolle færre pr. møde under Roller." in text(refused)
    )
    assert solve_jobs(app) == 0

    # Anna gives the planning group two holders through its form: now it may be planned.
    with app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "vest"))
        planning_id = next(r.id for r in network.roles if r.key == "planning")
    role = {"name": "Planlægningsgruppe", "per_meeting": "2", "includes_coordinator": "y"}
    assert anna.post(f"/tovholder/roller/{planning_id}", data=role).status_code == 303
    # Refused once more, plainly: nobody has answered the poll yet.
    refused = anna.post("/tovholder/plan/2027/solve", follow_redirects=True)
    assert "Ingen har svaret på afstemningen for 2027 endnu" in text(refused)
    assert solve_jobs(app) == 0
    # The members answer: now it may be planned.
    with app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "vest"))
        poll = network.polls[0]
        cells = [(d.day, "aarhus", Answer.YES) for d in poll.days]
        for member in network.members:
            record_answers(poll.id, member.id, cells)
        db.session.commit()
    assert anna.post("/tovholder/plan/2027/solve").status_code == 303
    assert solve_jobs(app) == 1
    wait_for_job(anna)


@pytest.mark.parametrize(
    ("sizes", "conflicts", "members", "expected"),
    [
        ((3, 1), True, 4, None),
        ((3, 1), True, 3, "a (3 pr. møde) og b (1) kan ikke kombineres, så hvert møde kræver 4"),
        ((5, 1), True, 5, "a (5 pr. møde) og b (1) kan ikke kombineres, så hvert møde kræver 6"),
        ((3, 1), False, 3, None),
        ((5, 1), False, 4, "a har 5 personer pr. møde, men antallet af aktive medlemmer er 4."),
        ((0, 0), True, 0, None),
    ],
)
def test_the_roles_shortfall_counts_the_largest_role_and_roles_that_cannot_be_combined(
    app, sizes, conflicts, members, expected
):
    roles = [
        SimpleNamespace(key="a", name="a", per_meeting=sizes[0], conflicts=[]),
        SimpleNamespace(key="b", name="b", per_meeting=sizes[1], conflicts=["a"] * conflicts),
    ]
    with app.test_request_context():
        found = roles_shortfall(roles, members)
    assert (found is None) if expected is None else (expected in found)
