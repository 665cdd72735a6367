"""Building and delivering e-mail: SMTP when configured, otherwise an .eml file in an outbox.

Pure module: no Flask. The app builds `MailSettings.from_env(...)` once per batch and hands
every message of the batch to one `Postman` (one SMTP connection); `deliver` sends a single
message. A `DeliveryError` carries a readable reason that the app logs and shows to the
coordinator, who can retry.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
import uuid
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import make_msgid
from pathlib import Path
from typing import Literal, cast
from urllib.parse import urlsplit

from .text_checks import is_email, one_line

__all__ = [
    "DEFAULT_SENDER",
    "DeliveryError",
    "MailSettings",
    "Postman",
    "build_message",
    "default_sender",
    "deliver",
]

Security = Literal["starttls", "tls", "none"]
DEFAULT_SENDER = "Mødeplan <noreply@localhost>"
SENDER_NAME = "Mødeplan"
_DEFAULT_PORTS: dict[str, int] = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_TIMEOUT = 30.0


def N_(message: str) -> str:
    """Marks a msgid for extraction; the app translates it (this module knows no locale)."""
    return message


class DeliveryError(Exception):
    """A message could not be delivered. `message` is an English gettext msgid with
    %(name)s placeholders filled from `params`; str() is the English text, and the app shows
    it in the reader's language (notifications.delivery_reason)."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class MailSettings:
    host: str | None
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = DEFAULT_SENDER
    outbox_dir: Path | None = None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], outbox_dir: Path | None, base_url: str | None = None
    ) -> MailSettings:
        """Read MAIL_* variables. Without MAIL_HOST, mail goes to `outbox_dir` as .eml files.

        MAIL_SENDER is the From of every mail; unset, it is noreply at the domain of `base_url`
        (the app's MODEPLAN_BASE_URL), or noreply@localhost when that names no domain
        (`default_sender`; the app refuses to start so outside debug and testing when MAIL_HOST
        is set, poll.config.require_mail_sender).

        MAIL_PORT defaults to the usual port for MAIL_SECURITY (587, 465 or 25). MAIL_TIMEOUT
        is how many seconds to wait for the server's every answer (default 30), so a relay that
        stalls ends the batch with a reason instead of holding it.
        """
        host = environ.get("MAIL_HOST", "").strip() or None

        security = environ.get("MAIL_SECURITY", "").strip().lower() or "starttls"
        if security not in _DEFAULT_PORTS:
            raise ValueError(
                f"MAIL_SECURITY must be starttls, tls or none, not {environ['MAIL_SECURITY']!r}"
            )

        port_text = environ.get("MAIL_PORT", "").strip()
        if not port_text:
            port = _DEFAULT_PORTS[security]
        elif port_text.isdigit() and 1 <= int(port_text) <= 65535:
            port = int(port_text)
        else:
            raise ValueError(f"MAIL_PORT must be a port number 1-65535, not {port_text!r}")

        username = environ.get("MAIL_USERNAME") or None
        password = environ.get("MAIL_PASSWORD") or None
        if password and not username:
            raise ValueError("MAIL_USERNAME must be set when MAIL_PASSWORD is")
        if username and not password:
            raise ValueError("MAIL_PASSWORD must be set when MAIL_USERNAME is")

        timeout_text = environ.get("MAIL_TIMEOUT", "").strip()
        try:
            timeout = float(timeout_text) if timeout_text else DEFAULT_TIMEOUT
        except ValueError:
            timeout = 0.0
        if not 0 < timeout <= 3600:
            raise ValueError(
                f"MAIL_TIMEOUT must be a number of seconds above 0 and at most 3600,"
                f" not {timeout_text!r}"
            )

        sender = environ.get("MAIL_SENDER", "").strip() or default_sender(base_url)
        if _address_domain(sender) is None:
            raise ValueError(
                f"MAIL_SENDER must be one address such as 'Mødeplan <noreply@example.dk>',"
                f" not {sender!r}"
            )

        return cls(
            host=host,
            port=port,
            security=cast(Security, security),
            username=username,
            password=password,
            sender=sender,
            outbox_dir=outbox_dir,
            timeout=timeout,
        )


def default_sender(base_url: str | None) -> str:
    """'Mødeplan <noreply@moeder.example.dk>' for the base URL https://moeder.example.dk/; the
    DEFAULT_SENDER (noreply@localhost) when the URL names no domain (an IP address, localhost,
    a name without a dot)."""
    host = (urlsplit(base_url).hostname or "") if base_url else ""
    is_ip = host.replace(".", "").isdigit() or ":" in host
    if "." not in host or is_ip or host.endswith((".localhost", ".local")):
        return DEFAULT_SENDER
    return str(Address(display_name=SENDER_NAME, username="noreply", domain=host))


