"""The member page at full size (60 members, 46 days, 2 venues, everyone answered) sends few
queries: their number must not grow with the poll (no N+1). bench/app_bench.py times it."""

from __future__ import annotations

from sqlalchemy import select

from poll.db import db
from poll.members import add_member, member_by_token
from poll.models import Network, Response
from tests.factories import CYCLE, counting_queries, make_full_network

MEMBERS, DAYS, RUNS = 60, 46, 7


def build(app) -> tuple[str, list[int], list[int]]:
    """The full network plus one member who has not answered yet: their token, days, venues."""
    with app.app_context():
        full = make_full_network(MEMBERS)
        network = db.session.get(Network, full.network_id)
        token = add_member(network, key="me", name="Mig")[1]
        db.session.commit()
    assert len(full.day_ids) == DAYS and len(full.venue_ids) == 2
    return token, full.day_ids, full.venue_ids


def test_render_and_save_at_full_size_use_few_queries(app, client):
    token, days, venues = build(app)
    page_url, save_url = f"/m/{token}", f"/m/{token}/2027"
    full_form = {
        f"a-{d}-{v}": CYCLE[(j + k) % 3].value
        for j, d in enumerate(days)
        for k, v in enumerate(venues)
    }
    client.get(page_url)  # warm up templates and caches
    client.post(save_url, data={**full_form, "comment": "første"})

    with counting_queries(app) as statements:
        page = client.get(page_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('type="radio"') == 3 * DAYS * 2
    assert html.count('<td class="tally">Andre:') == DAYS
    render_queries = len(statements)
    assert render_queries <= 12, statements

    changed = dict(full_form)
    for name in list(changed)[:10]:
        changed[name] = "yes" if changed[name] != "yes" else "no"
    with counting_queries(app) as statements:
        saved = client.post(save_url, data={**changed, "comment": "anden"})
    assert saved.status_code == 303
    save_queries = len(statements)
    writes = [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    # All ten changed cells go into the member's one row: make sure of it, then rewrite it.
    assert [w.split()[:3] for w in writes] == [
        ["INSERT", "INTO", "responses"],
        ["UPDATE", "responses", "SET"],
    ], writes
    assert save_queries <= 7, statements  # issue 14; tests/app/test_save_statements.py

    # Speed itself is measured by bench/app_bench.py; here only that repeated saves land.
    for run in range(RUNS):
        form = {**full_form, "comment": f"kørsel {run}"}
        name = list(form)[run]
        form[name] = "maybe" if form[name] != "maybe" else "yes"
        assert client.post(save_url, data=form).status_code == 303
    with app.app_context():
        me = member_by_token(token)
        day_ids = {d.day.isoformat(): d.id for d in me.network.polls[0].days}
        venue_ids = {v.key: v.id for v in me.network.venues}
        response = db.session.scalar(select(Response).where(Response.member_id == me.id))
        mine = {f"a-{day_ids[d]}-{venue_ids[v]}": value.value for d, v, value in response.cells()}
    assert mine == {k: v for k, v in form.items() if k.startswith("a-")}
