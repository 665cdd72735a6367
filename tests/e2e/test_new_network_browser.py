"""A new network from nothing, in Chromium at phone width (issue #11): the operator migrates an
empty database and runs `create-network`; everything after that is done in the pages, by the
coordinator and the members. No demo data, no SQL, CSRF on, and every page passed through is
checked for serious axe-core violations and for fitting the screen.

What a coordinator runs into on the way, and does about it as a real one would:
- the overview lists what the new network lacks before a year can be planned;
- "Plan the year" refuses while no member is marked as the coordinator (the coordinator's
  account is not a member): Anna adds herself as a member, marked as the coordinator;
- it then refuses because the default roles need 4 different people at each meeting (a planning
  group of 3 and a note-taker outside it) and the network has 3 members: Anna gives the
  planning group 2 holders on the Roles page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, Playwright, expect
from werkzeug.serving import make_server

from poll.db import db
from tests.conftest import TEST_SECRET, make_app

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"
PASSWORD = "læsehest-vejle-2027"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SET_PASSWORD = re.compile(r"https?://\S+/konto/adgangskode/\S+")
SAVED = re.compile(r"Gemt kl\.")
PLANNING = 120_000  # ms: the solve runs in a thread of the server; the page reloads when done


@dataclass
class FreshServer:
    """The app served at `url`; `run` runs its command line on the same database."""

    url: str
    env: dict[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess:
        """`flask --app poll ARGS`, as the operator runs it."""
        return subprocess.run(
            [str(FLASK), "--app", "poll", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture
def fresh_server(tmp_path) -> Iterator[FreshServer]:
    """The app (CSRF on) served by werkzeug on 127.0.0.1 from an empty SQLite file that
    `flask db upgrade` migrated. The command line gets MODEPLAN_BASE_URL set to where the app
    is served, so the links it prints point there."""
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    app = make_app(url, SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MODEPLAN_", "MAIL_", "FLASK_")) and name != "DATABASE_URL"
    }
    fresh = FreshServer(
        base,
        {
            **inherited,
            "DATABASE_URL": url,
            "MODEPLAN_SECRET_KEY": TEST_SECRET,
            "MODEPLAN_BASE_URL": base,
            "MODEPLAN_INSTANCE_PATH": str(tmp_path / "instance"),
        },
    )
    migrated = fresh.run("db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    thread = threading.Thread(target=server.serve_forever, name="fresh_server", daemon=True)
    thread.start()
    try:
        yield fresh
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def phone(browser: Browser, fresh_server) -> Iterator[Page]:
    """A Danish phone's browser on the fresh server."""
    context = browser.new_context(
        base_url=fresh_server.url,
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport=PHONE,
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def anonymous(playwright: Playwright, fresh_server) -> Iterator[APIRequestContext]:
    """Requests without the coordinator's login, as a calendar program makes them."""
    context = playwright.request.new_context(base_url=fresh_server.url)
    yield context
    context.dispose()


# The elements that reach past the right edge of the screen without a scrolling box around them.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const scrolled = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  return [...document.querySelectorAll("body *")]
    .filter((e) => e.getBoundingClientRect().right > width + 1 && !scrolled(e))
    .slice(0, 5)
    .map((e) => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
}"""


def checked(page: Page, axe_violations, heading: str) -> None:
    """The page shows `heading` as its h1, fits the screen and has no serious axe violations."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.wait_for_load_state()  # the style sheet too: without it any page is too wide
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} is {overflow}px too wide: {page.evaluate(TOO_WIDE)}"
    assert axe_violations(page) == [], page.url


def every_link_answers(page: Page, request: APIRequestContext, base: str) -> dict[str, str]:
    """Fetch every link the page shows (webcal:// as http://, and the calendar address shown in
    a field) with `request`: each of the app's answers 200. Links to Google and Outlook leave
    the app: only their address is checked. Returns the app's answers by URL."""
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
    hrefs += page.eval_on_selector_all("input[readonly]", "fields => fields.map((f) => f.value)")
    bodies = {}
    for href in dict.fromkeys(hrefs):
        url = re.sub("^webcal://", "http://", href).split("#")[0]
        if not url.startswith(base + "/"):
            host = urlsplit(url).hostname
            assert host in ("calendar.google.com", "outlook.office.com"), href
            continue
        if url in bodies:
            continue
        response = request.get(url)
        assert response.status == 200, f"{url} on {page.url}: {response.status}"
        bodies[url] = response.text()
    return bodies


