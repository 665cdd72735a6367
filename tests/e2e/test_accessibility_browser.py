"""Accessibility (issue #12, point 8) in Chromium: every page, in Danish and English, at a
computer's width (1280 px) and a phone's (390 px), has no axe-core violation of WCAG 2.1 level A
or AA (every impact, not only serious ones), and at 390 px no page scrolls sideways.

PAGES is the one list of pages: a page added to the app is added there. An entry is a path
(formatted with the ids of the seeded network, see Sweep) or, for a page reached only through
a form, a function that takes the browser there. An element meant to scroll sideways inside
its own box (a wide table in a scrolling container) is allowed by WIDE_INSIDE_ITS_BOX, and only
when the container, not the page, scrolls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pprint import pformat

import pytest
from playwright.sync_api import Browser, Page, expect

from poll import accounts, swaps
from poll.auth import set_password
from poll.db import db
from poll.guest_links import new_guest_token
from poll.mail_jobs import run_batch, start_batch
from poll.models import (
    AgendaProposal,
    CoordinatorAccount,
    Guest,
    MeetingMinutes,
    Member,
    MessageLog,
    Network,
    Plan,
    Poll,
    ProposalStatus,
    Role,
    SwapStatus,
    Venue,
    utcnow,
)
from poll.planning import store_plan
from poll.publishing import publish
from tests.calendar_files import calendar, calendar_files
from tests.factories import PASSWORD, make_network, record_answers

pytestmark = pytest.mark.e2e

MEMBERS = ("astrid", "bent", "cille", "dorte", "erik")
YEAR = 2027
WIDTHS = (1280, 390)
LANGUAGES = ("da", "en")
# What may scroll sideways inside its own box at 390 px (never the page itself): a box that
# matches, or holds, one of these. Only the people × days grid ("who answered what") belongs
# here; static/tables.js leaves its table alone for the same reason.
WIDE_INSIDE_ITS_BOX: tuple[str, ...] = (".answer-grid-wrap",)


@dataclass
class Sweep:
    """The ids and links of the sweep's own network (slug "tilgaengelig"), with a published 2027
    plan and a log of sent messages; and the seeded network's unpublished year."""

    network_id: int
    poll_id: int
    year: int
    email: str
    admin_email: str
    member_id: int
    venue_id: int
    role_id: int
    message_id: int
    batch_id: int
    invited_id: int  # a second coordinator, invited, who has not chosen a password yet
    set_password_token: str
    reset_token: str
    member_token: str  # a member of the published year
    open_token: str  # a member of the seeded network, whose 2027 is not published yet
    referent_token: str  # the minute-taker of the published year's first meeting
    proposer_token: str  # a member who proposed an agenda item for it
    swap_id: int  # Erik cannot present at Møde 1 after all; the first candidate is asked
    nobody_swap_id: int  # Dorte cannot take notes at Møde 1 after all, and nobody can
    guest_token: str  # a guest of the published year's m1

    def fields(self) -> dict:
        return vars(self)


def go_to_member_links(page: Page, sweep: Sweep) -> None:
    """The page that shows a new personal link, after "Make a new personal link"."""
    page.goto(f"/tovholder/medlemmer/{sweep.member_id}")
    page.locator(f"form[action$='/medlemmer/{sweep.member_id}/nyt-link'] button").click()
    expect(page.locator("input.link-copy").first).to_be_visible()


def go_to_poll_preview(page: Page, sweep: Sweep) -> None:
    """The new-poll form with its preview of the candidate days."""
    page.goto("/tovholder/afstemninger/ny")
    page.locator("input[name=year]").fill(str(sweep.year + 1))
    page.locator("input[name='meetings-0-name']").fill("Forårsmøde")
    page.locator("input[name='meetings-0-weeks']").fill("9-10")
    page.locator("button[name=action][value=preview]").first.click()
    expect(page.locator(".preview").first).to_be_visible()


