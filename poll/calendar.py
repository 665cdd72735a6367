"""iCalendar (.ics) export for planned meetings: plain data in, bytes out.

Pure module: no Flask, no database. The app supplies stable UIDs, the DTSTAMP and the
SEQUENCE it has stored per meeting (see `event_fingerprint` and `next_sequence`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, NewType
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from icalendar import STATUS, Calendar, Event, Timezone, vCalAddress, vText
from icalendar.prop import vDuration

__all__ = [
    "COPENHAGEN",
    "CalendarEvent",
    "EventFingerprint",
    "build_calendar",
    "clean_text",
    "event_fingerprint",
    "google_calendar_url",
    "next_sequence",
    "outlook_calendar_url",
    "webcal_url",
]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
PRODID = "-//Mødeplan//Mødeplan//DA"

Status = Literal["CONFIRMED", "CANCELLED"]
Method = Literal["PUBLISH", "REQUEST"]

# Written by hand in RRULE form: Outlook only reads TZID, DTSTART, RRULE, TZOFFSETFROM and
# TZOFFSETTO (MS-STANOICAL 2.2.47), so the RDATE blocks that icalendar's
# add_missing_timezones() generates get shifted by an hour there. Denmark has followed the EU
# rule (last Sunday of March / October) since 1996.
_COPENHAGEN_VTIMEZONE = """\
BEGIN:VTIMEZONE
TZID:Europe/Copenhagen
X-LIC-LOCATION:Europe/Copenhagen
BEGIN:DAYLIGHT
TZNAME:CEST
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZNAME:CET
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

