"""The accessibility statement (issue #12, point 8) through the pages: linked from every
layout's footer, in Danish and English, with the contact and the WAS link from the settings;
the favicon every layout links to, and /favicon.ico, which browsers ask for by themselves."""

from __future__ import annotations

import re

import pytest

from poll import create_app
from poll.config import ConfigError
from tests.factories import log_in, make_network


def href(page: str, text: str) -> str:
    found = re.search(rf'<a[^>]*href="([^"]+)"[^>]*>\s*{re.escape(text)}', page)
    assert found is not None, f"no link '{text}' on the page"
    return found.group(1)


def test_every_layouts_footer_links_to_the_statement_and_head_to_the_favicon(app, client):
    with app.app_context():
        fx = make_network()
    pages = [
        client.get("/").get_data(as_text=True),
        client.get(f"/m/{fx.tokens['sara']}").get_data(as_text=True),
    ]
    log_in(client, fx)
    pages.append(client.get("/tovholder/").get_data(as_text=True))
    for text in pages:
        assert href(text, "Tilgængelighedserklæring") == "/tilgaengelighed"
        icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', text)
        assert icon is not None
    svg = client.get(icon.group(1))
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    svg.close()
    ico = client.get("/favicon.ico")
    assert ico.status_code == 301
    assert ico.headers["Location"].endswith(icon.group(1))


def test_the_statement_in_danish_and_english_with_contact_and_was_link(app, client):
    app.config.update(
        PRIVACY_CONTROLLER="Herning Bibliotekerne",
        PRIVACY_CONTACT="dpo@herning.dk",
        ACCESSIBILITY_CONTACT="web@herning.dk",
        WAS_URL="https://was.digst.dk/app-herning-dk",
    )
    page = client.get("/tilgaengelighed")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="da">' in text
    assert "<h1>Tilgængelighedserklæring for Mødeplan</h1>" in text
    assert "Herning Bibliotekerne arbejder for at gøre sine websteder tilgængelige" in text
    assert "lov om tilgængelighed af offentlige organers websteder og mobilapplikationer" in text
    assert "delvist i overensstemmelse med" in text
    assert "WCAG" in text and "EN 301 549" in text
    assert "sidelæns inde i deres egen boks" in text
    assert "1280 pixel" in text and "390 pixel" in text
    assert "kun med tastaturet" in text
    assert "web@herning.dk" in text
    assert "dpo@herning.dk" not in text
    assert "Digitaliseringsstyrelsen" in text
    assert '<a href="https://was.digst.dk/app-herning-dk">' in text

    english = client.get("/tilgaengelighed?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "<h1>Accessibility statement for Mødeplan</h1>" in english
    assert "partially compliant" in english
    assert "Enforcement procedure" in english
    assert "web@herning.dk" in english


def test_without_the_settings_the_privacy_contact_serves_and_the_was_link_is_announced(app, client):
    text = client.get("/tilgaengelighed").get_data(as_text=True)
    assert "Den organisation, der driver denne Mødeplan," in text
    assert "fortæl det til dit netværks tovholder" in text
    assert "vil blive offentliggjort i Digitaliseringsstyrelsens" in text
    assert "was.digst.dk" in text
    assert 'href="https://was.digst.dk' not in text
    app.config.update(PRIVACY_CONTACT="dpo@herning.dk")
    assert "dpo@herning.dk" in client.get("/tilgaengelighed").get_data(as_text=True)


def test_the_settings_come_from_the_environment_and_a_wrong_was_link_stops_the_start(
    monkeypatch,
):
    monkeypatch.setenv("MODEPLAN_ACCESSIBILITY_CONTACT", "web@vejle.dk")
    monkeypatch.setenv("MODEPLAN_WAS_URL", "https://was.digst.dk/app-vejle-dk")
    config = create_app({"TESTING": True}).config
    assert config["ACCESSIBILITY_CONTACT"] == "web@vejle.dk"
    assert config["WAS_URL"] == "https://was.digst.dk/app-vejle-dk"
    monkeypatch.setenv("MODEPLAN_WAS_URL", "http://example.com/statement")
    with pytest.raises(ConfigError) as stopped:
        create_app({"TESTING": True})
    assert "MODEPLAN_WAS_URL must be an https://was.digst.dk/… address" in str(stopped.value)
