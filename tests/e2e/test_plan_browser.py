"""The coordinator's year in Chromium: create a poll, members answer, plan, pin, re-plan,
publish, and a member sees the plan; plus an axe-core scan of the plan page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from poll.auth import set_password
from poll.db import db
from poll.members import add_member
from poll.models import Answer, CoordinatorAccount, Network, Plan
from poll.network_admin import default_roles, default_venues
from tests.factories import PASSWORD, record_answers

pytestmark = pytest.mark.e2e

MEMBERS = ("sara", "henrik", "maria", "berit", "kis")
BY_BROWSER = ("sara", "henrik", "maria")


@pytest.fixture
def fresh_network(live_server) -> dict[str, str]:
    """A network without a poll: its coordinator's e-mail and its members' link tokens."""
    with live_server.app.app_context():
        network = Network(slug="flow", name="Flownetværket")
        db.session.add(network)
        default_venues(network)
        default_roles(network)
        tokens = {}
        for i, key in enumerate(MEMBERS):
            _member, tokens[key] = add_member(
                network,
                key=key,
                name=key.capitalize(),
                email=f"{key}@flow.dk",
                is_coordinator=i == 0,
            )
        account = CoordinatorAccount(networks=[network], email="tovholder@flow.dk", name="Sara")
        set_password(account, PASSWORD)
        db.session.add(account)
        db.session.commit()
    return tokens


def log_in(page: Page, email: str) -> None:
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def answer_everything_yes(live_server, keys: tuple[str, ...]) -> None:
    with live_server.app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "flow"))
        poll = network.polls[0]
        for member in (m for m in network.members if m.key in keys):
            cells = [(d.day, v.key, Answer.YES) for d in poll.days for v in network.venues]
            record_answers(poll.id, member.id, cells)
        db.session.commit()


def stored_plans(live_server) -> list[dict]:
    with live_server.app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "flow"))
        return [
            {"version": p.version, "status": p.status.value, "result": p.result}
            for p in db.session.scalars(
                select(Plan).where(Plan.poll_id == network.polls[0].id).order_by(Plan.version)
            )
        ]


def wait_for_plan(page: Page, version: int) -> None:
    expect(page.get_by_role("heading", name=re.compile(f"^Version {version}:"))).to_be_visible(
        timeout=60_000
    )


def test_the_whole_year_in_the_browser(page: Page, live_server, fresh_network, axe_violations):
    log_in(page, "tovholder@flow.dk")

    # The coordinator creates the 2027 poll from two windows given as ISO weeks.
    page.goto("/tovholder/afstemninger/ny")
    page.locator('input[name="year"]').fill("2027")
    page.locator('input[name="meetings-0-name"]').fill("Forårsmøde")
    page.locator('input[name="meetings-0-weeks"]').fill("9-10")
    page.locator('input[name="meetings-1-name"]').fill("Sommermøde")
    page.locator('input[name="meetings-1-weeks"]').fill("23")
    page.get_by_role("button", name="Vis de mulige dage").click()
    expect(page.get_by_text("uge 9").first).to_be_visible()
    page.get_by_role("button", name="Opret afstemningen").click()
    expect(page.get_by_text("Afstemningen for 2027 er oprettet")).to_be_visible()

    # Three members answer through their links; two more have answered already.
    for key in BY_BROWSER:
        page.goto(f"/m/{fresh_network[key]}")
        page.get_by_role("button", name="Sæt alle dage til Ja", exact=True).click()
        page.get_by_role("button", name="Gem svar", exact=True).click()
        expect(page.locator("#save-status")).to_have_text(re.compile(r"Gemt kl\."))
    answer_everything_yes(live_server, ("berit", "kis"))

    # Plan the year.
    page.goto("/tovholder/plan/2027")
    page.get_by_role("button", name="Planlæg året").click()
    wait_for_plan(page, 1)
    [first] = stored_plans(live_server)
    pinned = first["result"]["meetings"][0]
    assert first["result"]["status"] == "optimal"

    # Pin the first meeting's date and venue; then make that date worse for attendance.
    page.get_by_role("button", name="Fastlås dato og mødested").first.click()
    expect(page.get_by_role("heading", name="Fastlåste beslutninger")).to_be_visible()
    with live_server.app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "flow"))
        kis = next(m for m in network.members if m.key == "kis")
        day = date.fromisoformat(pinned["date"])
        record_answers(
            network.polls[0].id, kis.id, [(day, v.key, Answer.NO) for v in network.venues]
        )
        db.session.commit()

    # Re-plan: the pin holds.
    page.get_by_role("button", name="Planlæg igen").click()
    wait_for_plan(page, 2)
    second = stored_plans(live_server)[1]["result"]["meetings"][0]
    assert (second["date"], second["venue"]) == (pinned["date"], pinned["venue"])

    assert axe_violations(page) == []

    # Publish, and a member sees the plan on their own page.
    page.get_by_role("button", name="Udgiv version 2").click()
    expect(page.get_by_text("Version 2 er udgivet, og afstemningen er lukket.")).to_be_visible()
    assert stored_plans(live_server)[1]["status"] == "published"
    page.goto(f"/m/{fresh_network['henrik']}")
    expect(page.get_by_role("heading", name="Planen for 2027")).to_be_visible()
    expect(page.get_by_text("Forårsmøde").first).to_be_visible()
