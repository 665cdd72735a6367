"""The start page at /: what Mødeplan is, the coordinator login, and "lost your link?" with the
mails received by a real SMTP server (aiosmtpd on 127.0.0.1), their links fetched; the limits
per client address and per e-mail; bad input; CSRF; the migration of the limits' table. Both
engines."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from poll.db import db
from poll.members import add_member
from poll.models import LostLinkRequest, Member, MessageLog, MessageStatus, Network
from poll.notifications import PERSONAL_MARK
from tests.conftest import fresh_postgres_database, make_app
from tests.factories import log_in, make_network

DA_INTRO = "Mødeplan finder mødedatoerne for et biblioteksnetværk"
DA_ACCOUNTLESS = "Medlemmerne svarer gennem et personligt link"
NEUTRAL = "Hvis adressen hører til et medlem, har vi sendt linket til den."
LINK = re.compile(r"https?://[^\s\"<>]+/m/[A-Za-z0-9_-]{20,64}")
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def fx(app):
    with app.app_context():
        return make_network()


def ask(client, email: str, remote: str = "192.0.2.1"):
    """Post "lost your link?" as a browser would, and let the server finish the answer (the
    mails go out when the response is closed)."""
    return client.post(
        "/", data={"email": email}, environ_base={"REMOTE_ADDR": remote}, buffered=True
    )


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def without_csrf(page: str) -> str:
    return CSRF_VALUE.sub("", re.sub(r'name="csrf-token" content="[^"]+"', "", page))


def test_start_page_is_danish_says_what_it_is_and_links_to_the_login(client):
    page = client.get("/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="da">' in text
    assert DA_INTRO in text and DA_ACCOUNTLESS in text
    assert "<h1>Mødeplan</h1>" in text
    assert '<h2 id="lost-link">Har du mistet dit link?</h2>' in text
    assert '<label for="email">E-mail</label>' in text
    login = re.search(r'<a href="([^"]+)">Log ind som tovholder</a>', text)
    assert login is not None
    login_page = client.get(login.group(1))
    assert login_page.status_code == 200
    assert "<h1>Log ind som tovholder</h1>" in login_page.get_data(as_text=True)

    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Mødeplan finds the meeting dates of a library network" in english
    assert "Have you lost your link?" in english


def test_a_members_lost_link_comes_by_mail_and_opens_their_page(app, client, fx, smtp):
    answer = ask(client, "  Henrik@Example.DK ")
    assert answer.status_code == 200
    assert NEUTRAL in answer.get_data(as_text=True)

    [message] = smtp.messages()
    assert "henrik@example.dk" in str(message["To"])
    assert message["Subject"] == "Testnetværk: dit link til Mødeplan"
    body = plain_text(message)
    assert body.startswith("Kære Henrik")
    # In Henrik's language alone (Danish, the default), answering to the network's coordinator.
    assert "Dear" not in body and "Your personal link" not in body
    assert message["Reply-To"] == "Sara <sara@example.dk>"
    links = set(LINK.findall(body))
    assert len(links) == 1
    [link] = links
    assert link.endswith(fx.tokens["henrik"])
    member_page = client.get(urlsplit(link).path)
    assert member_page.status_code == 200
    assert "Henrik" in member_page.get_data(as_text=True)

    with app.app_context():
        [log] = db.session.scalars(select(MessageLog)).all()
        assert log.kind == "lost-link"
        assert log.member_id == fx.member_ids["henrik"]
        assert log.status == MessageStatus.SENT
        assert fx.tokens["henrik"].encode() not in log.raw
        assert PERSONAL_MARK.encode() in log.raw
        log_id = log.id
    # The coordinator sees it in the network's message log, and the stored copy has no link.
    log_in(client, fx)
    listed = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Mistet link, sendt igen" in listed
    shown = client.get(f"/tovholder/beskeder/{log_id}")
    assert shown.status_code == 200
    assert fx.tokens["henrik"] not in shown.get_data(as_text=True)


def test_the_mail_goes_out_after_the_answer_has(client, fx, smtp):
    answer = client.post(
        "/", data={"email": "maria@example.dk"}, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert answer.status_code == 200
    assert smtp.messages() == []  # the answer is complete, no member looked up yet
    answer.close()  # as the server does once the answer is sent
    [message] = smtp.messages()
    assert "maria@example.dk" in str(message["To"])


def test_one_mail_per_membership_when_networks_share_an_email(app, client, fx, smtp):
    with app.app_context():
        other = Network(slug="fyn", name="Fynske biblioteker")
        db.session.add(other)
        _member, fyn_token = add_member(other, key="h", name="Henrik H", email="HENRIK@example.dk")
        db.session.commit()

    assert ask(client, "henrik@example.dk").status_code == 200

    messages = smtp.messages()
    assert len(messages) == 2
    paths = {urlsplit(LINK.search(plain_text(m)).group(0)).path for m in messages}  # type: ignore[union-attr]
    assert paths == {f"/m/{fx.tokens['henrik']}", f"/m/{fyn_token}"}
    names = set()
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200
        names.add("Fynske biblioteker" in page.get_data(as_text=True))
    assert names == {True, False}


def test_unknown_and_inactive_emails_get_the_same_answer_and_no_mail(app, client, fx, smtp):
    known = without_csrf(ask(client, "sara@example.dk", "192.0.2.10").get_data(as_text=True))
    assert len(smtp.messages()) == 1
    with app.app_context():
        db.session.get(Member, fx.member_ids["maria"]).active = False
        db.session.commit()

    unknown = ask(client, "nobody@example.dk", "192.0.2.11")
    inactive = ask(client, "maria@example.dk", "192.0.2.12")

    for answer in (unknown, inactive):
        assert answer.status_code == 200
        assert without_csrf(answer.get_data(as_text=True)) == known
    assert NEUTRAL in known
    assert len(smtp.messages()) == 1
    with app.app_context():
        assert db.session.scalar(sa.func.count(MessageLog.id)) == 1


def test_three_links_per_email_a_day_then_429_without_more_mail(app, client, fx, smtp):
    for n in range(3):
        assert ask(client, "henrik@example.dk", f"192.0.2.{20 + n}").status_code == 200
    assert len(smtp.messages()) == 3

    refused = ask(client, "henrik@example.dk", "192.0.2.30")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 429
    assert "E-mail: der er bedt om for mange links. Prøv igen om" in text
    assert 0 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert NEUTRAL not in text
    # A stranger's e-mail is limited just the same, so the refusal tells nothing.
    for n in range(3):
        ask(client, "nobody@example.dk", f"192.0.2.{40 + n}")
    assert ask(client, "nobody@example.dk", "192.0.2.50").status_code == 429
    assert len(smtp.messages()) == 3
    with app.app_context():
        stored = db.session.scalars(select(LostLinkRequest.email_digest)).all()
    assert len(stored) == 6
    assert not any("@" in digest for digest in stored)  # no address is kept as text


def test_five_requests_per_address_an_hour_then_429(client, fx, smtp):
    emails = ["sara@example.dk", "henrik@example.dk", "maria@example.dk", "a@example.dk"]
    for email in [*emails, "b@example.dk"]:
        assert ask(client, email, "198.51.100.7").status_code == 200
    assert len(smtp.messages()) == 3

    refused = ask(client, "sara@example.dk", "198.51.100.7")
    assert refused.status_code == 429
    assert "Prøv igen om" in refused.get_data(as_text=True)
    assert len(smtp.messages()) == 3
    # Another address is not held back by this one.
    assert ask(client, "sara@example.dk", "198.51.100.8").status_code == 200
    assert len(smtp.messages()) == 4


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "E-mail: udfyld din e-mailadresse."),
        ("henrik", "E-mail: det er ikke en gyldig e-mailadresse."),
        ("henrik@example.dk\r\nBcc: x@example.dk", "E-mail: fjern de usynlige kontroltegn"),
        ("h" * 250 + "@example.dk", "E-mail: højst 254 tegn."),
    ],
)
def test_bad_email_is_a_400_naming_the_field_and_sends_nothing(client, fx, smtp, email, message):
    answer = ask(client, email)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert message in text
    assert 'aria-invalid="true"' in text
    assert NEUTRAL not in text
    assert smtp.messages() == []


def test_lost_link_form_needs_the_csrf_token(app, fx, smtp, strict):
    client = strict.test_client()
    refused = client.post("/", data={"email": "henrik@example.dk"}, buffered=True)
    assert refused.status_code == 400
    assert "sikkerhedstegn" in refused.get_data(as_text=True)
    assert smtp.messages() == []

    token = CSRF_VALUE.search(client.get("/").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    accepted = client.post(
        "/", data={"email": "henrik@example.dk", "csrf_token": token}, buffered=True
    )
    assert accepted.status_code == 200
    assert len(smtp.messages()) == 1
    with strict.app_context():
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")
    with fresh_postgres_database("modeplan_migrate") as url:
        yield url


def test_migration_adds_and_removes_the_lost_link_table(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision="d4e5f6a7b8c9")
        assert "lost_link_requests" not in sa.inspect(db.engine).get_table_names()
        upgrade(revision="e7a1c3f5b9d2")
        inspector = sa.inspect(db.engine)
        assert "lost_link_requests" in inspector.get_table_names()
        indexed = {i["column_names"][0] for i in inspector.get_indexes("lost_link_requests")}
        assert indexed == {"email_digest", "remote_addr", "at"}
        downgrade(revision="d4e5f6a7b8c9")
        assert "lost_link_requests" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
