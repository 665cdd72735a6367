"""Mail delivery against a real SMTP server (aiosmtpd on 127.0.0.1), including STARTTLS and
AUTH with a self-signed certificate made at test time, and the offline outbox fallback."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from babel.support import Translations

from poll.calendar import CalendarEvent, build_calendar
from poll.mailer import DeliveryError, MailSettings, build_message, deliver

CATALOGS = Path(__file__).resolve().parents[2] / "poll" / "translations"
DANISH = Translations.load(str(CATALOGS), ["da"], domain="messages")


def danish(error: DeliveryError) -> str:
    """The reason as the app shows it to a Danish coordinator (notifications.delivery_reason)."""
    return DANISH.gettext(error.message) % error.params


@contextmanager
def refused_in_danish(pattern: str) -> Iterator[None]:
    with pytest.raises(DeliveryError) as caught:
        yield
    assert re.search(pattern, danish(caught.value)), danish(caught.value)


SENDER = "Mødeplan – Bibliotekernes Netværk <noreply@modeplan.example.dk>"
MEMBER = ("Åse Ørbæk-Larsen", "aase@vejle.dk")
COORDINATOR = ("Søren Æbeløe", "koordinator@odense.dk")
SUBJECT = "Invitation: Netværksmøde 29. marts – Odense, kl. 10–15"
TEXT = "Kære Åse\n\nDu er Referent på mødet. Vi ses i Odense.\n"
HTML = "<p>Kære Åse</p><p>Du er <strong>Referent</strong> på mødet.</p>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Recorder:
    """aiosmtpd handler that keeps every envelope; `reply` lets a test make the server refuse."""

    def __init__(self, data_reply: str = "250 OK", rcpt_reply: dict[str, str] | None = None):
        self.data_reply = data_reply
        self.rcpt_reply = rcpt_reply or {}
        self.envelopes: list[Envelope] = []
        self.sessions: list[Session] = []
        self.encrypted: list[bool] = []

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_reply:
            return self.rcpt_reply[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
            self.sessions.append(session)
            self.encrypted.append(server.transport.get_extra_info("ssl_object") is not None)
        return self.data_reply


def running(handler: Recorder, **kwargs: Any) -> Controller:
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), server_hostname="smtp.test", **kwargs
    )
    controller.start()
    return controller


@pytest.fixture
def server() -> Iterator[tuple[Recorder, Controller]]:
    handler = Recorder()
    controller = running(handler)
    yield handler, controller
    controller.stop()


def settings_for(controller: Controller, **changes: Any) -> MailSettings:
    return MailSettings(
        **{
            "host": "127.0.0.1",
            "port": controller.port,
            "security": "none",
            "timeout": 5,
            **changes,
        }
    )


def invitation_ics() -> bytes:
    cph = ZoneInfo("Europe/Copenhagen")
    event = CalendarEvent(
        uid="benchmark-2027-m1@modeplan",
        summary="Netværksmøde",
        start=datetime(2027, 3, 29, 10, tzinfo=cph),
        end=datetime(2027, 3, 29, 15, tzinfo=cph),
        location="Odense Centralbibliotek, Østre Stationsvej 15, 5000 Odense C",
        description="Referent: Åse",
        sequence=0,
    )
    return build_calendar(
        [event],
        name="Invitation",
        stamp=datetime(2026, 11, 20, tzinfo=UTC),
        method="REQUEST",
        organizer=COORDINATOR,
        attendee=MEMBER,
    )


def invitation(ics: bytes | None = None) -> EmailMessage:
    return build_message(
        sender=SENDER,
        to=MEMBER,
        subject=SUBJECT,
        text=TEXT,
        html=HTML,
        attachments=[
            (
                "invitation.ics",
                "text/calendar; method=REQUEST; charset=UTF-8",
                ics or invitation_ics(),
            )
        ],
    )


def received(handler: Recorder) -> EmailMessage:
    [envelope] = handler.envelopes
    assert isinstance(envelope.content, bytes)
    parsed = message_from_bytes(envelope.content, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    """Decoded text of the plain or HTML part; on the wire every line ends in CRLF."""
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def test_message_with_html_and_invitation_arrives_intact(
    server: tuple[Recorder, Controller],
) -> None:
    handler, controller = server
    ics = invitation_ics()

    assert deliver(invitation(ics), settings_for(controller)) == "smtp"

    [envelope] = handler.envelopes
    assert envelope.mail_from == "noreply@modeplan.example.dk"
    assert envelope.rcpt_tos == ["aase@vejle.dk"]
    assert isinstance(envelope.content, bytes)
    envelope.content.decode("ascii")  # æøå travel as RFC 2047 / transfer encodings, not raw 8-bit

    message = received(handler)
    assert message["From"].addresses[0].display_name == "Mødeplan – Bibliotekernes Netværk"
    assert message["To"].addresses[0].display_name == "Åse Ørbæk-Larsen"
    assert message["To"].addresses[0].addr_spec == "aase@vejle.dk"
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"].endswith("@modeplan.example.dk>")
    assert message["Date"].datetime.tzinfo is not None

    assert body(message, "plain") == TEXT
    assert body(message, "html").strip() == HTML

    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_payload(decode=True) == ics
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.events
    assert event["ATTENDEE"] == "mailto:aase@vejle.dk"
    assert event["ATTENDEE"].params["CN"] == "Åse Ørbæk-Larsen"
    assert event["LOCATION"].startswith("Odense Centralbibliotek, Østre")


def test_plain_text_only_message() -> None:
    message = build_message(sender=SENDER, to=MEMBER, subject="Påmindelse", text="Hej Åse\n")
    assert message.get_content_type() == "text/plain"
    assert message.get_content() == "Hej Åse\n"


def test_invalid_attachment_type_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"plan\.ics"):
        build_message(
            sender=SENDER,
            to=MEMBER,
            subject="x",
            text="x",
            attachments=[("plan.ics", "kalender", b"")],
        )


def test_server_refusing_the_message_gives_a_clear_reason() -> None:
    handler = Recorder(data_reply="550 5.7.1 Beskeden er afvist som spam")
    controller = running(handler)
    try:
        with pytest.raises(DeliveryError) as caught:
            deliver(invitation(), settings_for(controller))
    finally:
        controller.stop()
    reason = danish(caught.value)
    assert str(caught.value) == (  # English without a translation, for logs and operators
        f"The SMTP server 127.0.0.1:{controller.port} refused the message"
        " (550 5.7.1 Beskeden er afvist som spam)"
    )
    assert f"127.0.0.1:{controller.port}" in reason
    assert "afviste beskeden" in reason
    assert "550 5.7.1 Beskeden er afvist som spam" in reason


def test_server_refusing_the_recipient_names_the_address() -> None:
    handler = Recorder(rcpt_reply={"aase@vejle.dk": "550 5.1.1 Ukendt modtager"})
    controller = running(handler)
    try:
        with refused_in_danish(r"afviste modtageren aase@vejle.dk \(550 5.1.1"):
            deliver(invitation(), settings_for(controller))
    finally:
        controller.stop()
    assert handler.envelopes == []


def test_partly_refused_recipients_are_reported() -> None:
    handler = Recorder(rcpt_reply={"bo@odense.dk": "550 5.1.1 Ukendt modtager"})
    controller = running(handler)
    message = invitation()
    message.replace_header("To", "Åse <aase@vejle.dk>, Bo <bo@odense.dk>")
    try:
        with refused_in_danish(r"afviste modtageren bo@odense.dk \(550"):
            deliver(message, settings_for(controller))
    finally:
        controller.stop()


def test_server_that_is_down_gives_a_clear_reason() -> None:
    port = free_port()  # nothing listens here
    settings = MailSettings(host="127.0.0.1", port=port, security="starttls", timeout=2)
    with pytest.raises(DeliveryError) as caught:
        deliver(invitation(), settings)
    assert (
        danish(caught.value) == f"SMTP-serveren 127.0.0.1:{port} svarer ikke (Connection refused)"
    )


def test_silent_server_times_out_with_a_clear_reason() -> None:
    with socket.socket() as silent:  # accepts connections but never sends the 220 greeting
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings = MailSettings(host="127.0.0.1", port=port, timeout=0.3)
        with pytest.raises(DeliveryError) as caught:
            deliver(invitation(), settings)
    assert (
        danish(caught.value)
        == f"SMTP-serveren 127.0.0.1:{port} svarede ikke inden for 0.3 sekunder"
    )


def test_unknown_host_gives_a_clear_reason() -> None:
    settings = MailSettings(host="smtp.modeplan.invalid", port=25, timeout=2)
    with refused_in_danish(r"^SMTP-serveren smtp\.modeplan\.invalid kan ikke findes"):
        deliver(invitation(), settings)


@pytest.mark.parametrize(
    ("security", "reason"),
    [
        ("starttls", "understøtter ikke den valgte sikkerhed eller login (STARTTLS"),
        ("tls", "TLS-forbindelsen til SMTP-serveren"),
    ],
)
def test_tls_setting_against_a_plain_server_fails_instead_of_sending_in_clear(
    server: tuple[Recorder, Controller], security: str, reason: str
) -> None:
    handler, controller = server
    settings = settings_for(controller, security=security)
    with refused_in_danish(re.escape(reason)):
        deliver(invitation(), settings)
    assert handler.envelopes == []


# --- outbox fallback -------------------------------------------------------------------------


def test_without_host_the_message_is_written_to_the_outbox(tmp_path: Path) -> None:
    outbox = tmp_path / "instance" / "outbox"
    settings = MailSettings(host=None, outbox_dir=outbox)
    ics = invitation_ics()

    first = Path(deliver(invitation(ics), settings))
    second = Path(deliver(invitation(ics), settings))

    assert first != second
    assert sorted(outbox.iterdir()) == sorted([first, second])
    assert first.suffix == ".eml"
    message = message_from_bytes(first.read_bytes(), policy=default)
    assert message["To"].addresses[0].display_name == "Åse Ørbæk-Larsen"
    assert message["Subject"] == SUBJECT
    assert body(message, "plain") == TEXT
    [attachment] = message.iter_attachments()
    assert attachment.get_payload(decode=True) == ics


def test_without_host_or_outbox_delivery_fails() -> None:
    with pytest.raises(DeliveryError, match="No mail server is set up"):
        deliver(invitation(), MailSettings(host=None))


def test_unwritable_outbox_gives_delivery_error(tmp_path: Path) -> None:
    blocker = tmp_path / "outbox"
    blocker.write_text("a file where the directory should be")
    with pytest.raises(DeliveryError, match="outbox"):
        deliver(invitation(), MailSettings(host=None, outbox_dir=blocker))


# --- STARTTLS, implicit TLS and AUTH ---------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


ACCOUNTS = {b"modeplan": b"hemmelig", "bibliotekær".encode(): "adgangskode æøå".encode()}


def check_password(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword) and ACCOUNTS.get(auth_data.login) == auth_data.password
    )
    # handled=False makes aiosmtpd answer "535" itself instead of leaving the client waiting.
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


@pytest.fixture
def tls_server(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Recorder, Controller]]:
    """Requires STARTTLS before anything else and AUTH before MAIL; the client trusts our cert
    through SSL_CERT_FILE, which OpenSSL reads when the default context loads its CA paths."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    handler = Recorder()
    controller = running(
        handler,
        tls_context=server_context(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=check_password,
    )
    yield handler, controller
    controller.stop()


@pytest.mark.parametrize(
    ("username", "password"),
    [("modeplan", "hemmelig"), ("bibliotekær", "adgangskode æøå")],
    ids=["ascii", "utf8"],
)
def test_starttls_with_login_delivers(
    tls_server: tuple[Recorder, Controller], username: str, password: str
) -> None:
    handler, controller = tls_server
    settings = MailSettings(
        host="127.0.0.1",
        port=controller.port,
        security="starttls",
        username=username,
        password=password,
        timeout=5,
    )
    assert deliver(invitation(), settings) == "smtp"
    assert received(handler)["Subject"] == SUBJECT
    [session] = handler.sessions
    assert handler.encrypted == [True]  # the message travelled inside the STARTTLS session
    assert session.authenticated and session.auth_data == username.encode()


@pytest.mark.parametrize("username", ["modeplan", "bibliotekær"])
def test_wrong_password_gives_a_clear_reason(
    tls_server: tuple[Recorder, Controller], username: str
) -> None:
    handler, controller = tls_server
    settings = MailSettings(
        host="127.0.0.1", port=controller.port, username=username, password="forkert ø", timeout=5
    )
    with refused_in_danish(rf"afviste login som {username} \(535 5.7.8"):
        deliver(invitation(), settings)
    assert handler.envelopes == []


def test_plain_connection_to_a_starttls_only_server_is_refused(
    tls_server: tuple[Recorder, Controller],
) -> None:
    with pytest.raises(DeliveryError, match="530"):
        deliver(invitation(), settings_for(tls_server[1]))


def test_untrusted_certificate_is_not_accepted(
    tls_server: tuple[Recorder, Controller], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty_ca = tmp_path / "empty.pem"
    empty_ca.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty_ca))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    settings = MailSettings(host="127.0.0.1", port=tls_server[1].port, timeout=5)
    with refused_in_danish(r"TLS-certifikatet fra SMTP-serveren .* kunne ikke"):
        deliver(invitation(), settings)
    assert tls_server[0].envelopes == []