def answer(page: Page, link: str, *shortcuts: str) -> None:
    """Open a member's personal link, press the page's own shortcuts, save."""
    page.goto(link)
    for shortcut in shortcuts:
        page.get_by_role("button", name=shortcut, exact=True).click()
    page.get_by_role("button", name="Gem svar", exact=True).click()
    expect(page.locator("#save-status")).to_have_text(SAVED)


def add_member(page: Page, axe_violations, key: str, name: str, coordinator=False) -> str:
    """Add a member through the form; the personal link the page then shows."""
    page.get_by_role("link", name="Medlemmer", exact=True).first.click()
    checked(page, axe_violations, "Medlemmer")
    page.get_by_role("link", name="Tilføj et medlem").click()
    checked(page, axe_violations, "Tilføj et medlem")
    page.get_by_label("Navn").fill(name)
    page.get_by_label("E-mail").fill(f"{key}@vest.dk")
    if coordinator:
        page.get_by_label("Netværkets tovholder").check()
    page.get_by_role("button", name="Tilføj medlemmet og vis det personlige link").click()
    checked(page, axe_violations, f"{name} er tilføjet")
    return page.get_by_label(f"Personligt link til {name}").input_value()


def test_a_new_network_from_nothing(
    phone: Page, anonymous: APIRequestContext, playwright: Playwright, fresh_server, axe_violations
):
    page, base = phone, fresh_server.url

    # 1. The operator creates the network; the one-time link points at the served app.
    done = fresh_server.run(
        "create-network",
        "vest",
        "Netværk Vest",
        "--coordinator",
        "anna@vest.dk",
        "--coordinator-name",
        "Anna Holm",
    )
    assert done.returncode == 0, done.stderr
    link = SET_PASSWORD.search(done.stdout).group(0)
    assert link.startswith(base + "/konto/adgangskode/")

    # 2. Anna opens it and sets her password.
    page.goto(link)
    checked(page, axe_violations, "Vælg din adgangskode")
    expect(page.get_by_text("anna@vest.dk")).to_be_visible()
    page.get_by_label("Ny adgangskode").fill(PASSWORD)
    page.get_by_label("Gentag adgangskoden").fill(PASSWORD)
    page.get_by_role("button", name="Gem adgangskode").click()

    # 3. She logs in. The overview says what the empty network lacks.
    checked(page, axe_violations, "Log ind som tovholder")
    expect(page.get_by_text("Din adgangskode er gemt")).to_be_visible()
    page.get_by_label("E-mail").fill("anna@vest.dk")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    checked(page, axe_violations, "Netværk Vest")
    lacks = page.get_by_role("region", name="Før året kan planlægges")
    expect(lacks).to_contain_text("Netværket har ingen mødesteder.")
    expect(lacks).to_contain_text("Netværket har ingen aktive medlemmer.")
    expect(lacks).to_contain_text("Intet aktivt medlem er markeret som netværkets tovholder")
    expect(page.get_by_text("Ingen afstemninger endnu.")).to_be_visible()

    # 4. A venue with its address, and two members, through the pages.
    lacks.get_by_role("link", name="Tilføj et mødested").click()
    checked(page, axe_violations, "Mødesteder")
    expect(page.get_by_text("Ingen mødesteder endnu.")).to_be_visible()
    page.get_by_label("Navn").fill("Aarhus Hovedbibliotek")
    page.get_by_label("Adresse").fill("Hack Kampmanns Plads 2, 8000 Aarhus C")
    page.get_by_role("button", name="Tilføj mødested").click()
    expect(page.get_by_text("Aarhus Hovedbibliotek er tilføjet.")).to_be_visible()
    checked(page, axe_violations, "Mødesteder")
    links = {
        "bo": add_member(page, axe_violations, "bo", "Bo Berg"),
        "cecilie": add_member(page, axe_violations, "cecilie", "Cecilie Dam"),
    }
    for member_link in links.values():
        assert member_link.startswith(base + "/m/")

    # The overview now lacks only a coordinator among the members, and people for the roles.
    page.get_by_role("link", name="Oversigt", exact=True).first.click()
    checked(page, axe_violations, "Netværk Vest")
    expect(lacks.get_by_role("listitem")).to_have_count(2)
    expect(lacks).to_contain_text(
        "Planlægningsgruppe (3 pr. møde) og Referent (1) kan ikke kombineres, så hvert møde"
        " kræver 4 forskellige personer, men antallet af aktive medlemmer er 2."
    )

    # 5. Anna goes on with the year's poll all the same: preview, then create.
    page.get_by_role("link", name="Ny årsafstemning").click()
    checked(page, axe_violations, "Ny årsafstemning")
    year = int(page.get_by_label("År").input_value())
    for number, name, weeks in ((1, "Forårsmøde", "9-10"), (2, "Efterårsmøde", "37")):
        row = page.get_by_role("group", name=f"Møde {number}")
        row.get_by_label("Navn").fill(name)
        row.get_by_label("Uger").fill(weeks)
    page.get_by_role("button", name="Vis de mulige dage").click()
    expect(page.get_by_role("heading", name="Mulige dage")).to_be_visible()
    checked(page, axe_violations, "Ny årsafstemning")
    page.get_by_role("button", name="Opret afstemningen").click()
    expect(page.get_by_text(f"Afstemningen for {year} er oprettet.")).to_be_visible()
    checked(page, axe_violations, f"Afstemning {year}")
    expect(page.locator(".answered-count")).to_have_text(
        "0 af 2 har svaret på alle dage; 0 har svaret delvist; 2 har ikke svaret."
    )

    # 6. The members answer with their page's own controls: Bo Yes on every day, Cecilie only
    # in week 9 and week 37.
    answer(page, links["bo"], "Sæt alle dage til Ja")
    checked(page, axe_violations, f"Dine svar for {year}")
    answer(page, links["cecilie"], "Sæt hele uge 9 til Ja", "Sæt hele uge 37 til Ja")
    checked(page, axe_violations, f"Dine svar for {year}")

    # 7. Plan the year from the page. Refused: no member is the coordinator.
    page.goto("/tovholder/")
    page.get_by_role("link", name="Plan", exact=True).click()
    checked(page, axe_violations, f"Plan for {year}")
    page.get_by_role("button", name="Planlæg året").click()
    expect(page.locator(".flash.error")).to_have_text(
        "Intet aktivt medlem er markeret som netværkets tovholder, og planen skal have én."
        " Tilføj dig selv under Medlemmer (eller åbn tovholderen), og sæt flueben ved"
        " “Netværkets tovholder”."
    )
    checked(page, axe_violations, f"Plan for {year}")
    # Anna does as told, and answers too: the planning group always includes her.
    links["anna"] = add_member(page, axe_violations, "anna", "Anna Holm", coordinator=True)
    answer(page, links["anna"], "Sæt alle dage til Ja")

    # Refused again: the default roles need more people than the network has.
    page.goto(f"/tovholder/plan/{year}")
    page.get_by_role("button", name="Planlæg året").click()
    expect(page.locator(".flash.error")).to_have_text(
        "Planlægningsgruppe (3 pr. møde) og Referent (1) kan ikke kombineres, så hvert møde"
        " kræver 4 forskellige personer, men antallet af aktive medlemmer er 3. Tilføj flere"
        " medlemmer, eller giv en rolle færre pr. møde under Roller."
    )
    # A small network: Anna gives the planning group two holders.
    page.get_by_role("link", name="Roller", exact=True).first.click()
    checked(page, axe_violations, "Roller")
    page.get_by_role("link", name="Planlægningsgruppe").click()
    checked(page, axe_violations, "Planlægningsgruppe")
    page.get_by_label("Antal pr. møde").fill("2")
    page.get_by_role("button", name="Gem", exact=True).click()
    expect(page.get_by_text("Planlægningsgruppe er gemt.")).to_be_visible()

    page.goto("/tovholder/")
    expect(page.get_by_role("region", name="Før året kan planlægges")).to_have_count(0)
    # Cecilie left every week but two blank: she has answered partly.
    expect(
        page.get_by_role("cell", name="2 af 3 har svaret på alle dage; 1 har svaret delvist")
    ).to_be_visible()
    page.get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("button", name="Planlæg året").click()
    expect(
        page.get_by_role("heading", name="Version 1: kladde (den bedst mulige plan)")
    ).to_be_visible(timeout=PLANNING)
    checked(page, axe_violations, f"Plan for {year}")
    forår = page.get_by_role("article", name="Forårsmøde")
    expect(forår).to_contain_text("Aarhus Hovedbibliotek, Hack Kampmanns Plads 2, 8000 Aarhus C")
    expect(forår).to_contain_text("(uge 9)")  # the only week Cecilie can come
    expect(page.get_by_role("article", name="Efterårsmøde")).to_contain_text("(uge 37)")

    # 8. Publish: the poll closes and the plan is mailed (both ticked); back to the plan.
    page.get_by_role("button", name="Udgiv version 1").click()
    expect(page.get_by_text(f"Planen for {year} er udgivet.")).to_be_visible()
    checked(page, axe_violations, f"Planen for {year}")
    page.get_by_role("link", name="Tilbage til planen").click()
    expect(
        page.get_by_role("heading", name="Version 1: udgivet (den bedst mulige plan)")
    ).to_be_visible()
    checked(page, axe_violations, f"Plan for {year}")
    # Fetched with a copy of Anna's login: the language links would switch the browser's.
    as_anna = playwright.request.new_context(
        base_url=base, storage_state=page.context.storage_state()
    )
    coordinator_answers = every_link_answers(page, as_anna, base)
    year_ics = coordinator_answers[f"{base}/tovholder/kalender/{year}.ics"]
    assert year_ics.startswith("BEGIN:VCALENDAR") and year_ics.count("BEGIN:VEVENT") == 2
    page.get_by_role("link", name="Kalendere og eksport").click()
    checked(page, axe_violations, "Kalendere og eksport")
    every_link_answers(page, as_anna, base)
    as_anna.dispose()

    # 9. Bo's page shows the plan and his roles, and every link on it answers without a login:
    # his calendar to subscribe to and to download, each meeting's file, and the meeting pages.
    page.goto(links["bo"])
    checked(page, axe_violations, f"Planen for {year}")
    plan = page.get_by_role("region", name="Møder og dagsordener")
    expect(plan.get_by_role("heading", name="Forårsmøde")).to_be_visible()
    expect(plan).to_contain_text("Aarhus Hovedbibliotek, Hack Kampmanns Plads 2, 8000 Aarhus C")
    expect(plan.locator(".my-roles").first).to_contain_text("Dine roller:")
    bo = every_link_answers(page, anonymous, base)
    feed_url = page.get_by_label(re.compile("^Kalenderadresse")).input_value()
    for url in (
        feed_url,
        page.get_by_role("link", name="Hent kalenderen (.ics)").get_attribute("href"),
    ):
        calendar = bo[url if url.startswith("http") else base + url]
        assert calendar.startswith("BEGIN:VCALENDAR") and calendar.count("BEGIN:VEVENT") == 2
        assert "Forårsmøde" in calendar and "Efterårsmøde" in calendar
    meeting_files = [body for url, body in bo.items() if re.search(rf"/{year}/m\d\.ics$", url)]
    assert len(meeting_files) == 2 and all(b.count("BEGIN:VEVENT") == 1 for b in meeting_files)

    page.get_by_role("link", name="Dagsorden for Forårsmøde").click()
    checked(page, axe_violations, "Forårsmøde")
    expect(page.get_by_text("Aarhus Hovedbibliotek, Hack Kampmanns Plads 2")).to_be_visible()
    every_link_answers(page, anonymous, base)

    # The key pages again on a desktop screen.
    page.set_viewport_size(DESKTOP)
    for path, heading in (
        ("/tovholder/", "Netværk Vest"),
        ("/tovholder/medlemmer", "Medlemmer"),
        (f"/tovholder/plan/{year}", f"Plan for {year}"),
        (links["cecilie"], f"Planen for {year}"),
    ):
        page.goto(path)
        checked(page, axe_violations, heading)
