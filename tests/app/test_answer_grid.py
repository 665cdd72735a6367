"""Who answered what: the coordinator's people × days grid of a poll (a row per member, a column
per day and venue, each answer as a symbol and a word, totals per column), each member's
comment and role opt-outs, and the heat map's No counts on the overview. Both engines."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from poll.db import db
from poll.members import add_member
from poll.models import Answer, Member, Network
from poll.privacy.erasure import erase
from tests.factories import (
    PASSWORD,
    counting_queries,
    log_in,
    make_full_network,
    make_network,
    record_answers,
)

SECTION = re.compile(
    r'<section aria-labelledby="g\d+-h">\s*<h2 id="g\d+-h">([^<]+)</h2>(.*?)</section>', re.S
)
ROW = re.compile(r'<th scope="row" id="g\d+-m\d+">(.*?)</th>(.*?)</tr>', re.S)
CELL = re.compile(
    r'<td class="a-(yes|maybe|no|blank)[^"]*" headers="[^"]*">'
    r'<span aria-hidden="true">([^<]*)</span><span class="visually-hidden">([^<]*)</span></td>'
)
TOTAL = re.compile(r'<td class="total[^"]*" headers="[^"]*">(.*?)</td>', re.S)
COUNT = re.compile(
    r'<span class="count a-(\w+)"><span aria-hidden="true">([^<]*)</span>'
    r'<span class="visually-hidden">([^<]*)</span></span>'
)
VENUE = re.compile(r'<th scope="col" id="d\d+v\d+" class="venue[^"]*">([^<]+)</th>')
WEEK = re.compile(
    r'<th scope="colgroup" colspan="(\d+)" id="w\d+" class="first">'
    r'<span class="label">([^<]+)</span></th>'
)
DAY = re.compile(
    r'<th scope="colgroup" colspan="(\d+)" id="d\d+" class="first"><span class="label">([^<]+)'
)


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def grids(page: str) -> dict[str, dict]:
    """Meeting name → {"days": [(label, venues)], "venues": [...], "rows": {name: [(answer,
    shown, spoken)]}, "totals": [{answer: (shown, spoken)}]}, read from the rendered tables."""
    found = {}
    for name, body in SECTION.findall(page):
        rows = {}
        for who, cells in ROW.findall(body):
            rows[re.sub(r"<[^>]+>", "", who).strip()] = CELL.findall(cells)
        totals = [
            {kind: (shown, spoken) for kind, shown, spoken in COUNT.findall(cell)}
            for cell in TOTAL.findall(body)
        ]
        found[name] = {
            "weeks": [(label, int(span)) for span, label in WEEK.findall(body)],
            "days": [(label.strip(), int(span)) for span, label in DAY.findall(body)],
            "venues": VENUE.findall(body),
            "rows": rows,
            "totals": totals,
        }
    return found


@pytest.fixture
def fx(app, client):
    """Sara (not answered), Henrik and Maria (answered, Maria with a comment and an opt-out),
    Ole (inactive, answered) and Pia (answered, then erased): logged in."""
    with app.app_context():
        fixture = make_network(member_keys=("sara", "henrik", "maria", "pia"))
        network = db.session.get(Network, fixture.network_id)
        ole, _token = add_member(
            network, key="ole", name="Ole", email="ole@example.dk", active=False
        )
        db.session.flush()
        fixture.member_ids["ole"] = ole.id
        given = {
            "henrik": [
                (date(2027, 3, 1), "odense", Answer.YES),
                (date(2027, 3, 1), "vejle", Answer.MAYBE),
                (date(2027, 3, 2), "odense", Answer.NO),
            ],
            "maria": [
                (date(2027, 3, 1), "odense", Answer.YES),
                (date(2027, 3, 1), "vejle", Answer.NO),
                (date(2027, 6, 8), "vejle", Answer.YES),
            ],
            "ole": [(date(2027, 3, 1), "odense", Answer.NO)],
            "pia": [(date(2027, 3, 1), "odense", Answer.NO)],
        }
        extra = {
            "maria": {"comment": "Kan ikke om fredagen.", "cannot_roles": ["notes", "leader"]},
            "ole": {"comment": "Inaktiv kommentar"},
            "pia": {"comment": "Slettet kommentar"},
        }
        for who, cells in given.items():
            record_answers(fixture.poll_id, fixture.member_ids[who], cells, **extra.get(who, {}))
        db.session.commit()
        erase(db.session.get(Member, fixture.member_ids["pia"]))
        db.session.commit()
    log_in(client, fixture)
    return fixture


def url(fx) -> str:
    return f"/tovholder/afstemninger/{fx.poll_id}/svar"


def test_each_members_answers_show_as_symbol_and_text(app, client, fx):
    page = text(client.get(url(fx)))
    assert "<h1>Hvem svarede hvad, 2027</h1>" in page
    tables = grids(page)
    assert list(tables) == ["Møde 1", "Møde 2"]
    first = tables["Møde 1"]
    # Active members only, in alphabetical order; the erased and the inactive are left out.
    assert list(first["rows"]) == ["Henrik", "Maria", "Sara (ikke svaret)"]
    assert "Ole" not in page and "Pia" not in page and "tidligere medlem" not in page
    # Columns: every candidate day of weeks 9-10 at both venues, grouped by week and day.
    assert first["days"][0] == ("man. 1. mar.", 2)
    assert len(first["days"]) == 10
    assert first["venues"][:2] == ["Odense Bibliotek", "Vejle Bibliotek"]
    assert len(first["venues"]) == 20
    assert first["weeks"] == [("uge 9", 10), ("uge 10", 10)]
    henrik = first["rows"]["Henrik"]
    assert len(henrik) == 20
    assert henrik[0] == ("yes", "✓ Ja", "Ja")
    assert henrik[1] == ("maybe", "(✓) Hvis nødv.", "Hvis nødvendigt")
    assert henrik[2] == ("no", "✗ Nej", "Nej")
    assert henrik[3] == ("blank", "–", "Ikke svaret")
    maria = first["rows"]["Maria"]
    assert [a for a, _shown, _spoken in maria[:3]] == ["yes", "no", "blank"]
    assert {a for a, _s, _t in first["rows"]["Sara (ikke svaret)"]} == {"blank"}
    # Week 23: Maria's Ja on Tuesday 8 June at Vejle.
    second = tables["Møde 2"]
    tuesday = [label for label, _span in second["days"]].index("tirs. 8. jun.")
    assert second["rows"]["Maria"][2 * tuesday + 1] == ("yes", "✓ Ja", "Ja")
    # The legend says what the symbols mean.
    for words in (
        "✓</span> Ja",
        "(✓)</span> Hvis nødvendigt",
        "✗</span> Nej",
        "–</span> Ikke svaret",
    ):
        assert words in page


def test_each_column_has_a_total_of_every_answer(app, client, fx):
    totals = grids(text(client.get(url(fx))))["Møde 1"]["totals"]
    assert len(totals) == 20
    # Monday 1 March at Odense: Henrik and Maria Ja, Sara blank (Ole and Pia do not count).
    assert totals[0] == {
        "yes": ("✓ 2", "2 ja"),
        "maybe": ("(✓) 0", "0 hvis nødvendigt"),
        "no": ("✗ 0", "0 nej"),
        "blank": ("– 1", "1 ikke svaret"),
    }
    # Monday 1 March at Vejle: Henrik Hvis nødvendigt, Maria Nej.
    assert {k: spoken for k, (_shown, spoken) in totals[1].items()} == {
        "yes": "0 ja",
        "maybe": "1 hvis nødvendigt",
        "no": "1 nej",
        "blank": "1 ikke svaret",
    }
    # A day nobody answered: all three blank.
    assert totals[5]["blank"] == ("– 3", "3 ikke svaret")


def test_comments_and_role_opt_outs_are_shown_per_member(app, client, fx):
    page = text(client.get(url(fx)))
    notes = re.search(r'<table class="answer-notes">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td[^>]*>(.*?)</td>\s*<td>(.*?)</td>', notes)
    # Maria only: the inactive and the erased member's comments are not shown.
    assert rows == [("Maria", "Kan ikke om fredagen.", "Mødeleder, Referent")]
    assert "Inaktiv kommentar" not in page and "Slettet kommentar" not in page
    assert "Kommentarer og roller, medlemmerne ikke kan tage (1)" in page


def test_the_page_has_proper_table_semantics(app, client, fx):
    page = text(client.get(url(fx)))
    assert page.count('<table class="answer-grid">') == 2
    assert "<caption" in page and "Møde 1: hvert medlems svar pr. dag og mødested" in page
    assert page.count('role="region"') == 2 and page.count('tabindex="0"') == 2
    assert '<th scope="col" rowspan="3" id="g' in page
    # Every data cell names its member, week, day and venue headers, and those exist, once.
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    headers = re.findall(r'<td class="[^"]*" headers="([^"]+)">', page)
    assert len(headers) == (3 + 1) * (20 + 10)  # (3 members + the total) × 30 columns
    assert all(len(h.split()) == 4 and set(h.split()) <= set(ids) for h in headers)


def test_the_overview_links_to_the_grid(app, client, fx):
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    assert (
        f'<a href="/tovholder/afstemninger/{fx.poll_id}/svar">Se hvem der svarede hvad</a>' in page
    )


def test_the_heat_map_counts_no_as_well(app, client, fx):
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    cells = re.findall(
        r'<th scope="row">man. 1. mar.</th>\s*'
        r'<td class="heat[^"]*"><span class="n-yes">(\d+) ja</span> '
        r'<span class="n-maybe">(\d+) hvis nødvendigt</span> <span class="n-no">(\d+) nej</span>.*?'
        r'<td class="heat[^"]*"><span class="n-yes">(\d+) ja</span> '
        r'<span class="n-maybe">(\d+) hvis nødvendigt</span> <span class="n-no">(\d+) nej</span>',
        page,
        re.S,
    )
    # Odense: Henrik and Maria Ja (Ole inactive, Pia erased).
    # Vejle: Henrik Hvis nødvendigt, Maria Nej.
    assert cells == [("2", "0", "0", "0", "1", "1")]
    assert "Ja, Hvis nødvendigt og Nej" in page
    english = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}?lang=en"))
    assert '<span class="n-no">1 no</span>' in english


def test_the_grid_speaks_english_on_request(app, client, fx):
    page = text(client.get(url(fx) + "?lang=en"))
    assert "Who answered what, 2027" in page
    henrik = grids(page)["Møde 1"]["rows"]["Henrik"]
    assert henrik[:4] == [
        ("yes", "✓ Yes", "Yes"),
        ("maybe", "(✓) If need be", "If need be"),
        ("no", "✗ No", "No"),
        ("blank", "–", "Not answered"),
    ]


def test_the_grid_needs_a_login(app, client, fx):
    client.post("/tovholder/logout")
    response = client.get(url(fx))
    assert response.status_code in (302, 303)
    assert "/tovholder/login" in response.headers["Location"]


def test_another_networks_poll_is_not_found(app, client, fx):
    with app.app_context():
        theirs = make_network(member_keys=("ole2", "pia2"), slug="andet")
        record_answers(
            theirs.poll_id, theirs.member_ids["pia2"], [(date(2027, 3, 1), "odense", Answer.YES)]
        )
        db.session.commit()
    response = client.get(f"/tovholder/afstemninger/{theirs.poll_id}/svar")
    assert response.status_code == 404
    assert "Pia2" not in response.get_data(as_text=True)
    assert client.get("/tovholder/afstemninger/999999/svar").status_code == 404


# -- size ------------------------------------------------------------------------------------


@pytest.fixture
def big(app, client):
    with app.app_context():
        full = make_full_network()
    client.post("/tovholder/login", data={"email": full.email, "password": PASSWORD})
    return full.poll_id


def test_the_grid_of_a_full_network_uses_few_queries(app, client, big):
    with counting_queries(app) as statements:
        page = text(client.get(f"/tovholder/afstemninger/{big}/svar"))
    tables = grids(page)
    assert sum(len(t["rows"]) for t in tables.values()) == 120  # 60 members, two meetings
    assert sum(len(t["venues"]) for t in tables.values()) == 92  # 46 days × 2 venues
    assert len(statements) <= 14, len(statements)
