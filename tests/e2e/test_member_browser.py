"""The member page in Chromium: shortcut, save by fetch, reload; the plain-form path without
JavaScript; no serious axe violations; per-day blocks on a phone."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

TUESDAY = "tirsdag den 2. marts 2027"
FRIDAY = "fredag den 5. marts 2027"
JUNE = "mandag den 7. juni 2027"


def radio(page: Page, day: str, venue: str, answer: str):
    """An answer in the row the day heads, in the venue's group."""
    row = page.locator(".answer-grid tbody tr").filter(
        has=page.get_by_role("rowheader", name=day, exact=True)
    )
    return row.get_by_role("group", name=venue, exact=True).get_by_role(
        "radio", name=answer, exact=True
    )


def test_week_shortcut_save_and_reload(page: Page, member_link: str):
    page.goto(member_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dine svar for 2027")
    page.get_by_role("button", name="Sæt hele uge 9 til Ja", exact=True).click()
    # The script sets the radios at once, without a round trip, and says nothing is saved yet.
    for day in (TUESDAY, FRIDAY):
        for venue in ("Odense Bibliotek", "Vejle Bibliotek"):
            expect(radio(page, day, venue, "Ja")).to_be_checked()
    expect(page.locator("#save-status")).to_have_text("Ændringerne er ikke gemt endnu.")
    radio(page, JUNE, "Vejle Bibliotek", "Hvis nødvendigt").check()

    page.get_by_role("button", name="Gem svar", exact=True).click()
    status = page.get_by_role("status").filter(has_text="Gemt")
    expect(status).to_have_text(re.compile(r"^Gemt kl\. \d\d\.\d\d\.$"))
    expect(status).to_be_visible()

    page.reload()
    # Week 9 is answered, so it is folded now: open it to see the answers.
    page.locator("details.week > summary").filter(has_text="uge 9").click()
    expect(radio(page, TUESDAY, "Odense Bibliotek", "Ja")).to_be_checked()
    expect(radio(page, FRIDAY, "Vejle Bibliotek", "Ja")).to_be_checked()
    expect(radio(page, JUNE, "Vejle Bibliotek", "Hvis nødvendigt")).to_be_checked()
    expect(radio(page, JUNE, "Odense Bibliotek", "Ja")).not_to_be_checked()
    # One week and a cell of the year: answered partly, not "Du har svaret".
    expect(page.locator("#answered-state")).to_contain_text("Du har delvist besvaret")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_shortcuts_and_save_are_plain_posts(page: Page, member_link: str):
    page.goto(member_link)
    page.get_by_role("button", name="Sæt alle dage på Vejle Bibliotek til Nej", exact=True).click()
    expect(page.locator("#save-status")).to_have_text(
        re.compile(r"^Alle dage på Vejle Bibliotek er sat til Nej\. Gemt kl\. [\d.]+\.$")
    )
    expect(radio(page, JUNE, "Vejle Bibliotek", "Nej")).to_be_checked()
    radio(page, TUESDAY, "Odense Bibliotek", "Hvis nødvendigt").check()
    page.get_by_label("Kommentar").fill("Kun formiddage")
    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\."))
    expect(radio(page, TUESDAY, "Odense Bibliotek", "Hvis nødvendigt")).to_be_checked()
    expect(radio(page, TUESDAY, "Vejle Bibliotek", "Nej")).to_be_checked()
    expect(page.get_by_label("Kommentar")).to_have_value("Kun formiddage")


def test_member_page_has_no_serious_axe_violations(page: Page, live_server, axe_violations):
    page.goto(live_server.member_path("henrik"))
    # Per day, how many others said yes or if need be; the names are one checkbox away (no tab
    # stop per cell): the script fetches them once and puts them under each cell.
    expect(page.get_by_text("Andre: 1 ja · 1 hvis nødv.").first).to_be_visible()
    expect(page.locator(".tally-names")).to_have_count(0)
    page.get_by_label("Vis hvem der ellers har svaret Ja eller Hvis nødvendigt").check()
    names = page.locator(".tally-names").first
    expect(names).to_contain_text("Sara")
    expect(names).to_contain_text("Maria")
    expect(radio(page, "mandag den 1. marts 2027", "Odense Bibliotek", "Ja")).to_be_visible()
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_the_names_are_on_their_own_page(page: Page, live_server):
    page.goto(live_server.member_path("henrik"))
    expect(page.locator("#show-names")).to_be_hidden()  # the script would show the box
    page.get_by_role("link", name="Se hvem der ellers har svaret Ja eller Hvis nødvendigt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hvem har ellers svaret, 2027")
    row = page.locator(".answer-grid tbody tr").filter(
        has=page.get_by_role("rowheader", name="mandag den 1. marts 2027", exact=True)
    )
    expect(row.locator("td").first).to_contain_text("Ja Sara")
    expect(row.locator("td").first).to_contain_text("Hvis nødvendigt Maria")
    expect(page.get_by_text("Henrik")).to_have_count(0)
    page.get_by_role("link", name="Tilbage til dine svar").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dine svar for 2027")


def _boxes(page: Page):
    row = page.locator(".answer-grid tbody tr").first
    cells = row.locator("td")
    return (
        page.locator(".answer-grid thead").first.bounding_box(),
        row.bounding_box(),
        cells.nth(0).bounding_box(),
        cells.nth(1).bounding_box(),
    )


def test_phone_shows_a_block_per_day_and_desktop_a_table(page: Page, member_link: str):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(member_link)
    head, row, first, second = _boxes(page)
    assert head["height"] > 20  # column headers shown
    assert first["y"] == second["y"] and second["x"] > first["x"]  # venues side by side

    page.set_viewport_size({"width": 390, "height": 844})
    head, row, first, second = _boxes(page)
    assert head["height"] <= 1 and head["width"] <= 1  # column headers only for screen readers
    assert second["y"] >= first["y"] + first["height"] - 1  # venues stacked in the day's block
    assert first["width"] > 0.9 * row["width"]
    assert row["width"] <= 390
    expect(page.locator(".answer-grid tbody tr").first.locator("legend").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    # The first row of the next day starts below the previous day's block.
    next_row = page.locator(".answer-grid tbody tr").nth(1).bounding_box()
    assert next_row["y"] >= row["y"] + row["height"]


def test_keyboard_only_answer_and_enter_saves(page: Page, member_link: str):
    page.goto(member_link)
    first = radio(page, "mandag den 1. marts 2027", "Odense Bibliotek", "Ja")
    first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # native radio group: the arrow moves and selects
    expect(
        radio(page, "mandag den 1. marts 2027", "Odense Bibliotek", "Hvis nødvendigt")
    ).to_be_checked()
    page.keyboard.press("Tab")  # on to the next group: Vejle the same day
    page.keyboard.press("Space")
    expect(radio(page, "mandag den 1. marts 2027", "Vejle Bibliotek", "Ja")).to_be_checked()
    # Enter submits with the form's first submit button, which saves; it runs no shortcut.
    page.keyboard.press("Enter")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\."))
    expect(page.locator("#answered-state")).to_contain_text("Du har delvist besvaret")
    page.reload()
    expect(
        radio(page, "mandag den 1. marts 2027", "Odense Bibliotek", "Hvis nødvendigt")
    ).to_be_checked()
    expect(radio(page, "tirsdag den 2. marts 2027", "Odense Bibliotek", "Ja")).not_to_be_checked()
