"""Mail with care (issue 12, point 6): each member's mail in their one language, chosen on their
page or by the coordinator; Reply-To the coordinator who sends; From the MAIL_SENDER setting;
the plan mail's links to the member's page and each meeting's page work. Real SMTP (the `smtp`
fixture of tests/conftest.py), both engines."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.mailer import default_sender
from poll.members import add_member
from poll.models import Member, Network, Poll
from poll.notifications import send_invitations, send_plan
from tests.calendar.test_feeds_helpers import make_year, publish_result
from tests.conftest import fresh_postgres_database, make_app
from tests.factories import log_in, make_network
from tests.html_forms import form_fields, with_values
from tests.mail.test_notifications import click

SENDER = "Mødeplan – Testnetværk <moeder@bibliotek.example.dk>"
BEFORE = "d07aae78250b"  # the revision before members.language and mail_jobs.reply_to

# Phrases only the one language's mails have (names, venues and roles are Danish data).
DANISH = ("Kære", "Venlig hilsen", "Mødets side og dagsorden", "Din side", "Du er:", "uge ")
ENGLISH = ("Dear", "Kind regards", "The meeting's page", "Your page", "Your roles", "week")


def plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def html(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


@pytest.fixture
def year(app):
    """make_year's five members (Sara coordinates) and its published 2027 plan; Kis reads
    English."""
    with app.app_context():
        fx = make_year()
        db.session.get(Member, fx.member_ids["kis"]).language = "en"
        db.session.commit()
        publish_result(fx.poll_id)
    return fx


# -- the plan, as the coordinator sends it ---------------------------------------------------


def test_the_plan_reaches_each_member_in_their_language_from_the_coordinator(
    app, year, smtp, monkeypatch
):
    monkeypatch.setenv("MAIL_SENDER", SENDER)
    client = app.test_client()
    log_in(client, year)
    assert "5 af 5 beskeder sendt." in click(
        client, "/tovholder/beskeder/2027/plan", {"mode": "plan"}
    )
    assert len(smtp.messages()) == 5
    for message in smtp.messages():
        assert str(message["From"]) == SENDER
        # Answers go to the coordinator who clicked send.
        assert parseaddr(str(message["Reply-To"]))[1] == year.email == "tovholder@test.dk"

    maria = smtp.to("maria@example.dk")
    assert maria["Subject"] == "Testnetværk: mødeplanen for 2027"
    danish = plain(maria)
    assert danish.startswith("Kære Maria")
    for phrase in ENGLISH:
        assert phrase not in danish and phrase not in html(maria), phrase
    assert '<html lang="da">' in html(maria)

    kis = smtp.to("kis@example.dk")
    assert kis["Subject"] == "Testnetværk: the meeting plan for 2027"
    english = plain(kis)
    assert english.startswith("Dear Kis")
    assert "The meeting's page and agenda: http://" in english
    for phrase in DANISH:
        assert phrase not in english and phrase not in html(kis), phrase
    assert '<html lang="en">' in html(kis)


def test_the_plan_mail_links_to_the_members_page_and_each_meeting_page(app, year, smtp):
    with app.app_context():
        send_plan(db.session.get(Poll, year.poll_id))
    for who in ("maria", "kis"):
        message = smtp.to(f"{who}@example.dk")
        text = plain(message)
        token = year.tokens[who]
        pages = re.findall(r"http://127\.0\.0\.1:5000(/m/\S+/moede/2027/m\d)", text)
        assert pages == [f"/m/{token}/moede/2027/m{n}" for n in (1, 2, 3, 4)]
        own = re.findall(r"^(http://127\.0\.0\.1:5000/m/\S+/2027)$", text, re.MULTILINE)
        assert own == [f"http://127.0.0.1:5000/m/{token}/2027"]
        for url in own + pages:
            assert f'href="{url if url.startswith("http") else "http://127.0.0.1:5000" + url}"' in (
                html(message)
            )
        client = app.test_client()
        for path in [urlsplit(u).path for u in own] + pages:
            page = client.get(path)
            assert page.status_code == 200, path
        meeting = client.get(pages[2]).get_data(as_text=True)
        assert "Møde 3" in meeting


def test_an_automatic_or_command_line_mail_answers_to_the_networks_coordinator(
    app, year, smtp, runner
):
    result = runner.invoke(args=["send-mail", "test", "2027", "plan"])
    assert result.exit_code == 0, result.output
    assert {str(m["Reply-To"]) for m in smtp.messages()} == {"Sara <sara@example.dk>"}
    # Without a coordinator member, the first of the network's coordinator accounts.
    with app.app_context():
        db.session.get(Member, year.member_ids["sara"]).is_coordinator = False
        db.session.commit()
        send_plan(db.session.get(Poll, year.poll_id), as_changes=False)
    again = smtp.messages()[5:]
    assert len(again) == 5
    assert {str(m["Reply-To"]) for m in again} == {"Tovholder <tovholder@test.dk>"}


# -- the member chooses ----------------------------------------------------------------------


def test_a_member_chooses_english_on_their_page_and_gets_english_mail(app, strict, smtp):
    with app.app_context():
        fx = make_network()
    client = strict.test_client()
    page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert '<h2 id="mail-language-h">Sprog for mails</h2>' in page
    fields = form_fields(page, "mail-language-form")
    assert ("language", "da") in fields and ("year", "2027") in fields
    # Each language named in its own, for a member who reads only one of them.
    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="da" lang="da" selected>Dansk</option>' in page
    action = f"/m/{fx.tokens['henrik']}/sprog"

    # Without the form's security token nothing changes.
    refused = client.post(action, data={"language": "en", "year": "2027"})
    assert refused.status_code == 400 and "sikkerhedstegn" in refused.get_data(as_text=True)
    # A language mails are not written in: 400, saying which field.
    bad = client.post(action, data=MultiDict(with_values(fields, {"language": "de"})))
    assert bad.status_code == 400
    assert "Sprog for mails: vælg Dansk eller English." in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Member, fx.member_ids["henrik"]).language == "da"

    chosen = client.post(action, data=MultiDict(with_values(fields, {"language": "en"})))
    assert chosen.status_code == 303
    assert chosen.headers["Location"].endswith(f"/m/{fx.tokens['henrik']}/2027#mail-language")
    back = client.get(chosen.headers["Location"]).get_data(as_text=True)
    assert "Gemt: dine mails kommer på engelsk." in back
    assert ("language", "en") in form_fields(back, "mail-language-form")
    # The message is shown once.
    again = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Gemt: dine mails" not in again

    with app.app_context():
        assert db.session.get(Member, fx.member_ids["henrik"]).language == "en"
        send_invitations(db.session.get(Poll, fx.poll_id))
    henrik = plain(smtp.to("henrik@example.dk"))
    assert henrik.startswith("Dear Henrik") and "Kære" not in henrik
    sara = plain(smtp.to("sara@example.dk"))
    assert sara.startswith("Kære Sara") and "Dear" not in sara

    # The download of the member's data says which language they chose.
    data = client.get(f"/m/{fx.tokens['henrik']}/mine-oplysninger").get_json()
    assert data["member"]["mail_language"] == "en"


def test_the_language_form_is_on_the_page_without_a_poll_and_returns_there(app, client):
    with app.app_context():
        network = Network(slug="ny", name="Nyt netværk")
        db.session.add(network)
        _member, token = add_member(network, key="maria", name="Maria", email="m@example.dk")
        db.session.commit()
    page = client.get(f"/m/{token}").get_data(as_text=True)
    fields = form_fields(page, "mail-language-form")
    assert [name for name, _value in fields] == ["csrf_token", "language"]
    chosen = client.post(f"/m/{token}/sprog", data={"language": "en", "year": "2027"})
    assert chosen.status_code == 303
    assert chosen.headers["Location"].endswith(f"/m/{token}#mail-language")
    assert "Gemt: dine mails kommer på engelsk." in client.get(chosen.headers["Location"]).get_data(
        as_text=True
    )
    # A year that is not the network's, or no number at all, leads back to the start.
    for year in ("2031", "²", "1" * 5000):
        odd = client.post(f"/m/{token}/sprog", data={"language": "da", "year": year})
        assert odd.status_code == 303
        assert odd.headers["Location"].endswith(f"/m/{token}#mail-language")
    # An unknown personal link changes nothing.
    assert client.post("/m/not-a-token/sprog", data={"language": "en"}).status_code == 404


def test_the_coordinator_sets_a_members_language_on_the_member_form(app, client):
    with app.app_context():
        fx = make_network()
    log_in(client, fx)
    url = f"/tovholder/medlemmer/{fx.member_ids['maria']}"
    page = client.get(url).get_data(as_text=True)
    assert '<label for="language">Sprog for mails</label>' in page
    form = page[page.index('<form method="post" novalidate class="narrow">') :]
    fields = form_fields(form)
    assert ("language", "da") in fields
    bad = client.post(url, data=MultiDict(with_values(fields, {"language": "fr"})))
    assert bad.status_code == 422  # as every coordinator form refuses what it cannot save
    assert "Sprog for mails: vælg Dansk eller English." in bad.get_data(as_text=True)
    saved = client.post(url, data=MultiDict(with_values(fields, {"language": "en"})))
    assert saved.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(Member, fx.member_ids["maria"]).language == "en"
    assert '<option selected value="en">English</option>' in client.get(url).get_data(as_text=True)


# -- the sender ------------------------------------------------------------------------------


def test_the_default_sender_is_noreply_at_the_sites_domain():
    assert (
        default_sender("https://moeder.bibliotek.dk/") == "Mødeplan <noreply@moeder.bibliotek.dk>"
    )
    for nowhere in ("http://127.0.0.1:5000", "http://localhost:5000", "https://[::1]/", None):
        assert default_sender(nowhere) == "Mødeplan <noreply@localhost>"


def test_mail_sender_setting_is_the_from_of_every_mail(app, smtp, monkeypatch):
    with app.app_context():
        fx = make_network()
    app.config["BASE_URL"] = "https://moeder.bibliotek.dk"
    with app.app_context():
        send_invitations(db.session.get(Poll, fx.poll_id))
    assert {str(m["From"]) for m in smtp.messages()} == {"Mødeplan <noreply@moeder.bibliotek.dk>"}
    monkeypatch.setenv("MAIL_SENDER", SENDER)
    with app.app_context():
        send_invitations(db.session.get(Poll, fx.poll_id))
    assert {str(m["From"]) for m in smtp.messages()[3:]} == {SENDER}


# -- the migration ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")
    with fresh_postgres_database("modeplan_migrate") as url:
        yield url


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns(table)}


def test_migration_adds_and_removes_language_and_reply_to_keeping_every_row(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        assert "language" not in _columns("members")
        assert "reply_to" not in _columns("mail_jobs")
        upgrade()
        assert "language" in _columns("members") and "reply_to" in _columns("mail_jobs")
        make_network()
        db.session.commit()
        db.session.remove()
        with db.engine.begin() as conn:
            # Members made before the column get Danish from its server default.
            conn.execute(sa.text("UPDATE members SET language = 'en' WHERE key = 'maria'"))
        downgrade(revision=BEFORE)
        assert "language" not in _columns("members")
        assert "reply_to" not in _columns("mail_jobs")
        with db.engine.connect() as conn:
            # On SQLite a copied-and-dropped members table would have taken these with it.
            assert conn.scalar(sa.text("SELECT count(*) FROM members")) == 3
            assert conn.scalar(sa.text("SELECT count(*) FROM polls")) == 1
        upgrade()
        with db.engine.connect() as conn:
            languages = set(conn.scalars(sa.text("SELECT language FROM members")))
        assert languages == {"da"}
        db.engine.dispose()
