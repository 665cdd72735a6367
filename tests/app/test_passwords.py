"""A coordinator's own password: changed on "my account" (the other sessions end, this one goes
on), and reset after "forgot your password?" with a one-time link by mail (one hour, once, the
same answer for unknown e-mails, limits per e-mail and per address). Through the pages, the
mails received by a real SMTP server and their links fetched. Both engines."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.models import (
    AccountToken,
    AuditEvent,
    CoordinatorAccount,
    Network,
    PasswordResetRequest,
    utcnow,
)
from tests.app.test_coordinators import log_in, plain_text, post_form, text
from tests.factories import PASSWORD, make_network
from tests.html_forms import form_fields

NEW_PASSWORD = "læsehest-vejle-2027"
RESET_LINK = re.compile(r"https?://[^\s\"<>]+/konto/nulstil/[A-Za-z0-9_-]{20,64}")
NEUTRAL = "Hvis adressen hører til en konto, har vi sendt et link"
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def audit_rows(app, action: str) -> list[tuple[int | None, str]]:
    with app.app_context():
        return [
            (e.network_id, e.actor)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


# -- change password -------------------------------------------------------------------------


def account_page(client) -> str:
    """The header's "my account" link, from the dashboard."""
    link = re.search(r'<a href="([^"]+)"[^>]*>Min konto</a>', text(client.get("/tovholder/")))
    assert link is not None
    return link.group(1)


def change(client, url: str, current: str, new: str, confirm: str | None = None, **kwargs):
    values = {"current": current, "password": new, "confirm": new if confirm is None else confirm}
    return post_form(client, url, "change-password", values, **kwargs)


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(app, client, fx):
    with app.app_context():  # the account coordinates two networks: one log row each
        other = make_network(member_keys=("ole",), slug="andet").network_id
        account = db.session.scalar(
            select(CoordinatorAccount).where(CoordinatorAccount.email == fx.email)
        )
        account.networks.append(db.session.get(Network, other))
        db.session.commit()
    phone = app.test_client()
    for browser in (client, phone):
        log_in(browser, fx.email)
        browser.post("/konto/netvaerk", data={"network": str(fx.network_id)})
    url = account_page(client)
    page = text(client.get(url))
    assert "<h1>Min konto</h1>" in page and "Skift adgangskode" in page and fx.email in page

    changed = change(client, url, PASSWORD, NEW_PASSWORD)
    assert changed.status_code == 303
    assert "Din adgangskode er skiftet, og du er logget ud alle andre steder." in text(
        client.get(changed.location)
    )
    assert client.get("/tovholder/").status_code == 200  # this session goes on
    assert phone.get("/tovholder/").status_code == 302  # the other one has ended
    assert (
        client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD}).status_code
        == 401
    )
    log_in(phone, fx.email, NEW_PASSWORD)
    assert sorted(audit_rows(app, "change-password")) == [
        (fx.network_id, fx.email),
        (other, fx.email),
    ]


@pytest.mark.parametrize(
    ("current", "new", "confirm", "status", "message"),
    [
        (
            "forkert-kode",
            NEW_PASSWORD,
            None,
            400,
            "Nuværende adgangskode: det er ikke din adgangskode.",
        ),
        ("", NEW_PASSWORD, None, 400, "Nuværende adgangskode: udfyld din nuværende adgangskode."),
        (PASSWORD, "kort-kode", None, 400, "Ny adgangskode: mindst 10 tegn."),
        (PASSWORD, "1234567890", None, 400, "det er en af de mest almindelige adgangskoder"),
        (
            PASSWORD,
            NEW_PASSWORD,
            NEW_PASSWORD + "x",
            400,
            "Gentag adgangskoden: de to adgangskoder er forskellige.",
        ),
    ],
)
def test_a_wrong_current_or_weak_new_password_changes_nothing(
    app, client, fx, current, new, confirm, status, message
):
    log_in(client, fx.email)
    phone = app.test_client()
    log_in(phone, fx.email)
    refused = change(client, account_page(client), current, new, confirm)
    assert refused.status_code == status
    assert message in text(refused)
    assert phone.get("/tovholder/").status_code == 200  # no session ended
    client.post("/tovholder/logout")
    log_in(client, fx.email, PASSWORD)  # the old password still works
    assert audit_rows(app, "change-password") == []