def test_implicit_tls_delivers(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    handler = Recorder()
    controller = running(handler, ssl_context=server_context(certificate))
    try:
        settings = MailSettings(host="127.0.0.1", port=controller.port, security="tls", timeout=5)
        assert deliver(invitation(), settings) == "smtp"
    finally:
        controller.stop()
    assert received(handler)["To"].addresses[0].display_name == MEMBER[0]
    assert handler.encrypted == [True]


# --- settings from the environment -----------------------------------------------------------


def test_from_env_defaults_to_outbox(tmp_path: Path) -> None:
    settings = MailSettings.from_env({}, tmp_path)
    assert settings == MailSettings(host=None, port=587, outbox_dir=tmp_path)


def test_from_env_reads_every_variable(tmp_path: Path) -> None:
    settings = MailSettings.from_env(
        {
            "MAIL_HOST": " smtp.odense.dk ",
            "MAIL_PORT": "2525",
            "MAIL_SECURITY": "TLS",
            "MAIL_USERNAME": "modeplan",
            "MAIL_PASSWORD": "hemmelig",
            "MAIL_SENDER": "Mødeplan <modeplan@odense.dk>",
        },
        tmp_path,
    )
    assert settings == MailSettings(
        host="smtp.odense.dk",
        port=2525,
        security="tls",
        username="modeplan",
        password="hemmelig",
        sender="Mødeplan <modeplan@odense.dk>",
        outbox_dir=tmp_path,
    )
    assert "hemmelig" not in repr(settings)


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("tls", 465), ("none", 25)])
def test_from_env_port_follows_security(tmp_path: Path, security: str, port: int) -> None:
    assert MailSettings.from_env({"MAIL_SECURITY": security}, tmp_path).port == port


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"MAIL_PORT": "smtp"}, "MAIL_PORT"),
        ({"MAIL_PORT": "0"}, "MAIL_PORT"),
        ({"MAIL_PORT": "70000"}, "MAIL_PORT"),
        ({"MAIL_PORT": "-25"}, "MAIL_PORT"),
        ({"MAIL_SECURITY": "ssl"}, "MAIL_SECURITY"),
        ({"MAIL_USERNAME": "modeplan"}, "MAIL_PASSWORD"),
        ({"MAIL_PASSWORD": "hemmelig"}, "MAIL_USERNAME"),
        ({"MAIL_SENDER": "noreply"}, "MAIL_SENDER"),
        ({"MAIL_SENDER": "a@odense.dk, b@vejle.dk"}, "MAIL_SENDER"),
        ({"MAIL_SENDER": "Mødeplan <noreply@odense.dk>\nBcc: x@y.dk"}, "MAIL_SENDER"),
    ],
)
def test_from_env_errors_name_the_variable(
    tmp_path: Path, environ: dict[str, str], variable: str
) -> None:
    with pytest.raises(ValueError, match=variable):
        MailSettings.from_env(environ, tmp_path)
