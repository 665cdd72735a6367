"""Invitations, reminders, the plan and change notices, sent to a real SMTP server (aiosmtpd on
127.0.0.1) and parsed on arrival; the log, failures and retries; the outbox fallback; golden
files for the message texts (plain text, HTML, subjects); each member's mail in their own
language alone (Danish by default) through gettext, inside and outside a request; Reply-To the
coordinator who sent it; the remind CLI.

Regenerate the golden files with:  UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/mail
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import suppress
from datetime import date, time, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from time import monotonic, sleep
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session
from flask import has_request_context
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.feeds import feed_token
from poll.mail_jobs import start_batch
from poll.members import member_by_token, personal_token
from poll.models import JobStatus, MailJob, Member, MessageLog, MessageStatus, Poll, utcnow
from poll.notifications import (
    FEED_MARK,
    PERSONAL_MARK,
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
from tests.html_forms import form_fields

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "mail"
SENDER = "Mødeplan – Testnetværk <noreply@modeplan.test>"


# -- a real SMTP server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """Keeps what arrives and the connections (sessions) it came over; `data_reply` makes the
    server refuse messages, `hang_up` close the connection after each message."""

    def __init__(self) -> None:
        self.data_reply = "250 OK"
        self.hang_up = False
        self.envelopes: list[Envelope] = []
        self.sessions: list[Session] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if not any(known is session for known in self.sessions):
            self.sessions.append(session)
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        if self.hang_up:  # after the reply has gone out, as a relay with an idle limit does
            asyncio.get_running_loop().call_soon(server.transport.close)
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


def wait_for_batch(client, location: str) -> str:
    """The page of a batch once it has ended (it reloads itself while it runs)."""
    deadline = monotonic() + 30
    while True:
        page = client.get(location)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        if 'http-equiv="refresh"' not in text:
            return text
        assert monotonic() < deadline, "the batch did not end within 30 s"
        sleep(0.05)


def page_once(client, location: str, text: str) -> str:
    """The page at `location` once it shows `text` (a batch's thread writes as it goes)."""
    deadline = monotonic() + 10
    while text not in (page := client.get(location).get_data(as_text=True)):
        assert monotonic() < deadline, f"{text!r} did not appear within 10 s"
        sleep(0.05)
    return page


def confirm(client, url: str, query: dict | None = None):
    """Click a send button, which shows the message and its number of recipients, then press
    "Send" there; the response of that POST."""
    preview = client.get(url, query_string=query or {})
    assert preview.status_code == 200, preview.status_code
    fields = form_fields(preview.get_data(as_text=True), "confirm-send")
    return client.post(url, data=MultiDict(fields))


def click(client, url: str, query: dict | None = None) -> str:
    """Click a send button and confirm (a single message sent again goes at once):
    the POST queues a batch and answers at once with a redirect to its page; return that page
    once the batch has ended."""
    one_message = re.search(r"/beskeder/\d+/igen$", url) is not None
    response = client.post(url) if one_message else confirm(client, url, query)
    assert response.status_code == 303
    return wait_for_batch(client, response.headers["Location"])


def logs(app) -> list[tuple[str, str, str, int]]:
    with app.app_context():
        rows = db.session.scalars(select(MessageLog).order_by(MessageLog.id))
        return [(r.kind, r.recipient, r.status.value, r.attempts) for r in rows]


# -- what arrives ----------------------------------------------------------------------------


def test_invitation_arrives_with_a_working_personal_link_in_danish_only(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    assert "5 af 5 beskeder sendt." in click(client, "/tovholder/beskeder/2027/invitationer")
    assert len(handler.envelopes) == 5
    message = handler.to("maria@example.dk")
    assert str(message["To"]) == "Maria <maria@example.dk>"
    assert str(message["From"]) == SENDER
    # Answers go to the coordinator who clicked send, not to the no-reply sender.
    assert str(message["Reply-To"]) == "Tovholder <tovholder@test.dk>"
    assert message["Subject"] == "Testnetværk: hvornår kan du i 2027?"
    text = text_of(message)
    assert text.startswith("Kære Maria")
    assert "senest tirsdag den 15. december 2026" in text
    for english in ("Dear Maria", "by Tuesday 15 December 2026", "Kind regards", "English"):
        assert english not in text
    [link] = set(re.findall(r"http://127\.0\.0\.1:5000/m/([\w-]+)/2027", text))
    with app.app_context():
        assert member_by_token(link).key == "maria"
    html = text_of(message, "html")
    assert f"http://127.0.0.1:5000/m/{link}/2027" in html
    assert '<div lang="da">' in html and 'lang="en"' not in html and "Dear" not in html
    assert {row[:3] for row in logs(app)} == {
        ("invitation/2027", f"{key}@example.dk", "sent")
        for key in ("sara", "henrik", "maria", "berit", "kis")
    }


def test_reminder_goes_only_to_those_who_have_not_answered(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    page = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Har ikke svaret på alle dage endnu: Berit, Kis, Maria" in page
    click(client, "/tovholder/beskeder/2027/paamindelser")
    recipients = sorted(e.rcpt_tos[0] for e in handler.envelopes)
    assert recipients == ["berit@example.dk", "kis@example.dk", "maria@example.dk"]
    text = text_of(handler.to("kis@example.dk"))
    assert "Vi mangler dit svar" in text and "We have not yet had your answer" not in text
    # The log of sent messages scrolls sideways on a phone: a named region reached by keyboard.
    page = client.get("/tovholder/beskeder").get_data(as_text=True)
    region = '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="log-heading">'
    assert region in page


def test_published_plan_arrives_with_one_request_per_meeting(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        publish_result(network.poll_id)
    client = app.test_client()
    log_in(client, network)
    assert client.post("/tovholder/plan/2027/publish", data={"version": 1}).status_code == 303
    click(client, "/tovholder/beskeder/2027/plan", {"mode": "auto"})
    assert len(handler.envelopes) == 5
    message = handler.to("maria@example.dk")
    assert message["Subject"].startswith("Testnetværk: mødeplanen for 2027")
    text = text_of(message)
    assert "Møde 3: fredag den 29. oktober 2027 (uge 43), kl. 10.00–15.00" in text
    assert "  Du er: Referent" in text and "  Your roles: Referent" not in text
    assert "webcal://127.0.0.1:5000/kalender/" in text
    files = calendars(message)
    assert sorted(files) == [f"testnetvaerk-2027-m{n}.ics" for n in (1, 2, 3, 4)]
    for name, (content_type, data) in files.items():
        assert content_type.startswith("text/calendar")
        assert "method=REQUEST" in content_type
        parsed = check_ics(data, method="REQUEST")
        [event] = parsed.events
        assert (
            str(event["UID"])
            == f"test-{name.removesuffix('.ics').removeprefix('testnetvaerk-')}@modeplan"
        )
        assert str(event["ATTENDEE"]) == "mailto:maria@example.dk"
        assert event["ATTENDEE"].params["CN"] == "Maria"
        assert event["ATTENDEE"].params["RSVP"] == "TRUE"
        assert str(event["ORGANIZER"]) == "mailto:sara@example.dk"
        assert event["ORGANIZER"].params["CN"] == "Sara"
        assert event["SEQUENCE"] == 0
    m3 = icalendar.Calendar.from_ical(files["testnetvaerk-2027-m3.ics"][1]).events[0]
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
    click(client, "/tovholder/beskeder/2027/plan", {"mode": "changes"})
    assert len(handler.envelopes) == 5  # m1 moved and m4 dropped: everyone is affected
    kis = handler.to("kis@example.dk")
    assert kis["Subject"] == "Testnetværk: mødeplanen for 2027 er ændret"
    text = text_of(kis)
    assert (
        "- Møde 1 er flyttet fra fredag den 26. marts 2027 til torsdag den 25. marts 2027.\n"
        "- Du er nu Referent ved Møde 2.\n"
        "- Du er ikke længere Planlægningsgruppe ved Møde 2.\n"
        "- Møde 4 (mandag den 1. november 2027, Vejle Bibliotek) er aflyst.\n"
    ) in text
    assert "- You are now Referent at Møde 2." not in text
    assert "<li>Du er nu Referent ved Møde 2.</li>" in text_of(kis, "html")
    files = calendars(kis)
    assert sorted(files) == [f"testnetvaerk-2027-m{n}.ics" for n in (1, 2, 4)]
    m1 = check_ics(files["testnetvaerk-2027-m1.ics"][1], method="REQUEST").events[0]
    assert m1["SEQUENCE"] == 1 and m1.start.date() == date(2027, 3, 25)
    content_type, data = files["testnetvaerk-2027-m4.ics"]
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
    outcome = click(client, "/tovholder/beskeder/2027/paamindelser")
    assert "3 beskeder kunne ikke sendes" in outcome and 'role="alert"' in outcome
    page = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "afviste beskeden (554 5.7.1 Afvist af politik)" in page
    assert "3 beskeder kunne ikke sendes." in client.get("/tovholder/plan/2027").get_data(
        as_text=True
    )
    assert {row[2] for row in logs(app)} == {"failed"}
    with app.app_context():
        raw_before = db.session.scalars(select(MessageLog.raw).order_by(MessageLog.id)).all()
        first = db.session.scalar(select(MessageLog.id).order_by(MessageLog.id))

    handler.data_reply = "250 OK"
    assert "1 af 1 beskeder sendt." in click(client, f"/tovholder/beskeder/{first}/igen")
    assert len(handler.envelopes) == 1
    assert "2 af 2 beskeder sendt." in click(client, "/tovholder/beskeder/igen")
    assert len(handler.envelopes) == 3
    assert [(row[2], row[3]) for row in logs(app)] == [("sent", 2)] * 3
    with app.app_context():
        # What was composed is what went out: the stored bytes did not change.
        raw_after = db.session.scalars(select(MessageLog.raw).order_by(MessageLog.id)).all()
        assert raw_after == raw_before
        assert all(r.sent_at is not None for r in db.session.scalars(select(MessageLog)))
    stored = message_from_bytes(raw_before[0], policy=default)
    arrived = handler.messages()[0]
    assert arrived["Message-ID"] == stored["Message-ID"]
    # ... but for the personal link, which is stored as a marker and put in when sent.
    with app.app_context():
        token = personal_token(db.session.get(Member, network.member_ids["berit"]))
    for subtype in ("plain", "html"):
        assert PERSONAL_MARK in text_of(stored, subtype)
        assert text_of(arrived, subtype) == text_of(stored, subtype).replace(PERSONAL_MARK, token)
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
    click(client, "/tovholder/beskeder/2027/plan", {"mode": "plan"})
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
        click(client, "/tovholder/beskeder/igen")
    finally:
        controller.stop()
    assert len(handler.envelopes) == 5
    assert {row[2] for row in logs(app)} == {"sent"}
    files = calendars(handler.to("berit@example.dk"))
    assert len(files) == 4  # attachments survive the stored raw message


def test_without_a_mail_server_messages_go_to_the_outbox(app, network, mail_env):
    client = app.test_client()
    log_in(client, network)
    assert "kun gemt på serveren" in click(client, "/tovholder/beskeder/2027/paamindelser")
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
    click(client, "/tovholder/beskeder/2027/paamindelser")
    with app.app_context():
        errors = set(db.session.scalars(select(MessageLog.error)))
    assert errors == {
        "Mailopsætning: MAIL_SECURITY must be starttls, tls or none, not 'carrier-pigeon'"
    }
    monkeypatch.delenv("MAIL_SECURITY")
    click(client, "/tovholder/beskeder/igen")
    assert {row[2] for row in logs(app)} == {"written"}


def test_bad_requests_on_the_messages_page(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    assert client.post("/tovholder/beskeder/2031/invitationer").status_code == 404
    assert client.post("/tovholder/beskeder/2027/plan", data={"mode": "x"}).status_code == 400
    assert client.get("/tovholder/beskeder/2027/plan?mode=x").status_code == 400
    response = client.get("/tovholder/beskeder/2027/plan", follow_redirects=True)
    assert "Planen for 2027 er ikke udgivet endnu." in response.get_data(as_text=True)
    assert client.post("/tovholder/beskeder/424242/igen").status_code == 404
    assert client.get("/tovholder/beskeder/424242").status_code == 404
    with app.app_context():
        poll = db.session.get(Poll, network.poll_id)
        poll.is_open = False
        db.session.commit()
    response = client.get("/tovholder/beskeder/2027/invitationer", follow_redirects=True)
    assert "Afstemningen for 2027 er lukket." in response.get_data(as_text=True)
    response = client.post(
        "/tovholder/beskeder/2027/invitationer", data={"recipients": "5"}, follow_redirects=True
    )
    assert "Afstemningen for 2027 er lukket." in response.get_data(as_text=True)
    assert handler.envelopes == [] and logs(app) == []
    assert app.test_client().get("/tovholder/beskeder").status_code == 302


def test_a_second_click_on_send_does_not_mail_everyone_twice(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    click(client, "/tovholder/beskeder/2027/invitationer")
    again = client.post(
        "/tovholder/beskeder/2027/invitationer", data={"recipients": "5"}, follow_redirects=True
    )
    assert "gik ud for mindre end et minut siden" in again.get_data(as_text=True)
    assert len(handler.envelopes) == 5
    # Another kind of message is not held back.
    click(client, "/tovholder/beskeder/2027/paamindelser")
    assert [kind for kind, *_rest in logs(app)].count("invitation/2027") == 5


def test_members_without_address_are_skipped_and_named(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        db.session.get(Member, network.member_ids["kis"]).email = ""
        db.session.commit()
    client = app.test_client()
    log_in(client, network)
    page = click(client, "/tovholder/beskeder/2027/invitationer")
    assert "Ikke sendt til: Kis (ingen e-mailadresse)" in page
    assert len(handler.envelopes) == 4


def test_a_logged_message_can_be_read(app, network, smtp):
    client = app.test_client()
    log_in(client, network)
    click(client, "/tovholder/beskeder/2027/paamindelser")
    with app.app_context():
        first = db.session.scalar(select(MessageLog.id).order_by(MessageLog.id))
    page = client.get(f"/tovholder/beskeder/{first}").get_data(as_text=True)
    assert "Kære Berit" in page and "Dear Berit" not in page


# -- batches as jobs: one connection, progress, a stalled relay ------------------------------


class Silent:
    """An SMTP server that accepts connections and never answers, until `hang_up()`."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.port = self.socket.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.socket.accept()
            except OSError:  # closed by hang_up
                return
            self.accepted.append(connection)

    def hang_up(self) -> None:
        with suppress(OSError):  # shutdown, unlike close, wakes the thread blocked in accept()
            self.socket.shutdown(socket.SHUT_RDWR)
        self.thread.join(5)
        self.socket.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def silent(monkeypatch, mail_env) -> Iterator[Silent]:
    server = Silent()
    monkeypatch.setenv("MAIL_HOST", "127.0.0.1")
    monkeypatch.setenv("MAIL_PORT", str(server.port))
    monkeypatch.setenv("MAIL_SECURITY", "none")
    yield server
    server.hang_up()


def test_a_batch_goes_over_one_smtp_connection(app, network, smtp):
    handler, _controller = smtp
    with app.app_context():
        publish_result(network.poll_id)
    client = app.test_client()
    log_in(client, network)
    click(client, "/tovholder/beskeder/2027/paamindelser")
    assert len(handler.envelopes) == 3 and len(handler.sessions) == 1
    click(client, "/tovholder/beskeder/2027/plan", {"mode": "plan"})
    assert len(handler.envelopes) == 8 and len(handler.sessions) == 2


def test_a_dropped_connection_is_opened_again_and_nothing_is_lost(app, network, smtp):
    handler, _controller = smtp
    handler.hang_up = True  # the relay closes the connection after every message
    client = app.test_client()
    log_in(client, network)
    assert "5 af 5 beskeder sendt." in click(client, "/tovholder/beskeder/2027/invitationer")
    assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == [
        f"{key}@example.dk" for key in ("berit", "henrik", "kis", "maria", "sara")
    ]
    assert len(handler.sessions) == 5
    assert {row[2:] for row in logs(app)} == {("sent", 1)}


def test_the_click_returns_at_once_and_the_page_shows_the_batch_running(
    app, network, silent, monkeypatch
):
    monkeypatch.setenv("MAIL_TIMEOUT", "60")  # the relay answers only when the test lets it
    client = app.test_client()
    log_in(client, network)
    response = confirm(client, "/tovholder/beskeder/2027/invitationer")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/tovholder/beskeder/udsendelse/" in location
    page = page_once(client, location, "Sender … 0 af 5 beskeder sendt.")
    assert '<meta http-equiv="refresh" content="2">' in page
    assert f'href="{location}"' in page  # a link to update without waiting
    index = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Sendes nu: Invitationer for 2027, 0 af 5 beskeder sendt." in index
    # One batch per network at a time: a second click shows the running one.
    again = client.post(
        "/tovholder/beskeder/2027/paamindelser", data={"recipients": "3"}, follow_redirects=True
    )
    assert "Der sendes andre beskeder lige nu." in again.get_data(as_text=True)
    assert again.request.path == location
    deadline = monotonic() + 10
    while not silent.accepted:  # the batch has reached the relay and waits for its answer
        assert monotonic() < deadline, "the batch did not connect within 10 s"
        sleep(0.05)
    silent.hang_up()
    outcome = wait_for_batch(client, location)
    assert "0 af 5 beskeder sendt." in outcome and "5 beskeder kunne ikke sendes." in outcome
    assert {row[2] for row in logs(app)} == {"failed"}
    assert {row[0] for row in logs(app)} == {"invitation/2027"}


def test_a_stalled_relay_times_out_with_a_retryable_entry(
    app, network, silent, monkeypatch, smtp_after_stall
):
    monkeypatch.setenv("MAIL_TIMEOUT", "0.5")
    client = app.test_client()
    log_in(client, network)
    outcome = click(client, "/tovholder/beskeder/2027/invitationer")
    assert "5 beskeder kunne ikke sendes." in outcome
    # The relay was asked once; the other messages failed with the same reason at once.
    assert len(silent.accepted) == 1
    with app.app_context():
        errors = set(db.session.scalars(select(MessageLog.error)))
    assert errors == {f"SMTP-serveren 127.0.0.1:{silent.port} svarede ikke inden for 0.5 sekunder"}
    page = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "svarede ikke inden for 0.5 sekunder" in page
    assert "Send alle fejlede beskeder igen" in page

    handler, port = smtp_after_stall
    monkeypatch.setenv("MAIL_PORT", str(port))  # the relay is fixed
    assert "5 af 5 beskeder sendt." in click(client, "/tovholder/beskeder/igen")
    assert len(handler.sessions) == 1
    assert [row[2:] for row in logs(app)] == [("sent", 2)] * 5
    # What arrives carries the working link, though the stored copy does not.
    [link] = set(
        re.findall(r"http://127\.0\.0\.1:5000(/m/[\w-]+/2027)", text_of(handler.to("kis")))
    )
    member = app.test_client()
    assert member.get(link).status_code == 200
    assert "Kis" in member.get(link).get_data(as_text=True)


@pytest.fixture
def smtp_after_stall() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    controller = start_server(handler)
    yield handler, controller.port
    controller.stop()


def test_a_batch_whose_process_died_is_reported_failed(app, network):
    client = app.test_client()
    log_in(client, network)
    with app.app_context():
        job_id, started = start_batch(network.network_id, "invitation", poll_id=network.poll_id)
        assert started
        job = db.session.get(MailJob, job_id)
        job.status, job.heartbeat_at = JobStatus.RUNNING, utcnow() - timedelta(minutes=5)
        db.session.commit()
    page = client.get(f"/tovholder/beskeder/udsendelse/{job_id}").get_data(as_text=True)
    assert "Udsendelsen stoppede, før den var færdig." in page and "http-equiv" not in page
    assert client.get("/tovholder/beskeder/udsendelse/424242").status_code == 404


# -- no working link in the database ---------------------------------------------------------


def _every_token(app) -> dict[str, str]:
    """Every member's working personal and calendar tokens."""
    with app.app_context():
        tokens = {}
        for member in db.session.scalars(select(Member)):
            tokens[f"{member.key} personal"] = personal_token(member)
            if member.feed_salt:
                tokens[f"{member.key} feed"] = feed_token(member)
        return tokens


def _stored_text(row: MessageLog) -> str:
    """The stored message as raw bytes, subject and every decoded part."""
    message = message_from_bytes(row.raw, policy=default)
    parts = [
        part.get_payload(decode=True).decode("utf-8", "replace")
        for part in message.walk()
        if not part.is_multipart()
    ]
    return "\n".join([row.raw.decode("ascii", "replace"), row.subject, *parts])


def test_stored_mails_hold_no_working_link(app, network, smtp):
    handler, _controller = smtp
    client = app.test_client()
    log_in(client, network)
    click(client, "/tovholder/beskeder/2027/invitationer")
    with app.app_context():
        publish_result(network.poll_id)
    click(client, "/tovholder/beskeder/2027/plan", {"mode": "plan"})
    tokens = _every_token(app)
    assert len(tokens) == 10  # the plan made everyone's calendar link
    with app.app_context():
        rows = db.session.scalars(select(MessageLog).order_by(MessageLog.id)).all()
        assert len(rows) == 10
        for row in rows:
            stored = _stored_text(row)
            assert [name for name, token in tokens.items() if token in stored] == []
            assert (PERSONAL_MARK if row.kind == "invitation/2027" else FEED_MARK) in stored
        ids = [row.id for row in rows]
    # What arrived has the links, and they work.
    arrived = "\n".join(text_of(m) + text_of(m, "html") for m in handler.messages())
    assert all(token in arrived for token in tokens.values())
    plan_mail = text_of(handler.messages()[-1])
    [feed] = set(re.findall(r"webcal://127\.0\.0\.1:5000(/kalender/[\w-]+\.ics)", plan_mail))
    assert client.get(feed).status_code == 200
    # The coordinator reads the stored copy, not the links.
    for message_id in ids:
        page = client.get(f"/tovholder/beskeder/{message_id}").get_data(as_text=True)
        assert [name for name, token in tokens.items() if token in page] == []
    assert "/m/[personligt link]/2027" in client.get(f"/tovholder/beskeder/{ids[0]}").get_data(
        as_text=True
    )


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


def _golden_messages(poll: Poll, maria: Member, network) -> list:
    """The four messages to Maria, in her language, with fixed links."""
    link = "http://127.0.0.1:5000/m/" + derive_token("member", "0" * 32) + "/2027"
    composed = [compose_invitation(maria, poll, link), compose_reminder(maria, poll, link)]
    organizer = organizer_of(poll.network, "noreply@modeplan.test")
    publish_result(network.poll_id)
    composed.append(compose_plan(maria, poll, published_events(poll), organizer))
    publish_result(
        network.poll_id,
        days={"m1": date(2027, 3, 25)},
        venues={"m2": "odense"},
        roles={"m3": {"notes": ["kis"]}, "m4": {"leader": ["maria"]}},
    )
    plan = published_plan(poll)
    changes = member_changes(poll, previous_published(poll, plan), plan, maria)
    composed.append(compose_change(maria, poll, published_events(poll), changes, organizer))
    return composed


@pytest.mark.parametrize("language", ["da", "en"])
def test_message_texts_match_the_golden_files(app, network, language):
    with app.app_context():
        poll = db.session.get(Poll, network.poll_id)
        maria = db.session.get(Member, network.member_ids["maria"])
        _fixed_tokens(maria)
        maria.language = language
        db.session.commit()
        composed = _golden_messages(poll, maria, network)
    suffix = "" if language == "da" else ".en"
    for mail in composed:
        _golden(f"{mail.kind}{suffix}.txt", mail.text)
        _golden(f"{mail.kind}{suffix}.html", mail.html)
    subjects = "".join(f"{mail.kind}: {mail.subject}\n" for mail in composed)
    _golden(f"subjects{suffix}.txt", subjects)


# -- one language per member, through gettext ------------------------------------------------

# Words of each language that only its text has (names, places and roles are Danish data).
DANISH_WORDS = ("Kære", "Venlig hilsen", "personoplysninger", " kalender", "uge ", " svar")
ENGLISH_WORDS = ("Dear", "Kind regards", "personal data", "calendar", "week", "answer")

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


def _maria(network) -> Member:
    return db.session.get(Member, network.member_ids["maria"])


def _all_messages(app, network, language: str = "da"):
    with app.app_context():
        assert not has_request_context()  # as in the CLI: no request to pick a locale from
        poll = db.session.get(Poll, network.poll_id)
        maria = _maria(network)
        maria.language = language
        db.session.commit()
        link = "http://127.0.0.1:5000/m/x/2027"
        mails = [compose_invitation(maria, poll, link), compose_reminder(maria, poll, link)]
        publish_result(network.poll_id)
        organizer = organizer_of(poll.network, "noreply@modeplan.test")
        events = published_events(poll)
        mails.append(compose_plan(maria, poll, events, organizer))
        mails.append(compose_change(maria, poll, events, EVERY_CHANGE, organizer))
        return mails


def test_a_danish_member_gets_every_message_in_danish_only(app, network):
    for mail in _all_messages(app, network, "da"):
        text = mail.text
        assert "----------" not in text, mail.kind
        assert text.startswith("Kære Maria\n"), mail.kind
        assert text.endswith(
            "Venlig hilsen\nSara\nTestnetværk\n\n"
            "Sådan behandler Mødeplan dine personoplysninger: http://127.0.0.1:5000/privatliv"
        ), mail.kind
        # An English msgid left untranslated under "da" would show one of these.
        for english_word in ENGLISH_WORDS:
            assert english_word not in text, (mail.kind, english_word)
            assert english_word not in mail.html, (mail.kind, english_word)
        assert '<html lang="da">' in mail.html and mail.html.count("<div lang=") == 1
        assert "<p>Kære Maria</p>" in mail.html
        assert "<p>Venlig hilsen<br>Sara<br>Testnetværk</p>" in mail.html
        assert "<strong>English</strong>" not in mail.html
        assert " / " not in mail.subject and f"<title>{mail.subject}</title>" in mail.html
        first = "Påmindelse: " if mail.kind == "reminder" else "Testnetværk: "
        assert mail.subject.startswith(first)


def test_an_english_member_gets_every_message_in_english_only(app, network):
    for mail in _all_messages(app, network, "en"):
        text = mail.text
        assert "----------" not in text, mail.kind
        assert text.startswith("Dear Maria\n"), mail.kind
        assert text.endswith(
            "Kind regards\nSara\nTestnetværk\n\n"
            "How Mødeplan handles your personal data: http://127.0.0.1:5000/privatliv"
        ), mail.kind
        for danish_word in DANISH_WORDS:
            assert danish_word not in text, (mail.kind, danish_word)
            assert danish_word not in mail.html, (mail.kind, danish_word)
        assert '<html lang="en">' in mail.html and mail.html.count("<div lang=") == 1
        assert "<p>Dear Maria</p>" in mail.html
        assert "<p>Kind regards<br>Sara<br>Testnetværk</p>" in mail.html
        assert " / " not in mail.subject and f"<title>{mail.subject}</title>" in mail.html
        assert not mail.subject.startswith("Påmindelse")


def test_every_change_reads_right_in_each_language(app, network):
    danish = _all_messages(app, network, "da")[-1].text
    assert (
        "- Møde 1 er flyttet fra fredag den 26. marts 2027 til torsdag den 25. marts 2027.\n"
        "- Møde 2 mandag den 29. marts 2027 er nu kl. 09.30–14.00 (før kl. 10.00–15.00).\n"
        "- Møde 2 holdes nu på Odense Bibliotek (før: Vejle Bibliotek).\n"
        "- Du er nu Referent ved Møde 3.\n"
        "- Du er ikke længere Mødeleder ved Møde 3.\n"
        "- Møde 4 (mandag den 1. november 2027, Vejle Bibliotek) er aflyst.\n"
        "- Møde 5 er kommet til: mandag den 6. december 2027, Odense Bibliotek.\n"
    ) in danish
    english = _all_messages(app, network, "en")[-1].text
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


def test_mails_follow_the_member_not_the_current_language(app, network):
    link = "http://127.0.0.1:5000/m/x/2027"
    with app.app_context(), force_locale("en"):  # as under `flask … --lang en`
        mail = compose_reminder(_maria(network), db.session.get(Poll, network.poll_id), link)
        assert str(get_locale()) == "en"  # the caller's language is back afterwards
        assert _("Kind regards") == "Kind regards"
    assert mail.subject == "Påmindelse: svar på mødedatoerne for 2027"
    assert "Vi mangler dit svar" in mail.text and "We have not yet had" not in mail.text
    with app.test_request_context("/?lang=en"):  # a coordinator browsing in English
        assert str(get_locale()) == "en"
        mail = compose_reminder(_maria(network), db.session.get(Poll, network.poll_id), link)
        assert mail.text.startswith("Kære Maria\n")
        assert str(get_locale()) == "en"
    with app.test_request_context("/"):  # a coordinator browsing in Danish, Maria in English
        maria = _maria(network)
        maria.language = "en"
        mail = compose_reminder(maria, db.session.get(Poll, network.poll_id), link)
        assert mail.text.startswith("Dear Maria\n") and "Kære" not in mail.text
        assert str(get_locale()) == "da"


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
        maria.language = "en"
        english = compose_invitation(maria, poll, "http://127.0.0.1:5000/m/x/2027")
    assert "<p>Kære Maria &lt;b&gt;&amp;&lt;/b&gt; Co</p>" in mail.html
    assert "<p>Net &amp; Værk planlægger møderne i 2027." in mail.html
    assert "&amp;amp;" not in mail.html and "<b>" not in mail.html
    assert "Kære Maria <b>&</b> Co\n" in mail.text and "\nNet & Værk planlægger" in mail.text
    assert "<em>Ja</em>, <em>Hvis nødvendigt</em> eller <em>Nej</em>" in mail.html
    assert "<em>Yes</em>, <em>If need be</em> or <em>No</em>" in english.html
    assert "senest <strong>tirsdag den 15. december 2026</strong>." in mail.html
    assert "<li>Møde 1 er flyttet fra fredag den 26. marts 2027" in change.html
    assert "Mødeplanen for Net &amp; Værk i 2027 er ændret." in change.html
    assert change.subject == "Net & Værk: mødeplanen for 2027 er ændret"


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


def test_remind_command_in_english_sends_each_member_their_own_language(app, network, smtp, runner):
    handler, _controller = smtp
    with app.app_context():
        db.session.get(Member, network.member_ids["kis"]).language = "en"
        db.session.commit()
    result = runner.invoke(args=["remind", "test", "2027", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "2027: 3 sent, 0 failed, 0 not sent." in result.output
    maria = handler.to("maria@example.dk")
    assert maria["Subject"] == "Påmindelse: svar på mødedatoerne for 2027"
    danish = text_of(maria)
    assert danish.startswith("Kære Maria") and "Fristen er tirsdag den 15. december 2026." in danish
    assert "The deadline is" not in danish and "Dear" not in danish
    kis = handler.to("kis@example.dk")
    assert kis["Subject"] == "Reminder: please answer for 2027"
    english = text_of(kis)
    assert english.startswith("Dear Kis") and "The deadline is Tuesday 15 December 2026." in english
    assert "Fristen" not in english and "Kære" not in english
    # No coordinator clicked: the mails answer to the network's coordinator, who signs them.
    assert {str(m["Reply-To"]) for m in handler.messages()} == {"Sara <sara@example.dk>"}


def test_send_mail_command(app, network, smtp, runner):
    handler, _controller = smtp
    assert runner.invoke(args=["send-mail", "test", "2027", "plan"]).exit_code == 1
    with app.app_context():
        publish_result(network.poll_id)
    result = runner.invoke(args=["send-mail", "test", "2027", "plan"])
    assert result.exit_code == 0, result.output
    assert len(handler.envelopes) == 5
    changes = runner.invoke(args=["send-mail", "test", "2027", "changes"])
    assert changes.exit_code == 1 and "ingen tidligere udgivet plan" in changes.output


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
