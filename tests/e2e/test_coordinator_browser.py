"""The coordinator's pages in Chromium: logged in through the browser, the overview (and the
other main pages) have no serious or critical axe violations, and the overview fits a phone."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e


def log_in(page: Page, live_server) -> None:
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(live_server.network.email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Testnetværk")


def test_the_overview_has_no_serious_axe_violations(page: Page, live_server, axe_violations):
    log_in(page, live_server)
    page.get_by_role("link", name="Oversigt", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Afstemning 2027")
    expect(page.locator(".answered-count")).to_contain_text("har svaret")
    expect(page.locator("table.heatmap").first).to_contain_text("uge 9")
    # Sara answered Ja everywhere in the seed: a best cell is marked in words.
    expect(page.locator("td.best").first).to_contain_text("bedst")
    assert axe_violations(page) == []


def test_the_overview_fits_a_phone(page: Page, live_server, axe_violations):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server)
    page.goto(f"/tovholder/afstemninger/{live_server.network.poll_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Afstemning 2027")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert axe_violations(page) == []


PAGES = [
    "/tovholder/",
    "/tovholder/medlemmer",
    "/tovholder/medlemmer/import",
    "/tovholder/roller",
    "/tovholder/moedesteder",
    "/tovholder/netvaerk",
    "/tovholder/afstemninger/ny",
]


@pytest.mark.parametrize("path", PAGES)
def test_the_coordinator_pages_fit_a_phone(page: Page, live_server, path):
    """A wide table scrolls inside its box; nothing in it (such as a visually hidden column
    heading) may widen the page."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


@pytest.mark.parametrize("path", PAGES)
def test_the_other_coordinator_pages_have_no_serious_axe_violations(
    page: Page, live_server, axe_violations, path
):
    log_in(page, live_server)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert axe_violations(page) == []


def test_the_poll_preview_and_its_errors_have_no_serious_axe_violations(
    page: Page, live_server, axe_violations
):
    log_in(page, live_server)
    page.goto(f"/tovholder/afstemninger/{live_server.network.poll_id}/rediger")
    page.get_by_role("button", name="Vis de mulige dage").click()
    expect(page.get_by_role("heading", name="Mulige dage")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Mindste fremmøde (procent af medlemmerne)").fill("200")
    page.get_by_role("button", name="Vis de mulige dage").click()
    expect(page.locator(".error-summary")).to_contain_text("Mindste fremmøde")
    assert axe_violations(page) == []
