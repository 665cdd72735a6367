"""ICS links served by a real HTTP server on 127.0.0.1: Outlook's free/busy-only files, a
Google file, and every way a link can fail."""

from __future__ import annotations

import time as clock
from datetime import date, time

import pytest

from poll.busy import CalendarError, DayBusy, ErrorKind, IcsSource, error_message, read_busy
from poll.busy.addresses import checked_url
from tests.busy.calendars import vcalendar, vevent, weekdays

CPH = "Europe/Copenhagen"
B, P, F = DayBusy.BUSY, DayBusy.PARTLY, DayBusy.FREE
DAYS = weekdays(date(2027, 3, 1), date(2027, 4, 9))

# Outlook on the web, "can view when I'm busy": no titles but "Busy", Windows zone names.
ROMANCE = """BEGIN:VTIMEZONE
TZID:Romance Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""


def outlook_event(uid: str, start: str, end: str, status: str, *more: str) -> str:
    transp = "TRANSPARENT" if status == "FREE" else "OPAQUE"
    return vevent(
        uid,
        "CLASS:PUBLIC",
        f"SUMMARY:{status.capitalize()}",
        f"DTSTART;TZID=Romance Standard Time:{start}",
        f"DTEND;TZID=Romance Standard Time:{end}",
        f"TRANSP:{transp}",
        f"X-MICROSOFT-CDO-BUSYSTATUS:{status}",
        *more,
    )


OUTLOOK = vcalendar(
    ROMANCE,
    outlook_event("o1", "20270302T100000", "20270302T150000", "BUSY"),
    outlook_event("o2", "20270303T130000", "20270303T140000", "TENTATIVE"),
    outlook_event("o3", "20270304T100000", "20270304T150000", "FREE"),
    # Marked free in Outlook though written as opaque: still free.
    vevent(
        "o4",
        "SUMMARY:Free",
        "DTSTART;TZID=Romance Standard Time:20270305T090000",
        "DTEND;TZID=Romance Standard Time:20270305T160000",
        "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
    ),
    outlook_event("o5", "20270329T090000", "20270329T103000", "BUSY", "RRULE:FREQ=WEEKLY;COUNT=2"),
    vevent(
        "o6",
        "SUMMARY:Away",
        "DTSTART;VALUE=DATE:20270330",
        "DTEND;VALUE=DATE:20270331",
        "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
        "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
    ),
    extra="METHOD:PUBLISH\nX-WR-CALNAME:Kalender\n",
)
OUTLOOK_EXPECTED = {
    date(2027, 3, 2): B,
    date(2027, 3, 3): P,
    date(2027, 3, 29): P,  # 09-10:30 local, after the DST change
    date(2027, 3, 30): B,  # out of office, all day
    date(2027, 4, 5): P,
}

FREEBUSY = vcalendar(
    """BEGIN:VFREEBUSY
