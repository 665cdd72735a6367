"""Sign-up on a phone (390 px), in Chromium, with and without JavaScript: a member says they
are coming with dietary needs, a role holder says they are not and is pointed to finding a
replacement, the coordinator sees the counts and a guest signs up by their own link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from poll.answers import local_today
from poll.db import db
from poll.guest_links import new_guest_token
from poll.models import Guest, Network, Poll
from tests.calendar.test_feeds_helpers import make_year, publish_result
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def signup_year(live_server) -> dict:
    """A network ("tilmelding") with a published 2027 whose m1 is ten days ahead, and a guest."""
    app = live_server.app
    with app.app_context():
        fx = make_year(slug="tilmelding")
        today = local_today(db.session.get(Network, fx.network_id))
        publish_result(fx.poll_id, days={"m1": today + timedelta(days=10)})
        m1 = next(m for m in db.session.get(Poll, fx.poll_id).meetings if m.key == "m1")
        guest = Guest(meeting_id=m1.id, name="Gitte Gæst", email="gitte@aarhus.dk")
        guest_token = new_guest_token(guest)
        db.session.add(guest)
        db.session.commit()
    return {"tokens": fx.tokens, "email": fx.email, "guest": guest_token}


def phone(browser: Browser, live_server, javascript: bool) -> Page:
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=javascript,
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport={"width": 390, "height": 844},
    )
    return context.new_page()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_signing_up_on_a_phone(browser: Browser, live_server, signup_year, javascript: bool):
    page = phone(browser, live_server, javascript)
    who = "maria" if javascript else "kis"
    page.goto(f"/m/{signup_year['tokens'][who]}/moede/2027/m1#tilmelding")
    expect(page.get_by_role("heading", name="Kommer du?")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS)
    page.get_by_label("Jeg kommer", exact=True).check()
    page.get_by_label("Kost").fill("Vegetar")
    page.get_by_role("button", name="Gem mit svar").click()
    expect(page.get_by_text("Tak – du er tilmeldt.")).to_be_visible()
    expect(page.get_by_text("Du har sagt, at du kommer.")).to_be_visible()
    expect(page.get_by_label("Kost")).to_have_value("Vegetar")
    assert page.evaluate(NO_SIDEWAYS)
    page.context.close()


def test_a_role_holder_who_cannot_come_is_pointed_to_a_replacement(
    browser: Browser, live_server, signup_year
):
    page = phone(browser, live_server, True)
    page.goto(f"/m/{signup_year['tokens']['berit']}/moede/2027/m1")  # Berit is the referent
    page.get_by_label("Jeg kommer ikke").check()
    page.get_by_role("button", name="Gem mit svar").click()
    expect(page.get_by_text("Din rolle som Referent skal have en afløser.")).to_be_visible()
    expect(page.get_by_role("link", name="Find en afløser til din rolle")).to_have_attribute(
        "href", "#rollebytte"
    )
    assert page.evaluate(NO_SIDEWAYS)
    page.context.close()


def test_a_guest_signs_up_and_the_coordinator_sees_the_counts(
    browser: Browser, live_server, signup_year
):
    guest = phone(browser, live_server, True)
    guest.goto(f"/gaest/{signup_year['guest']}")
    guest.get_by_label("Jeg kommer", exact=True).check()
    guest.get_by_role("button", name="Gem mit svar").click()
    expect(guest.get_by_text("Tak – du er tilmeldt.")).to_be_visible()
    guest.context.close()

    page = phone(browser, live_server, True)
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(signup_year["email"])
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/tovholder/plan/2027/moede/m1")
    expect(page.get_by_text("kommer ikke ·", exact=False)).to_be_visible()
    expect(page.get_by_role("rowheader", name="Gitte Gæst (gæst)")).to_be_visible()
    assert page.evaluate(NO_SIDEWAYS)
    page.context.close()
