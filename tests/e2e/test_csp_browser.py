"""The Content-Security-Policy in Chromium: the main pages load, their scripts run and nothing
is refused (a refusal shows as a console error naming the Content Security Policy)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_browser import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def refusals(page: Page) -> list[str]:
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def test_the_member_page_script_runs_under_the_policy(
    page: Page, member_link: str, refusals: list[str]
):
    page.goto(member_link)
    page.get_by_role("button", name="Sæt hele uge 9 til Ja", exact=True).click()
    # Only the script says this; without it the button would post the form.
    expect(page.locator("#save-status")).to_have_text("Ændringerne er ikke gemt endnu.")
    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Gemt")).to_have_text(
        re.compile(r"^Gemt kl\. \d\d\.\d\d\.$")
    )
    assert refusals == []


def test_the_coordinator_pages_load_without_refusals(page: Page, live_server, refusals: list[str]):
    log_in(page, live_server)
    for path in (
        "/tovholder/",
        "/tovholder/medlemmer",
        f"/tovholder/afstemninger/{live_server.network.poll_id}",
        "/tovholder/plan/2027",
        "/tovholder/kalender",
        "/tovholder/beskeder/",
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        # The stylesheet applied: the header is laid out by app.css, not the browser default.
        display = "getComputedStyle(document.querySelector('header.site')).display"
        assert page.evaluate(display) == "flex"
    assert refusals == []
