""" "Get it from my calendar" in Chromium: paste a link served on 127.0.0.1, see the proposal,
accept it, save, reload: the answers are there; the same without JavaScript on a phone."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.calendar_files import CalendarFiles, calendar, calendar_files
from tests.e2e.test_complete_answers_browser import radio as answer_radio

pytestmark = pytest.mark.e2e

TUESDAY = "tirsdag den 2. marts 2027"  # busy 09-16
WEDNESDAY = "onsdag den 3. marts 2027"  # busy 14-16: partly
FRIDAY = "fredag den 5. marts 2027"  # free
EVENTS = (
    (datetime(2027, 3, 2, 8, tzinfo=UTC), datetime(2027, 3, 2, 15, tzinfo=UTC), "Budgetmøde"),
    (datetime(2027, 3, 3, 13, tzinfo=UTC), datetime(2027, 3, 3, 15, tzinfo=UTC), "Tandlæge"),
)


@pytest.fixture
def files() -> Iterator[CalendarFiles]:
    with calendar_files() as served:
        yield served


def radio(page: Page, day: str, venue: str, answer: str):
    """An answer on the proposal page, where each cell's group names its day and venue."""
    return page.get_by_role("group", name=f"{day}, {venue}", exact=True).get_by_role(
        "radio", name=answer, exact=True
    )


def paste_and_read(page: Page, member_link: str, url: str, *, keep: bool) -> None:
    page.goto(member_link)
    page.locator(".calendar-import-box").get_by_role("link", name="Hent fra min kalender").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hent fra min kalender")
    page.get_by_label("Kalenderlink").fill(url)
    if keep:
        page.get_by_label("Husk forbindelsen").first.check()
    page.get_by_role("button", name="Læs min kalender").first.click()
    expect(page.get_by_role("heading", name="Det foreslår din kalender")).to_be_visible()


def test_paste_a_link_see_the_proposal_accept_save_reload(
    page: Page, member_link: str, files: CalendarFiles
):
    url = files.ics("/outlook/calendar.ics", calendar(*EVENTS))
    paste_and_read(page, member_link, url, keep=True)
    expect(page.get_by_role("status")).to_contain_text("1 optaget dag, 1 delvist optaget dag")
    expect(page.get_by_text("Forbundet med http://127.0.0.1/…/calendar.ics")).to_be_visible()
    for venue in ("Odense Bibliotek", "Vejle Bibliotek"):
        expect(radio(page, TUESDAY, venue, "Nej")).to_be_checked()
        for answer in ("Ja", "Hvis nødvendigt", "Nej"):
            expect(radio(page, WEDNESDAY, venue, answer)).not_to_be_checked()
    expect(page.get_by_role("group", name=f"{FRIDAY}, Odense Bibliotek")).to_have_count(0)
    expect(page.get_by_text("Budgetmøde")).to_have_count(0)
    radio(page, WEDNESDAY, "Odense Bibliotek", "Hvis nødvendigt").check()

    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dine svar for 2027")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\. \d\d\.\d\d\.$"))

    page.reload()
    # Week 9 still has blank days, so it stays open.
    expect(answer_radio(page, TUESDAY, "Odense Bibliotek", "Nej")).to_be_checked()
    expect(answer_radio(page, TUESDAY, "Vejle Bibliotek", "Nej")).to_be_checked()
    expect(answer_radio(page, WEDNESDAY, "Odense Bibliotek", "Hvis nødvendigt")).to_be_checked()
    expect(answer_radio(page, WEDNESDAY, "Vejle Bibliotek", "Nej")).not_to_be_checked()
    expect(answer_radio(page, FRIDAY, "Odense Bibliotek", "Ja")).not_to_be_checked()
    box = page.locator(".calendar-import-box")
    expect(box).to_contain_text("Forbundet med http://127.0.0.1/…/calendar.ics")
    expect(box).not_to_contain_text("foreslår Nej")  # its busy day is answered now


@pytest.mark.browser_context_args(java_script_enabled=False, viewport={"width": 390, "height": 900})
def test_without_javascript_on_a_phone(page: Page, member_link: str, files: CalendarFiles):
    missing = files.url("/gone.ics")
    page.goto(member_link)
    page.locator(".calendar-import-box").get_by_role("link", name="Hent fra min kalender").click()
    page.get_by_label("Kalenderlink").fill(missing)
    page.get_by_role("button", name="Læs min kalender").first.click()
    expect(page.locator("#ics_url-error")).to_contain_text("ikke fundet")
    expect(page.get_by_label("Kalenderlink")).to_have_value(missing)

    url = files.ics("/google/basic.ics", calendar(*EVENTS))
    page.get_by_label("Kalenderlink").fill(url)
    page.get_by_role("button", name="Læs min kalender").first.click()
    expect(radio(page, TUESDAY, "Vejle Bibliotek", "Nej")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\."))
    page.reload()
    # Week 9 still has blank days, so it stays open.
    expect(answer_radio(page, TUESDAY, "Vejle Bibliotek", "Nej")).to_be_checked()
