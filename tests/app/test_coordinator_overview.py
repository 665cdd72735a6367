"""The poll overview: N of M answered every day, who answered partly, who is missing, the
day × venue heat map with its best cells, comments, and its speed for a full-size network.
Both engines."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from poll.db import db
from poll.members import add_member
from poll.models import (
    Answer,
    Network,
)
from tests.factories import (
    PASSWORD,
    counting_queries,
    log_in,
    make_full_network,
    make_network,
    record_answers,
)

ROW = re.compile(
    r'<tr>\s*<th scope="row">([^<]+?)(?: <span[^>]*>[^<]*</span>)?</th>(.*?)</tr>', re.S
)
CELL = re.compile(
    r'<td class="heat heat-(\d)( best)?"><span class="n-yes">(\d+) ja</span> '
    r'<span class="n-maybe">(\d+) hvis nødvendigt</span> <span class="n-no">\d+ nej</span>'
)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def heat(page: str) -> dict[str, list[tuple[int, int, bool]]]:
    """Day label → [(yes, maybe, best) per venue], from the rendered table."""
    table = {}
    for label, cells in ROW.findall(page):
        found = CELL.findall(cells)
        if found:
            table[label.strip()] = [(int(y), int(m), bool(b)) for _lvl, b, y, m in found]
    return table


@pytest.fixture
def fx(app, client):
    """Sara (missing), Henrik and Maria (answered), and Ole (inactive, answered: not counted)."""
    with app.app_context():
        fixture = make_network()
        network = db.session.get(Network, fixture.network_id)
        ole, _token = add_member(
            network, key="ole", name="Ole", email="ole@example.dk", active=False
        )
        db.session.flush()
        fixture.member_ids["ole"] = ole.id
        given = [
            ("henrik", date(2027, 3, 1), "odense", Answer.YES),
            ("henrik", date(2027, 3, 1), "vejle", Answer.MAYBE),
            ("henrik", date(2027, 3, 2), "odense", Answer.YES),
            ("maria", date(2027, 3, 1), "odense", Answer.YES),
            ("maria", date(2027, 3, 1), "vejle", Answer.NO),
            ("maria", date(2027, 3, 2), "odense", Answer.MAYBE),
            ("maria", date(2027, 6, 8), "vejle", Answer.YES),
            ("ole", date(2027, 3, 2), "odense", Answer.YES),
        ]
        for who, comment in [("henrik", "Kan ikke om fredagen."), ("maria", ""), ("ole", "x")]:
            record_answers(
                fixture.poll_id,
                fixture.member_ids[who],
                [(day, venue, value) for w, day, venue, value in given if w == who],
                comment=comment,
            )
        db.session.commit()
    log_in(client, fixture)
    return fixture


def test_the_overview_counts_answers_and_names_who_is_missing(app, client, fx):
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    # Henrik and Maria left days blank: they have answered partly.
    assert "0 af 3 har svaret på alle dage</strong>;\n  2 har svaret delvist" in page
    missing = re.search(r'<ul class="missing">(.*?)</ul>', page, re.S).group(1)
    assert "Sara" in missing
    assert "Henrik" not in missing and "Maria" not in missing and "Ole" not in missing
    assert "Henrik:</strong> Kan ikke om fredagen." in page
    assert "Ole:" not in page  # inactive members are not part of the overview
    dashboard = text(client.get("/tovholder/"))
    assert "0 af 3 har svaret på alle dage; 2 har svaret delvist" in dashboard


def test_the_heat_map_shows_yes_and_maybe_per_day_and_venue_as_text(app, client, fx):
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    table = heat(page)
    # Columns: Odense, Vejle.
    assert table["man. 1. mar."] == [(2, 0, True), (0, 1, False)]
    assert table["tirs. 2. mar."] == [(1, 1, False), (0, 0, False)]  # Ole does not count
    assert table["ons. 3. mar."] == [(0, 0, False), (0, 0, False)]
    assert table["tirs. 8. jun."] == [(0, 0, False), (1, 0, True)]
    assert len(table) == 15
    # Grouped by ISO week, and the best cell is named in words too.
    assert page.index(">uge 9<") < page.index("man. 1. mar.") < page.index(">uge 10<")
    assert (
        "Bedst:" in page
        and "mandag den 1. marts 2027, Odense Bibliotek (2 ja, 0 hvis nødvendigt)" in page
    )
    assert "<caption>Møde 1: Ja, Hvis nødvendigt og Nej pr. dag og mødested</caption>" in page


def test_a_poll_without_answers_has_an_empty_overview(app, client):
    with app.app_context():
        fixture = make_network(slug="tom")
    log_in(client, fixture)
    page = text(client.get(f"/tovholder/afstemninger/{fixture.poll_id}"))
    assert "0 af 3 har svaret på alle dage" in page
    assert "Ingen svar endnu." in page
    assert all(cells == [(0, 0, False), (0, 0, False)] for cells in heat(page).values())


# -- speed -----------------------------------------------------------------------------------


@pytest.fixture
def big(app, client):
    """60 members who all answered 46 days at 2 venues (5,520 answers); logged in."""
    with app.app_context():
        full = make_full_network()
    client.post("/tovholder/login", data={"email": full.email, "password": PASSWORD})
    return full.poll_id


def test_the_overview_of_a_full_network_uses_few_queries(app, client, big):
    url = f"/tovholder/afstemninger/{big}"
    with counting_queries(app) as statements:
        first = client.get(url)
    assert first.status_code == 200
    page = text(first)
    assert "60 af 60 har svaret på alle dage" in page
    assert len(heat(page)) == 46
    # The account and its network, the poll, the venues, the active members with their answers,
    # the meetings with their days, whether a plan exists, and the failed messages for the menu.
    assert len(statements) <= 8, "\n".join(statements)
    # Its speed is measured by bench/app_bench.py, not asserted here.


def test_the_overview_speaks_english_on_request(app, client, fx):
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}?lang=en"))
    assert "0 of 3 have answered every day" in page and "2 have answered partly" in page
    assert (
        '<span class="n-yes">2 yes</span> <span class="n-maybe">0 if need be</span>'
        ' <span class="n-no">0 no</span>'
    ) in page
    assert "week 9" in page and "Not answered yet" in page