def go_to_signup_refused(page: Page, sweep: Sweep) -> None:
    """The page that refuses a sign-up: "Save my answer" without choosing."""
    page.goto(f"/m/{sweep.member_token}/moede/{sweep.year}/m1")
    page.locator("#signup-form button[type=submit]").click()
    expect(page.locator(".error-message")).to_be_visible()


def go_to_calendar_proposal(page: Page, sweep: Sweep) -> None:
    """The member's calendar page with a proposal, after pasting a link to a calendar served
    on 127.0.0.1 (a busy and a partly busy day)."""
    busy = (datetime(YEAR, 3, 2, 8, tzinfo=UTC), datetime(YEAR, 3, 2, 15, tzinfo=UTC), "Møde")
    partly = (datetime(YEAR, 3, 3, 13, tzinfo=UTC), datetime(YEAR, 3, 3, 15, tzinfo=UTC), "Læge")
    with calendar_files() as files:
        page.goto(f"/m/{sweep.open_token}/{sweep.year}/kalender")
        page.locator("#ics_url").fill(files.ics("/kalender.ics", calendar(busy, partly)))
        page.locator("#ics_url").press("Enter")
        expect(page.locator("#forslag")).to_be_visible()


# (name, path or function, as whom: "anyone", "coordinator" or "admin")
PAGES: list[tuple[str, str | Callable[[Page, Sweep], None], str]] = [
    ("start", "/", "anyone"),
    ("login", "/tovholder/login", "anyone"),
    ("forgot password", "/konto/glemt-adgangskode", "anyone"),
    ("choose a password", "/konto/adgangskode/{set_password_token}", "anyone"),
    ("reset a password", "/konto/nulstil/{reset_token}", "anyone"),
    ("privacy", "/privatliv", "anyone"),
    ("accessibility statement", "/tilgaengelighed", "anyone"),
    ("not found", "/findes-ikke", "anyone"),
    ("member page before publication", "/m/{open_token}", "anyone"),
    ("member page after publication", "/m/{member_token}/{year}", "anyone"),
    ("who else answered", "/m/{open_token}/{year}/andre", "anyone"),
    ("member's meeting page", "/m/{member_token}/moede/{year}/m1", "anyone"),
    ("referent's meeting page (minutes form)", "/m/{referent_token}/moede/{year}/m1", "anyone"),
    ("proposer's meeting page", "/m/{proposer_token}/moede/{year}/m1", "anyone"),
    ("member asked to take over a role", "/m/{member_token}/rollebytte/{swap_id}", "anyone"),
    ("sign-up refused", go_to_signup_refused, "anyone"),
    ("guest's meeting page", "/gaest/{guest_token}", "anyone"),
    ("member's calendar import", "/m/{open_token}/{year}/kalender", "anyone"),
    ("member's calendar proposal", go_to_calendar_proposal, "anyone"),
    ("dashboard", "/tovholder/", "coordinator"),
    ("network", "/tovholder/netvaerk", "coordinator"),
    ("coordinators", "/tovholder/netvaerk/tovholdere", "coordinator"),
    ("remove a coordinator", "/tovholder/netvaerk/tovholdere/{invited_id}/fjern", "coordinator"),
    ("venues", "/tovholder/moedesteder", "coordinator"),
    ("venue form", "/tovholder/moedesteder/{venue_id}", "coordinator"),
    ("members", "/tovholder/medlemmer", "coordinator"),
    ("new member form", "/tovholder/medlemmer/ny", "coordinator"),
    ("member form", "/tovholder/medlemmer/{member_id}", "coordinator"),
    ("erase a member", "/tovholder/medlemmer/{member_id}/slet-personoplysninger", "coordinator"),
    ("member links", go_to_member_links, "coordinator"),
    ("import members", "/tovholder/medlemmer/import", "coordinator"),
    ("roles", "/tovholder/roller", "coordinator"),
    ("new role form", "/tovholder/roller/ny", "coordinator"),
    ("role form", "/tovholder/roller/{role_id}", "coordinator"),
    ("new poll form", "/tovholder/afstemninger/ny", "coordinator"),
    ("new poll preview", go_to_poll_preview, "coordinator"),
    ("edit poll form", "/tovholder/afstemninger/{poll_id}/rediger", "coordinator"),
    ("poll overview", "/tovholder/afstemninger/{poll_id}", "coordinator"),
    ("poll days", "/tovholder/afstemninger/{poll_id}/dage", "coordinator"),
    ("who said what", "/tovholder/afstemninger/{poll_id}/svar", "coordinator"),
    ("plan", "/tovholder/plan/{year}", "coordinator"),
    ("coordinator's meeting page", "/tovholder/plan/{year}/moede/m1", "coordinator"),
    ("role swaps", "/tovholder/plan/{year}/rollebytte", "coordinator"),
    ("role swap with candidates", "/tovholder/plan/{year}/rollebytte/{swap_id}", "coordinator"),
    (
        "role swap nobody can take",
        "/tovholder/plan/{year}/rollebytte/{nobody_swap_id}",
        "coordinator",
    ),
    ("calendars", "/tovholder/kalender", "coordinator"),
    ("messages", "/tovholder/beskeder", "coordinator"),
    ("message", "/tovholder/beskeder/{message_id}", "coordinator"),
    ("reminder before sending", "/tovholder/beskeder/{year}/paamindelser", "coordinator"),
    ("plan mail before sending", "/tovholder/beskeder/{year}/plan", "coordinator"),
    ("mail batch", "/tovholder/beskeder/udsendelse/{batch_id}", "coordinator"),
    ("log", "/tovholder/log/", "coordinator"),
    ("account", "/konto/", "coordinator"),
    ("administration", "/admin/", "admin"),
    ("new network (admin)", "/admin/nyt-netvaerk", "admin"),
    ("delete a network (admin)", "/admin/netvaerk/{network_id}/slet", "admin"),
]