UID:fb
DTSTAMP:20261201T120000Z
DTSTART:20270301T000000Z
DTEND:20270501T000000Z
FREEBUSY;FBTYPE=BUSY:20270301T090000Z/20270301T140000Z
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270302T110000Z/PT1H
FREEBUSY;FBTYPE=FREE:20270303T090000Z/20270303T140000Z
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20270329T080000Z/20270329T100000Z,20270329T100000Z/20270329T130000Z
FREEBUSY:20270330T090000Z/20270330T120000Z
END:VFREEBUSY"""
)
FREEBUSY_EXPECTED = {
    date(2027, 3, 1): B,  # 10-15 in winter time
    date(2027, 3, 2): P,
    date(2027, 3, 29): B,  # 10-12 and 12-15 in summer time, back to back
    date(2027, 3, 30): P,  # 11-14
}

# Google's export: X-WR-TIMEZONE, recurring events written in UTC (their wall time is kept
# in the calendar's zone across the DST change), floating times, an instance cancelled.
GOOGLE = vcalendar(
    vevent(
        "g1@google.com",
        "SUMMARY:Ugemøde",
        "DTSTART:20270322T090000Z",
        "DTEND:20270322T140000Z",
        "RRULE:FREQ=WEEKLY;COUNT=3",
    ),
    vevent(
        "g1@google.com",
        "SUMMARY:Ugemøde",
        "RECURRENCE-ID:20270405T080000Z",
        "DTSTART:20270405T080000Z",
        "DTEND:20270405T130000Z",
        "STATUS:CANCELLED",
    ),
    vevent("g2@google.com", "DTSTART:20270323T100000", "DTEND:20270323T150000"),
    vevent("g3@google.com", "DTSTART;VALUE=DATE:20270324", "DTEND;VALUE=DATE:20270325"),
    vevent("g4@google.com", "DTSTART:20270325T130000Z", "DTEND:20270325T150000Z"),
    extra="CALSCALE:GREGORIAN\nMETHOD:PUBLISH\nX-WR-CALNAME:Arbejde\nX-WR-TIMEZONE:Europe/Copenhagen\n",
)
GOOGLE_EXPECTED = {
    date(2027, 3, 22): B,
    date(2027, 3, 23): B,  # floating 10-15
    date(2027, 3, 24): B,
    date(2027, 3, 25): P,  # 14-16 local
    date(2027, 3, 29): B,  # 10-15 local, not 11-16
}


def expected(busy: dict[date, DayBusy]) -> dict[date, DayBusy]:
    return {d: busy.get(d, F) for d in DAYS}


def read(url: str, **kwargs) -> dict[date, DayBusy]:
    return read_busy(IcsSource(url), DAYS, time(10), time(15), CPH, allow_local=True, **kwargs)


@pytest.mark.parametrize(
    ("body", "busy"),
    [(OUTLOOK, OUTLOOK_EXPECTED), (FREEBUSY, FREEBUSY_EXPECTED), (GOOGLE, GOOGLE_EXPECTED)],
    ids=["outlook", "freebusy", "google"],
)
def test_each_kind_of_file(web, body, busy):
    assert read(web.file("/kalender.ics", body.encode())) == expected(busy)


def test_floating_times_are_in_the_network_time_zone(web):
    url = web.file(
        "/flydende.ics",
        vcalendar(vevent("f", "DTSTART:20270301T100000", "DTEND:20270301T150000")).encode(),
    )
    here = read_busy(IcsSource(url), [date(2027, 3, 1)], time(10), time(15), CPH, allow_local=True)
    there = read_busy(
        IcsSource(url), [date(2027, 3, 1)], time(10), time(15), "America/New_York", allow_local=True
    )
    assert here == there == {date(2027, 3, 1): B}


def test_a_series_before_the_poll_and_none_at_all(web):
    old = vcalendar(
        vevent(
            "old", "DTSTART:20200101T090000Z", "DTEND:20200101T140000Z", "RRULE:FREQ=DAILY;COUNT=3"
        )
    )
    assert read(web.file("/old.ics", old.encode())) == expected({})
    assert read(web.file("/tom.ics", vcalendar().encode())) == expected({})


def test_series_that_are_not_busy_and_instances_that_are_not(web):
    body = vcalendar(
        # Busy weekly 10-15, one instance made transparent, one moved and cancelled.
        vevent(
            "w",
            f"DTSTART;TZID={CPH}:20270301T100000",
            f"DTEND;TZID={CPH}:20270301T150000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
        ),
        vevent(
            "w",
            f"RECURRENCE-ID;TZID={CPH}:20270308T100000",
            "TRANSP:TRANSPARENT",
            f"DTSTART;TZID={CPH}:20270308T100000",
            f"DTEND;TZID={CPH}:20270308T150000",
        ),
        vevent(
            "w",
            f"RECURRENCE-ID;TZID={CPH}:20270315T100000",
            "STATUS:CANCELLED",
            f"DTSTART;TZID={CPH}:20270316T100000",
            f"DTEND;TZID={CPH}:20270316T150000",
        ),
        # Transparent and cancelled series, all-day and timed: never busy, but one instance
        # of the cancelled one is given back as busy (an override with its own status).
        vevent(
            "t", "DTSTART;VALUE=DATE:20270302", "RRULE:FREQ=DAILY;COUNT=20", "TRANSP:TRANSPARENT"
        ),
        vevent(
            "c",
            f"DTSTART;TZID={CPH}:20270303T090000",
            f"DTEND;TZID={CPH}:20270303T160000",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "STATUS:CANCELLED",
        ),
        vevent(
            "c",
            f"RECURRENCE-ID;TZID={CPH}:20270310T090000",
            "STATUS:CONFIRMED",
            f"DTSTART;TZID={CPH}:20270310T090000",
            f"DTEND;TZID={CPH}:20270310T160000",
        ),
        # An Outlook-style all-day written with no length: its one day.
        vevent(
            "z",
            "DTSTART;VALUE=DATE:20270324",
            "DTEND;VALUE=DATE:20270324",
            "RRULE:FREQ=DAILY;COUNT=1",
        ),
        vevent("z1", "DTSTART;VALUE=DATE:20270323", "DTEND;VALUE=DATE:20270323"),
        zones=(CPH,),
    )
    assert read(web.file("/serier.ics", body.encode())) == expected(
        {
            date(2027, 3, 1): B,
            date(2027, 3, 10): B,
            date(2027, 3, 22): B,
            date(2027, 3, 23): B,
            date(2027, 3, 24): B,
        }
    )


def test_durations_and_a_zone_only_the_file_defines(web):
    custom = """BEGIN:VTIMEZONE