def _address_domain(value: str) -> str | None:
    """Domain of `value` if it is exactly one well-formed address, else None."""
    try:
        header = default.header_factory("From", value)
    except ValueError:  # e.g. a line break in the value
        return None
    addresses = header.addresses
    if header.defects or len(addresses) != 1 or not addresses[0].domain:
        return None
    return addresses[0].domain


def recipient(name: str, email: str) -> Address:
    """The To address. Refuses (ValueError) anything but one plain address, by the same check as
    the forms and the CSV import; a line break or control character in the name becomes a space,
    so a name stored with one still gets its mail."""
    if not is_email(email):
        raise ValueError(f"not a valid e-mail address: {email!r}")
    return Address(display_name=one_line(name), addr_spec=email)


def build_message(
    *,
    sender: str,
    to: tuple[str, str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    reply_to: str | None = None,
) -> EmailMessage:
    """A UTF-8 message to one recipient `to` = (display name, e-mail); answers go to
    `reply_to` (one address, such as the coordinator's) when it is given.

    `attachments` are (filename, MIME type with parameters, data), for example
    ("invitation.ics", "text/calendar; method=REQUEST; charset=UTF-8", ics_bytes).
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient(*to)
    if reply_to:
        if _address_domain(reply_to) is None:
            raise ValueError(f"not a valid Reply-To address: {reply_to!r}")
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = datetime.now(UTC)
    message["Message-ID"] = make_msgid(domain=_address_domain(sender) or "localhost")
    # Quoted-printable keeps the message 7-bit, so no relay without 8BITMIME can mangle æøå.
    message.set_content(text, cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    for filename, mime_type, data in attachments:
        content_type = default.header_factory("Content-Type", mime_type)
        if content_type.defects:
            raise ValueError(f"invalid MIME type for {filename}: {mime_type!r}")
        message.add_attachment(
            data,
            maintype=content_type.maintype,
            subtype=content_type.subtype,
            filename=filename,
            params=dict(content_type.params),
        )
    return message


def deliver(message: EmailMessage, settings: MailSettings) -> str:
    """Send `message`; return "smtp", or the path of the .eml written when no host is set."""
    with Postman(settings) as postman:
        return postman.deliver(message)


def _write_outbox(message: EmailMessage, outbox_dir: Path | None) -> Path:
    if outbox_dir is None:
        raise DeliveryError(N_("No mail server is set up, and no folder to save the mails in"))
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
    path = outbox_dir / name
    try:
        outbox_dir.mkdir(parents=True, exist_ok=True)
        with path.open("xb") as handle:  # "x": never overwrite another message
            handle.write(message.as_bytes(policy=SMTP))
    except OSError as exc:
        raise DeliveryError(
            N_("Could not save the e-mail in the folder %(folder)s (%(problem)s)"),
            folder=str(outbox_dir),
            problem=str(exc.strerror or exc),
        ) from exc
    return path


# The server refused this one message and reset the transaction; the connection is still good.
_MESSAGE_REFUSED = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class Postman:
    """Delivers the messages of one batch over one SMTP connection.

    The connection opens with the first message and closes with `close()`. When the server
    has dropped it between messages, it is opened again once for that message. When the
    connection itself fails (no answer within the timeout, refused, login refused), every
    further message of the batch fails at once with the same reason: waiting for a stalled
    relay once per message would hold the batch for minutes, and the messages are kept to be
    sent again anyway.
    """

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None
        self._broken: DeliveryError | None = None

    def __enter__(self) -> Postman:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def deliver(self, message: EmailMessage) -> str:
        """Send `message`; return "smtp", or the path of the .eml written without a host."""
        if self.settings.host is None:
            return str(_write_outbox(message, self.settings.outbox_dir))
        if self._broken is not None:
            raise self._broken
        host = self.settings.host
        try:
            refused = self._send(message)
        except (smtplib.SMTPException, OSError) as exc:
            error = _failure(exc, self.settings, host)
            if not isinstance(exc, _MESSAGE_REFUSED):
                self._drop()
                self._broken = error
            elif getattr(exc, "smtp_code", None) == 421:  # closing: the next message reconnects
                self._drop()
            raise error from exc
        if refused:
            address, (code, text) = next(iter(refused.items()))
            raise DeliveryError(
                N_(
                    "The SMTP server %(server)s refused the recipient %(address)s (%(reply)s);"
                    " the other recipients got the message"
                ),
                server=f"{host}:{self.settings.port}",
                address=address,
                reply=f"{code} {_text(text)}",
            )
        return "smtp"

    def close(self) -> None:
        if self._client is None:
            return
        with suppress(smtplib.SMTPException, OSError):  # the messages went out already
            self._client.quit()
        self._drop()

    def _send(self, message: EmailMessage) -> dict:
        if self._client is None:
            self._client = self._connect()
            return self._client.send_message(message)
        try:
            return self._client.send_message(message)
        except smtplib.SMTPServerDisconnected as exc:
            if _timed_out(exc):
                raise
        # The server closed the connection since the last message (an idle limit, a limit of
        # messages per connection): open a new one, once.
        self._drop()
        self._client = self._connect()
        return self._client.send_message(message)

    def _connect(self) -> smtplib.SMTP:
        settings, host = self.settings, cast(str, self.settings.host)
        context = ssl.create_default_context()
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(host, settings.port, timeout=settings.timeout)
        try:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username is not None:
                _login(client, settings.username, settings.password or "")
        except BaseException:
            client.close()
            raise
        return client

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _timed_out(exc: BaseException) -> bool:
    """smtplib reports a read timeout as SMTPServerDisconnected with the TimeoutError as
    its context."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


def _login(client: smtplib.SMTP, username: str, password: str) -> None:
    if (username + password).isascii():
        client.login(username, password)  # negotiates CRAM-MD5, PLAIN or LOGIN
        return
    # smtplib encodes credentials as ASCII and would raise UnicodeEncodeError on "æøå";
    # AUTH PLAIN is defined over UTF-8 (RFC 4616), so send that by hand.
    client.ehlo_or_helo_if_needed()
    token = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"


def _failure(exc: Exception, settings: MailSettings, host: str) -> DeliveryError:
    server = f"{host}:{settings.port}"
    # Order matters: every smtplib and ssl exception is also an OSError, and smtplib reports a
    # read timeout as SMTPServerDisconnected with the TimeoutError as its context.
    if _timed_out(exc):
        return DeliveryError(
            N_("The SMTP server %(server)s did not answer within %(seconds)s seconds"),
            server=server,
            seconds=f"{settings.timeout:g}",
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            N_("The SMTP server %(server)s refused the login as %(user)s (%(reply)s)"),
            server=server,
            user=settings.username,
            reply=_reply(exc),
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        address, (code, text) = next(iter(exc.recipients.items()))
        return DeliveryError(
            N_("The SMTP server %(server)s refused the recipient %(address)s (%(reply)s)"),
            server=server,
            address=address,
            reply=f"{code} {_text(text)}",
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DeliveryError(
            N_("The SMTP server %(server)s refused the sender %(address)s (%(reply)s)"),
            server=server,
            address=exc.sender,
            reply=_reply(exc),
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return DeliveryError(
            N_("The SMTP server %(server)s refused the message (%(reply)s)"),
            server=server,
            reply=_reply(exc),
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return DeliveryError(
            N_("The SMTP server %(server)s answered with an error (%(reply)s)"),
            server=server,
            reply=_reply(exc),
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return DeliveryError(
            N_(
                "The SMTP server %(server)s does not support the chosen security or login"
                " (%(problem)s)"
            ),
            server=server,
            problem=str(exc),
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return DeliveryError(
            N_("The SMTP server %(server)s closed the connection (%(problem)s)"),
            server=server,
            problem=str(exc),
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return DeliveryError(
            N_(
                "The TLS certificate of the SMTP server %(server)s could not be verified"
                " (%(problem)s)"
            ),
            server=server,
            problem=str(exc.verify_message),
        )
    if isinstance(exc, ssl.SSLError):
        return DeliveryError(
            N_("The TLS connection to the SMTP server %(server)s failed (%(problem)s)"),
            server=server,
            problem=str(exc.reason or exc),
        )
    if isinstance(exc, socket.gaierror):
        return DeliveryError(
            N_("The SMTP server %(server)s cannot be found (%(problem)s)"),
            server=host,
            problem=str(exc.strerror),
        )
    if isinstance(exc, OSError) and exc.strerror:
        return DeliveryError(
            N_("The SMTP server %(server)s does not answer (%(problem)s)"),
            server=server,
            problem=exc.strerror,
        )
    return DeliveryError(
        N_("The SMTP server %(server)s: %(problem)s"), server=server, problem=str(exc)
    )