def test_guessing_the_current_password_is_throttled_like_a_login(app, client, fx):
    log_in(client, fx.email)
    url = account_page(client)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert change(client, url, "gæt-igen-og-igen", NEW_PASSWORD).status_code == 400
    blocked = change(client, url, PASSWORD, NEW_PASSWORD)
    assert blocked.status_code == 429
    assert "For mange mislykkede forsøg" in text(blocked)
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60


def test_my_account_needs_a_login(client, fx):
    asked = client.get("/konto/")
    assert asked.status_code == 302 and "/tovholder/login" in asked.location
    assert client.post("/konto/", data={"current": PASSWORD}).status_code == 302


# -- forgot your password? -------------------------------------------------------------------


def ask(client, email: str, remote: str = "192.0.2.1"):
    """The login page's "forgot your password?" link, its form posted as a browser would; the
    mail goes out when the response is closed (buffered=True lets the server finish)."""
    login = text(client.get("/tovholder/login"))
    link = re.search(r'<a href="([^"]+)">Glemt adgangskode\?</a>', login)
    assert link is not None
    return post_form(
        client,
        link.group(1),
        "forgot",
        {"email": email},
        environ_base={"REMOTE_ADDR": remote},
        buffered=True,
    )


def without_csrf(page: str) -> str:
    return CSRF_VALUE.sub("", re.sub(r'name="csrf-token" content="[^"]+"', "", page))