# C0 controls (except TAB and LF) and DEL are not allowed in iCalendar TEXT (RFC 5545 §3.3.11).
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    start: datetime
    end: datetime
    location: str
    description: str
    sequence: int
    status: Status = "CONFIRMED"
    url: str | None = None

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            # Naive times become "floating" times, which Outlook rejects for timed events.
            raise ValueError(f"{self.uid}: start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"{self.uid}: end must be after start")
        if self.sequence < 0:
            raise ValueError(f"{self.uid}: sequence must be >= 0")
        if self.status not in ("CONFIRMED", "CANCELLED"):
            raise ValueError(f"{self.uid}: unknown status {self.status!r}")


def clean_text(value: str) -> str:
    """Normalise line breaks to LF and drop control characters that iCalendar TEXT forbids.

    icalendar turns a lone CR into LF anyway (a CR-injection fix in 7.3); doing it here makes
    the exported text predictable for every parser.
    """
    return _CONTROL_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def build_calendar(
    events: Sequence[CalendarEvent],
    *,
    name: str,
    stamp: datetime,
    method: Method = "PUBLISH",
    organizer: tuple[str, str] | None = None,
    attendee: tuple[str, str] | None = None,
    refresh_hours: int | None = None,
) -> bytes:
    """Serialise `events` as one VCALENDAR (CRLF line ends, folded at 75 octets).

    PUBLISH is for downloads and subscription feeds and carries no e-mail addresses at all.
    REQUEST is for a mailed invitation to one member and needs `organizer` and `attendee`,
    each a (display name, e-mail) pair. `refresh_hours` adds the feed refresh hints.
    """
    if method not in ("PUBLISH", "REQUEST"):
        raise ValueError(f"unknown method {method!r}")
    if stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware")
    if method == "PUBLISH" and (organizer or attendee):
        raise ValueError("METHOD:PUBLISH files must not carry organizer or attendee addresses")
    if method == "REQUEST" and not (organizer and attendee):
        raise ValueError("METHOD:REQUEST needs both organizer and attendee")
    if refresh_hours is not None and refresh_hours < 1:
        raise ValueError("refresh_hours must be at least 1")

    # Calendar() rather than Calendar.new(): the latter adds a random calendar UID on every
    # call, which would make identical exports differ byte for byte (and break ETags).
    cal = Calendar()
    cal.prodid = PRODID
    cal.version = "2.0"
    cal.calscale = "GREGORIAN"
    cal.method = method
    # Not cal.calendar_name: icalendar 7.3 writes NAME/X-WR-CALNAME without TEXT escaping, so
    # a comma or newline in the name would corrupt the file. vText escapes.
    cal.add("NAME", vText(clean_text(name)))
    cal.add("X-WR-CALNAME", vText(clean_text(name)))
    cal.add("X-WR-TIMEZONE", COPENHAGEN.key)
    if refresh_hours is not None:
        interval = timedelta(hours=refresh_hours)
        # RFC 7986 requires VALUE=DURATION; a bare timedelta for X-PUBLISHED-TTL would be
        # serialised as "6:00:00" instead of "PT6H".
        cal.add("REFRESH-INTERVAL", interval, parameters={"VALUE": "DURATION"})
        cal.add("X-PUBLISHED-TTL", vDuration(interval))
    cal.add_component(Timezone.from_ical(_COPENHAGEN_VTIMEZONE))

    stamp_utc = stamp.astimezone(UTC)
    for event in events:
        cal.add_component(_vevent(event, stamp_utc, organizer, attendee))
    return cal.to_ical()


def _vevent(
    event: CalendarEvent,
    stamp: datetime,
    organizer: tuple[str, str] | None,
    attendee: tuple[str, str] | None,
) -> Event:
    vevent = Event.new(
        uid=event.uid,
        stamp=stamp,
        start=event.start.astimezone(COPENHAGEN),
        end=event.end.astimezone(COPENHAGEN),
        summary=clean_text(event.summary),
        location=clean_text(event.location),
        description=clean_text(event.description),
        sequence=event.sequence,
        status=STATUS(event.status),
        url=event.url,
    )
    if organizer:
        vevent.add("ORGANIZER", vCalAddress.new(organizer[1], cn=organizer[0]))
    if attendee:
        vevent.add(
            "ATTENDEE",
            vCalAddress.new(
                attendee[1],
                cn=attendee[0],
                cutype="INDIVIDUAL",
                role="REQ-PARTICIPANT",
                partstat="NEEDS-ACTION",
                rsvp=True,
            ),
        )
    return vevent


EventFingerprint = NewType("EventFingerprint", str)
"""Opaque 64-character hex digest of what makes a meeting change "significant"."""


def event_fingerprint(
    *, start: datetime, end: datetime, location: str, status: Status = "CONFIRMED"
) -> EventFingerprint:
    """Fingerprint of date, start/end wall-clock time, location and status.

    Store it next to the sequence per meeting UID and pass both to `next_sequence` on the
    next export. Summary and description are deliberately left out: RFC 5545 §3.8.7.4 asks
    for a new SEQUENCE only on significant changes.
    """
    payload = [
        start.astimezone(COPENHAGEN).strftime("%Y-%m-%dT%H:%M"),
        end.astimezone(COPENHAGEN).strftime("%Y-%m-%dT%H:%M"),
        clean_text(location),
        status,
    ]
    return EventFingerprint(hashlib.sha256(json.dumps(payload).encode()).hexdigest())


def next_sequence(
    previous: EventFingerprint | None, previous_sequence: int, current: EventFingerprint
) -> int:
    """SEQUENCE for the next export: unchanged if the fingerprint is the same, else one higher.

    `previous` is None (or "", an empty stored column) for a meeting that was never exported;
    it then keeps `previous_sequence` (0 for a new meeting), so the sequence never goes down.
    """
    if previous_sequence < 0:
        raise ValueError("previous_sequence must be >= 0")
    if not previous or previous == current:
        return previous_sequence
    return previous_sequence + 1


def _utc_basic(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(event: CalendarEvent) -> str:
    """Google Calendar's (undocumented but long-stable) "add event" template link."""
    params = {
        "action": "TEMPLATE",
        "text": event.summary,
        "dates": f"{_utc_basic(event.start)}/{_utc_basic(event.end)}",
        "details": event.description,
        "location": event.location,
        "ctz": COPENHAGEN.key,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)


def outlook_calendar_url(
    event: CalendarEvent,
    *,
    host: Literal["outlook.office.com", "outlook.live.com"] = "outlook.office.com",
) -> str:
    """Outlook on the web "compose event" deep link.

    outlook.office.com is Microsoft 365 (work accounts, what municipalities use);
    outlook.live.com is Outlook.com (personal accounts).
    """
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "startdt": event.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "enddt": event.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "subject": event.summary,
        "body": event.description,
        "location": event.location,
    }
    return f"https://{host}/calendar/deeplink/compose?" + urlencode(params, quote_via=quote)


def webcal_url(https_url: str) -> str:
    """The webcal:// form of a feed URL, which makes Apple Calendar and Outlook subscribe."""
    parts = urlsplit(https_url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {https_url!r}")
    return urlunsplit(parts._replace(scheme="webcal"))
