"""Shared helpers for the calendar, feed, export and notification tests.

(Named test_feeds_* only so it lives among the files these features own; it holds no tests.)
Plans are built by hand with store_plan + publish, as in tests/planning/test_instance.py, so
the tests decide the dates: Fridays and Mondays either side of the 2027 daylight-saving changes
(28 March and 31 October).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import icalendar
import vobject
from sqlalchemy import select

from poll.db import db
from poll.models import Answer, Meeting, Plan, Poll
from poll.planning import store_plan
from poll.publishing import publish
from tests.factories import Fixture, make_network, record_answers

CPH = ZoneInfo("Europe/Copenhagen")
MEMBERS = ("sara", "henrik", "maria", "berit", "kis")
DAYS = {
    "m1": date(2027, 3, 26),
    "m2": date(2027, 3, 29),
    "m3": date(2027, 10, 29),
    "m4": date(2027, 11, 1),
}
VENUES = {"m1": "odense", "m2": "vejle", "m3": "odense", "m4": "vejle"}
ROLES = {
    "m1": {"planning": ["sara", "henrik", "maria"], "leader": ["henrik"], "notes": ["berit"]},
    "m2": {"planning": ["sara", "maria", "kis"], "leader": ["maria"], "notes": ["henrik"]},
    "m3": {"planning": ["sara", "berit", "kis"], "leader": ["kis"], "notes": ["maria"]},
    "m4": {"planning": ["sara", "henrik", "berit"], "leader": ["berit"], "notes": ["kis"]},
}
PRESENTERS = {"m1": ["kis"], "m2": ["berit"], "m3": ["henrik"], "m4": ["maria"]}


def make_year(slug: str = "test") -> Fixture:
    """make_network's 2027 poll with two more meetings (m3, m4) in the autumn. In an app context."""
    fx = make_network(MEMBERS, slug=slug)
    poll = db.session.get(Poll, fx.poll_id)
    for position, key in enumerate(("m3", "m4"), start=2):
        db.session.add(
            Meeting(
                poll_id=poll.id,
                key=key,
                name=f"Møde {position + 1}",
                position=position,
                window_start=date(2027, 10, 25),
                window_end=date(2027, 11, 5),
            )
        )
    db.session.commit()
    return fx


def result_for(
    poll: Poll,
    days: dict[str, date] | None = None,
    venues: dict[str, str] | None = None,
    roles: dict[str, dict[str, list[str]]] | None = None,
    only: tuple[str, ...] | None = None,
) -> dict:
    days = {**DAYS, **(days or {})}
    venues = {**VENUES, **(venues or {})}
    meetings = []
    for meeting in poll.meetings:
        if only is not None and meeting.key not in only:
            continue
        held = {**ROLES[meeting.key], "presenter": PRESENTERS[meeting.key]}
        held.update((roles or {}).get(meeting.key, {}))
        meetings.append(
            {
                "id": meeting.key,
                "date": days[meeting.key].isoformat(),
                "venue": venues[meeting.key],
                "start": "10:00",
                "end": "15:00",
                "attendance": {"yes": list(MEMBERS), "maybe": [], "no": [], "no_answer": []},
                "roles": held,
            }
        )
    return {
        "format": "plan-result/1",
        "status": "optimal",
        "meetings": meetings,
        "score": {},
        "explanation": [],
    }


def publish_result(poll_id: int, **changes) -> int:
    """Store a plan version with `result_for(**changes)`, publish it, commit; its version."""
    poll = db.session.get(Poll, poll_id)
    plan = db.session.get(Plan, store_plan(poll, result_for(poll, **changes)))
    publish(plan)
    db.session.commit()
    return plan.version


def answer(poll_id: int, member_ids: list[int], value: Answer = Answer.YES, comment="") -> None:
    poll = db.session.get(Poll, poll_id)
    for member_id in member_ids:
        cells = [(d.day, v.key, value) for d in poll.days for v in poll.network.venues]
        record_answers(poll.id, member_id, cells, comment=comment)
    db.session.commit()


def plans(poll_id: int) -> list[Plan]:
    return list(db.session.scalars(select(Plan).where(Plan.poll_id == poll_id)))


# -- checking .ics files ---------------------------------------------------------------------


def content_lines(ics: bytes) -> list[str]:
    """Unfolded content lines (RFC 5545 §3.1)."""
    return re.sub(rb"\r\n[ \t]", b"", ics).decode("utf-8").split("\r\n")[:-1]


def components(lines: list[str], kind: str) -> list[list[str]]:
    found, current = [], None
    for line in lines:
        if line == f"BEGIN:{kind}":
            current = []
        elif line == f"END:{kind}":
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def prop_names(lines: list[str]) -> list[str]:
    return [re.split(r"[;:]", line, maxsplit=1)[0] for line in lines]


def check_ics(ics: bytes, method: str = "PUBLISH") -> icalendar.Calendar:
    """RFC 5545 rules the parsers do not enforce, then both parsers against zoneinfo."""
    assert ics.endswith(b"\r\n")
    physical = ics.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(physical) and b"\r" not in b"".join(physical), "CRLF only"
    assert max(len(line) for line in physical) <= 75, "lines are folded at 75 octets"
    for line in physical:
        line.decode("utf-8")  # no multi-byte character split by folding

    lines = content_lines(ics)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert f"METHOD:{method}" in lines
    events = components(lines, "VEVENT")
    uids = []
    for event in events:
        names = prop_names(event)
        for prop in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "STATUS", "SUMMARY"):
            assert names.count(prop) == 1, (prop, event)
        stamp = next(line for line in event if line.startswith("DTSTAMP"))
        assert re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", stamp), stamp
        uids.append(next(line for line in event if line.startswith("UID:")))
        if method == "PUBLISH":
            assert "ATTENDEE" not in names and "ORGANIZER" not in names, "no addresses in PUBLISH"
            assert not any("mailto:" in line.lower() for line in event)
        assert any(line.startswith("DTSTART;TZID=Europe/Copenhagen:") for line in event)
    assert len(set(uids)) == len(uids)

    used = {m for line in lines for m in re.findall(r";TZID=([^;:]+)", line)}
    timezones = components(lines, "VTIMEZONE")
    defined = {line[5:] for tz in timezones for line in tz if line.startswith("TZID:")}
    assert used <= defined, "every TZID has a VTIMEZONE"
    assert not any(line.startswith("RDATE") for tz in timezones for line in tz)

    parsed = icalendar.Calendar.from_ical(ics)
    assert parsed.get_missing_tzids() == set()
    by_uid = {str(e["UID"]): e for e in parsed.events}
    # vobject computes the instants from our VTIMEZONE block, not from the tz database.
    for vevent in vobject.readOne(ics.decode("utf-8")).contents.get("vevent", []):
        event = by_uid[vevent.uid.value]
        local = event.start.astimezone(CPH)
        assert vevent.dtstart.value.astimezone(UTC) == event.start.astimezone(UTC)
        assert vevent.dtend.value.astimezone(UTC) == event.end.astimezone(UTC)
        expected = datetime.combine(local.date(), time(10), CPH).astimezone(UTC)
        assert event.start.astimezone(UTC) == expected
        assert vevent.dtstart.value.astimezone(UTC) == expected
    return parsed


def events_by_uid(ics: bytes | icalendar.Calendar) -> dict[str, icalendar.Event]:
    calendar = ics if isinstance(ics, icalendar.Calendar) else icalendar.Calendar.from_ical(ics)
    return {str(e["UID"]): e for e in calendar.events}
