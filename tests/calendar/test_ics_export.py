"""The .ics export checked three ways: our own RFC 5545 assertions on the raw bytes, a re-parse
with icalendar, and a re-parse with vobject, which computes times from the embedded VTIMEZONE
block rather than from zoneinfo (so it actually tests our RRULE rules)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from poll.calendar import (
    CalendarEvent,
    EventFingerprint,
    build_calendar,
    clean_text,
    event_fingerprint,
    google_calendar_url,
    next_sequence,
    outlook_calendar_url,
    webcal_url,
)

CPH = ZoneInfo("Europe/Copenhagen")
STAMP = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
ODENSE = "Odense Centralbibliotek, Østre Stationsvej 15, 5000 Odense C"
VEJLE = "Vejle Bibliotek, Willy Sørensens Plads 1, 7100 Vejle"
# Fridays and Mondays either side of the 2027 daylight-saving changes (28 March, 31 October).
DST_EDGE_DAYS = [date(2027, 3, 26), date(2027, 3, 29), date(2027, 10, 29), date(2027, 11, 1)]
MEMBER = ("Åse Ørbæk-Larsen", "aase@vejle.dk")
COORDINATOR = ("Koordinator Søren Æbeløe", "koordinator@odense.dk")


def meeting(day: date, n: int = 1, **changes: object) -> CalendarEvent:
    event = CalendarEvent(
        uid=f"benchmark-{day.year}-m{n}@modeplan",
        summary=f"Netværksmøde {n}: læring, formidling; årshjul",
        start=datetime.combine(day, time(10), CPH),
        end=datetime.combine(day, time(15), CPH),
        location=ODENSE,
        description="Mødeleder: Åse\nReferent: Bjørn\nOplægsholder: Ærø Bibliotek; kaffe, kage",
        sequence=0,
        url="https://modeplan.example.dk/moeder/m1",
    )
    return replace(event, **changes)


def year_plan() -> list[CalendarEvent]:
    return [meeting(day, n) for n, day in enumerate(DST_EDGE_DAYS, start=1)]


EXPORTS = {
    "feed": lambda: build_calendar(
        year_plan(), name="Netværksmøder 2027", stamp=STAMP, refresh_hours=6
    ),
    "download": lambda: build_calendar(year_plan(), name="Netværksmøder 2027", stamp=STAMP),
    "invitation": lambda: build_calendar(
        [meeting(DST_EDGE_DAYS[1])],
        name="Invitation",
        stamp=STAMP,
        method="REQUEST",
        organizer=COORDINATOR,
        attendee=MEMBER,
    ),
    "cancelled": lambda: build_calendar(
        [meeting(DST_EDGE_DAYS[0], status="CANCELLED", sequence=1)], name="Aflyst", stamp=STAMP
    ),
}


def content_lines(ics: bytes) -> list[str]:
    """Unfold per RFC 5545 §3.1 (CRLF followed by one space or tab continues the line)."""
    return re.sub(rb"\r\n[ \t]", b"", ics).decode("utf-8").split("\r\n")[:-1]


def components(lines: list[str], kind: str) -> list[list[str]]:
    found: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        if line == f"BEGIN:{kind}":
            current = []
        elif line == f"END:{kind}":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def names(lines: list[str]) -> list[str]:
    return [re.split(r"[;:]", line, maxsplit=1)[0] for line in lines]


@pytest.fixture(params=sorted(EXPORTS))
def exported(request: pytest.FixtureRequest) -> bytes:
    return EXPORTS[request.param]()


def test_physical_lines_are_crlf_terminated_and_at_most_75_octets(exported: bytes) -> None:
    assert exported.endswith(b"\r\n")
    physical = exported.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(physical) and b"\r" not in b"".join(physical)
    assert max(len(line) for line in physical) <= 75
    for line in physical:
        line.decode("utf-8")  # folding never splits a multi-byte character (æøå)


def test_required_calendar_properties(exported: bytes) -> None:
    lines = content_lines(exported)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    first_component = next(i for i, line in enumerate(lines[1:], 1) if line.startswith("BEGIN:"))
    calendar_props = lines[1:first_component]
    for prop in ("PRODID", "VERSION", "CALSCALE", "METHOD", "X-WR-CALNAME", "X-WR-TIMEZONE"):
        assert names(calendar_props).count(prop) == 1, prop
    assert "VERSION:2.0" in calendar_props
    assert "CALSCALE:GREGORIAN" in calendar_props
    assert "X-WR-TIMEZONE:Europe/Copenhagen" in calendar_props


def test_every_vevent_has_uid_dtstamp_and_copenhagen_times(exported: bytes) -> None:
    events = components(content_lines(exported), "VEVENT")
    uids = [line for event in events for line in event if line.startswith("UID:")]
    assert uids and len(set(uids)) == len(uids)
    assert all(re.fullmatch(r"UID:benchmark-2027-m\d@modeplan", uid) for uid in uids)
    for event in events:
        props = names(event)
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS", "LOCATION"):
            assert props.count(prop) == 1, prop
        assert "DESCRIPTION" in props and "SUMMARY" in props
        assert "DTSTAMP:20261120T083000Z" in event
        assert any(line.startswith("DTSTART;TZID=Europe/Copenhagen:") for line in event)
        assert any(line.startswith("DTEND;TZID=Europe/Copenhagen:") for line in event)


def test_every_tzid_is_defined_by_one_rrule_vtimezone(exported: bytes) -> None:
    lines = content_lines(exported)
    used = {m for line in lines for m in re.findall(r";TZID=([^;:]+)", line)}
    timezones = components(lines, "VTIMEZONE")
    defined = {
        line.removeprefix("TZID:") for tz in timezones for line in tz if line.startswith("TZID:")
    }
    assert used == {"Europe/Copenhagen"}
    assert used <= defined
    assert len(timezones) == 1
    # Outlook ignores RDATE; the block must describe the transitions as yearly rules.
    assert not any(line.startswith("RDATE") for line in timezones[0])
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in timezones[0]
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in timezones[0]
    assert icalendar.Calendar.from_ical(exported).get_missing_tzids() == set()


def test_export_is_byte_stable() -> None:
    # No random calendar UID or "now" DTSTAMP sneaks in, so the feed can have a strong ETag.
    assert EXPORTS["feed"]() == EXPORTS["feed"]()


def test_feed_carries_refresh_hints_with_duration_values() -> None:
    feed = content_lines(EXPORTS["feed"]())
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in feed
    assert "X-PUBLISHED-TTL:PT6H" in feed
    download = names(content_lines(EXPORTS["download"]()))
    assert "REFRESH-INTERVAL" not in download and "X-PUBLISHED-TTL" not in download


def test_calendar_name_and_method() -> None:
    lines = content_lines(EXPORTS["feed"]())
    assert "NAME:Netværksmøder 2027" in lines
    assert "X-WR-CALNAME:Netværksmøder 2027" in lines
    assert "METHOD:PUBLISH" in lines
    assert "METHOD:REQUEST" in content_lines(EXPORTS["invitation"]())


def test_calendar_name_is_escaped_as_text() -> None:
    lines = content_lines(build_calendar([], name="Møder, Odense; 2027\\", stamp=STAMP))
    assert "NAME:Møder\\, Odense\\; 2027\\\\" in lines
    assert "X-WR-CALNAME:Møder\\, Odense\\; 2027\\\\" in lines


@pytest.mark.parametrize(
    "day",
    [*DST_EDGE_DAYS, date(2027, 3, 28), date(2027, 10, 31), date(2027, 1, 4), date(2027, 7, 1)],
)
def test_both_parsers_agree_with_zoneinfo_on_the_utc_instants(day: date) -> None:
    event = meeting(day)
    ics = build_calendar([event], name="DST", stamp=STAMP)
    expected_start = datetime.combine(day, time(10), CPH).astimezone(UTC)
    expected_end = datetime.combine(day, time(15), CPH).astimezone(UTC)

    parsed = icalendar.Calendar.from_ical(ics).events[0]
    assert parsed.start.astimezone(UTC) == expected_start
    assert parsed.end.astimezone(UTC) == expected_end
    assert (parsed.start.hour, parsed.end.hour) == (10, 15)

    vevent = vobject.readOne(ics.decode("utf-8")).vevent
    start, end = vevent.dtstart.value, vevent.dtend.value
    # vobject builds its tzinfo from our VTIMEZONE block, not from the tz database.
    assert not isinstance(start.tzinfo, ZoneInfo)
    assert start.astimezone(UTC) == expected_start
    assert end.astimezone(UTC) == expected_end


def test_dst_edge_days_land_on_the_expected_utc_hours() -> None:
    ics = build_calendar(year_plan(), name="x", stamp=STAMP).decode()
    starts = [event.dtstart.value for event in vobject.readOne(ics).vevent_list]
    # Hard-coded truth, independent of zoneinfo: winter time is UTC+1, summer time UTC+2.
    assert [start.astimezone(UTC).hour for start in starts] == [9, 8, 8, 9]


def test_start_given_in_utc_is_exported_as_copenhagen_wall_clock() -> None:
    event = meeting(
        date(2027, 6, 1),
        start=datetime(2027, 6, 1, 8, tzinfo=UTC),
        end=datetime(2027, 6, 1, 13, tzinfo=UTC),
    )
    lines = content_lines(build_calendar([event], name="x", stamp=STAMP))
    assert "DTSTART;TZID=Europe/Copenhagen:20270601T100000" in lines
    assert "DTEND;TZID=Europe/Copenhagen:20270601T150000" in lines


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"start": datetime(2027, 3, 1, 10)}, "timezone-aware"),
        ({"end": datetime(2027, 3, 26, 9, tzinfo=CPH)}, "end must be after start"),
        ({"sequence": -1}, "sequence"),
        ({"status": "TENTATIVE"}, "status"),
    ],
)
def test_invalid_events_are_rejected(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        meeting(DST_EDGE_DAYS[0], **changes)


TRICKY = "æøåÆØÅ,;:\\\n\r\"' "
danish_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(TRICKY), st.characters(codec="utf-8", exclude_categories=["Cs"])
    ),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(summary=danish_text, location=danish_text, description=danish_text)
def test_text_round_trips_through_both_parsers(
    summary: str, location: str, description: str
) -> None:
    event = meeting(DST_EDGE_DAYS[0], summary=summary, location=location, description=description)
    ics = build_calendar([event], name=summary, stamp=STAMP)

    physical = ics.split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) <= 75
    assert b"\n" not in b"".join(physical) and b"\r" not in b"".join(physical)

    expected = {
        k: clean_text(v)
        for k, v in [("summary", summary), ("location", location), ("description", description)]
    }
    parsed = icalendar.Calendar.from_ical(ics).events[0]
    assert {k: str(parsed[k.upper()]) for k in expected} == expected

    vcalendar = vobject.readOne(ics.decode("utf-8"))
    assert {k: getattr(vcalendar.vevent, k).value for k in expected} == expected

    # icalendar 7.3 parses NAME/X-WR-CALNAME as raw unknown values, so only vobject checks them.
    for prop in ("name", "x-wr-calname"):
        assert vcalendar.contents[prop][0].value == clean_text(summary)


def test_clean_text_normalises_line_breaks_and_drops_controls() -> None:
    assert clean_text("a\r\nb\rc\nd\te\x00f\x1b") == "a\nb\nc\nd\tef"


# --- SEQUENCE and UID -------------------------------------------------------------------


def fingerprint_of(event: CalendarEvent) -> EventFingerprint:
    return event_fingerprint(
        start=event.start, end=event.end, location=event.location, status=event.status
    )


def test_unchanged_meeting_keeps_its_sequence() -> None:
    before = meeting(DST_EDGE_DAYS[0])
    after = replace(before, summary="Nyt navn", description="Ny dagsorden")  # not significant
    assert next_sequence(fingerprint_of(before), 3, fingerprint_of(after)) == 3


def test_fingerprint_is_stable_and_independent_of_the_offset_used() -> None:
    event = meeting(DST_EDGE_DAYS[1])
    as_utc = replace(event, start=event.start.astimezone(UTC), end=event.end.astimezone(UTC))
    assert fingerprint_of(event) == fingerprint_of(as_utc)
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint_of(event))


@pytest.mark.parametrize(
    "changes",
    [
        {
            "start": datetime(2027, 3, 30, 10, tzinfo=CPH),
            "end": datetime(2027, 3, 30, 15, tzinfo=CPH),
        },
        {"start": datetime(2027, 3, 29, 9, tzinfo=CPH)},
        {"end": datetime(2027, 3, 29, 14, 30, tzinfo=CPH)},
        {"location": VEJLE},
        {"status": "CANCELLED"},
    ],
    ids=["date", "start-time", "end-time", "venue", "status"],
)
def test_significant_change_bumps_the_sequence(changes: dict[str, object]) -> None:
    before = meeting(DST_EDGE_DAYS[1])
    after = replace(before, **changes)
    assert fingerprint_of(before) != fingerprint_of(after)
    assert next_sequence(fingerprint_of(before), 2, fingerprint_of(after)) == 3


def test_never_exported_meeting_keeps_the_stored_start_sequence() -> None:
    assert next_sequence(None, 0, fingerprint_of(meeting(DST_EDGE_DAYS[0]))) == 0
    assert next_sequence(EventFingerprint(""), 0, fingerprint_of(meeting(DST_EDGE_DAYS[0]))) == 0
    with pytest.raises(ValueError):
        next_sequence(None, -1, fingerprint_of(meeting(DST_EDGE_DAYS[0])))


def test_cancelled_meeting_keeps_uid_with_higher_sequence_in_the_export() -> None:
    before = meeting(DST_EDGE_DAYS[2])
    cancelled_fp = event_fingerprint(
        start=before.start, end=before.end, location=before.location, status="CANCELLED"
    )
    sequence = next_sequence(fingerprint_of(before), before.sequence, cancelled_fp)
    cancelled = replace(before, status="CANCELLED", sequence=sequence)

    old = icalendar.Calendar.from_ical(build_calendar([before], name="x", stamp=STAMP)).events[0]
    new = icalendar.Calendar.from_ical(build_calendar([cancelled], name="x", stamp=STAMP)).events[0]
    assert new["UID"] == old["UID"] == "benchmark-2027-m1@modeplan"
    assert (old["STATUS"], old["SEQUENCE"]) == ("CONFIRMED", 0)
    assert (new["STATUS"], new["SEQUENCE"]) == ("CANCELLED", 1)
    assert (
        vobject.readOne(
            build_calendar([cancelled], name="x", stamp=STAMP).decode()
        ).vevent.status.value
        == "CANCELLED"
    )


# --- PUBLISH vs REQUEST ---------------------------------------------------------------------


def test_publish_files_carry_no_addresses(exported: bytes) -> None:
    lines = content_lines(exported)
    if "METHOD:PUBLISH" in lines:
        assert "ORGANIZER" not in names(lines) and "ATTENDEE" not in names(lines)
        assert "mailto:" not in exported.decode()


def test_request_carries_organizer_and_exactly_one_attendee() -> None:
    event = icalendar.Calendar.from_ical(EXPORTS["invitation"]()).events[0]
    assert event["ORGANIZER"] == "mailto:koordinator@odense.dk"
    assert event["ORGANIZER"].params["CN"] == COORDINATOR[0]
    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list)
    assert attendee == "mailto:aase@vejle.dk"
    assert dict(attendee.params) == {
        "CN": MEMBER[0],
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }
    vevent = vobject.readOne(EXPORTS["invitation"]().decode()).vevent
    assert [a.value for a in vevent.attendee_list] == ["mailto:aase@vejle.dk"]
    assert vevent.attendee.params["CN"] == [MEMBER[0]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "PUBLISH", "organizer": COORDINATOR},
        {"method": "PUBLISH", "attendee": MEMBER},
        {"method": "REQUEST", "organizer": COORDINATOR},
        {"method": "REQUEST", "attendee": MEMBER},
        {"method": "CANCEL"},
        {"refresh_hours": 0},
        {"stamp": datetime(2026, 11, 20, 8, 30)},
    ],
)
def test_invalid_calendar_arguments_are_rejected(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"name": "x", "stamp": STAMP, **kwargs}
    with pytest.raises(ValueError):
        build_calendar([meeting(DST_EDGE_DAYS[0])], **arguments)  # type: ignore[arg-type]


# --- links for the member page ---------------------------------------------------------------


def test_google_calendar_url() -> None:
    url = urlsplit(google_calendar_url(meeting(DST_EDGE_DAYS[1])))
    assert (url.scheme, url.netloc, url.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    query = parse_qs(url.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["dates"] == ["20270329T080000Z/20270329T130000Z"]
    assert query["text"] == ["Netværksmøde 1: læring, formidling; årshjul"]
    assert query["location"] == [ODENSE]
    assert query["details"][0].startswith("Mødeleder: Åse\nReferent")
    assert query["ctz"] == ["Europe/Copenhagen"]
    assert " " not in url.query and "+" not in url.query


@pytest.mark.parametrize("host", ["outlook.office.com", "outlook.live.com"])
def test_outlook_calendar_url(host: str) -> None:
    event = meeting(DST_EDGE_DAYS[0])
    url = urlsplit(outlook_calendar_url(event, host=host))  # type: ignore[arg-type]
    assert (url.scheme, url.netloc, url.path) == ("https", host, "/calendar/deeplink/compose")
    query = parse_qs(url.query)
    assert query["path"] == ["/calendar/action/compose"] and query["rru"] == ["addevent"]
    assert query["startdt"] == ["2027-03-26T09:00:00Z"]
    assert query["enddt"] == ["2027-03-26T14:00:00Z"]
    assert query["subject"] == [event.summary]
    assert query["body"] == [event.description]
    assert query["location"] == [ODENSE]


def test_outlook_defaults_to_microsoft_365() -> None:
    assert outlook_calendar_url(meeting(DST_EDGE_DAYS[0])).startswith("https://outlook.office.com/")


def test_webcal_url() -> None:
    assert (
        webcal_url("https://modeplan.example.dk/kalender/abc_DEF-123.ics?v=2")
        == "webcal://modeplan.example.dk/kalender/abc_DEF-123.ics?v=2"
    )
    with pytest.raises(ValueError):
        webcal_url("ftp://example.dk/x.ics")
    with pytest.raises(ValueError):
        webcal_url("/kalender/abc.ics")
