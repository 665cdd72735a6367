"""Complete answers in Chromium, at phone and desktop width: a member answers one week, saves,
sees how far she has come and which days are blank, fills the blank ones at once and only then
reads "Du har svaret"; answered weeks fold; without JavaScript a week's shortcut returns to that
week with its message in view. No sideways scrolling at 390 px, no serious axe violations."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from poll.db import db
from poll.members import member_by_token
from poll.models import Response

pytestmark = pytest.mark.e2e

DAYS = 15  # the seeded poll: weeks 9, 10 and 23, Monday to Friday
WIDTHS = [pytest.param(390, id="phone"), pytest.param(1280, id="desktop")]


@pytest.fixture
def link(live_server, member_link: str) -> Iterator[str]:
    """A new member's link; afterwards their answers go, so the other tests on the shared server
    count the seeded answers only ("Andre: 1 ja · 1 hvis nødv.")."""
    yield member_link
    with live_server.app.app_context():
        member = member_by_token(member_link.rsplit("/", 1)[1])
        for row in db.session.scalars(select(Response).where(Response.member_id == member.id)):
            db.session.delete(row)
        db.session.commit()


def radio(page: Page, day: str, venue: str, answer: str):
    """An answer in the row the day heads, in the venue's group."""
    row = page.locator(".answer-grid tbody tr").filter(
        has=page.get_by_role("rowheader", name=day, exact=True)
    )
    return row.get_by_role("group", name=venue, exact=True).get_by_role(
        "radio", name=answer, exact=True
    )


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_one_week_then_every_blank_answer_then_answered(
    page: Page, link: str, axe_violations, width: int
):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    page.goto(link)
    progress = page.locator("#svar-status")
    expect(progress).to_contain_text(f"0 af {DAYS} dage besvaret")
    expect(page.locator("#answered-state")).to_have_text("Du har ikke svaret endnu.")
    no_sideways_scroll(page)

    page.get_by_role("button", name="Sæt hele uge 9 til Ja", exact=True).click()
    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\."))
    expect(progress).to_contain_text(f"5 af {DAYS} dage besvaret")
    expect(progress).to_contain_text(f"Disse {DAYS - 5} dage mangler stadig svar:")
    expect(progress.get_by_role("link", name="Uge 10")).to_be_visible()
    expect(progress.get_by_role("link", name="Uge 23")).to_be_visible()
    expect(progress.get_by_role("link", name="Uge 9")).to_have_count(0)
    expect(page.locator("#answered-state")).to_contain_text("Du har delvist besvaret")
    no_sideways_scroll(page)
    assert axe_violations(page) == []

    # Every blank answer to "Nej": week 9 keeps its "Ja".
    page.get_by_role("button", name="Sæt alle manglende svar til Nej", exact=True).click()
    expect(radio(page, "mandag den 8. marts 2027", "Vejle Bibliotek", "Nej")).to_be_checked()
    expect(radio(page, "tirsdag den 2. marts 2027", "Odense Bibliotek", "Ja")).to_be_checked()
    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(progress).to_contain_text(f"{DAYS} af {DAYS} dage besvaret")
    expect(progress).to_contain_text("Alle dage har et svar.")
    expect(page.locator("#answered-state")).to_contain_text("Du har svaret; senest gemt")

    # On the next visit every week is answered, so every week is folded; one opens on a click.
    page.reload()
    expect(page.locator("details.week[open]")).to_have_count(0)
    tuesday = radio(page, "tirsdag den 2. marts 2027", "Odense Bibliotek", "Ja")
    expect(tuesday).to_be_hidden()
    page.locator("details.week > summary").filter(has_text="uge 9").click()
    expect(tuesday).to_be_visible()
    expect(tuesday).to_be_checked()
    no_sideways_scroll(page)
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.browser_context_args(java_script_enabled=False)
def test_without_javascript_a_week_shortcut_returns_to_that_week(page: Page, link: str, width: int):
    page.set_viewport_size({"width": width, "height": 844 if width < 600 else 900})
    page.goto(link)
    page.get_by_role("button", name="Sæt hele uge 23 til Hvis nødvendigt", exact=True).click()
    expect(page).to_have_url(re.compile(r"#uge-2027-23$"))
    week = page.locator("#uge-2027-23")
    message = week.locator(".local-message")
    expect(message).to_have_text(
        re.compile(r"^Hele uge 23 er sat til Hvis nødvendigt\. Gemt kl\. [\d.]+\.$")
    )
    expect(message).to_be_in_viewport()
    expect(
        radio(page, "mandag den 7. juni 2027", "Vejle Bibliotek", "Hvis nødvendigt")
    ).to_be_checked()
    no_sideways_scroll(page)

    # The blank answers at once, also without JavaScript: back to the progress, with its message.
    page.get_by_role("button", name="Sæt alle manglende svar til Ja", exact=True).click()
    expect(page).to_have_url(re.compile(r"#svar-status$"))
    status = page.locator("#svar-status .local-message")
    expect(status).to_have_text(re.compile(r"^20 manglende svar er sat til Ja\. Gemt kl\."))
    expect(status).to_be_in_viewport()
    expect(page.locator("#answered-state")).to_contain_text("Du har svaret; senest gemt")
    expect(
        radio(page, "mandag den 7. juni 2027", "Vejle Bibliotek", "Hvis nødvendigt")
    ).to_be_hidden()  # its week is answered, so folded
    no_sideways_scroll(page)
