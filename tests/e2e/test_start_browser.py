"""The start page in Chromium at phone width: no serious axe violations, no sideways scroll,
the login link, and "Har du mistet dit link?" as a plain form post (the page has no script)
whose mail lands in the outbox with the member's working link."""

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from time import monotonic, sleep
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

LINK = re.compile(r"https?://[^\s\"<>]+/m/[A-Za-z0-9_-]{20,64}")


def outbox_messages(outbox: Path, wanted: int) -> list:
    """The messages in the outbox once `wanted` are there; the server writes them after the
    answer has gone out, so wait for it (up to 20 s) rather than race it."""
    deadline = monotonic() + 20
    while len(files := sorted(outbox.glob("*.eml"))) < wanted and monotonic() < deadline:
        sleep(0.1)
    return [message_from_bytes(f.read_bytes(), policy=default) for f in files]


def test_start_page_on_a_phone(page: Page, live_server, axe_violations, monkeypatch, tmp_path):
    for name in ("MAIL_HOST", "MAIL_PORT", "MAIL_SECURITY", "MAIL_USERNAME", "MAIL_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(live_server.app.config, "MAIL_OUTBOX", tmp_path / "outbox")
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto("/")
    expect(page).to_have_title(re.compile("Mødeplan$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mødeplan")
    expect(page.get_by_text("Mødeplan finder mødedatoerne", exact=False)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []

    page.get_by_label("E-mail").fill("henrik@example.dk")
    page.get_by_role("button", name="Send mit link").click()
    expect(page.get_by_role("status")).to_contain_text("Hvis adressen hører til et medlem")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []

    # One mail per membership: other tests' networks on this server may have a Henrik too.
    messages = outbox_messages(tmp_path / "outbox", 1)
    assert messages
    for message in messages:
        assert "henrik@example.dk" in str(message["To"])
        body = message.get_body(preferencelist=("plain",)).get_content()
        link = LINK.search(body)
        assert link is not None
        page.goto(urlsplit(link.group(0)).path)
        expect(page.get_by_text("Henrik").first).to_be_visible()

    page.goto("/")
    page.get_by_role("link", name="Log ind som tovholder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind som tovholder")