def test_a_reset_link_comes_by_mail_and_sets_a_new_password_once(app, client, fx, smtp):
    laptop = app.test_client()
    log_in(laptop, fx.email)
    answer = ask(client, " TOVHOLDER@test.dk ")
    assert answer.status_code == 200
    assert NEUTRAL in text(answer)

    [message] = smtp.messages()
    assert fx.email in str(message["To"])
    assert message["Subject"] == "Ny adgangskode til Mødeplan / A new password for Mødeplan"
    body = plain_text(message)
    assert body.startswith("Kære Tovholder")
    [link] = set(RESET_LINK.findall(body))
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.purpose == "reset-password"
        assert timedelta(minutes=59) < token.expires_at - utcnow() <= timedelta(hours=1)
        assert link.rsplit("/", 1)[1] not in token.token_hash

    path = urlsplit(link).path
    page = client.get(path)
    assert page.status_code == 200
    assert "<h1>Vælg en ny adgangskode</h1>" in text(page) and fx.email in text(page)
    weak = post_form(client, path, "password-form", {"password": "kort", "confirm": "kort"})
    assert weak.status_code == 400 and "Ny adgangskode: mindst 10 tegn." in text(weak)
    saved = post_form(
        client, path, "password-form", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert saved.status_code == 302 and saved.location.endswith("/tovholder/login")
    assert "Din nye adgangskode er gemt, og du er logget ud alle steder." in text(
        client.get(saved.location)
    )
    assert laptop.get("/tovholder/").status_code == 302  # every session has ended
    log_in(client, fx.email, NEW_PASSWORD)
    assert client.get("/tovholder/").status_code == 200
    # Used up.
    again = client.get(path)
    assert again.status_code == 404 and "brugt" in text(again)
    assert audit_rows(app, "reset-password") == [(fx.network_id, fx.email)]


def test_a_reset_link_expires_after_an_hour(app, client, fx, smtp):
    ask(client, fx.email)
    path = urlsplit(RESET_LINK.search(plain_text(smtp.messages()[0])).group(0)).path  # type: ignore[union-attr]
    with app.app_context():  # an hour and a second later
        token = db.session.scalar(select(AccountToken))
        token.expires_at -= timedelta(hours=1, seconds=1)
        assert token.expires_at < utcnow()
        db.session.commit()
    for response in (
        client.get(path),
        client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ):
        assert response.status_code == 404
        assert "udløbet" in text(response)
    client.post("/tovholder/login", data={"email": fx.email, "password": PASSWORD})
    assert client.get("/tovholder/").status_code == 200  # the password is as it was


def test_only_the_newest_reset_link_works_and_a_set_password_link_is_no_reset(
    app, client, fx, smtp
):
    ask(client, fx.email)
    ask(client, fx.email, "192.0.2.2")
    first, second = (
        urlsplit(RESET_LINK.search(plain_text(m)).group(0)).path  # type: ignore[union-attr]
        for m in smtp.messages()
    )
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    token = second.rsplit("/", 1)[1]
    assert client.get(f"/konto/adgangskode/{token}").status_code == 404


def test_an_unknown_email_gets_the_same_answer_and_no_mail(app, client, fx, smtp):
    known = without_csrf(text(ask(client, fx.email, "192.0.2.10")))
    unknown = ask(client, "nobody@example.dk", "192.0.2.11")
    assert unknown.status_code == 200
    assert without_csrf(text(unknown)) == known
    assert len(smtp.messages()) == 1
    with app.app_context():
        assert len(db.session.scalars(select(PasswordResetRequest)).all()) == 2
        assert len(db.session.scalars(select(AccountToken)).all()) == 1


def test_three_links_per_email_an_hour_then_429_without_more_mail(app, client, fx, smtp):
    for n in range(3):
        assert ask(client, fx.email, f"192.0.2.{20 + n}").status_code == 200
    refused = ask(client, fx.email, "192.0.2.30")
    assert refused.status_code == 429
    assert "E-mail: der er bedt om for mange links. Prøv igen om" in text(refused)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert NEUTRAL not in text(refused)
    assert len(smtp.messages()) == 3
    # A stranger's e-mail is limited just the same.
    for n in range(3):
        ask(client, "nobody@example.dk", f"192.0.2.{40 + n}")
    assert ask(client, "nobody@example.dk", "192.0.2.50").status_code == 429
    with app.app_context():
        stored = db.session.scalars(select(PasswordResetRequest.email_digest)).all()
    assert len(stored) == 6
    assert not any("@" in digest or "test.dk" in digest for digest in stored)


def test_ten_requests_per_address_an_hour_then_429(client, fx, smtp):
    for n in range(9):
        assert ask(client, f"person{n}@example.dk", "198.51.100.7").status_code == 200
    assert ask(client, fx.email, "198.51.100.7").status_code == 200
    assert len(smtp.messages()) == 1
    refused = ask(client, fx.email, "198.51.100.7")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) <= 3600
    assert len(smtp.messages()) == 1
    assert ask(client, fx.email, "198.51.100.8").status_code == 200  # another address
    assert len(smtp.messages()) == 2


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "E-mail: udfyld din e-mailadresse."),
        ("tovholder", "E-mail: det er ikke en gyldig e-mailadresse."),
        ("tovholder@test.dk\r\nBcc: x@example.dk", "E-mail: fjern de usynlige kontroltegn"),
        ("t" * 250 + "@test.dk", "E-mail: højst 254 tegn."),
    ],
)
def test_a_bad_email_is_a_400_naming_the_field(client, fx, smtp, email, message):
    answer = ask(client, email)
    assert answer.status_code == 400
    assert message in text(answer)
    assert NEUTRAL not in text(answer)
    assert smtp.messages() == []


def test_the_forgot_password_form_needs_its_csrf_token(app, fx, smtp, strict):
    client = strict.test_client()
    bare = client.post("/konto/glemt-adgangskode", data={"email": fx.email}, buffered=True)
    assert bare.status_code == 400
    assert "sikkerhedstegn" in text(bare)
    assert smtp.messages() == []
    fields = form_fields(text(client.get("/konto/glemt-adgangskode")), "forgot")
    assert "csrf_token" in dict(fields)
    sent = client.post(
        "/konto/glemt-adgangskode",
        data=MultiDict([(k, fx.email if k == "email" else v) for k, v in fields]),
        buffered=True,
    )
    assert sent.status_code == 200
    assert len(smtp.messages()) == 1
    with strict.app_context():
        db.engine.dispose()