def _plan_result(poll: Poll) -> dict:
    """A plan-result/1 for the poll's two meetings, made by hand so the dates are known."""
    days = {"m1": date(YEAR, 3, 2), "m2": date(YEAR, 6, 8)}
    venues = {"m1": "odense", "m2": "vejle"}
    roles = {
        "m1": {"planning": ["astrid", "bent", "cille"], "leader": ["bent"], "notes": ["dorte"]},
        "m2": {"planning": ["astrid", "cille", "erik"], "leader": ["cille"], "notes": ["bent"]},
    }
    presenters = {"m1": ["erik"], "m2": ["dorte"]}
    return {
        "format": "plan-result/1",
        "status": "optimal",
        "meetings": [
            {
                "id": meeting.key,
                "date": days[meeting.key].isoformat(),
                "venue": venues[meeting.key],
                "start": "10:00",
                "end": "15:00",
                "attendance": {"yes": list(MEMBERS), "maybe": [], "no": [], "no_answer": []},
                "roles": {**roles[meeting.key], "presenter": presenters[meeting.key]},
            }
            for meeting in poll.meetings
        ],
        "score": {},
        "explanation": [],
    }


@pytest.fixture(scope="module")
def sweep(live_server) -> Sweep:
    app = live_server.app
    with app.app_context():
        fx = make_network(MEMBERS, slug="tilgaengelig")
        poll = db.session.get(Poll, fx.poll_id)
        venues = db.session.scalars(db.select(Venue).where(Venue.network_id == fx.network_id)).all()
        cells = [(d.day, v.key) for d in poll.days for v in venues]
        for key in MEMBERS[:3]:
            record_answers(poll.id, fx.member_ids[key], [(*c, "yes") for c in cells])
        db.session.commit()
        # An invitation batch, sent to the outbox folder as the app would.
        batch_id, _started = start_batch(fx.network_id, "invitation", poll_id=poll.id)
        assert batch_id is not None
        run_batch(batch_id)
        plan = db.session.get(Plan, store_plan(poll, _plan_result(poll)))
        publish(plan)
        # An agenda proposal waiting for the planning group, one declined, and published
        # minutes with a file, so the meeting pages and the member page show all they can.
        m1 = next(m for m in poll.meetings if m.key == "m1")
        db.session.add(
            AgendaProposal(meeting_id=m1.id, member_id=fx.member_ids["erik"], title="Læseklubber")
        )
        db.session.add(
            AgendaProposal(
                meeting_id=m1.id,
                member_id=fx.member_ids["erik"],
                title="Budget",
                status=ProposalStatus.DECLINED,
                reason="Tages op i juni",
            )
        )
        db.session.add(
            MeetingMinutes(
                meeting_id=m1.id,
                text="Vi talte om **læseklubber**.\n- Odense\n- Vejle",
                file_data=b"%PDF-1.4\n",
                file_type="application/pdf",
                file_name="referat.pdf",
                file_size=9,
                published_at=utcnow(),
            )
        )
        admin = CoordinatorAccount(email="admin@tilgaengelig.dk", name="Admin", is_admin=True)
        set_password(admin, PASSWORD)
        db.session.add(admin)
        invited = accounts.invite_coordinator(
            db.session.get(Network, fx.network_id), "ny@tilgaengelig.dk", "Ny Tovholder"
        )
        assert invited.token is not None
        reset_token = accounts.issue_token(
            admin, accounts.RESET_PASSWORD, accounts.RESET_PASSWORD_LIFETIME
        )
        db.session.commit()
        message_id = db.session.scalar(
            db.select(MessageLog.id).where(MessageLog.network_id == fx.network_id).limit(1)
        )
        role_id = db.session.scalar(
            db.select(Role.id).where(Role.network_id == fx.network_id, Role.key == "leader")
        )
        venue_id = db.session.scalar(
            db.select(Venue.id).where(Venue.network_id == fx.network_id, Venue.key == "odense")
        )
        m1 = next(m for m in poll.meetings if m.key == "m1")
        guest = Guest(meeting_id=m1.id, name="Gitte Gæst", email="gitte@tilgaengelig.dk")
        guest_token = new_guest_token(guest)
        db.session.add(guest)
        db.session.commit()
        member = db.session.get(Member, fx.member_ids["erik"])
        poll = db.session.get(Poll, fx.poll_id)
        swap = swaps.request_swap(poll, member, "m1", "presenter")
        swaps.ask_next(swap)
        dorte = db.session.get(Member, fx.member_ids["dorte"])
        nobody = swaps.request_swap(poll, dorte, "m1", "notes")
        assert (swap.status, nobody.status) == (SwapStatus.ASKING, SwapStatus.NOBODY)
        assert member is not None and db.session.get(Network, fx.network_id) is not None
        return Sweep(
            network_id=fx.network_id,
            poll_id=fx.poll_id,
            year=fx.year,
            email=fx.email,
            admin_email=admin.email,
            member_id=member.id,
            venue_id=venue_id,
            role_id=role_id,
            message_id=message_id,
            batch_id=batch_id,
            invited_id=invited.account.id,
            set_password_token=invited.token,
            reset_token=reset_token,
            member_token=fx.tokens["astrid"],
            open_token=live_server.network.tokens["henrik"],
            referent_token=fx.tokens["dorte"],
            proposer_token=fx.tokens["erik"],
            swap_id=swap.id,
            nobody_swap_id=nobody.id,
            guest_token=guest_token,
        )