TZID:Kontoret
BEGIN:STANDARD
DTSTART:19700101T000000
TZOFFSETFROM:+0500
TZOFFSETTO:+0500
END:STANDARD
END:VTIMEZONE"""
    body = vcalendar(
        custom,
        # 15-20 at +05:00 is 10-15 UTC, 11-16 here: partly.
        vevent("k", "DTSTART;TZID=Kontoret:20270301T150000", "DTEND;TZID=Kontoret:20270301T200000"),
        vevent("d", f"DTSTART;TZID={CPH}:20270302T100000", "DURATION:PT5H"),
        vevent("d2", "DTSTART;VALUE=DATE:20270303", "DURATION:P2D"),
        # A moment, no length: not busy.
        vevent("m", f"DTSTART;TZID={CPH}:20270308T120000"),
        zones=(CPH,),
    )
    assert read(web.file("/varighed.ics", body.encode())) == expected(
        {date(2027, 3, 1): P, date(2027, 3, 2): B, date(2027, 3, 3): B, date(2027, 3, 4): B}
    )


def failure(url: str, **kwargs) -> CalendarError:
    with pytest.raises(CalendarError) as caught:
        read(url, **kwargs)
    return caught.value


def test_not_found(web):
    error = failure(web.url("/findes-ikke.ics"))
    assert error.kind == ErrorKind.NOT_FOUND
    assert "not found" in error_message(error)


def test_a_web_page_is_not_a_calendar(web):
    page = b"<!doctype html><html><body>Log ind</body></html>"
    assert failure(web.file("/side", page, "text/html")).kind == ErrorKind.NOT_CALENDAR
    # Also when the server calls it plain text.
    assert failure(web.file("/side.ics", page, "text/plain")).kind == ErrorKind.NOT_CALENDAR


def test_a_broken_calendar(web):
    """A file cut short is refused; a file with one bad event is read without it."""
    cut = GOOGLE.encode()[:300]
    assert failure(web.file("/afbrudt.ics", cut)).kind == ErrorKind.NOT_CALENDAR
    one_bad = vcalendar(
        vevent("bad", "DTSTART:2027-03-01", "RRULE:FREQ=SOMETIMES"),
        vevent("good", "DTSTART:20270302T090000Z", "DTEND:20270302T140000Z"),
    )
    assert read(web.file("/en-fejl.ics", one_bad.encode())) == expected({date(2027, 3, 2): B})


def test_too_large_with_and_without_a_length(web):
    big = OUTLOOK.encode() + b" " * (6 * 1024 * 1024)
    error = failure(web.file("/stor.ics", big))
    assert error.kind == ErrorKind.TOO_LARGE
    assert "5 MB" in error_message(error)

    def no_length(request) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        request.end_headers()
        for _ in range(6 * 16):
            request.wfile.write(b"X" * 65536)

    web.routes["/uden-laengde.ics"] = no_length
    assert failure(web.url("/uden-laengde.ics")).kind == ErrorKind.TOO_LARGE


def test_a_slow_server(web):
    def slow(request) -> None:
        clock.sleep(3)
        request.send_response(200)
        request.end_headers()

    def trickle(request) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/calendar")
        request.end_headers()
        request.wfile.write(b"BEGIN:VCALENDAR\r\n")
        for _ in range(30):  # each line in time, the whole too late
            request.wfile.write(b"X-A:b\r\n")
            request.wfile.flush()
            clock.sleep(0.1)

    web.routes["/langsom.ics"] = slow
    web.routes["/dryp.ics"] = trickle
    error = failure(web.url("/langsom.ics"), timeout=0.5)
    assert error.kind == ErrorKind.TIMEOUT
    assert "10 seconds" in error_message(error)
    assert failure(web.url("/dryp.ics"), timeout=1).kind == ErrorKind.TIMEOUT


def redirect(to: str):
    def handler(request) -> None:
        request.send_response(302)
        request.send_header("Location", to)
        request.end_headers()

    return handler


def test_redirects_are_followed_and_checked(web):
    web.file("/ny.ics", GOOGLE.encode())
    web.routes["/gammel.ics"] = redirect("/ny.ics")
    assert read(web.url("/gammel.ics")) == expected(GOOGLE_EXPECTED)

    for path, target in [
        ("/til-privat", "http://10.1.2.3/kalender.ics"),
        ("/til-link-local", "http://169.254.169.254/latest/meta-data/"),
        ("/til-192", "https://192.168.1.10/kalender.ics"),
        ("/til-ftp", "ftp://example.org/kalender.ics"),
    ]:
        web.routes[path] = redirect(target)
        error = failure(web.url(path))
        assert error.kind in (ErrorKind.NOT_ALLOWED, ErrorKind.BAD_URL), path

    web.routes["/rundt"] = redirect("/rundt")
    assert failure(web.url("/rundt")).kind == ErrorKind.UNREACHABLE


def test_local_addresses_only_in_debug_and_testing(web):
    url = web.file("/kalender.ics", GOOGLE.encode())
    for address in (url, url.replace("http://", "https://"), "https://localhost/a.ics"):
        with pytest.raises(CalendarError) as caught:
            read_busy(IcsSource(address), DAYS, time(10), time(15), CPH, allow_local=False)
        assert caught.value.kind == ErrorKind.NOT_ALLOWED, address


def test_addresses():
    assert (
        checked_url(" webcal://example.org/a.ics ", allow_local=False)
        == "https://example.org/a.ics"
    )
    assert (
        checked_url("webcals://example.org/a.ics", allow_local=False) == "https://example.org/a.ics"
    )
    for bad in (
        "",
        "example.org/a.ics",
        "ftp://example.org/a",
        "https://",
        "https://exa mple.org/",
        "https://example.org:99999/",
    ):
        with pytest.raises(CalendarError) as caught:
            checked_url(bad, allow_local=False)
        assert caught.value.kind == ErrorKind.BAD_URL, bad
    with pytest.raises(CalendarError) as caught:
        checked_url("http://example.org/a.ics", allow_local=False)
    assert caught.value.kind == ErrorKind.NOT_ALLOWED


def test_no_server_there():
    from tests.busy.servers import free_port

    assert failure(f"http://127.0.0.1:{free_port()}/a.ics").kind == ErrorKind.UNREACHABLE
    assert failure("https://ingen-saadan-vaert.invalid/a.ics").kind == ErrorKind.UNREACHABLE
