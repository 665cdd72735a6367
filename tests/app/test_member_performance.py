"""The member page stays fast at full size: 60 members, 46 days, 2 venues, everyone answered.
The query count must not grow with the poll (no N+1); timings are printed (pytest -s) and only
guarded loosely, so a slow machine does not fail the suite."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import delete, event, insert, select

from poll.days import week_window
from poll.db import db
from poll.members import add_member, member_by_token
from poll.models import Answer, Availability, CandidateDay, Network, Venue
from poll.network_admin import default_roles, default_venues
from poll.poll_admin import MeetingDraft, PollRules, create_poll

MEMBERS, DAYS, RUNS = 60, 46, 7
VALUES = [Answer.YES, Answer.MAYBE, Answer.NO]


def build(app) -> tuple[str, list[int], list[int]]:
    """The big network; returns the first member's token, the day ids and the venue ids."""
    with app.app_context():
        network = Network(slug="stor", name="Stort netværk")
        db.session.add(network)
        default_venues(network)
        default_roles(network)
        members = [
            add_member(network, key=f"m{i}", name=f"Medlem {i:02d}")[0] for i in range(MEMBERS)
        ]
        token = add_member(network, key="me", name="Mig")[1]
        db.session.flush()
        poll = create_poll(
            network,
            2027,
            PollRules(
                [
                    MeetingDraft(None, "Møde 1", week_window(2027, 2, 6)),
                    MeetingDraft(None, "Møde 2", week_window(2027, 33, 37)),
                ]
            ),
        )
        days = list(
            db.session.scalars(
                select(CandidateDay.id)
                .where(CandidateDay.poll_id == poll.id)
                .order_by(CandidateDay.day)
            )
        )
        db.session.execute(delete(CandidateDay).where(CandidateDay.id.in_(days[DAYS:])))
        days = days[:DAYS]
        venues = list(db.session.scalars(select(Venue.id).where(Venue.network_id == network.id)))
        rows = [
            {"member_id": m.id, "day_id": d, "venue_id": v, "value": VALUES[(i + j + k) % 3]}
            for i, m in enumerate(members)
            for j, d in enumerate(days)
            for k, v in enumerate(venues)
        ]
        db.session.execute(insert(Availability), rows)
        db.session.commit()
        assert len(days) == DAYS and len(venues) == 2
        return token, days, venues


@contextmanager
def counting(app):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_render_and_save_at_full_size_use_few_queries(app, client):
    token, days, venues = build(app)
    page_url, save_url = f"/m/{token}", f"/m/{token}/2027"
    full_form = {
        f"a-{d}-{v}": VALUES[(j + k) % 3].value
        for j, d in enumerate(days)
        for k, v in enumerate(venues)
    }
    client.get(page_url)  # warm up templates and caches
    client.post(save_url, data={**full_form, "comment": "første"})

    with counting(app) as statements:
        page = client.get(page_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('type="radio"') == 3 * DAYS * 2
    assert html.count('<p class="tally">Andre:') == DAYS * 2
    render_queries = len(statements)
    assert render_queries <= 12, statements

    changed = dict(full_form)
    for name in list(changed)[:10]:
        changed[name] = "yes" if changed[name] != "yes" else "no"
    with counting(app) as statements:
        saved = client.post(save_url, data={**changed, "comment": "anden"})
    assert saved.status_code == 303
    save_queries = len(statements)
    availability_writes = [s for s in statements if "INSERT INTO availability" in s]
    assert len(availability_writes) <= 2, availability_writes  # one bulk upsert (maybe batched)
    assert save_queries <= 16, statements

    # Speed itself is measured by bench/app_bench.py; here only that repeated saves land.
    for run in range(RUNS):
        form = {**full_form, "comment": f"kørsel {run}"}
        name = list(form)[run]
        form[name] = "maybe" if form[name] != "maybe" else "yes"
        assert client.post(save_url, data=form).status_code == 303
    with app.app_context():
        me = member_by_token(token)
        mine = {
            f"a-{d}-{v}": value.value
            for d, v, value in db.session.execute(
                select(Availability.day_id, Availability.venue_id, Availability.value).where(
                    Availability.member_id == me.id
                )
            )
        }
    assert mine == {k: v for k, v in form.items() if k.startswith("a-")}
