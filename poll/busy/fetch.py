"""Fetching an ICS link within bounds: https only (http only when local addresses are
allowed, in debug and testing), no hop of a redirect to a private, loopback or link-local
address, a time limit for the whole fetch and a size limit read as the bytes arrive."""

from __future__ import annotations

import ssl
import time
from functools import lru_cache
from urllib.parse import urljoin

import httpx

from .addresses import check_host, checked_url
from .core import MAX_BYTES, MAX_REDIRECTS, TIMEOUT, CalendarError, ErrorKind

CHUNK = 64 * 1024
USER_AGENT = "Modeplan calendar reader"


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every fetch: loading the CA bundle anew cost more than the
    fetch of a 2 MB file from a near server."""
    return httpx.create_ssl_context(trust_env=False)


def fetch(url: str, *, allow_local: bool, timeout: float = TIMEOUT) -> bytes:
    """The body at this ICS link, following at most MAX_REDIRECTS redirects by hand so that
    every hop's address is checked. Raises CalendarError."""
    url = checked_url(url, allow_local=allow_local)
    deadline = time.monotonic() + timeout
    try:
        with httpx.Client(
            follow_redirects=False,
            timeout=timeout,
            verify=_tls(),
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
