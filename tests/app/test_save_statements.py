"""A member's save at full size (60 members, 46 days, 2 venues) sends at most 7 SQL statements,
with and without JavaScript and by a shortcut: the member (with the network), the poll, the
member's response made sure of and locked, the days, the venues, the roles, the update. A save
that grows (a reload of the sheet, the other members, a query per cell) fails here."""

from __future__ import annotations

from sqlalchemy import select

from poll.answers import encode_shown_cells
from poll.db import db
from poll.members import add_member
from poll.models import CandidateDay, Member, Network, Response, Venue
from tests.factories import CYCLE, counting_queries, make_full_network

BUDGET = 7


def build(app) -> tuple[str, list[int], list[int]]:
    """The full network plus one member who has answered everything: token, days, venues."""
    with app.app_context():
        full = make_full_network(60)
        network = db.session.get(Network, full.network_id)
        token = add_member(network, key="me", name="Mig")[1]
        db.session.commit()
    return token, full.day_ids, full.venue_ids


def page_form(days: list[int], venues: list[int], flip: int = 0) -> dict[str, str]:
    """What the page posts: every cell (the first `flip` changed), the comment, the roles, and
    what the page showed."""
    shown = {(d, v): CYCLE[(j + k) % 3] for j, d in enumerate(days) for k, v in enumerate(venues)}
    form = {f"a-{d}-{v}": value.value for (d, v), value in shown.items()}
    for name in list(form)[:flip]:
        form[name] = "yes" if form[name] != "yes" else "no"
    return {
        **form,
        "comment": "Kan bedst om tirsdagen.",
        "cannot_roles_shown": "1",
        "was_cells": encode_shown_cells(shown),
        "was_comment": "",
        "was_roles": "",
    }


def saved_cells(app) -> dict[str, str]:
    """The member's stored answers as form fields."""
    with app.app_context():
        me = db.session.scalars(
            select(Response).join(Response.member).where(Member.key == "me")
        ).one()
        days = {d.day.isoformat(): d.id for d in db.session.scalars(select(CandidateDay))}
        venues = {v.key: v.id for v in db.session.scalars(select(Venue))}
        return {f"a-{days[d]}-{venues[v]}": a.value for d, v, a in me.cells()}


def first_save(client, url: str, days: list[int], venues: list[int]) -> None:
    form = page_form(days, venues)
    form["was_cells"] = ""
    assert client.post(url, data=form).status_code == 303


def test_a_save_with_javascript_sends_at_most_seven_statements(app, client):
    token, days, venues = build(app)
    url = f"/m/{token}/2027"
    first_save(client, url, days, venues)
    with counting_queries(app) as statements:
        reply = client.post(
            url, data=page_form(days, venues, flip=10), headers={"Accept": "application/json"}
        )
    assert reply.status_code == 200, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["ok"] is True and body["warnings"] == []
    assert body["state"] == "answered"
    assert "46 of 46 days answered" in body["progress_html"] or "46 af 46" in body["progress_html"]
    assert len(statements) <= BUDGET, "\n".join(statements)
    assert {k: v for k, v in saved_cells(app).items()} == {
        k: v for k, v in page_form(days, venues, flip=10).items() if k.startswith("a-")
    }
    writes = [s.split()[:3] for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    # The member's row is made sure of and locked first, then rewritten once.
    assert writes == [["INSERT", "INTO", "responses"], ["UPDATE", "responses", "SET"]], writes


def test_a_save_without_javascript_sends_at_most_seven_statements(app, client):
    token, days, venues = build(app)
    url = f"/m/{token}/2027"
    first_save(client, url, days, venues)
    form = page_form(days, venues, flip=10)
    with counting_queries(app) as statements:
        reply = client.post(url, data=form)
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith(url)
    assert len(statements) <= BUDGET, "\n".join(statements)
    page = client.get(url).get_data(as_text=True)
    assert "Gemt kl." in page or "Saved at" in page
    assert saved_cells(app) == {k: v for k, v in form.items() if k.startswith("a-")}


def test_a_shortcut_save_sends_at_most_seven_statements(app, client):
    token, days, venues = build(app)
    url = f"/m/{token}/2027"
    first_save(client, url, days, venues)
    form = page_form(days, venues)
    form["shortcut"] = f"venue:{venues[0]}:no"
    with counting_queries(app) as statements:
        reply = client.post(url, data=form)
    assert reply.status_code == 303
    assert reply.headers["Location"].endswith("#hurtigt")
    assert len(statements) <= BUDGET, "\n".join(statements)
    page = client.get(url).get_data(as_text=True)
    assert page.count("sat til") + page.count("set to") >= 1
    cells = saved_cells(app)
    assert all(cells[f"a-{d}-{venues[0]}"] == "no" for d in days)
