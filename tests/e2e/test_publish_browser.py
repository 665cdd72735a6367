"""Publishing finishes the year, in Chromium: the coordinator publishes with both boxes ticked
(the poll closes, the plan is mailed); the member's page then leads with the plan and their
roles and has no answer form; the invitation is gone; sending the plan again goes through the
page that shows the mail and the number of recipients, and only "Send" sends it."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from poll.db import db
from poll.models import MessageLog, Network, Poll
from poll.planning import store_plan
from tests.calendar.test_feeds_helpers import answer, make_year, result_for
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

SLUG = "udgiv"


@pytest.fixture
def planned_year(live_server) -> dict[str, str]:
    """A network of its own whose 2027 poll has answers and a draft plan (version 1): the
    members' link tokens."""
    with live_server.app.app_context():
        fx = make_year(SLUG)
        poll = db.session.get(Poll, fx.poll_id)
        poll.deadline = date(2026, 12, 15)
        db.session.commit()
        answer(fx.poll_id, list(fx.member_ids.values()))
        poll = db.session.get(Poll, fx.poll_id)
        store_plan(poll, result_for(poll))
        db.session.commit()
    return fx.tokens


def plan_mails_to(live_server, address: str) -> list:
    """The plan mails written to the test's outbox folder (no mail server) for `address`."""
    folder = Path(live_server.app.config["MAIL_OUTBOX"])
    found = [message_from_bytes(f.read_bytes(), policy=default) for f in folder.glob("*.eml")]
    return [m for m in found if address in str(m["To"]) and "mødeplanen for 2027" in m["Subject"]]


def mails_of_this_network(live_server) -> int:
    with live_server.app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == SLUG))
        return len(
            db.session.scalars(select(MessageLog).where(MessageLog.network_id == network.id)).all()
        )


def test_publish_closes_the_year_and_mass_mail_asks_first(
    page: Page, live_server, planned_year, axe_violations
):
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(f"tovholder@{SLUG}.dk")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()

    # "Udgiv" offers both steps in the same form, ticked.
    page.goto("/tovholder/plan/2027")
    close = page.get_by_label("Luk afstemningen: medlemmerne kan ikke længere ændre deres svar")
    mail = page.get_by_label("Send planen til medlemmerne på mail")
    expect(close).to_be_checked()
    expect(mail).to_be_checked()
    page.get_by_role("button", name="Udgiv version 1").click()
    expect(page.get_by_text("Version 1 er udgivet, og afstemningen er lukket.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"5 af 5 beskeder sendt"))).to_be_visible(timeout=30_000)
    assert mails_of_this_network(live_server) == 5
    [received] = plan_mails_to(live_server, "maria@example.dk")
    assert "Du er: Referent" in received.get_body(("plain",)).get_content()
    with live_server.app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == SLUG))
        assert not network.polls[0].is_open

    # The member's page leads with the plan and her roles; the answers are closed.
    page.goto(f"/m/{planned_year['maria']}/2027")
    expect(page.locator("h1")).to_have_text("Planen for 2027")
    expect(page.get_by_role("heading", name="Dine roller i 2027")).to_be_visible()
    expect(page.locator(".my-year-roles")).to_contain_text("Referent: Møde 3")
    expect(
        page.get_by_text("Planen for 2027 er udgivet, og der kan ikke længere svares.")
    ).to_be_visible()
    expect(page.locator("form#answers")).to_have_count(0)
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_text("Indtil da kan du ændre dine svar")).to_have_count(0)
    assert axe_violations(page) == []

    # The year's invitation is gone from the messages page.
    page.goto("/tovholder/beskeder")
    expect(page.get_by_role("button", name="Send invitationen til alle medlemmer")).to_have_count(0)

    # A minute passes (a second send within one is held back); then the plan goes out again,
    # through the page that shows it first.
    with live_server.app.app_context():
        for log in db.session.scalars(select(MessageLog)):
            log.created_at -= timedelta(minutes=2)
        db.session.commit()
    page.reload()
    page.get_by_role("button", name="Send den udgivne plan (version 1)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Se efter, før du sender: Planen for 2027"
    )
    expect(page.get_by_text("Beskeden sendes til 5 medlemmer.")).to_be_visible()
    expect(page.locator(".mail-subject")).to_contain_text("Testnetværk: mødeplanen for 2027")
    expect(page.locator("pre.mail-text")).to_contain_text("Kære")
    assert axe_violations(page) == []
    assert mails_of_this_network(live_server) == 5  # nothing sent by looking
    page.get_by_role("button", name="Send til 5 medlemmer").click()
    expect(page.get_by_text(re.compile(r"5 af 5 beskeder sendt"))).to_be_visible(timeout=30_000)
    assert mails_of_this_network(live_server) == 10
