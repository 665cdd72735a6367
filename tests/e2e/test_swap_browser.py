"""A role swap in Chromium: the referent says "Jeg kan ikke alligevel" on the meeting page of
their personal link, the coordinator opens the mail's link, sees the candidates and chooses the
first; a new version is published with that one holder changed, and both members are mailed."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from poll.db import db
from poll.models import Answer, Plan, PlanStatus, Poll
from poll.planning import build_instance, store_plan
from poll.publishing import publish
from solver import solve
from tests.factories import PASSWORD, Fixture, make_network, record_answers

pytestmark = pytest.mark.e2e

SLUG = "rollebytte"
MEMBERS = ("sara", "henrik", "maria", "berit", "kis", "jens")


@pytest.fixture
def published(live_server) -> Fixture:
    """A network of its own where everyone can come every day, with the solver's plan for 2027
    published."""
    with live_server.app.app_context():
        fx = make_network(MEMBERS, slug=SLUG)
        poll = db.session.get(Poll, fx.poll_id)
        cells = [(d.day, v.key, Answer.YES) for d in poll.days for v in poll.network.venues]
        for member in poll.network.members:
            record_answers(poll.id, member.id, cells)
        db.session.commit()
        publish(db.session.get(Plan, store_plan(poll, solve(build_instance(poll)))))
        db.session.commit()
    return fx


def _result(live_server, fx: Fixture) -> dict:
    with live_server.app.app_context():
        plan = db.session.scalar(
            select(Plan).where(Plan.poll_id == fx.poll_id, Plan.status == PlanStatus.PUBLISHED)
        )
        return {"version": plan.version, **plan.result}


def _mails_to(live_server, address: str, subject: str) -> list:
    folder = Path(live_server.app.config["MAIL_OUTBOX"])
    found = [message_from_bytes(f.read_bytes(), policy=default) for f in folder.glob("*.eml")]
    return [m for m in found if address in str(m["To"]) and subject in m["Subject"]]


def test_a_referent_withdraws_and_the_coordinator_chooses_the_replacement(
    page: Page, live_server, published, axe_violations
):
    before = _result(live_server, published)
    leaving = before["meetings"][0]["roles"]["notes"][0]

    page.goto(f"/m/{published.tokens[leaving]}/moede/2027/m1")
    section = page.locator("#rollebytte")
    expect(section).to_contain_text("Du er Referent ved dette møde.")
    assert axe_violations(page) == []
    section.get_by_role("button", name="Jeg kan ikke alligevel (Referent)").click()
    expect(page.get_by_text("Koordinatoren har fået besked")).to_be_visible()
    expect(section).to_contain_text("Du har meldt, at du ikke kan være Referent.")

    [told] = _mails_to(live_server, "sara@example.dk", "kan alligevel ikke være Referent")
    text = told.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+(/tovholder/plan/2027/rollebytte/\d+)", text)
    assert link is not None
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(f"tovholder@{SLUG}.dk")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.goto(link.group(1))
    expect(page.locator("h1")).to_contain_text("kan alligevel ikke være Referent ved Møde 1")
    rows = page.locator("tbody tr")
    expect(rows.first).to_be_visible()
    first = rows.first.locator("th").inner_text().split(" (")[0].strip()
    assert axe_violations(page) == []
    rows.first.get_by_role("button", name=re.compile("^Vælg")).click()
    expect(
        page.get_by_text(
            re.compile(rf"Version {before['version'] + 1} er udgivet med {first} som Referent")
        )
    ).to_be_visible()

    after = _result(live_server, published)
    assert after["version"] == before["version"] + 1
    changed = [
        (m["id"], rid, sorted(set(old["roles"][rid]) ^ set(m["roles"][rid])))
        for old, m in zip(before["meetings"], after["meetings"], strict=True)
        for rid in m["roles"]
        if old["roles"][rid] != m["roles"][rid]
    ]
    new = first.lower()
    assert changed == [("m1", "notes", sorted([leaving, new]))]
    for key in (leaving, new):
        [mail] = _mails_to(live_server, f"{key}@example.dk", "mødeplanen for 2027 er ændret")
        assert any(p.get_content_type() == "text/calendar" for p in mail.iter_attachments())

    # The new holder's meeting page offers them the role to give up; the old one's no longer.
    page.goto(f"/m/{published.tokens[new]}/moede/2027/m1")
    expect(page.locator("#rollebytte")).to_contain_text("Du er Referent ved dette møde.")
    page.goto(f"/m/{published.tokens[leaving]}/moede/2027/m1")
    expect(page.get_by_text("Du er Referent ved dette møde.")).to_have_count(0)
