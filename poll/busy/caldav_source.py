"""Reading the events of a CalDAV account (all its calendars, or the one the URL names) that
overlap a range of days, with the same address rules and limits as an ICS link."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import urljoin

import caldav
import requests
from caldav.lib import error as dav_error
from icalendar import Calendar

from . import ics
from .core import CalDavSource, CalendarError, ErrorKind
from .fetch import CHUNK, MAX_BYTES, MAX_REDIRECTS, TIMEOUT, check_host, checked_url


def _guard(allow_local: bool):
    """A requests response hook: every redirect's target obeys the address rules, and no
    response body is read past MAX_BYTES (the hook runs before requests reads the body)."""

    def hook(response: requests.Response, *args, **kwargs) -> requests.Response:
        if response.is_redirect:
            target = checked_url(
                urljoin(response.url, response.headers["location"]), allow_local=allow_local
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


def read(
    source: CalDavSource,
    first: date,
    last: date,
    tz: tzinfo,
    *,
    allow_local: bool,
    timeout: float = TIMEOUT,
) -> Calendar:
    """One calendar holding every event (series whole) of the account that overlaps the days
    `first` to `last`; the caller expands the recurrences."""
    url = checked_url(source.url, allow_local=allow_local)
    check_host(url, allow_local=allow_local)
    start = datetime.combine(first - timedelta(days=1), datetime.min.time(), tz)
    end = datetime.combine(last + timedelta(days=2), datetime.min.time(), tz)
    try:
        client = caldav.DAVClient(
            url=url,
            username=source.username,
            password=source.password,
            timeout=timeout,  # type: ignore[arg-type]  # passed on to requests, which takes floats
            enable_rfc6764=False,
        )
        client.session.trust_env = False
        client.session.max_redirects = MAX_REDIRECTS
        client.session.hooks["response"].append(_guard(allow_local))
        with client:
            calendars = client.principal().calendars()
            named = [c for c in calendars if str(c.url).rstrip("/") == url.rstrip("/")]
            found: list[Calendar] = []
            for calendar in named or calendars:
                for item in calendar.search(start=start, end=end, event=True, expand=False):
                    found.append(ics.parse(item.data.encode()))
    except CalendarError:
        raise
    except dav_error.AuthorizationError:
        raise CalendarError(ErrorKind.WRONG_PASSWORD, url) from None
    except dav_error.NotFoundError:
        raise CalendarError(ErrorKind.NOT_FOUND, url) from None
    except requests.Timeout:
        raise CalendarError(ErrorKind.TIMEOUT, url) from None
    except requests.TooManyRedirects:
        raise CalendarError(ErrorKind.UNREACHABLE, "too many redirects") from None
    except requests.RequestException as error:
        raise CalendarError(ErrorKind.UNREACHABLE, error.__class__.__name__) from None
    except (dav_error.DAVError, ValueError, KeyError, AttributeError) as error:
        raise CalendarError(ErrorKind.NOT_CALENDAR, error.__class__.__name__) from None
    return ics.merged(found)
