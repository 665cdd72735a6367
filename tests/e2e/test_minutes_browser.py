"""From a proposal to the minutes, in Chromium at 390 px: a member proposes an agenda item on
the meeting page, the planning group takes it into the agenda, the referent writes the minutes,
attaches a PDF and publishes them, and a member follows the mail's link and reads them, then
finds them again under "Referater og dagsordener" on their page."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from poll.db import db
from tests.app.test_minutes import small_pdf
from tests.calendar.test_feeds_helpers import make_year, publish_result

pytestmark = pytest.mark.e2e

SLUG = "referat"
# make_year's m1: planning sara, henrik, maria; referent berit; kis presents.


@pytest.fixture
def tokens(live_server) -> dict[str, str]:
    with live_server.app.app_context():
        fx = make_year(SLUG)
        publish_result(fx.poll_id)
        db.session.commit()
    return fx.tokens


def minutes_mail_to(live_server, address: str):
    folder = Path(live_server.app.config["MAIL_OUTBOX"])
    found = [message_from_bytes(f.read_bytes(), policy=default) for f in folder.glob("*.eml")]
    [mail] = [m for m in found if address in str(m["To"]) and "referatet fra" in m["Subject"]]
    return mail


def fits_the_width(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_a_proposal_taken_in_and_the_minutes_published_and_read(
    page: Page, live_server, tokens, axe_violations
):
    page.set_viewport_size({"width": 390, "height": 844})

    # Kis proposes an item.
    page.goto(f"/m/{tokens['kis']}/moede/2027/m1")
    page.get_by_label("Titel (højst 120 tegn)").fill("Læseklubber for voksne")
    page.get_by_label("Et par linjer om hvad og hvorfor").fill("Erfaringer fra Vejle.")
    page.get_by_role("button", name="Send forslaget").click()
    expect(page.get_by_text("Tak: dit forslag er sendt til planlægningsgruppen.")).to_be_visible()
    expect(page.locator(".my-proposals")).to_contain_text(
        "Læseklubber for voksne: Afventer planlægningsgruppen"
    )
    assert fits_the_width(page)

    # Henrik, in the planning group, takes it into the agenda.
    page.goto(f"/m/{tokens['henrik']}/moede/2027/m1")
    expect(page.get_by_text("Foreslået af Kis")).to_be_visible()
    assert fits_the_width(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile(r"^Tag med på dagsordenen\W+Læseklubber")).click()
    expect(page.get_by_text("“Læseklubber for voksne” er sat på dagsordenen.")).to_be_visible()
    expect(page.locator("ol[aria-labelledby=agenda-heading] li")).to_have_text(
        ["Sparring – siden sidst", "Læseklubber for voksne", "Hvordan deler vi mødets indhold?"]
    )

    # Berit, the referent, writes the minutes, attaches a PDF and publishes them.
    page.goto(f"/m/{tokens['berit']}/moede/2027/m1")
    page.get_by_label("Skriv referatet").fill(
        "Vi talte om **læseklubber**.\n- Vejle har tre\n- Odense starter en"
    )
    page.get_by_label("Eller upload referatet som fil").set_input_files(
        files=[{"name": "referat marts.pdf", "mimeType": "application/pdf", "buffer": small_pdf()}]
    )
    assert fits_the_width(page)
    page.get_by_role("button", name="Udgiv referatet og giv medlemmerne besked").click()
    expect(page.get_by_text(re.compile(r"Referatet er udgivet, og 5 medlemmer"))).to_be_visible()

    # Kis follows the link in the mail and reads them; the file downloads.
    body = minutes_mail_to(live_server, "kis@example.dk").get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+/moede/2027/m1", body)
    page.goto(urlsplit(link).path)
    minutes = page.locator(".minutes-text")
    expect(minutes.locator("strong")).to_have_text("læseklubber")
    expect(minutes.locator("li")).to_have_text(["Vejle har tre", "Odense starter en"])
    expect(page.locator(".my-proposals")).to_contain_text("Taget med på dagsordenen")
    assert fits_the_width(page)
    assert axe_violations(page) == []
    download = page.get_by_role("link", name=re.compile("Hent referatet"))
    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body() == small_pdf()

    # And under "Referater og dagsordener" on their page.
    page.goto(f"/m/{tokens['kis']}/2027")
    section = page.locator("section.minutes-list")
    expect(section.get_by_role("heading", name="Referater og dagsordener")).to_be_visible()
    expect(section).to_contain_text("Læseklubber for voksne")
    assert fits_the_width(page)
    section.get_by_role("link", name="Læs referatet fra Møde 1").click()
    expect(page.locator(".minutes-text strong")).to_have_text("læseklubber")
