"""Fetching an ICS link within bounds: https only (http only when local addresses are
allowed, in debug and testing), no hop of a redirect to a private, loopback or link-local
address, a time limit for the whole fetch and a size limit read as the bytes arrive."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from .core import CalendarError, ErrorKind

TIMEOUT = 10.0  # seconds, for the whole fetch (every hop)
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
USER_AGENT = "Modeplan calendar reader"


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
    """Refuse a host that resolves to any address outside the public internet (loopback,
    private, link-local, reserved ...), unless allow_local."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as error:
        raise CalendarError(ErrorKind.UNREACHABLE, f"{host}: {error}") from None
    if allow_local:
        return
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            raise CalendarError(ErrorKind.NOT_ALLOWED, f"{host} is {address}")


def fetch(url: str, *, allow_local: bool, timeout: float = TIMEOUT) -> bytes:
    """The body at this ICS link, following at most MAX_REDIRECTS redirects by hand so that
    every hop's address is checked. Raises CalendarError."""
    url = checked_url(url, allow_local=allow_local)
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(
            follow_redirects=False,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"},
            trust_env=False,
        ) as client:
            for _hop in range(MAX_REDIRECTS + 1):
                check_host(url, allow_local=allow_local)
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = checked_url(
                            urljoin(url, response.headers["location"]), allow_local=allow_local
                        )
                        continue
                    return _body(response, deadline)
    except httpx.TimeoutException:
        raise CalendarError(ErrorKind.TIMEOUT, url) from None
    except httpx.HTTPError as error:
        raise CalendarError(ErrorKind.UNREACHABLE, f"{error.__class__.__name__}") from None
    raise CalendarError(ErrorKind.UNREACHABLE, "too many redirects")


def _body(response: httpx.Response, deadline: float) -> bytes:
    status = response.status_code
    if status in (401, 403, 404, 410):
        raise CalendarError(ErrorKind.NOT_FOUND, f"HTTP {status}")
    if status >= 400 or status < 200:
        raise CalendarError(ErrorKind.UNREACHABLE, f"HTTP {status}")
    if "html" in response.headers.get("content-type", "").lower():
        raise CalendarError(ErrorKind.NOT_CALENDAR, "HTML")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES:
        raise CalendarError(ErrorKind.TOO_LARGE, f"{length} bytes")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(CHUNK):
        size += len(chunk)
        if size > MAX_BYTES:
            raise CalendarError(ErrorKind.TOO_LARGE, f"over {MAX_BYTES} bytes")
        if time.monotonic() > deadline:
            raise CalendarError(ErrorKind.TIMEOUT, "body too slow")
        chunks.append(chunk)
    return b"".join(chunks)
