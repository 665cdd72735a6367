"""From calendar data to a flag per candidate day: recurrences expanded by
recurring-ical-events (which also applies Google's X-WR-TIMEZONE), free/busy periods read,
then each day's meeting window compared with the busy time that overlaps it."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import recurring_ical_events
from icalendar import Calendar, Parameters
from icalendar.parser.content_line import Contentline
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from .core import CalendarError, DayBusy, ErrorKind

Interval = tuple[datetime, datetime]  # time-zone aware, start < end

# Outlook's own busy status; "free" is not busy whatever TRANSP says.
NOT_BUSY_STATUS = frozenset({"FREE"})
NOT_BUSY_FBTYPE = frozenset({"FREE"})


# What deciding busy time needs of an event; everything else (title, place, description,
# attendees, alarms) is dropped before parsing: it is never read, and parsing is the cost.
EVENT_PROPERTIES = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "STATUS",
        "TRANSP",
        "X-MICROSOFT-CDO-BUSYSTATUS",
    }
)
CALENDAR_PROPERTIES = frozenset({"CALSCALE", "X-WR-TIMEZONE"})
KEPT_WHOLE = frozenset({"VTIMEZONE", "VFREEBUSY"})
MARGIN = timedelta(days=2)  # an event's own time zone may move it a day either way
# The only lines read at all (of any component; _Slim sorts them out): the rest (titles,
# descriptions, attendees ...) are passed over by the regular expression engine.
RELEVANT = re.compile(
    r"^(BEGIN|END|UID|DTSTART|DTEND|DURATION|RRULE|RDATE|EXDATE|RECURRENCE-ID|STATUS|TRANSP"
    r"|X-MICROSOFT-CDO-BUSYSTATUS|X-WR-TIMEZONE|CALSCALE|TZID|TZOFFSETFROM|TZOFFSETTO"
    r"|FREEBUSY)[;:].*$",
    re.MULTILINE | re.IGNORECASE,
)
UNTIL = re.compile(r"UNTIL=(\d{8})")


@dataclass
class Parsed:
    """A calendar cut down to what busy time needs: the series (and anything unusual) as an
    icalendar Calendar for recurring-ical-events, the plain one-off events read directly."""

    calendar: Calendar
    single: list[tuple[Moment, Moment]]  # (start, end): dates (all-day) or datetimes
    floating_zone: str | None  # X-WR-TIMEZONE, for floating times; else the network's


Moment = date | datetime  # a naive datetime is floating time


def parse(data: bytes | Sequence[bytes], first: date, last: date) -> Parsed:
    """The calendar in these bytes (an ICS file, or CalDAV's one calendar per event), with
    what busy time from `first` to `last` needs: the events that may touch those days (every
    series that may recur in them) with only their time, recurrence and status properties,
    the time zones and free/busy periods. CalendarError(not_calendar) if it is no calendar."""
    parts = [data] if isinstance(data, bytes) else list(data)
    slim = _Slim(first - MARGIN, last + MARGIN)
    for part in parts:
        if not part.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper().startswith(b"BEGIN:VCALENDAR"):
            raise CalendarError(ErrorKind.NOT_CALENDAR, "no BEGIN:VCALENDAR")
        slim.add(part.decode("utf-8", "replace"))
    single: list[tuple[Moment, Moment]] = []
    slim.body.extend(slim.series_lines({uid for uid, _event, _lines in slim.single}))
    for uid, event, lines in slim.single:
        span = None if uid in slim.series_uids else _plain_span(event)
        if span is None:
            slim.body.extend(lines)  # moved instances of it exist, or unusual: the library's
        elif span[1] > span[0]:
            single.append(span)
    # icalendar parses a list of content lines as it is (its parser's own path for them).
    lines = [_Line(line) for line in ["BEGIN:VCALENDAR", *slim.head.values(), *slim.body]]
    lines.append(_Line("END:VCALENDAR"))
    try:
        calendar = Calendar.from_ical(lines)  # type: ignore[call-overload]
    except (ValueError, KeyError, IndexError) as error:
        raise CalendarError(ErrorKind.NOT_CALENDAR, f"unreadable: {error}") from None
    zone = slim.head.get("X-WR-TIMEZONE", "").partition(":")[2].strip()
    return Parsed(calendar, single, zone if _zone(zone) is not None else None)


SIMPLE_PARAMETERS = re.compile(r"(?:;[A-Za-z0-9-]+=[A-Za-z0-9_/+.-]+)*")


class _Line(Contentline):
    """A content line split without icalendar's character-by-character scan when it is
    plain (no quotes, escapes, lists or blanks before the value): that scan was half of
    parsing the kept lines. Anything else is split by icalendar itself."""

    def parts(self) -> tuple[str, Parameters, str]:
        value_at = self.find(":")
        head = self[:value_at]
        name_end = head.find(";")
        if value_at < 1 or "\\" in self or name_end == 0:
            return super().parts()
        if name_end == -1:
            return head, Parameters(), self[value_at + 1 :]
        if SIMPLE_PARAMETERS.fullmatch(head, name_end) is None:
            return super().parts()
        params = Parameters(p.split("=", 1) for p in head[name_end + 1 :].split(";"))
        return head[:name_end], params, self[value_at + 1 :]


SERIES_PROPERTIES = frozenset({"RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"})
DATE_TIME = re.compile(r"(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(Z?)")


@lru_cache(maxsize=64)
def _zone(tzid: str) -> ZoneInfo | None:
    """The zone of a TZID: an IANA name, or a Windows one (Outlook's) mapped as icalendar
    maps it; None for one defined only by the file's VTIMEZONE."""
    try:
        return ZoneInfo(WINDOWS_TO_OLSON.get(tzid, tzid)) if tzid else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _moment(line: str) -> Moment | None:
    """A DTSTART or DTEND line's value; None when it is not plain (a zone defined only in
    the file, an unusual form): then icalendar reads the event."""
    head, _colon, value = line.rpartition(":")
    if len(value) == 8 and value.isdigit():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    match = DATE_TIME.fullmatch(value)
    if match is None:
        return None
    try:
        year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    if match[7]:
        return moment.replace(tzinfo=UTC)
    tzid = _tzid(head)
    if tzid is not None:
        zone = _zone(tzid)
        return None if zone is None else moment.replace(tzinfo=zone)
    return moment


@lru_cache(maxsize=256)
def _tzid(head: str) -> str | None:
    """The TZID parameter of a line's name and parameters (the same for most events)."""
    params = dict(
        (key.upper(), given.strip('"'))
        for key, _eq, given in (p.partition("=") for p in head.split(";")[1:])
    )
    return params.get("TZID")


def _plain_span(event: dict[str, str]) -> tuple[Moment, Moment] | None:
    """A one-off event's (start, end) read directly, or None to leave it to icalendar."""
    if "DURATION" in event or "DTSTART" not in event:
        return None
    start = _moment(event["DTSTART"])
    if start is None:
        return None
    if "DTEND" not in event:  # a day for a date, no time for a date-time (RFC 5545)
        if isinstance(start, datetime):
            return start, start
        return start, start + timedelta(days=1)
    end = _moment(event["DTEND"])
    if end is None or isinstance(start, datetime) != isinstance(end, datetime):
        return None
    if not isinstance(start, datetime) and end <= start:  # a writer's all-day of no length
        return start, start + timedelta(days=1)
    if (
        isinstance(start, datetime)
        and isinstance(end, datetime)
        and (start.tzinfo is None) != (end.tzinfo is None)
    ):
        return None
    return start, end


def _marked(event: dict[str, str], lines: list[str]) -> list[str]:
    """A series' component with no length when it is not busy (cancelled, transparent, free):
    its occurrences are then told apart without copying each one's component (_Spans). A busy
    all-day one given no length by its writer is given its one day."""
    start = event.get("DTSTART")
    if start is None:
        return lines
    if not _is_busy(event):
        kept = [line for line in lines[:-1] if _name(line) not in ("DTEND", "DURATION")]
        return [*kept, "DTEND" + start[len("DTSTART") :], lines[-1]]
    end = event.get("DTEND")
    if end is not None and end[len("DTEND") :] == start[len("DTSTART") :]:
        return [line for line in lines if line != end]
    return lines


class _Spans(recurring_ical_events.CalendarQuery):
    """Occurrences as they are (start, end), not each a copy of its component: the copies
    were most of the time a year of weekly series took."""

    def _occurrences_to_components(self, occurrences):
        return occurrences


NOT_BUSY = (
    ("STATUS", "CANCELLED"),
    ("TRANSP", "TRANSPARENT"),
    *(("X-MICROSOFT-CDO-BUSYSTATUS", status) for status in NOT_BUSY_STATUS),
)


def _is_busy(event: Mapping[str, str]) -> bool:
    """Whether a VEVENT's kept lines (property name -> line) make it busy."""
    for name, not_busy in NOT_BUSY:
        line = event.get(name)
        if line is not None and line.rpartition(":")[2].upper() == not_busy:
            return False
    return True


def _unfold(text: str) -> str:
    """Folded lines joined (RFC 5545 3.1), CRLF or bare LF: str.replace is several times
    faster than a regular expression over megabytes."""
    for fold in ("\r\n ", "\r\n\t", "\n ", "\n\t"):
        if fold in text:
            text = text.replace(fold, "")
    return text


def _name(line: str) -> str:
    end = len(line)
    for mark in (";", ":"):
        at = line.find(mark)
        if at != -1 and at < end:
            end = at
    return line[:end].upper()


def _day(line: str | None) -> date | None:
    """The date a DTSTART/DTEND/RECURRENCE-ID line (or a bare value) gives, in its own
    zone, if plain."""
    if line is None:
        return None
    value = line.rpartition(":")[2]
    try:
        return date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def _may_touch(event: dict[str, str], low: date, high: date) -> bool:
    """False only when the event surely has no time from `low` to `high`; anything unclear
    is kept (recurring_ical_events and busy_time decide)."""
    start = _day(event.get("DTSTART"))
    if start is None:
        return True
    if "RRULE" in event or "RDATE" in event:
        until = UNTIL.search(event.get("RRULE", ""))
        until_day = _day(until[1]) if until is not None else None
        if until_day is not None and until_day < low and "RDATE" not in event:
            return False
        return start <= high
    if "RECURRENCE-ID" in event:
        moved_from = _day(event["RECURRENCE-ID"])
        if moved_from is None or low <= moved_from <= high:
            return True
    if "DURATION" in event:
        return start <= high
    end = _day(event.get("DTEND")) or start
    return start <= high and end >= low


class _Slim:
    """The lines `parse` keeps, from one or more VCALENDAR texts: calendar properties once,
    each VTIMEZONE once (CalDAV repeats them per event), the events that may touch low-high."""

    def __init__(self, low: date, high: date) -> None:
        self.low, self.high = low, high
        self.head: dict[str, str] = {}  # calendar property name -> its line
        self.body: list[str] = []
        self.zones: set[str] = set()
        self.single: list[tuple[str, dict[str, str], list[str]]] = []  # uid, props, lines
        self.series_uids: set[str] = set()
        self.series: dict[str, list[tuple[dict[str, str], list[str]]]] = {}  # uid -> parts

    def series_lines(self, single_uids: set[str]) -> list[str]:
        """The kept series components' lines. A series alone with its UID that is not busy
        (cancelled, transparent, free) is left out: no part of it can be busy, and each
        series costs parsing and expansion."""
        lines: list[str] = []
        for uid, parts in self.series.items():
            if len(parts) == 1 and uid not in single_uids and not _is_busy(parts[0][0]):
                continue
            for event, event_lines in parts:
                lines.extend(_marked(event, event_lines))
        return lines

    def add(self, text: str) -> None:
        stack: list[str] = []
        whole: list[str] | None = None  # a VTIMEZONE or VFREEBUSY being copied
        event: dict[str, str] | None = None  # the kept properties of the VEVENT being read
        event_lines: list[str] = []
        for match in RELEVANT.finditer(_unfold(text)):
            line, name = match[0].rstrip("\r"), match[1].upper()
            if name == "BEGIN":
                component = line[6:].strip().upper()
                stack.append(component)
                if whole is not None:
                    whole.append(line)
                elif len(stack) == 2 and component in KEPT_WHOLE:
                    whole = [line]
                elif len(stack) == 2 and component == "VEVENT":
                    event, event_lines = {}, [line]
                elif len(stack) == 1 and component != "VCALENDAR":
                    raise CalendarError(ErrorKind.NOT_CALENDAR, f"BEGIN:{component} outside")
            elif name == "END":
                component = line[4:].strip().upper()
                if not stack or stack[-1] != component:
                    raise CalendarError(ErrorKind.NOT_CALENDAR, f"END:{component} unmatched")
                stack.pop()
                if whole is not None:
                    whole.append(line)
                    if len(stack) == 1:
                        self._add_whole(component, whole)
                        whole = None
                elif event is not None and len(stack) == 1:
                    event_lines.append(line)
                    self._add_event(event, event_lines)
                    event = None
            elif whole is not None:
                whole.append(line)
            elif event is not None and len(stack) == 2:
                if name in EVENT_PROPERTIES:
                    event_lines.append(line)
                    event.setdefault(name, line)
            elif len(stack) == 1 and name in CALENDAR_PROPERTIES:
                self.head.setdefault(name, line)
        if stack:
            raise CalendarError(ErrorKind.NOT_CALENDAR, "cut short")

    def _add_event(self, event: dict[str, str], lines: list[str]) -> None:
        uid = event.get("UID", "").partition(":")[2]
        if event.keys() & SERIES_PROPERTIES:
            self.series_uids.add(uid)
            if _may_touch(event, self.low, self.high):
                self.series.setdefault(uid, []).append((event, lines))
        elif _may_touch(event, self.low, self.high) and _is_busy(event):
            self.single.append((uid, event, lines))

    def _add_whole(self, component: str, lines: list[str]) -> None:
        if component == "VTIMEZONE":
            tzid = next((w for w in lines if _name(w) == "TZID"), "")
            if tzid in self.zones:
                return
            self.zones.add(tzid)
        self.body.extend(lines)


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


def busy_time(parsed: Parsed, first: date, last: date, tz: tzinfo) -> Busy:
    """What is busy from `first` to `last` (local days in `tz`, inclusive)."""
    busy = Busy()
    within = (first, last)
    floating = _zone(parsed.floating_zone or "") or tz
    for start, end in parsed.single:
        if isinstance(start, datetime) and isinstance(end, datetime):
            busy.add_interval(_aware(start, floating), _aware(end, floating))
        elif not isinstance(start, datetime) and not isinstance(end, datetime):
            busy.add_days(start, end, within)
    calendar = parsed.calendar
    if calendar.walk("VEVENT"):
        _expand(calendar, busy, first, last, tz)
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


def _expand(calendar: Calendar, busy: Busy, first: date, last: date, tz: tzinfo) -> None:
    """The series' occurrences (and any event left to icalendar), by recurring-ical-events,
    which also applies X-WR-TIMEZONE; floating times are the network's. What is not busy
    has no length here (_marked)."""
    within = (first, last)
    try:
        query = recurring_ical_events.of(calendar, skip_bad_series=True, calendar_query=_Spans)
        for occurrence in query.between(first - MARGIN, last + MARGIN):
            start, end = occurrence.start, occurrence.end
            if isinstance(end, timedelta):
                end = start + end
            if end == start:
                continue  # not busy (_marked), or a moment with no length
            if isinstance(start, datetime):
                if isinstance(end, datetime):
                    busy.add_interval(_aware(start, tz), _aware(end, tz))
            else:
                busy.add_days(start, end, within)
    except (ValueError, TypeError, KeyError) as error:
        raise CalendarError(ErrorKind.NOT_CALENDAR, f"unreadable events: {error}") from None


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
