"""The year, end to end, as a coordinator and three members live it (issue #12, "done when"):
in Chromium, members on a phone and at a desk, CSRF on, every mail read from the outbox folder
and every link in it opened. Bo answers one week and is told what is still blank, then fills the
rest at once; Cille answers everything at her desk and wants her mail in English; Dan forgets
until the reminder (previewed, then sent) brings him back through its link. The coordinator
sees who said what, plans from the overview in one click and publishes, which closes the poll
and mails the plan. Every page on the way is checked for serious axe-core violations, for words
a member or coordinator would not understand, and, on the phone, for sideways scrolling."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from poll.db import db
from poll.models import Answer, Poll, Venue
from tests.factories import PASSWORD, make_network, record_answers

pytestmark = pytest.mark.e2e

SLUG = "aaret"
MEMBERS = ("anna", "bo", "cille", "dan")  # Anna is the coordinator and a member
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PLANNING = 120_000  # ms: the solve runs in a thread of the server
PROGRESS = re.compile(r"(\d+) af (\d+) dage besvaret")
LINK = re.compile(r"https?://[^\s>\]]+")
JARGON = re.compile(
    r"\bflask\b|\bsolver\b|CP-SAT|outbox|benchmark|offentliggj|kan flere end 0|\bslug\b|"
    r"\btoken\b|bevist",
    re.IGNORECASE,
)


@pytest.fixture
def year(live_server) -> dict:
    """A network of its own: Anna (coordinator, answered Ja everywhere), Bo, Cille and Dan (no
    answers), the 2027 poll open."""
    with live_server.app.app_context():
        fx = make_network(MEMBERS, slug=SLUG)
        poll = db.session.get(Poll, fx.poll_id)
        venues = db.session.scalars(db.select(Venue).where(Venue.network_id == fx.network_id))
        keys = [v.key for v in venues]
        cells = [(d.day, key, Answer.YES) for d in poll.days for key in keys]
        record_answers(fx.poll_id, fx.member_ids["anna"], cells)
        db.session.commit()
    return {"poll_id": fx.poll_id, "tokens": fx.tokens, "email": fx.email}


def looked_at(page: Page, axe_violations, phone: bool = False) -> str:
    """Check the page as a person meets it and return its visible text."""
    assert axe_violations(page) == [], page.url
    text = page.locator("body").inner_text()
    assert not JARGON.search(text), (page.url, JARGON.search(text))
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url
    return text


def progress(page: Page) -> tuple[int, int]:
    match = PROGRESS.search(page.locator(".progress-count").inner_text())
    assert match, page.locator(".progress-count").inner_text()
    return int(match[1]), int(match[2])


def mails(live_server, to: str, subject: str) -> list[EmailMessage]:
    folder = Path(live_server.app.config["MAIL_OUTBOX"])
    found = [message_from_bytes(f.read_bytes(), policy=default) for f in folder.glob("*.eml")]
    return [m for m in found if to in str(m["To"]) and subject in str(m["Subject"])]


def body(mail: EmailMessage) -> str:
    part = mail.get_body(("plain",))
    assert part is not None
    return part.get_content()


def save(page: Page) -> None:
    page.get_by_role("button", name="Gem svar", exact=True).last.click()
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\."))


def test_a_year_for_a_coordinator_and_three_members(
    browser: Browser, live_server, year, axe_violations
):
    url = live_server.url
    phone = browser.new_context(viewport=PHONE, base_url=url, locale="da-DK")
    desk = browser.new_context(viewport=DESKTOP, base_url=url, locale="da-DK")
    coordinator = browser.new_context(viewport=DESKTOP, base_url=url, locale="da-DK")
    tokens = year["tokens"]

    # Bo, on his phone, answers the first week only: the page says how far he is and what is
    # blank, never that he has answered.
    bo = phone.new_page()
    bo.goto(f"/m/{tokens['bo']}")
    looked_at(bo, axe_violations, phone=True)
    answered, total = progress(bo)
    assert answered == 0 and total > 5
    bo.get_by_role("button", name="Sæt hele uge 9 til Ja").click()
    save(bo)
    answered, _total = progress(bo)
    assert 0 < answered < total
    text = looked_at(bo, axe_violations, phone=True)
    assert "Du har svaret;" not in text and "delvist" in text
    expect(bo.locator(".blank-weeks")).to_contain_text("Uge 10")
    bo.get_by_role("button", name="Sæt alle manglende svar til Hvis nødvendigt").click()
    save(bo)
    assert progress(bo) == (total, total)
    expect(bo.locator("#answered-state")).to_contain_text("Du har svaret")
    bo.reload()
    assert progress(bo) == (total, total)  # saved, not only shown
    looked_at(bo, axe_violations, phone=True)

    # Cille, at her desk, wants her mail in English, and says Ja to every day.
    cille = desk.new_page()
    cille.goto(f"/m/{tokens['cille']}")
    cille.get_by_label("Invitationer, påmindelser og planen sendes til dig på:").select_option("en")
    cille.get_by_role("button", name="Gem sprog").click()
    expect(cille.locator("#mail-language .saved")).to_contain_text("engelsk")
    cille.get_by_role("button", name="Sæt alle dage til Ja").click()
    save(cille)
    assert progress(cille) == (total, total)
    looked_at(cille, axe_violations)

    # The coordinator sees who has not answered and reminds him, after seeing the mail.
    page = coordinator.new_page()
    page.goto("/tovholder/login")
    page.get_by_label("E-mail").fill(year["email"])
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.goto(f"/tovholder/afstemninger/{year['poll_id']}")
    text = looked_at(page, axe_violations)
    assert "3 af 4 har svaret på alle dage" in text and "Dan" in text
    page.goto("/tovholder/beskeder")
    page.get_by_role("button", name="Mind det 1 medlem, der ikke har svaret på alle dage").click()
    text = looked_at(page, axe_violations)
    assert "Dan" in text and mails(live_server, "dan@example.dk", "") == []
    page.get_by_role("button", name="Send til 1 medlem").click()
    expect(page.get_by_text(re.compile(r"1 af 1 beskeder? sendt"))).to_be_visible(timeout=30_000)
    [reminder] = mails(live_server, "dan@example.dk", "")
    assert reminder["Reply-To"] and year["email"] in str(reminder["Reply-To"])

    # Dan follows the reminder's link on his phone and answers.
    personal = next(link for link in LINK.findall(body(reminder)) if "/m/" in link)
    dan = phone.new_page()
    dan.goto(personal)
    looked_at(dan, axe_violations, phone=True)
    dan.get_by_role("button", name="Sæt alle dage til Ja").click()
    save(dan)
    assert progress(dan) == (total, total)

    # Who said what: a row per member, each answer as a symbol and a word.
    page.goto(f"/tovholder/afstemninger/{year['poll_id']}")
    text = looked_at(page, axe_violations)
    assert "4 af 4 har svaret på alle dage" in text
    page.get_by_role("link", name="Se hvem der svarede hvad").click()
    grid = looked_at(page, axe_violations)
    for name in ("Anna", "Bo", "Cille", "Dan"):
        assert name in grid
    assert "✓ Ja" in grid and "Hvis nødv." in grid

    # "Planlæg året" from the overview, in one click; then "Udgiv" with both boxes ticked.
    page.go_back()
    page.get_by_role("button", name="Planlæg året").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Version 1"))).to_be_visible(
        timeout=PLANNING
    )
    looked_at(page, axe_violations)
    close = "Luk afstemningen: medlemmerne kan ikke længere ændre deres svar"
    expect(page.get_by_label(close)).to_be_checked()
    expect(page.get_by_label("Send planen til medlemmerne på mail")).to_be_checked()
    page.get_by_role("button", name="Udgiv version 1").click()
    expect(page.get_by_text("Planen for 2027 er udgivet.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"4 af 4 beskeder sendt"))).to_be_visible(timeout=30_000)
    looked_at(page, axe_violations)

    # Bo's page now leads with the plan; the answers are closed.
    bo.goto(f"/m/{tokens['bo']}")
    expect(bo.locator("h1")).to_have_text("Planen for 2027")
    expect(bo.get_by_role("radio")).to_have_count(0)
    looked_at(bo, axe_violations, phone=True)

    # The plan mail: Danish for Bo, from the coordinator; every link in it opens.
    [plan_mail] = mails(live_server, "bo@example.dk", "mødeplanen for 2027")
    assert year["email"] in str(plan_mail["Reply-To"])
    links = [link for link in LINK.findall(body(plan_mail)) if link.startswith(url)]
    assert any("/m/" in link and "/moede/" not in link for link in links), links
    assert any("/moede/" in link for link in links), links
    for link in links:
        assert bo.request.get(link).status == 200, link
    assert "Kære Bo" in body(plan_mail) and "Dear" not in body(plan_mail)

    # Cille's is in English alone.
    [english] = mails(live_server, "cille@example.dk", "meeting plan for 2027")
    assert "Dear Cille" in body(english) and "Kære" not in body(english)
    for context in (phone, desk, coordinator):
        context.close()
