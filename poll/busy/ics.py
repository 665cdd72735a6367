"""From calendar data to a flag per candidate day: recurrences expanded by
recurring-ical-events (which also applies Google's X-WR-TIMEZONE), free/busy periods read,
then each day's meeting window compared with the busy time that overlaps it."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta, tzinfo

import recurring_ical_events
from icalendar import Calendar, Component

from .core import CalendarError, DayBusy, ErrorKind

Interval = tuple[datetime, datetime]  # time-zone aware, start < end

# Outlook's own busy status; "free" is not busy whatever TRANSP says.
NOT_BUSY_STATUS = frozenset({"FREE"})
NOT_BUSY_FBTYPE = frozenset({"FREE"})


def parse(data: bytes) -> Calendar:
    """The calendar in these bytes, or CalendarError(not_calendar)."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    if not start.startswith(b"BEGIN:VCALENDAR"):
        raise CalendarError(ErrorKind.NOT_CALENDAR, "no BEGIN:VCALENDAR")
    try:
        return Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError) as error:
        raise CalendarError(ErrorKind.NOT_CALENDAR, f"unreadable: {error}") from None


def merged(calendars: Iterable[Calendar]) -> Calendar:
    """One calendar holding the components of all (CalDAV gives one calendar per event)."""
    whole = Calendar()
    for calendar in calendars:
        for component in calendar.subcomponents:
            whole.add_component(component)
    return whole


class Busy:
    """The busy time of a calendar between two days: timed intervals and all-day dates."""

    def __init__(self) -> None:
        self.intervals: list[Interval] = []
        self.all_day: set[date] = set()

    def add_interval(self, start: datetime, end: datetime) -> None:
        if end > start:
            self.intervals.append((start, end))

    def add_days(self, first: date, end: date, within: tuple[date, date]) -> None:
        """The days first .. end-1 (an all-day event's DTEND is exclusive), clipped."""
        day = max(first, within[0])
        while day < end and day <= within[1]:
            self.all_day.add(day)
            day += timedelta(days=1)


def _aware(value: datetime, tz: tzinfo) -> datetime:
    return value.replace(tzinfo=tz) if value.tzinfo is None else value  # floating: the network's


def _is_busy_event(event: Component) -> bool:
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return False
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return False
    status = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
    return status not in NOT_BUSY_STATUS


def busy_time(calendar: Calendar, first: date, last: date, tz: tzinfo) -> Busy:
    """What is busy from `first` to `last` (local days in `tz`, inclusive)."""
    busy = Busy()
    within = (first, last)
    # A day's margin either side: an event's own time zone may put it on the next or last day.
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        occurrences = query.between(first - timedelta(days=1), last + timedelta(days=2))
        for event in occurrences:
            if not _is_busy_event(event):
                continue
            start, end = event.start, event.end
            if isinstance(start, datetime):
                busy.add_interval(
                    _aware(start, tz),
                    _aware(end, tz) if isinstance(end, datetime) else _aware(start, tz),
                )
            else:
                busy.add_days(start, end if end > start else start + timedelta(days=1), within)
    except (ValueError, TypeError, KeyError) as error:
        raise CalendarError(ErrorKind.NOT_CALENDAR, f"unreadable events: {error}") from None
    for component in calendar.walk("VFREEBUSY"):
        periods = component.get("FREEBUSY", [])
        for period in periods if isinstance(periods, list) else [periods]:
            if str(period.params.get("FBTYPE", "BUSY")).upper() in NOT_BUSY_FBTYPE:
                continue
            start, end_or_length = period.dt
            if not isinstance(start, datetime):
                continue
            end = start + end_or_length if isinstance(end_or_length, timedelta) else end_or_length
            busy.add_interval(_aware(start, tz), _aware(end, tz))
    return busy


def classify(
    busy: Busy, days: Sequence[date], start: time, end: time, tz: tzinfo
) -> dict[date, DayBusy]:
    """Each day's flag: BUSY when busy time covers the meeting window (start-end, local wall
    time, whatever the UTC offset that day) or an all-day event falls on it, PARTLY when it
    covers some of it, else FREE."""
    intervals = sorted(busy.intervals)
    starts = [s for s, _e in intervals]
    # No event is longer than the longest one: look back that far from a window's end.
    longest = max((e - s for s, e in intervals), default=timedelta(0))
    flags: dict[date, DayBusy] = {}
    for day in days:
        if day in busy.all_day:
            flags[day] = DayBusy.BUSY
            continue
        window_start = datetime.combine(day, start, tz)
        window_end = datetime.combine(day, end, tz)
        first = bisect_left(starts, window_start - longest)
        last = bisect_left(starts, window_end)
        pieces = sorted(
            (max(s, window_start), min(e, window_end))
            for s, e in intervals[first:last]
            if e > window_start
        )
        covered = timedelta(0)
        reach = window_start
        for s, e in pieces:
            if e > reach:
                covered += e - max(s, reach)
                reach = e
        if covered <= timedelta(0):
            flags[day] = DayBusy.FREE
        elif covered >= window_end - window_start:
            flags[day] = DayBusy.BUSY
        else:
            flags[day] = DayBusy.PARTLY
    return flags
