"""The flow between the coordinator's steps in Chromium (issue 12, point 4): the new-poll form
lands on its preview with the create button in view; the overview plans the year in one click;
the published version stays in view beside a newer draft; pinned decisions are marked."""

from __future__ import annotations

import itertools
import re

import pytest
from playwright.sync_api import Locator, Page, expect

from poll.auth import set_password
from poll.days import week_window
from poll.db import db
from poll.members import add_member
from poll.models import Answer, CoordinatorAccount, Network
from poll.network_admin import default_roles, default_venues
from poll.poll_admin import MeetingDraft, PollRules, create_poll
from tests.factories import PASSWORD, record_answers

pytestmark = pytest.mark.e2e

MEMBERS = ("sara", "henrik", "maria", "berit", "kis")
_numbers = itertools.count(1)


def make_network(live_server, *, with_poll: bool) -> tuple[str, int | None]:
    """A new network (its own slug and coordinator): the coordinator's e-mail, and the id of a
    2027 poll everyone answered Yes to (two meetings, weeks 9-10 and 23), if asked for."""
    n = next(_numbers)
    with live_server.app.app_context():
        network = Network(slug=f"flyt{n}", name=f"Flytnetværk {n}")
        db.session.add(network)
        default_venues(network)
        default_roles(network)
        members = [
            add_member(network, key=key, name=key.capitalize(), is_coordinator=i == 0)[0]
            for i, key in enumerate(MEMBERS)
        ]
        email = f"tovholder@flyt{n}.dk"
        account = CoordinatorAccount(networks=[network], email=email, name="Sara")
        set_password(account, PASSWORD)
        db.session.add(account)
        db.session.flush()
        poll_id = None
        if with_poll:
            poll = create_poll(
                network,
                2027,
                PollRules(
                    [
                        MeetingDraft(None, "Forårsmøde", week_window(2027, 9, 10)),
                        MeetingDraft(None, "Sommermøde", week_window(2027, 23, 23)),
                    ]
                ),
            )
            cells = [(d.day, v.key, Answer.YES) for d in poll.days for v in network.venues]
            for member in members:
                record_answers(poll.id, member.id, cells)
            poll_id = poll.id
        db.session.commit()
    return email, poll_id


def log_in(page: Page, email: str) -> None:
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def in_view(page: Page, locator: Locator) -> bool:
    """Whether the whole element lies inside the viewport as the page stands."""
    box = locator.bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    return box["y"] >= 0 and box["y"] + box["height"] <= size["height"]


def test_the_preview_lands_in_view_with_the_create_button(page: Page, live_server, axe_violations):
    email, _poll = make_network(live_server, with_poll=False)
    log_in(page, email)
    page.goto("/tovholder/afstemninger/ny")
    page.get_by_label("År").fill("2027")
    for number, name, weeks in ((1, "Forårsmøde", "9-10"), (2, "Efterårsmøde", "37")):
        row = page.get_by_role("group", name=f"Møde {number}")
        row.get_by_label("Navn").fill(name)
        row.get_by_label("Uger").fill(weeks)
    page.get_by_role("button", name="Vis de mulige dage").click()
    heading = page.get_by_role("heading", name="Mulige dage")
    expect(heading).to_be_visible()
    assert page.url.endswith("#forhaandsvisning")
    create = page.get_by_role("button", name="Opret afstemningen")
    # Where the browser landed, without scrolling: the preview's heading and its button.
    assert page.evaluate("window.scrollY") > 0
    assert in_view(page, heading)
    assert in_view(page, create)
    assert axe_violations(page) == []
    create.click()
    expect(page.get_by_text("Afstemningen for 2027 er oprettet.")).to_be_visible()


def test_plan_from_the_overview_then_pins_and_the_published_version(
    page: Page, live_server, axe_violations
):
    email, poll_id = make_network(live_server, with_poll=True)
    log_in(page, email)

    # One click on the poll's overview plans the year, on the plan page with its progress.
    page.goto(f"/tovholder/afstemninger/{poll_id}")
    page.get_by_role("button", name="Planlæg året").click()
    expect(page).to_have_url(re.compile(r"/tovholder/plan/2027$"))
    expect(page.get_by_role("heading", name=re.compile(r"^Version 1:"))).to_be_visible(
        timeout=60_000
    )
    expect(page.locator("#published-version")).to_have_text(
        re.compile("Ingen version er udgivet endnu")
    )

    # Pinned decisions carry the lock and the word.
    forår = page.get_by_role("article", name="Forårsmøde")
    expect(forår.get_by_text("fastlåst")).to_have_count(0)
    forår.get_by_role("button", name="Fastlås dato og mødested").click()
    forår = page.get_by_role("article", name="Forårsmøde")
    expect(forår.locator(".when .badge.pinned")).to_have_text("🔒 fastlåst")
    expect(forår.locator(".where .badge.pinned")).to_have_text("🔒 fastlåst")
    sommer = page.get_by_role("article", name="Sommermøde")
    expect(sommer.get_by_text("fastlåst")).to_have_count(0)
    sommer.get_by_role("button", name=re.compile("^Fastlås Sara ")).first.click()
    sara = page.get_by_role("article", name="Sommermøde").locator("ul.holders li", has_text="Sara")
    expect(sara.first.locator(".badge.pinned")).to_have_text("🔒 fastlåst")

    # Publish version 1; Kis can no longer come, and the year is planned again: version 2 is
    # a draft, and the published version stays at the top with a link to it.
    # (The plan is not mailed this time: the page stays on the plan.)
    page.get_by_label("Send planen til medlemmerne på mail").uncheck()
    page.get_by_role("button", name="Udgiv version 1").click()
    expect(page.get_by_text("Version 1 er udgivet, og afstemningen er lukket.")).to_be_visible()
    with live_server.app.app_context():
        network = db.session.get(Network, _network_id(email))
        poll = network.polls[0]
        kis = next(m for m in network.members if m.key == "kis")
        cells = [(d.day, v.key, Answer.NO) for d in poll.days for v in network.venues]
        record_answers(poll.id, kis.id, cells)
        db.session.commit()
    page.get_by_role("button", name="Planlæg igen").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Version 2:"))).to_be_visible(
        timeout=60_000
    )
    box = page.locator("#published-version")
    expect(box).to_contain_text("Udgivet version: version 1")
    expect(box).to_contain_text("Herunder: version 2, som ikke er udgivet.")
    page.evaluate("window.scrollTo(0, 0)")
    assert in_view(page, box)
    assert axe_violations(page) == []
    box.get_by_role("link", name="se den").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Version 1: udgivet"))).to_be_visible()
    expect(page.locator("#published-version")).to_contain_text(
        "Du ser den udgivne version (version 1)."
    )

    # A meeting's page keeps the menu and leads back to the plan.
    page.get_by_role("link", name="Mødeside og dagsorden").first.click()
    expect(page.get_by_role("navigation").get_by_role("link", name="Medlemmer")).to_be_visible()
    page.get_by_role("link", name="← Tilbage til planen for 2027").click()
    expect(page).to_have_url(re.compile(r"/tovholder/plan/2027$"))


def _network_id(email: str) -> int:
    account = db.session.scalar(
        db.select(CoordinatorAccount).where(CoordinatorAccount.email == email)
    )
    return account.networks[0].id
