"""Reading the events of a CalDAV account (all its calendars, or the one the URL names) that
overlap a range of days, with the same address rules and limits as an ICS link."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from urllib.parse import urljoin

import caldav
import niquests
from caldav.lib import error as dav_error

from .addresses import check_host, checked_url
from .core import MAX_BYTES, MAX_REDIRECTS, TIMEOUT, CalDavSource, CalendarError, ErrorKind
from .fetch import CHUNK


def _guard(allow_local: bool):
    """A response hook for niquests (caldav's HTTP library): every redirect's target obeys
    the address rules, and no body is read past MAX_BYTES (the hook runs before the body is
    read)."""

    def hook(response: niquests.Response, *args, **kwargs) -> niquests.Response:
        try:
            return _checked(response)
        except CalendarError:
            response.close()  # else its connection is never given back and the next waits
            raise

    def _checked(response: niquests.Response) -> niquests.Response:
        if response.is_redirect:
            target = checked_url(
                urljoin(str(response.url), str(response.headers["location"])),
                allow_local=allow_local,
            )
            check_host(target, allow_local=allow_local)
            return response
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BYTES:
            raise CalendarError(ErrorKind.TOO_LARGE, f"{length} bytes")
        body = bytearray()
        for chunk in response.iter_content(CHUNK):
            body += chunk
            if len(body) > MAX_BYTES:
                raise CalendarError(ErrorKind.TOO_LARGE, f"over {MAX_BYTES} bytes")
        response._content = bytes(body)
        return response

    return hook


QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT"><C:time-range start="{start}" end="{end}"/></C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>"""
CALENDAR_DATA = "{urn:ietf:params:xml:ns:caldav}calendar-data"


def read(
    source: CalDavSource,
    first: date,
    last: date,
    tz: tzinfo,
    *,
    allow_local: bool,
    timeout: float = TIMEOUT,
) -> list[bytes]:
    """Every event of the account (or of the one calendar the URL names) that the server
    says overlaps the days `first` to `last`: one VCALENDAR each, series whole with their
    moved instances; the caller expands them. The account's calendars are found with the
    caldav library; the events are asked for with one calendar-query REPORT per calendar,
    whose answer is read as it comes (the library's own search parses every event again)."""
    url = checked_url(source.url, allow_local=allow_local)
    check_host(url, allow_local=allow_local)
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), tz)
    end = datetime.combine(last + timedelta(days=2), datetime.min.time(), tz)
    query = QUERY.format(
        start=start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
        end=end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"),
    )
    try:
        client = caldav.DAVClient(
            url=url,
            username=source.username,
            password=source.password,
            timeout=timeout,  # type: ignore[arg-type]  # niquests takes floats
            enable_rfc6764=False,
        )
        client.session.trust_env = False
        client.session.max_redirects = MAX_REDIRECTS
        client.session.hooks["response"].append(_guard(allow_local))
        with client:
            calendars = client.principal().calendars()
            named = [c for c in calendars if str(c.url).rstrip("/") == url.rstrip("/")]
            found: list[bytes] = []
            for calendar in named or calendars:
                response = client.report(str(calendar.url), query, depth=1)
                _check(response.status, url)
                if response.tree is not None:
                    found.extend(
                        (data.text or "").encode() for data in response.tree.iter(CALENDAR_DATA)
                    )
    except CalendarError:
        raise
    except dav_error.AuthorizationError:
        raise CalendarError(ErrorKind.WRONG_PASSWORD, url) from None
    except dav_error.NotFoundError:
        raise CalendarError(ErrorKind.NOT_FOUND, url) from None
    except niquests.Timeout:
        raise CalendarError(ErrorKind.TIMEOUT, url) from None
    except niquests.TooManyRedirects:
        raise CalendarError(ErrorKind.UNREACHABLE, "too many redirects") from None
    except niquests.RequestException as error:
        raise CalendarError(ErrorKind.UNREACHABLE, error.__class__.__name__) from None
    except (dav_error.DAVError, ValueError, KeyError, AttributeError, TypeError) as error:
        # The library trips over a server that is no CalDAV server (a web page's answer).
        raise CalendarError(ErrorKind.NOT_CALENDAR, error.__class__.__name__) from None
    return [data for data in found if data.strip()]


def _check(status: int, url: str) -> None:
    if status in (401, 403):
        raise CalendarError(ErrorKind.WRONG_PASSWORD, url)
    if status in (404, 410):
        raise CalendarError(ErrorKind.NOT_FOUND, url)
    if status >= 400:
        raise CalendarError(ErrorKind.NOT_CALENDAR, f"REPORT: HTTP {status}")
