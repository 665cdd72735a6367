""" "Ny afstemning ud fra sidste år" on a phone (390 px): from the dashboard, the filled form's
preview, then create."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, make_network

pytestmark = pytest.mark.e2e


def test_next_years_poll_from_the_dashboard_on_a_phone(page: Page, live_server, axe_violations):
    with live_server.app.app_context():
        # A 2027 poll (weeks 9-10 and 23); members of its own, so no e-mail is shared with
        # the seeded network's (the start page's lost-link test mails henrik@example.dk).
        fx = make_network(("nanna", "otto", "palle"), slug="naeste-aar")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(fx.email)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()

    page.get_by_role("link", name="Ny afstemning ud fra sidste år").click()
    expect(page.get_by_role("heading", name="Udfyldt ud fra afstemningen for 2027")).to_be_visible()
    expect(page.locator('input[name="year"]')).to_have_value("2028")
    expect(page.locator('input[name="meetings-0-weeks"]')).to_have_value("9–10")

    page.get_by_role("button", name="Vis de mulige dage").click()
    expect(page.get_by_role("heading", name="Mulige dage")).to_be_visible()
    expect(page.get_by_text("uge 9").first).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    assert axe_violations(page) == []

    page.get_by_role("button", name="Opret afstemningen").click()
    expect(page.get_by_text("Afstemningen for 2028 er oprettet")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Afstemning 2028")