def _log_in(page: Page, email: str) -> None:
    page.goto("/tovholder/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/login" not in url)


SIDEWAYS = """(allowed) => {
  const width = document.documentElement.clientWidth;
  const name = (el) => {
    const classes = typeof el.className === 'string' ? el.className.trim() : '';
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (classes ? '.' + classes.split(/\\s+/).join('.') : '');
  };
  const page = document.documentElement.scrollWidth > width;
  // Boxes that scroll sideways inside the page: only those meant to may.
  const boxes = [];
  for (const el of document.body.querySelectorAll('*')) {
    const overflow = getComputedStyle(el).overflowX;
    if (!['auto', 'scroll'].includes(overflow) || el.scrollWidth <= el.clientWidth + 1) continue;
    if (allowed.some((s) => el.matches(s) || el.querySelector(s))) continue;
    boxes.push(name(el) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  }
  // What sticks out of the page, to say where to look.
  const sticking = [];
  if (page) {
    for (const el of document.body.querySelectorAll('*')) {
      const box = el.getBoundingClientRect();
      const spills = el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0
        && getComputedStyle(el).overflowX === 'visible';
      if (box.width > 1 && box.right > width + 0.5) sticking.push(name(el) + ' ' + box.right);
      else if (spills) sticking.push(name(el) + ' text ' + el.scrollWidth);
    }
  }
  const scroll = document.documentElement.scrollWidth;
  return {scroll, width, boxes, sticking: sticking.slice(0, 8)};
}"""


