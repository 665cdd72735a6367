"""The member page at full size (60 members, 46 days, 2 venues, everyone answered) sends at
most 9 SQL statements: the member (with the network), the network's polls, the venues, the
roles, the meetings, the days, the member's response with the id of the poll's published plan
and whether the member keeps calendar data (on PostgreSQL also a fingerprint of the poll's
responses), the others' answers to count them per day (on PostgreSQL only when the fingerprint
shows a change since the process last counted), and the member's calendar connection with its
flags (one outer join) only when the response's statement found any; the published plan itself
only once there is one. A page that grows (a query per cell or per member, the others' names)
fails here. The names come on demand from their own view."""

from __future__ import annotations

from poll.db import db
from poll.members import add_member
from poll.models import Network
from tests.factories import counting_queries, make_full_network

BUDGET = 9
MEMBERS, DAYS = 60, 46


def build(app) -> str:
    with app.app_context():
        network = db.session.get(Network, make_full_network(MEMBERS).network_id)
        token = add_member(network, key="me", name="Mig")[1]
        db.session.commit()
    return token


def test_the_member_page_keeps_to_its_statement_budget(app, client):
    token = build(app)
    client.get(f"/m/{token}")  # warm up
    for path in (f"/m/{token}", f"/m/{token}/2027"):
        with counting_queries(app) as statements:
            page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert html.count('type="radio"') == 3 * DAYS * 2
        assert html.count('<td class="tally">Andre:') == DAYS
        assert len(statements) <= BUDGET, "\n".join(statements)
        # The member's own response, and the others' answers only where they may have changed.
        reads = [s for s in statements if "responses.answers" in s]
        postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres")
        assert len(reads) == (1 if postgres else 2), reads
        assert not [s for s in statements if "members.name" in s and "responses" in s]
        assert len(html.encode()) <= 50_000


def test_the_names_view_is_one_more_read_of_the_answers(app, client):
    token = build(app)
    with counting_queries(app) as statements:
        names = client.get(f"/m/{token}/2027/andre", headers={"Accept": "application/json"})
    assert names.status_code == 200
    cells = names.json["cells"]
    assert len(cells) == DAYS * 2
    assert all(set(names) == {"yes", "maybe"} for names in cells.values())
    assert len(statements) <= BUDGET, "\n".join(statements)
