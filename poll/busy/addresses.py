"""Which calendar addresses may be read: https (webcal read as https), and only hosts on the
public internet; http and loopback too in debug and testing."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

from .core import CalendarError, ErrorKind


def checked_url(url: str, *, allow_local: bool) -> str:
    """The URL to read: webcal(s):// becomes https://; anything but https (or http with
    allow_local) is refused. Raises CalendarError(bad_url or not_allowed)."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises here
    except ValueError:
        raise CalendarError(ErrorKind.BAD_URL, "unparsable") from None
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        parts = parts._replace(scheme="https")
        scheme = "https"
    if not parts.hostname or scheme not in ("https", "http") or any(c.isspace() for c in url):
        raise CalendarError(ErrorKind.BAD_URL, f"scheme {scheme!r}")
    if scheme == "http" and not allow_local:
        raise CalendarError(ErrorKind.NOT_ALLOWED, "http")
    return urlunsplit(parts)


def check_host(url: str, *, allow_local: bool) -> None:
    """Refuse a host that resolves to any address outside the public internet (private,
    link-local, reserved ...); loopback only with allow_local (debug and testing: the tests'
    servers). A private range is refused even then: a development machine sits in networks
    worth protecting too."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as error:
        raise CalendarError(ErrorKind.UNREACHABLE, f"{host}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if allow_local and address.is_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise CalendarError(ErrorKind.NOT_ALLOWED, f"{host} is {address}")