@pytest.fixture
def browser_page(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """open_page(language, width, javascript=True): a page of a context of its own."""
    contexts = []

    def open_page(language: str, width: int, javascript: bool = True) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=javascript,
            locale="da-DK",
            timezone_id="Europe/Copenhagen",
            viewport={"width": width, "height": 900},
        )
        context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


# List items that sit in a row of buttons, a menu or a page's header and footer: no bullets.
BULLETS = """() => [...document.querySelectorAll(
    'ul.actions > li, ul.link-list > li, ul.plan-meetings > li, nav li, header li, footer li')]
  .filter((li) => getComputedStyle(li).listStyleType !== 'none')
  .map((li) => li.parentElement.className + ': ' + li.innerText.trim().slice(0, 40))"""


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_meets_wcag_21_aa_and_fits_the_screen(
    browser_page, live_server, sweep: Sweep, wcag_violations, language: str, width: int
):
    problems: dict[str, object] = {}
    as_whom = "anyone"
    page = browser_page(language, width)
    for name, where, who in PAGES:
        if who != as_whom:
            page.context.clear_cookies()
            page.context.add_cookies([{"name": "lang", "value": language, "url": live_server.url}])
            if who != "anyone":
                _log_in(page, sweep.admin_email if who == "admin" else sweep.email)
            as_whom = who
        if callable(where):
            where(page, sweep)
        else:
            page.goto(where.format(**sweep.fields()))
        expect(page.locator("h1")).to_be_visible()
        assert page.locator("html").get_attribute("lang") == language, name
        found = wcag_violations(page)
        if found:
            problems[f"{name} ({page.url}): axe"] = found
        if bullets := page.evaluate(BULLETS):
            problems[f"{name} ({page.url}): bullets"] = bullets
        if width < 1280:
            sideways = page.evaluate(SIDEWAYS, list(WIDE_INSIDE_ITS_BOX))
            if sideways["scroll"] > sideways["width"] or sideways["boxes"]:
                problems[f"{name} ({page.url}): scrolls sideways"] = sideways
    assert not problems, pformat(problems, width=100)


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_on_a_phone_the_members_table_is_a_card_per_member(
    browser_page, sweep: Sweep, javascript: bool
):
    """With JavaScript each member is a card whose values are labelled by their column; without,
    the table scrolls inside its own box (reachable by keyboard) and the page does not."""
    page = browser_page("da", 390, javascript)
    _log_in(page, sweep.email)
    page.goto("/tovholder/medlemmer")
    row = page.locator("table.members tbody tr").first
    email = row.locator("td", has_text="astrid@example.dk")
    expect(email).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator(".table-wrap").first
    if javascript:
        label = email.evaluate("td => getComputedStyle(td, '::before').content")
        assert label == '"E-mail: "'
        assert row.bounding_box()["width"] <= 390
        assert box.evaluate("el => el.scrollWidth <= el.clientWidth")
    else:
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
        assert box.get_attribute("tabindex") == "0"
