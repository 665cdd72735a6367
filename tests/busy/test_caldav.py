"""A member's CalDAV account on a real Radicale: every kind of event gives its days the
right flag (meeting hours 10-15 Europe/Copenhagen, a DST change on 2027-03-28)."""

from __future__ import annotations

from datetime import date, time

import pytest

from poll.busy import CalDavSource, CalendarError, DayBusy, ErrorKind, read_busy
from tests.busy.calendars import vcalendar, vevent, weekdays
from tests.busy.servers import PASSWORD, USER

CPH = "Europe/Copenhagen"
B, P, F = DayBusy.BUSY, DayBusy.PARTLY, DayBusy.FREE

WORK = [
    # Weekly on Tuesdays 09-11 (partly), one skipped (EXDATE), one moved to Wednesday 10-15
    # (an overridden instance), one extra date on a Thursday (RDATE).
    vcalendar(
        vevent(
            "team",
            "SUMMARY:Teammøde",
            f"DTSTART;TZID={CPH}:20270302T090000",
            f"DTEND;TZID={CPH}:20270302T110000",
            "RRULE:FREQ=WEEKLY;COUNT=6",
            f"EXDATE;TZID={CPH}:20270316T090000",
            f"RDATE;TZID={CPH}:20270408T090000",
        ),
        vevent(
            "team",
            "SUMMARY:Teammøde (flyttet)",
            f"RECURRENCE-ID;TZID={CPH}:20270323T090000",
            f"DTSTART;TZID={CPH}:20270324T100000",
            f"DTEND;TZID={CPH}:20270324T150000",
        ),
        zones=(CPH,),
    ),
    # A series that began the year before and ends on 2027-03-03: Wednesdays 14-16.
    vcalendar(
        vevent(
            "old-series",
            f"DTSTART;TZID={CPH}:20260107T140000",
            f"DTEND;TZID={CPH}:20260107T160000",
            "RRULE:FREQ=WEEKLY;UNTIL=20270304T000000Z",
        ),
        zones=(CPH,),
    ),
    vcalendar(vevent("allday", "SUMMARY:Kursus", "DTSTART;VALUE=DATE:20270304")),
    vcalendar(
        vevent(
            "allday-free",
            "SUMMARY:Mors fødselsdag",
            "DTSTART;VALUE=DATE:20270301",
            "TRANSP:TRANSPARENT",
        )
    ),
    # Timed over three days: Wednesday from noon, all Thursday, Friday until 11.
    vcalendar(
        vevent(
            "conference",
            f"DTSTART;TZID={CPH}:20270310T120000",
            f"DTEND;TZID={CPH}:20270312T110000",
        ),
        zones=(CPH,),
    ),
    # All-day over two days (DTEND is exclusive): Wednesday and Thursday, not Friday.
    vcalendar(vevent("holiday", "DTSTART;VALUE=DATE:20270317", "DTEND;VALUE=DATE:20270319")),
    vcalendar(
        vevent(
            "cancelled",
            "STATUS:CANCELLED",
            f"DTSTART;TZID={CPH}:20270305T100000",
            f"DTEND;TZID={CPH}:20270305T150000",
        ),
        zones=(CPH,),
    ),
    vcalendar(
        vevent(
            "transparent",
            "TRANSP:TRANSPARENT",
            f"DTSTART;TZID={CPH}:20270308T090000",
            f"DTEND;TZID={CPH}:20270308T160000",
        ),
        zones=(CPH,),
    ),
    # New York 05-10 on 2027-03-15 (US summer time since 03-14, Danish not yet): 10-15 here.
    vcalendar(
        vevent(
            "new-york",
            "DTSTART;TZID=America/New_York:20270315T050000",
            "DTEND;TZID=America/New_York:20270315T100000",
        ),
        zones=("America/New_York",),
    ),
    # In UTC, 09-14 on two Fridays: 10-15 here before the DST change, 11-16 after it.
    vcalendar(
        vevent(
            "utc-weekly",
            "DTSTART:20270326T090000Z",
            "DTEND:20270326T140000Z",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    ),
    # Local 10-15 on two Mondays: busy on both sides of the DST change.
    vcalendar(
        vevent(
            "local-weekly",
            f"DTSTART;TZID={CPH}:20270322T100000",
            f"DTEND;TZID={CPH}:20270322T150000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        ),
        zones=(CPH,),
    ),
]
PRIVATE = [
    vcalendar(
        vevent(
            "dentist",
            "SUMMARY:Tandlæge",
            f"DTSTART;TZID={CPH}:20270407T080000",
            f"DTEND;TZID={CPH}:20270407T160000",
        ),
        zones=(CPH,),
    )
]

EXPECTED = {
    date(2027, 3, 1): F,  # transparent all-day
    date(2027, 3, 2): P,
    date(2027, 3, 3): P,  # the old series' last Wednesday
    date(2027, 3, 4): B,  # all-day
    date(2027, 3, 5): F,  # cancelled
    date(2027, 3, 8): F,  # transparent
    date(2027, 3, 9): P,
    date(2027, 3, 10): P,
    date(2027, 3, 11): B,
    date(2027, 3, 12): P,
    date(2027, 3, 15): B,  # New York
    date(2027, 3, 16): F,  # EXDATE
    date(2027, 3, 17): B,
    date(2027, 3, 18): B,
    date(2027, 3, 19): F,  # after the all-day event's exclusive end
    date(2027, 3, 22): B,
    date(2027, 3, 23): F,  # moved away
    date(2027, 3, 24): B,  # moved here
    date(2027, 3, 25): F,
    date(2027, 3, 26): B,  # UTC 09-14 = 10-15 in winter time
    date(2027, 3, 29): B,  # local 10-15 after the change
    date(2027, 3, 30): P,
    date(2027, 3, 31): F,
    date(2027, 4, 1): F,
    date(2027, 4, 2): P,  # UTC 09-14 = 11-16 in summer time
    date(2027, 4, 5): F,
    date(2027, 4, 6): P,
    date(2027, 4, 7): B,  # the other calendar
    date(2027, 4, 8): P,  # RDATE
    date(2027, 4, 9): F,
}
DAYS = weekdays(date(2027, 3, 1), date(2027, 4, 9))


@pytest.fixture(scope="module")
def account(caldav_server):
    with caldav_server.client() as client:
        principal = client.principal()
        for name, items in (("arbejde", WORK), ("privat", PRIVATE)):
            calendar = principal.make_calendar(name=name, cal_id=name)
            for item in items:
                calendar.save_event(item)
    return caldav_server


def read(source: CalDavSource, days=DAYS) -> dict[date, DayBusy]:
    return read_busy(source, days, time(10), time(15), CPH, allow_local=True)


def test_every_kind_of_event_flags_its_days(account):
    assert set(EXPECTED) == set(DAYS)
    found = read(CalDavSource(account.url, USER, PASSWORD))
    assert {d: found[d] for d in DAYS} == EXPECTED


def test_a_calendar_url_reads_that_calendar_only(account):
    found = read(CalDavSource(account.calendar_url("privat"), USER, PASSWORD))
    assert [d for d, flag in found.items() if flag != F] == [date(2027, 4, 7)]


def test_other_meeting_hours(account):
    """09-11 on a Tuesday covers a 09-11 meeting; the moved instance only partly covers 9-12."""
    found = read_busy(
        CalDavSource(account.url, USER, PASSWORD),
        [date(2027, 3, 2), date(2027, 3, 24)],
        time(9),
        time(11),
        CPH,
        allow_local=True,
    )
    assert found == {date(2027, 3, 2): B, date(2027, 3, 24): P}


def test_wrong_password(account):
    with pytest.raises(CalendarError) as caught:
        read(CalDavSource(account.url, USER, "forkert"))
    assert caught.value.kind == ErrorKind.WRONG_PASSWORD
    assert "forkert" not in str(caught.value)


def test_a_local_server_is_refused_outside_debug_and_testing(account):
    with pytest.raises(CalendarError) as caught:
        read_busy(
            CalDavSource(account.url, USER, PASSWORD),
            DAYS,
            time(10),
            time(15),
            CPH,
            allow_local=False,
        )
    assert caught.value.kind == ErrorKind.NOT_ALLOWED


def test_no_server_there(account):
    from tests.busy.servers import free_port

    with pytest.raises(CalendarError) as caught:
        read(CalDavSource(f"http://127.0.0.1:{free_port()}/", USER, PASSWORD))
    assert caught.value.kind == ErrorKind.UNREACHABLE


def test_redirects_to_private_addresses_and_servers_that_are_not_caldav(web):
    def redirect(request) -> None:
        request.send_response(301)
        request.send_header("Location", "http://10.1.2.3/dav/")
        request.send_header("Content-Length", "0")
        request.end_headers()

    web.routes["/dav/"] = redirect
    with pytest.raises(CalendarError) as caught:
        read(CalDavSource(web.url("/dav/"), USER, PASSWORD))
    assert caught.value.kind == ErrorKind.NOT_ALLOWED

    web.file("/side/", b"<html><body>Velkommen</body></html>", "text/html")
    with pytest.raises(CalendarError) as caught:
        read(CalDavSource(web.url("/side/"), USER, PASSWORD))
    assert caught.value.kind == ErrorKind.NOT_CALENDAR
