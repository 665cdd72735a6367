"""Busy days from a member's own calendar (an ICS link or a CalDAV account).

Only the derived busy/partly/free flag per candidate day leaves this package: titles,
descriptions and attendees are read and dropped here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from . import caldav_source, ics
from .core import CalDavSource, CalendarError, DayBusy, ErrorKind, IcsSource, Source
from .fetch import TIMEOUT, fetch
from .messages import error_message

if TYPE_CHECKING:
    from ..models import Poll

__all__ = [
    "CalDavSource",
    "CalendarError",
    "DayBusy",
    "ErrorKind",
    "IcsSource",
    "Source",
    "error_message",
    "propose_for_network",
    "read_busy",
]


def read_busy(
    source: Source,
    days: Sequence[date],
    start: time,
    end: time,
    tz: str,
    *,
    allow_local: bool,
    timeout: float = TIMEOUT,
) -> dict[date, DayBusy]:
    """Each of these days' flag from the member's calendar, the meeting window being
    start-end local time in `tz` (also the time zone of floating times). Raises
    CalendarError."""
    if not days:
        return {}
    zone = ZoneInfo(tz)
    first, last = min(days), max(days)
    if isinstance(source, IcsSource):
        calendar = ics.parse(fetch(source.url, allow_local=allow_local, timeout=timeout))
    else:
        calendar = caldav_source.read(
            source, first, last, zone, allow_local=allow_local, timeout=timeout
        )
    return ics.classify(ics.busy_time(calendar, first, last, zone), days, start, end, zone)


def propose_for_network(source: Source, poll: Poll) -> dict[date, DayBusy]:
    """read_busy for the poll's candidate days and its network's meeting hours; local
    addresses are allowed in debug and testing only."""
    from flask import current_app

    network = poll.network
    return read_busy(
        source,
        [d.day for d in poll.days],
        network.meeting_start,
        network.meeting_end,
        network.timezone or "Europe/Copenhagen",
        allow_local=current_app.debug or current_app.testing,
    )
