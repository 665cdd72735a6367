"""Without a mouse (issue #12, point 8): a member answers a year and saves, then the coordinator
logs in, plans the year and publishes it, with the keyboard alone (Tab, Shift+Tab, Space,
Enter, arrow keys, and typing into a field reached by Tab). Nothing is clicked or filled by
selector; pages are only opened by address where a person would follow a link from a mail.
Every element the keyboard stops at on the way shows a visible focus indicator."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from poll.db import db
from poll.models import Answer, Poll, Venue
from tests.factories import PASSWORD, make_network, record_answers

pytestmark = pytest.mark.e2e

MEMBERS = ("tove", "ulla", "vagn", "yrsa", "aase")

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '',
    value: el.value || '', checked: !!el.checked, label: label.trim(),
    text: (el.getAttribute('aria-label') || el.innerText || '').replace(/\\s+/g, ' ').trim(),
    outline: style.outlineStyle === 'none' ? 'none' : style.outlineWidth,
    shadow: style.boxShadow, focusVisible: el.matches(':focus-visible'),
  };
}"""

Focus = dict
Matcher = Callable[[Focus], bool]


def assert_visible_focus(focus: Focus) -> None:
    """The focused element draws a focus indicator: an outline of some width or a shadow."""
    assert focus["focusVisible"], focus
    shows_outline = focus["outline"] not in ("none", "0px")
    shows_shadow = focus["shadow"] not in ("none", "")
    assert shows_outline or shows_shadow, focus


def tab_to(page: Page, matches: Matcher, *, back: bool = False, limit: int = 400) -> Focus:
    """Press Tab (or Shift+Tab) until the focused element matches; check the focus indicator at
    every stop on the way."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focus = page.evaluate(FOCUSED)
        if focus is None:
            continue
        assert_visible_focus(focus)
        if matches(focus):
            return focus
    raise AssertionError("the keyboard never reached the element")


def text_is(text: str) -> Matcher:
    return lambda focus: focus["text"] == text


def field(name: str) -> Matcher:
    return lambda focus: focus["name"] == name


@pytest.fixture
def keyboard_network(live_server) -> dict:
    """A network of its own with the 2027 poll; four members have answered Ja everywhere, the
    fifth (tove) answers in the test."""
    with live_server.app.app_context():
        fx = make_network(MEMBERS, slug="tastatur")
        poll = db.session.get(Poll, fx.poll_id)
        venues = db.session.scalars(db.select(Venue).where(Venue.network_id == fx.network_id)).all()
        cells = [(d.day, v.key, Answer.YES) for d in poll.days for v in venues]
        for key in MEMBERS[1:]:
            record_answers(poll.id, fx.member_ids[key], cells)
        db.session.commit()
    return {"email": fx.email, "link": f"/m/{fx.tokens['tove']}"}


def test_a_year_answered_planned_and_published_with_the_keyboard_alone(
    page: Page, keyboard_network: dict
):
    # The member opens her link from the invitation and answers with the keyboard.
    page.goto(keyboard_network["link"])
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    tab_to(page, text_is("Sæt alle dage til Ja"))
    page.keyboard.press("Enter")
    # The first day's first radio group: the arrow key moves the answer to "Hvis nødvendigt".
    first = tab_to(page, lambda f: f["type"] == "radio")
    page.keyboard.press("ArrowRight")
    moved = page.evaluate(FOCUSED)
    assert moved["name"] == first["name"]
    assert moved["checked"] and moved["label"] == "Hvis nødvendigt"
    assert_visible_focus(moved)
    tab_to(page, text_is("Gem svar"))
    page.keyboard.press("Space")
    expect(page.locator("#save-status")).to_have_text(re.compile(r"^Gemt kl\."))
    expect(page.locator("#answered-state")).to_contain_text("Du har svaret")

    # The coordinator logs in: Tab to each field, type, Enter submits.
    page.goto("/tovholder/login")
    tab_to(page, field("email"))
    page.keyboard.type(keyboard_network["email"])
    tab_to(page, field("password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Testnetværk")

    # From the overview to the year's plan, and plan it.
    tab_to(page, text_is("Plan"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan for 2027")
    tab_to(page, text_is("Planlæg året"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Version 1:"))).to_be_visible(
        timeout=120_000
    )

    # Publish version 1.
    tab_to(page, text_is("Udgiv version 1"))
    page.keyboard.press("Enter")
    # Both boxes are ticked: the page that follows shows the plan mail going out, and says so.
    expect(page.get_by_text("Planen for 2027 er udgivet.")).to_be_visible()

    # The member's page now leads with the plan.
    page.goto(keyboard_network["link"])
    expect(page.get_by_role("heading", name="Planen for 2027")).to_be_visible()
