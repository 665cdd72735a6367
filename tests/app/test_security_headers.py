"""Security headers on a representative page of every blueprint: CSP without inline code,
no framing, nosniff, Referrer-Policy no-referrer where a token is in the URL, no-store on every
page that can show a token, HSTS with the secure cookie."""

import re

import pytest

from poll.db import db
from poll.feeds import feed_token
from poll.models import Member
from poll.security import CONTENT_SECURITY_POLICY
from tests.calendar.test_feeds_helpers import make_year, publish_result
from tests.conftest import make_app
from tests.factories import log_in

CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
]
# What a Content-Security-Policy without 'unsafe-inline' would block on a page.
INLINE_CODE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


@pytest.fixture
def site(app):
    """A published 2027 plan; paths of a page of every kind, keyed by what they are."""
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
        henrik = db.session.get(Member, fx.member_ids["henrik"])
        henrik_feed = feed_token(henrik)
        db.session.commit()
    token = fx.tokens["henrik"]
    client = app.test_client()
    log_in(client, fx)
    return client, {
        "login": "/tovholder/login",
        "dashboard": "/tovholder/",
        "members": "/tovholder/medlemmer",
        "calendar": "/tovholder/kalender",
        "plan": "/tovholder/plan/2027",
        "coordinator meeting": "/tovholder/plan/2027/moede/m1",
        "messages": "/tovholder/beskeder/",
        "coordinators": "/tovholder/netvaerk/tovholdere",
        "my account": "/konto/",
        "forgot password": "/konto/glemt-adgangskode",
        "set-password link": "/konto/adgangskode/" + "x" * 43,
        "reset link": "/konto/nulstil/" + "x" * 43,
        "member": f"/m/{token}",
        "member year": f"/m/{token}/2027",
        "member meeting": f"/m/{token}/moede/2027/m1",
        "feed": f"/kalender/{henrik_feed}.ics",
        "not found": "/findes-ikke",
        "bad personal link": "/m/ugyldigt-link",
        "stylesheet": "/static/app.css",
    }


TOKEN_IN_URL = {
    "member",
    "member year",
    "member meeting",
    "feed",
    "bad personal link",
    "set-password link",
    "reset link",
}
HTML_PAGES = {
    "login",
    "dashboard",
    "members",
    "calendar",
    "plan",
    "coordinator meeting",
    "messages",
    "coordinators",
    "my account",
    "forgot password",
    "set-password link",
    "reset link",
    "member",
    "member year",
    "member meeting",
    "not found",
    "bad personal link",
}


def _get(client, path: str):
    response = client.get(path)
    response.get_data()  # read it all, so the file behind a static response can be closed
    response.close()
    assert response.status_code in (200, 404), (path, response.status_code)
    return response


def test_every_response_forbids_framing_sniffing_and_inline_code(site):
    client, paths = site
    for name, path in paths.items():
        headers = _get(client, path).headers
        policy = headers["Content-Security-Policy"]
        assert [d.strip() for d in policy.split(";")] == CSP_DIRECTIVES, name
        assert "unsafe-inline" not in policy
        assert headers["X-Frame-Options"] == "DENY", name
        assert headers["X-Content-Type-Options"] == "nosniff", name
        assert "Strict-Transport-Security" not in headers, name  # not without HTTPS


def test_referrer_policy_is_no_referrer_wherever_a_token_is_in_the_url(site):
    client, paths = site
    for name, path in paths.items():
        expected = "no-referrer" if name in TOKEN_IN_URL else "same-origin"
        assert _get(client, path).headers["Referrer-Policy"] == expected, name


def test_no_page_that_can_show_a_token_is_stored_by_a_cache(site):
    client, paths = site
    for name in HTML_PAGES:
        response = _get(client, paths[name])
        assert response.mimetype == "text/html", name
        assert response.headers["Cache-Control"] == "no-store", name
    # The feed keeps the short private caching it sets on purpose; static files are not forced.
    assert _get(client, paths["feed"]).headers["Cache-Control"] == "private, max-age=300"
    assert "no-store" not in _get(client, paths["stylesheet"]).headers.get("Cache-Control", "")


def test_pages_hold_no_inline_code_the_policy_would_block(site):
    client, paths = site
    for name in HTML_PAGES:
        page = _get(client, paths[name]).get_data(as_text=True)
        assert INLINE_CODE.findall(page) == [], name


def test_a_stricter_value_set_by_a_view_is_kept(app):
    @app.get("/tovholder/streng")
    def strict():
        return "x", {"Referrer-Policy": "no-referrer", "Cache-Control": "private, max-age=5"}

    headers = app.test_client().get("/tovholder/streng").headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "private, max-age=5"


def test_hsts_when_the_session_cookie_is_secure(app):
    secure = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SESSION_COOKIE_SECURE=True)
    response = secure.test_client().get("/tovholder/login", base_url="https://modeplan.test")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
