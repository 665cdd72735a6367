"""Invitations, reminders, the plan and change notices, sent to a real SMTP server (aiosmtpd on
127.0.0.1) and parsed on arrival; the log, failures and retries; the outbox fallback; golden
files for the message texts (plain text, HTML, subjects); Danish first through gettext, inside
and outside a request; the remind CLI.

Regenerate the golden files with:  UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/mail
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from datetime import date, time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from flask import has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from poll.db import db
from poll.members import member_by_token
from poll.models import Member, MessageLog, MessageStatus, Poll
from poll.notifications import (
    TEXT_DIVIDER,
    Change,
    compose_change,
    compose_invitation,
    compose_plan,
    compose_reminder,
    member_changes,
    previous_published,
    send_plan,
)
from poll.plan_calendar import organizer_of, published_events
from poll.planning import published_plan
from poll.tokens import derive_token, hash_token
from tests.calendar.test_feeds_helpers import (
    DAYS,
    answer,
    check_ics,
    make_year,
    publish_result,
)
from tests.factories import log_in

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "mail"
SENDER = "Mødeplan – Testnetværk <noreply@modeplan.test>"


# -- a real SMTP server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """Keeps what arrives; `data_reply` makes the server refuse messages."""

    def __init__(self) -> None:
        self.data_reply = "250 OK"
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_reply

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.content, policy=default) for e in self.envelopes]

    def to(self, address: str) -> EmailMessage:
        [found] = [m for m in self.messages() if address in str(m["To"])]
        return found


def start_server(handler: Recorder, port: int | None = None) -> Controller:
    controller = Controller(
        handler, hostname="127.0.0.1", port=port or free_port(), server_hostname="smtp.test"
    )
    controller.start()
    return controller


@pytest.fixture
def mail_env(monkeypatch, app, tmp_path) -> Path:
    for name in ("MAIL_HOST", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_SECURITY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MAIL_SENDER", SENDER)
    app.config["MAIL_OUTBOX"] = tmp_path / "outbox"
    return tmp_path / "outbox"


@pytest.fixture
def smtp(monkeypatch, mail_env) -> Iterator[tuple[Recorder, Controller]]:
    handler = Recorder()
    controller = start_server(handler)
    monkeypatch.setenv("MAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(controller.port))
    monkeypatch.setenv("MAIL_SECURITY", "none")
    yield handler, controller
    controller.stop()


@pytest.fixture
def network(app):
    """The 2027 test network with a deadline; Sara (coordinator) and Henrik have answered."""
    with app.app_context():
        fx = make_year()
        poll = db.session.get(Poll, fx.poll_id)
        poll.deadline = date(2026, 12, 15)
        db.session.commit()
        answer(fx.poll_id, [fx.member_ids["sara"], fx.member_ids["henrik"]])
    return fx


def text_of(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def calendars(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """Attachments by file name: ("text/calendar; method=…", bytes)."""
    return {
        part.get_filename(): (
            f"{part.get_content_type()}; method={part.get_param('method')}",
            part.get_payload(decode=True),
        )
        for part in message.iter_attachments()
    }


def logs(app) -> list[tuple[str, str, str, int]]:
    with app.app_context():
        rows = db.session.scalars(select(MessageLog).order_by(MessageLog.id))
        return [(r.kind, r.recipient, r.status.value, r.attempts) for r in rows]


# -- what arrives ----------------------------------------------------------------------------


def test_invitation_arrives_with_a_working_personal_link_danish_first(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    response = client.post("/tovholder/beskeder/2027/invitationer", follow_redirects=True)
    assert "5 af 5 beskeder sendt." in response.get_data(as_text=True)
    assert len(handler.envelopes) == 5
    message = handler.to("maria@example.dk")
    assert str(message["To"]) == "Maria <maria@example.dk>"
    assert str(message["From"]) == SENDER
    assert message["Subject"] == (
        "Testnetværk: hvornår kan du i 2027? / When can you come in 2027?"
    )
    text = text_of(message)
    assert text.index("Kære Maria") < text.index("Dear Maria")
    assert "senest tirsdag den 15. december 2026" in text
    assert "by Tuesday 15 December 2026" in text
    [link] = set(re.findall(r"http://127\.0\.0\.1:5000/m/([\w-]+)/2027", text))
    with app.app_context():
        assert member_by_token(link).key == "maria"
    html = text_of(message, "html")
    assert f"http://127.0.0.1:5000/m/{link}/2027" in html
    assert '<div lang="da">' in html and '<div lang="en">' in html
    assert {row[:3] for row in logs(app)} == {
        ("invitation/2027", f"{key}@example.dk", "sent")
        for key in ("sara", "henrik", "maria", "berit", "kis")
    }


def test_reminder_goes_only_to_those_who_have_not_answered(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    page = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Har ikke svaret endnu: Berit, Kis, Maria" in page
    response = client.post("/tovholder/beskeder/2027/paamindelser")
    assert response.status_code == 303
    recipients = sorted(e.rcpt_tos[0] for e in handler.envelopes)
    assert recipients == ["berit@example.dk", "kis@example.dk", "maria@example.dk"]
    text = text_of(handler.to("kis@example.dk"))
    assert "Vi mangler dit svar" in text and "We have not yet had your answer" in text


def test_published_plan_arrives_with_one_request_per_meeting(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        publish_result(network.poll_id)
    client = app.test_client()
    log_in(client, network)
    assert client.post("/tovholder/plan/2027/publish", data={"version": 1}).status_code == 303
    response = client.post("/tovholder/beskeder/2027/plan", data={"mode": "auto"})
    assert response.status_code == 303
    assert len(handler.envelopes) == 5
    message = handler.to("maria@example.dk")
    assert message["Subject"].startswith("Testnetværk: mødeplanen for 2027")
    text = text_of(message)
    assert "Møde 3: fredag den 29. oktober 2027 (uge 43), kl. 10.00–15.00" in text
    assert "  Du er: Referent" in text and "  Your roles: Referent" in text
    assert "webcal://127.0.0.1:5000/kalender/" in text
    files = calendars(message)
    assert sorted(files) == [f"test-2027-m{n}.ics" for n in (1, 2, 3, 4)]
    for name, (content_type, data) in files.items():
        assert content_type.startswith("text/calendar")
        assert "method=REQUEST" in content_type
        parsed = check_ics(data, method="REQUEST")
        [event] = parsed.events
        assert (
            str(event["UID"]) == f"test-{name.removesuffix('.ics').removeprefix('test-')}@modeplan"
        )
        assert str(event["ATTENDEE"]) == "mailto:maria@example.dk"
        assert event["ATTENDEE"].params["CN"] == "Maria"
        assert event["ATTENDEE"].params["RSVP"] == "TRUE"
        assert str(event["ORGANIZER"]) == "mailto:sara@example.dk"
        assert event["ORGANIZER"].params["CN"] == "Sara"
        assert event["SEQUENCE"] == 0
    m3 = icalendar.Calendar.from_ical(files["test-2027-m3.ics"][1]).events[0]
    assert str(m3["SUMMARY"]) == "Møde 3 – Testnetværk (Referent)"
    assert m3.start.date() == DAYS["m3"]


def test_change_notice_says_what_changed_for_each_member(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        publish_result(network.poll_id)
        publish_result(
            network.poll_id,
            days={"m1": date(2027, 3, 25)},
            roles={"m2": {"notes": ["kis"], "planning": ["sara", "maria", "henrik"]}},
            only=("m1", "m2", "m3"),
        )
    client = app.test_client()
    log_in(client, network)
    page = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Send hvad der er ændret siden version 1" in page
    client.post("/tovholder/beskeder/2027/plan", data={"mode": "changes"})
    assert len(handler.envelopes) == 5  # m1 moved and m4 dropped: everyone is affected
    kis = handler.to("kis@example.dk")
    assert kis["Subject"].endswith("The meeting plan for 2027 has changed")
    text = text_of(kis)
    assert (
        "- Møde 1 er flyttet fra fredag den 26. marts 2027 til torsdag den 25. marts 2027.\n"
        "- Du er nu Referent ved Møde 2.\n"
        "- Du er ikke længere Planlægningsgruppe ved Møde 2.\n"
        "- Møde 4 (mandag den 1. november 2027, Vejle Bibliotek) er aflyst.\n"
    ) in text
    assert "- You are now Referent at Møde 2." in text
    assert "<li>Du er nu Referent ved Møde 2.</li>" in text_of(kis, "html")
    files = calendars(kis)
    assert sorted(files) == ["test-2027-m1.ics", "test-2027-m2.ics", "test-2027-m4.ics"]
    m1 = check_ics(files["test-2027-m1.ics"][1], method="REQUEST").events[0]
    assert m1["SEQUENCE"] == 1 and m1.start.date() == date(2027, 3, 25)
    content_type, data = files["test-2027-m4.ics"]
    assert "method=CANCEL" in content_type
    m4 = check_ics(data, method="CANCEL").events[0]
    assert (m4["STATUS"], m4["SEQUENCE"]) == ("CANCELLED", 1)
    assert str(m4["ATTENDEE"]) == "mailto:kis@example.dk"
    assert str(m4["ORGANIZER"]) == "mailto:sara@example.dk"


def test_change_notice_skips_members_nothing_changed_for(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        publish_result(network.poll_id)
        publish_result(network.poll_id, roles={"m3": {"presenter": ["kis"]}})
        outcome = send_plan(db.session.get(Poll, network.poll_id))
        assert sorted(name for name, _reason in outcome.skipped) == ["Berit", "Maria", "Sara"]
    assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == [
        "henrik@example.dk",
        "kis@example.dk",
    ]
    assert "Du er ikke længere Oplægsholder ved Møde 3." in text_of(handler.to("henrik@example.dk"))


# -- failures, the log and retries -----------------------------------------------------------


def test_refused_message_is_logged_shown_and_sent_on_retry(app, network, smtp):
    handler, _controller = smtp
    handler.data_reply = "554 5.7.1 Afvist af politik"
    client = app.test_client()
    log_in(client, network)
    response = client.post("/tovholder/beskeder/2027/paamindelser", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "3 beskeder kunne ikke sendes" in page
    assert "afviste beskeden (554 5.7.1 Afvist af politik)" in page
    assert 'role="alert"' in page
    assert "3 beskeder kunne ikke sendes." in client.get("/tovholder/plan/2027").get_data(
        as_text=True
    )
    assert {row[2] for row in logs(app)} == {"failed"}
    with app.app_context():
        raw_before = db.session.scalars(select(MessageLog.raw)).all()
        first = db.session.scalar(select(MessageLog.id).order_by(MessageLog.id))

    handler.data_reply = "250 OK"
    response = client.post(f"/tovholder/beskeder/{first}/igen", follow_redirects=True)
    assert "er sendt" in response.get_data(as_text=True)
    assert len(handler.envelopes) == 1
    assert client.post("/tovholder/beskeder/igen").status_code == 303
    assert len(handler.envelopes) == 3
    assert [(row[2], row[3]) for row in logs(app)] == [("sent", 2)] * 3
    with app.app_context():
        # What was composed is what went out: the stored bytes did not change.
        assert db.session.scalars(select(MessageLog.raw)).all() == raw_before
        assert all(r.sent_at is not None for r in db.session.scalars(select(MessageLog)))
    stored = message_from_bytes(raw_before[0], policy=default)
    arrived = handler.messages()[0]
    assert arrived["Message-ID"] == stored["Message-ID"]
    assert text_of(arrived) == text_of(stored) and text_of(arrived, "html") == text_of(
        stored, "html"
    )
    assert "kunne ikke sendes" not in client.get("/tovholder/beskeder").get_data(as_text=True)


def test_server_down_gives_a_clear_retryable_entry(app, network, mail_env, monkeypatch):
    port = free_port()
    monkeypatch.setenv("MAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(port))
    monkeypatch.setenv("MAIL_SECURITY", "none")
    with app.app_context():
        publish_result(network.poll_id)
    client = app.test_client()
    log_in(client, network)
    client.post("/tovholder/beskeder/2027/plan", data={"mode": "plan"})
    with app.app_context():
        failed = db.session.scalars(select(MessageLog)).all()
        assert len(failed) == 5
        assert {log.error for log in failed} == {
            f"SMTP-serveren 127.0.0.1:{port} svarer ikke (Connection refused)"
        }
        assert all(log.raw and log.status == MessageStatus.FAILED for log in failed)

    handler = Recorder()
    controller = start_server(handler, port)
    try:
        client.post("/tovholder/beskeder/igen")
    finally:
        controller.stop()
    assert len(handler.envelopes) == 5
    assert {row[2] for row in logs(app)} == {"sent"}
    files = calendars(handler.to("berit@example.dk"))
    assert len(files) == 4  # attachments survive the stored raw message


def test_without_a_mail_server_messages_go_to_the_outbox(app, network, mail_env):
    client = app.test_client()
    log_in(client, network)
    response = client.post("/tovholder/beskeder/2027/paamindelser", follow_redirects=True)
    assert "gemt i outbox-mappen" in response.get_data(as_text=True)
    files = sorted(mail_env.glob("*.eml"))
    assert len(files) == 3
    parsed = [message_from_bytes(f.read_bytes(), policy=default) for f in files]
    assert sorted(str(m["To"]) for m in parsed)[0] == "Berit <berit@example.dk>"
    assert {row[2] for row in logs(app)} == {"written"}


def test_bad_mail_settings_are_logged_and_retried_after_the_fix(
    app, network, mail_env, monkeypatch
):
    monkeypatch.setenv("MAIL_SECURITY", "carrier-pigeon")
    client = app.test_client()
    log_in(client, network)
    client.post("/tovholder/beskeder/2027/paamindelser")
    with app.app_context():
        errors = set(db.session.scalars(select(MessageLog.error)))
    assert errors == {
        "Mailopsætning: MAIL_SECURITY must be starttls, tls or none, not 'carrier-pigeon'"
    }
    monkeypatch.delenv("MAIL_SECURITY")
    client.post("/tovholder/beskeder/igen")
    assert {row[2] for row in logs(app)} == {"written"}


def test_bad_requests_on_the_messages_page(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    assert client.post("/tovholder/beskeder/2031/invitationer").status_code == 404
    assert client.post("/tovholder/beskeder/2027/plan", data={"mode": "x"}).status_code == 400
    response = client.post("/tovholder/beskeder/2027/plan", follow_redirects=True)
    assert "Planen for 2027 er ikke offentliggjort endnu." in response.get_data(as_text=True)
    assert client.post("/tovholder/beskeder/424242/igen").status_code == 404
    assert client.get("/tovholder/beskeder/424242").status_code == 404
    with app.app_context():
        poll = db.session.get(Poll, network.poll_id)
        poll.is_open = False
        db.session.commit()
    response = client.post("/tovholder/beskeder/2027/invitationer", follow_redirects=True)
    assert "Afstemningen for 2027 er lukket." in response.get_data(as_text=True)
    assert handler.envelopes == [] and logs(app) == []
    assert app.test_client().get("/tovholder/beskeder").status_code == 302


def test_a_second_click_on_send_does_not_mail_everyone_twice(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    client.post("/tovholder/beskeder/2027/invitationer")
    again = client.post("/tovholder/beskeder/2027/invitationer", follow_redirects=True)
    assert "gik ud for mindre end et minut siden" in again.get_data(as_text=True)
    assert len(handler.envelopes) == 5
    # Another kind of message is not held back.
    client.post("/tovholder/beskeder/2027/paamindelser")
    assert [kind for kind, *_rest in logs(app)].count("invitation/2027") == 5


def test_members_without_address_are_skipped_and_named(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        db.session.get(Member, network.member_ids["kis"]).email = ""
        db.session.commit()
    client = app.test_client()
    log_in(client, network)
    page = client.post("/tovholder/beskeder/2027/invitationer", follow_redirects=True)
    assert "Ikke sendt til: Kis (ingen e-mailadresse)" in page.get_data(as_text=True)
    assert len(handler.envelopes) == 4


def test_a_logged_message_can_be_read(app, network, smtp):
    client = app.test_client()
    log_in(client, network)
    client.post("/tovholder/beskeder/2027/paamindelser")
    with app.app_context():
        first = db.session.scalar(select(MessageLog.id).order_by(MessageLog.id))
    page = client.get(f"/tovholder/beskeder/{first}").get_data(as_text=True)
    assert "Kære Berit" in page and "Dear Berit" in page


# -- golden texts ----------------------------------------------------------------------------


def _fixed_tokens(member: Member) -> None:
    member.token_salt = "0" * 32
    member.token_hash = hash_token(derive_token("member", member.token_salt))
    member.feed_salt = "1" * 32
    member.feed_token_hash = hash_token(derive_token("member-feed", member.feed_salt))


def _golden(name: str, text: str) -> None:
    path = GOLDEN / (name if "." in name else f"{name}.txt")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name}: run with UPDATE_GOLDEN=1 to update"


def test_message_texts_match_the_golden_files(app, network):
    with app.app_context():
        poll = db.session.get(Poll, network.poll_id)
        maria = db.session.get(Member, network.member_ids["maria"])
        _fixed_tokens(maria)
        db.session.commit()
        link = "http://127.0.0.1:5000/m/" + derive_token("member", "0" * 32) + "/2027"
        composed = [compose_invitation(maria, poll, link), compose_reminder(maria, poll, link)]

        publish_result(network.poll_id)
        organizer = organizer_of(poll.network, "noreply@modeplan.test")
        events = published_events(poll)
        composed.append(compose_plan(maria, poll, events, organizer))

        publish_result(
            network.poll_id,
            days={"m1": date(2027, 3, 25)},
            venues={"m2": "odense"},
            roles={"m3": {"notes": ["kis"]}, "m4": {"leader": ["maria"]}},
        )
        plan = published_plan(poll)
        changes = member_changes(poll, previous_published(poll, plan), plan, maria)
        events = published_events(poll)
        composed.append(compose_change(maria, poll, events, changes, organizer))
    for mail in composed:
        _golden(mail.kind, mail.text)
        _golden(f"{mail.kind}.html", mail.html)
    _golden("subjects", "".join(f"{mail.kind}: {mail.subject}\n" for mail in composed))


# -- Danish first, through gettext -----------------------------------------------------------

# What both halves of a mail may share: names, links and addresses, which are data.
SHARED = re.compile(r"^$|^(Sara|Testnetværk|Maria|  .+, \d{4} .+)$|://")

EVERY_CHANGE = [
    Change("moved", "m1", "Møde 1", old_day=date(2027, 3, 26), new_day=date(2027, 3, 25)),
    Change(
        "time",
        "m2",
        "Møde 2",
        new_day=date(2027, 3, 29),
        old_start=time(10),
        old_end=time(15),
        new_start=time(9, 30),
        new_end=time(14),
    ),
    Change("venue", "m2", "Møde 2", old_venue="Vejle Bibliotek", new_venue="Odense Bibliotek"),
    Change("role_added", "m3", "Møde 3", role="Referent"),
    Change("role_removed", "m3", "Møde 3", role="Mødeleder"),
    Change("cancelled", "m4", "Møde 4", old_day=date(2027, 11, 1), old_venue="Vejle Bibliotek"),
    Change("added", "m5", "Møde 5", new_day=date(2027, 12, 6), new_venue="Odense Bibliotek"),
]


def _halves(text: str) -> tuple[str, str]:
    danish, english = text.split(TEXT_DIVIDER.format(language="English"))
    return danish, english


def _maria(network) -> Member:
    return db.session.get(Member, network.member_ids["maria"])


def _all_messages(app, network):
    with app.app_context():
        assert not has_request_context()  # as in the CLI: no request to pick a locale from
        poll = db.session.get(Poll, network.poll_id)
        maria = _maria(network)
        link = "http://127.0.0.1:5000/m/x/2027"
        mails = [compose_invitation(maria, poll, link), compose_reminder(maria, poll, link)]
        publish_result(network.poll_id)
        organizer = organizer_of(poll.network, "noreply@modeplan.test")
        events = published_events(poll)
        mails.append(compose_plan(maria, poll, events, organizer))
        mails.append(compose_change(maria, poll, events, EVERY_CHANGE, organizer))
        return mails


def test_every_message_is_danish_first_with_nothing_english_in_the_danish_half(app, network):
    for mail in _all_messages(app, network):
        assert mail.text.count("---------- English ----------") == 1, mail.kind
        danish, english = _halves(mail.text)
        assert danish.startswith("Kære Maria\n") and english.startswith("Dear Maria\n")
        assert danish.endswith("Venlig hilsen\nSara\nTestnetværk"), mail.kind
        assert english.endswith("Kind regards\nSara\nTestnetværk"), mail.kind
        # An English msgid left untranslated under "da" would give the same line in both halves.
        same = set(danish.splitlines()) & set(english.splitlines())
        assert {line for line in same if not SHARED.search(line)} == set(), mail.kind
        for english_word in ("Dear", "Kind regards", "week", "meeting", "calendar", "answer"):
            assert english_word not in danish, (mail.kind, english_word)

        html_da, html_en = mail.html.split('<div lang="en">')
        assert html_da.count('<div lang="da">') == 1 and '<html lang="da">' in html_da
        assert "<p>Kære Maria</p>" in html_da and "<p>Dear Maria</p>" in html_en
        assert "<p>Venlig hilsen<br>Sara<br>Testnetværk</p>" in html_da
        assert "<p>Kind regards<br>Sara<br>Testnetværk</p>" in html_en
        assert "<strong>English</strong>" in html_en
        for english_word in ("Dear", "Kind regards", "week", "calendar", "Answer the"):
            assert english_word not in html_da, (mail.kind, english_word)

        da_subject, en_subject = mail.subject.split(" / ")
        assert f"<title>{mail.subject}</title>" in mail.html
        assert ("Påmindelse: " if mail.kind == "reminder" else "Testnetværk: ") in da_subject
        assert en_subject[0].isupper() and "Testnetværk" not in en_subject


def test_every_change_reads_right_in_both_languages(app, network):
    change = _all_messages(app, network)[-1]
    danish, english = _halves(change.text)
    assert (
        "- Møde 1 er flyttet fra fredag den 26. marts 2027 til torsdag den 25. marts 2027.\n"
        "- Møde 2 mandag den 29. marts 2027 er nu kl. 09.30–14.00 (før kl. 10.00–15.00).\n"
        "- Møde 2 holdes nu på Odense Bibliotek (før: Vejle Bibliotek).\n"
        "- Du er nu Referent ved Møde 3.\n"
        "- Du er ikke længere Mødeleder ved Møde 3.\n"
        "- Møde 4 (mandag den 1. november 2027, Vejle Bibliotek) er aflyst.\n"
        "- Møde 5 er kommet til: mandag den 6. december 2027, Odense Bibliotek.\n"
    ) in danish
    assert (
        "- Møde 1 has moved from Friday 26 March 2027 to Thursday 25 March 2027.\n"
        "- Møde 2 on Monday 29 March 2027 is now 09:30–14:00 (was 10:00–15:00).\n"
        "- Møde 2 is now held at Odense Bibliotek (was: Vejle Bibliotek).\n"
        "- You are now Referent at Møde 3.\n"
        "- You are no longer Mødeleder at Møde 3.\n"
        "- Møde 4 (Monday 1 November 2027, Vejle Bibliotek) is cancelled.\n"
        "- Møde 5 has been added: Monday 6 December 2027, Odense Bibliotek.\n"
    ) in english


def test_force_locale_overrides_the_default_outside_a_request(app):
    with app.app_context():
        assert not has_request_context()
        assert str(get_locale()) == "da"
        assert _("Kind regards") == "Venlig hilsen"
        with force_locale("en"):
            assert _("Kind regards") == "Kind regards"
            with force_locale("da"):
                assert _("Kind regards") == "Venlig hilsen"
            assert _("Kind regards") == "Kind regards"
        assert _("Kind regards") == "Venlig hilsen"


def test_mails_are_danish_first_whatever_the_current_language(app, network):
    link = "http://127.0.0.1:5000/m/x/2027"
    with app.app_context(), force_locale("en"):  # as under `flask … --lang en`
        mail = compose_reminder(_maria(network), db.session.get(Poll, network.poll_id), link)
        assert str(get_locale()) == "en"  # the caller's language is back afterwards
        assert _("Kind regards") == "Kind regards"
    assert mail.subject == (
        "Påmindelse: svar på mødedatoerne for 2027 / Reminder: please answer for 2027"
    )
    danish, english = _halves(mail.text)
    assert "Vi mangler dit svar" in danish and "We have not yet had your answer" in english
    with app.test_request_context("/?lang=en"):  # a coordinator browsing in English
        assert str(get_locale()) == "en"
        mail = compose_reminder(_maria(network), db.session.get(Poll, network.poll_id), link)
        assert mail.text.startswith("Kære Maria\n")
        assert str(get_locale()) == "en"


def test_names_are_escaped_once_in_the_html(app, network):
    with app.app_context():
        poll = db.session.get(Poll, network.poll_id)
        maria = _maria(network)
        maria.name = "Maria <b>&</b> Co"
        poll.network.name = "Net & Værk"
        db.session.commit()
        mail = compose_invitation(maria, poll, "http://127.0.0.1:5000/m/x/2027")
        publish_result(network.poll_id)
        organizer = organizer_of(poll.network, "noreply@modeplan.test")
        events = published_events(poll)
        change = compose_change(maria, poll, events, EVERY_CHANGE[:1], organizer)
    assert "<p>Kære Maria &lt;b&gt;&amp;&lt;/b&gt; Co</p>" in mail.html
    assert "<p>Net &amp; Værk planlægger møderne i 2027." in mail.html
    assert "&amp;amp;" not in mail.html and "<b>" not in mail.html
    assert "Kære Maria <b>&</b> Co\n" in mail.text and "\nNet & Værk planlægger" in mail.text
    assert "<em>Ja</em>, <em>Hvis nødvendigt</em> eller <em>Nej</em>" in mail.html
    assert "<em>Yes</em>, <em>If need be</em> or <em>No</em>" in mail.html
    assert "senest <strong>tirsdag den 15. december 2026</strong>." in mail.html
    assert "<li>Møde 1 er flyttet fra fredag den 26. marts 2027" in change.html
    assert "Mødeplanen for Net &amp; Værk i 2027 er ændret." in change.html
    assert change.subject.startswith("Net & Værk: mødeplanen for 2027 er ændret / ")


# -- the remind command ----------------------------------------------------------------------


def test_remind_command_reminds_those_who_have_not_answered(app, network, smtp, runner):
    handler, _controller = smtp
    result = runner.invoke(args=["remind", "test", "2027"])
    assert result.exit_code == 0, result.output
    assert "2027: 3 sendt, 0 fejlede, 0 ikke sendt." in result.output
    assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == [
        "berit@example.dk",
        "kis@example.dk",
        "maria@example.dk",
    ]


def test_remind_auto_only_on_the_day_and_never_twice(app, network, smtp, runner):
    handler, _controller = smtp
    early = runner.invoke(args=["remind", "test", "2027", "--auto", "--today", "2026-12-11"])
    assert early.exit_code == 0, early.output
    assert "ingen påmindelse" in early.output and "2026-12-12" in early.output
    assert handler.envelopes == []

    due = runner.invoke(args=["remind", "--auto", "--today", "2026-12-12"])
    assert due.exit_code == 0, due.output
    assert len(handler.envelopes) == 3
    assert {row[0] for row in logs(app)} == {"reminder-auto/2027/2026-12-12"}

    again = runner.invoke(args=["remind", "test", "--auto", "--today", "2026-12-12"])
    assert again.exit_code == 0
    assert "allerede sendt i dag" in again.output
    assert len(handler.envelopes) == 3

    late = runner.invoke(args=["remind", "test", "2027", "--auto", "--today", "2026-12-13"])
    assert "ingen påmindelse" in late.output and len(handler.envelopes) == 3


def test_remind_auto_follows_reminder_days_and_skips_closed_polls(app, network, smtp, runner):
    handler, _controller = smtp
    app.config["REMINDER_DAYS"] = 5
    result = runner.invoke(args=["remind", "test", "2027", "--auto", "--today", "2026-12-10"])
    assert result.exit_code == 0 and len(handler.envelopes) == 3
    with app.app_context():
        db.session.get(Poll, network.poll_id).is_open = False
        db.session.commit()
    closed = runner.invoke(args=["remind", "test", "2027", "--auto", "--today", "2026-12-10"])
    assert "afstemningen for 2027 er lukket" in closed.output
    manual = runner.invoke(args=["remind", "test", "2027"])
    assert manual.exit_code == 1 and "Afstemningen for 2027 er lukket." in manual.output
    app.config["REMINDER_DAYS"] = "tre"
    bad = runner.invoke(args=["remind", "--auto"])
    assert bad.exit_code == 0  # no open polls left to check
    with app.app_context():
        db.session.get(Poll, network.poll_id).is_open = True
        db.session.commit()
    bad = runner.invoke(args=["remind", "--auto"])
    assert bad.exit_code == 1 and "MODEPLAN_REMINDER_DAYS skal være et helt tal" in bad.output
    assert len(handler.envelopes) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remind"], "NETWORK and YEAR are needed (or use --auto)."),
        (["remind", "test"], "NETWORK and YEAR are needed (or use --auto)."),
        (["remind", "nowhere", "2027"], "no network with the slug 'nowhere'"),
        (["remind", "nowhere", "--auto"], "no network with the slug 'nowhere'"),
        (["remind", "test", "2031"], "the network has no poll for 2031"),
        (["remind", "test", "2027", "--auto", "--today", "12/12/2026"], "12/12/2026"),
    ],
)
def test_remind_refuses_bad_input_with_exit_2(app, network, runner, args, message):
    result = runner.invoke(args=[*args, "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_remind_exits_1_when_the_server_refuses_and_retry_mail_sends_later(
    app, network, smtp, runner
):
    handler, _controller = smtp
    handler.data_reply = "451 4.3.0 Prøv igen senere"
    result = runner.invoke(args=["remind", "test", "2027"])
    assert result.exit_code == 1
    assert "FAILED" in result.output and "451 4.3.0" in result.output
    handler.data_reply = "250 OK"
    retried = runner.invoke(args=["retry-mail", "test"])
    assert retried.exit_code == 0, retried.output
    assert len(handler.envelopes) == 3 and {row[2] for row in logs(app)} == {"sent"}


def test_remind_command_in_english_still_sends_danish_first(app, network, smtp, runner):
    handler, _controller = smtp
    result = runner.invoke(args=["remind", "test", "2027", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2027: 3 sent, 0 failed, 0 not sent." in result.output
    message = handler.to("maria@example.dk")
    assert message["Subject"].startswith("Påmindelse: svar på mødedatoerne for 2027 / Reminder")
    danish, english = _halves(text_of(message))
    assert danish.startswith("Kære Maria") and "Fristen er tirsdag den 15. december 2026." in danish
    assert (
        english.startswith("Dear Maria") and "The deadline is Tuesday 15 December 2026." in english
    )


def test_send_mail_command(app, network, smtp, runner):
    handler, _controller = smtp
    assert runner.invoke(args=["send-mail", "test", "2027", "plan"]).exit_code == 1
    with app.app_context():
        publish_result(network.poll_id)
    result = runner.invoke(args=["send-mail", "test", "2027", "plan"])
    assert result.exit_code == 0, result.output
    assert len(handler.envelopes) == 5
    changes = runner.invoke(args=["send-mail", "test", "2027", "changes"])
    assert changes.exit_code == 1 and "ingen tidligere offentliggjort plan" in changes.output


def test_delivery_reasons_follow_the_language_of_whoever_sent(app):
    from flask_babel import force_locale

    from poll.mailer import DeliveryError
    from poll.notifications import delivery_reason

    error = DeliveryError(
        "The SMTP server %(server)s does not answer (%(problem)s)",
        server="mail.example:587",
        problem="Connection refused",
    )
    with app.test_request_context("/"):
        assert delivery_reason(error) == (
            "SMTP-serveren mail.example:587 svarer ikke (Connection refused)"
        )
        with force_locale("en"):
            assert delivery_reason(error) == (
                "The SMTP server mail.example:587 does not answer (Connection refused)"
            )
