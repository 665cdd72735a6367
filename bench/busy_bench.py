"""Benchmark of reading a member's calendar (poll/busy, issue #13).

    .venv/bin/python bench/busy_bench.py [--runs 5]

ICS: a generated 2 MB file of 5,000 events (4,600 single events over 2027 with titles,
places, descriptions and attendees as work calendars have them, 400 weekly or daily series
with EXDATEs and moved instances) is served by a local HTTP server; timed is read_busy for a
76-day poll, i.e. the fetch, parsing, recurrence expansion and the flag per day, with the
parse alone shown too. Target ≤ 0.5 s.

CalDAV: a Radicale on 127.0.0.1 (from PyPI, a temporary folder) with 2,000 events in 2027
(1,850 single, 150 series), timed is read_busy against it for the same 76 days (the
principal and calendar look-up, the time-range REPORT, parsing, expansion). Target ≤ 2 s.

Each figure is the median of --runs runs after one warm-up, as wall time and as the CPU time
of this process (the HTTP server thread included, Radicale's process not): on a shared
machine the second says more about the code.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.busy.servers: the same servers the tests start

from poll.busy import CalDavSource, IcsSource, read_busy  # noqa: E402
from poll.busy.ics import parse  # noqa: E402
from poll.days import candidate_days, week_window  # noqa: E402
from tests.busy.calendars import vtimezone  # noqa: E402
from tests.busy.servers import PASSWORD, USER, ics_server, radicale  # noqa: E402

TZ = "Europe/Copenhagen"
YEAR = 2027
WORDS = [
    "møde",
    "budget",
    "formidling",
    "læsefremme",
    "bibliotek",
    "udvalg",
    "workshop",
    "kursus",
    "planlægning",
    "evaluering",
    "strategi",
    "partnerskab",
    "børn",
    "unge",
    "digital",
    "arrangement",
    "samarbejde",
]


def poll_days() -> list[date]:
    """76 candidate days: Tuesdays to Thursdays of weeks 2-27, holidays left out."""
    days, _skipped = candidate_days(week_window(YEAR, 2, 27), [1, 2, 3])
    return days[:76]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def generate(events: int, series: int, seed: int = 13, padded: bool = True) -> str:
    """A work calendar of `events` VEVENTs, `series` of them recurring."""
    rng = random.Random(seed)
    out = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Modeplan bench//DA",
        "X-WR-CALNAME:Arbejde",
        vtimezone(TZ).strip(),
    ]
    start_of_year = datetime(YEAR, 1, 1, 8)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    for i in range(events):
        start = start_of_year + timedelta(days=rng.randrange(365), minutes=30 * rng.randrange(20))
        end = start + timedelta(minutes=30 * rng.randint(1, 8))
        lines = [
            "BEGIN:VEVENT",
            f"UID:bench-{i}@modeplan.test",
            "DTSTAMP:20261201T120000Z",
            f"DTSTART;TZID={TZ}:{_stamp(start)}",
            f"DTEND;TZID={TZ}:{_stamp(end)}",
            f"SUMMARY:{text(4).capitalize()}",
        ]
        if padded:
            lines += [
                f"LOCATION:{text(2).capitalize()}, lokale {rng.randint(1, 40)}",
                f"DESCRIPTION:{text(3)}",
                f"ATTENDEE;CN=Kollega {i % 97};PARTSTAT=ACCEPTED:mailto:k{i % 97}@bib.dk",
                "ORGANIZER;CN=Leder:mailto:leder@bib.dk",
            ]
        if rng.random() < 0.05:
            lines.append("TRANSP:TRANSPARENT")
        if rng.random() < 0.03:
            lines.append("STATUS:CANCELLED")
        override = None
        if i < series:
            freq = "DAILY;COUNT=30" if i % 5 == 0 else "WEEKLY;UNTIL=20271231T230000Z"
            lines.append(f"RRULE:FREQ={freq}")
            skipped = start + timedelta(days=7 if i % 5 else 1)
            lines.append(f"EXDATE;TZID={TZ}:{_stamp(skipped)}")
            moved = start + timedelta(days=14 if i % 5 else 2)
            override = [
                "BEGIN:VEVENT",
                f"UID:bench-{i}@modeplan.test",
                "DTSTAMP:20261201T120000Z",
                f"RECURRENCE-ID;TZID={TZ}:{_stamp(moved)}",
                f"DTSTART;TZID={TZ}:{_stamp(moved + timedelta(hours=1))}",
                f"DTEND;TZID={TZ}:{_stamp(end + timedelta(days=(moved - start).days, hours=1))}",
                "SUMMARY:Flyttet",
                "END:VEVENT",
            ]
        lines.append("END:VEVENT")
        out += lines + (override or [])
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


def median_time(action, runs: int) -> tuple[float, float]:
    """The median wall time and the median CPU time of this process (the CalDAV server's
    is not in it) of `runs` runs after a warm-up."""
    action()
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu = clock.perf_counter(), clock.process_time()
        action()
        walls.append(clock.perf_counter() - started)
        cpus.append(clock.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    days = poll_days()
    rows: list[tuple[str, str, tuple[float, float], str]] = []

    body = generate(5000, 400).encode()
    with ics_server() as web:
        url = web.file("/arbejde.ics", body)

        def read_ics() -> None:
            read_busy(IcsSource(url), days, time(10), time(15), TZ, allow_local=True)

        flags = read_busy(IcsSource(url), days, time(10), time(15), TZ, allow_local=True)
        busy = sum(f == "busy" for f in flags.values())
        partly = sum(f == "partly" for f in flags.values())
        size = f"{len(body) / 1e6:.1f} MB, 5,000 events, 400 series"
        parsing = median_time(lambda: parse(body, days[0], days[-1]), args.runs)
        rows.append(("ICS: parse only", size, parsing, ""))
        rows.append(
            (
                f"ICS: read_busy, {len(days)} days",
                size,
                median_time(read_ics, args.runs),
                "≤ 0.5 s",
            )
        )
        print(f"(ICS proposal: {busy} busy, {partly} partly of {len(days)} days)")

    with tempfile.TemporaryDirectory() as folder, radicale(Path(folder)) as server:
        with server.client() as client:
            client.principal().make_calendar(name="arbejde", cal_id="arbejde")
        # Radicale takes a whole calendar PUT to the collection: 2,000 events in one request.
        calendar = generate(2000, 150, seed=14, padded=False)
        response = httpx.put(
            server.calendar_url("arbejde"),
            content=calendar.encode(),
            headers={"Content-Type": "text/calendar"},
            auth=(USER, PASSWORD),
            timeout=600,
        )
        response.raise_for_status()
        source = CalDavSource(server.url, USER, PASSWORD)

        def read_caldav() -> None:
            read_busy(source, days, time(10), time(15), TZ, allow_local=True)

        flags = read_busy(source, days, time(10), time(15), TZ, allow_local=True)
        busy = sum(f == "busy" for f in flags.values())
        partly = sum(f == "partly" for f in flags.values())
        rows.append(
            (
                f"CalDAV: read_busy, {len(days)} days",
                "Radicale, 2,000 events, 150 series",
                median_time(read_caldav, args.runs),
                "≤ 2 s",
            )
        )
        print(f"(CalDAV proposal: {busy} busy, {partly} partly of {len(days)} days)")

    print()
    print(f"| {'what':<28} | {'calendar':<36} | {'wall':>8} | {'CPU':>8} | target  |")
    print(f"|{'-' * 30}|{'-' * 38}|{'-' * 10}|{'-' * 10}|---------|")
    for what, calendar_text, (wall, cpu), target in rows:
        print(
            f"| {what:<28} | {calendar_text:<36} | {wall:>6.3f} s | {cpu:>6.3f} s | {target:<7} |"
        )
    load = os.getloadavg()[0]
    print(
        f"(median of {args.runs} runs after a warm-up; {os.cpu_count()} CPUs,"
        f" load average {load:.1f})"
    )


if __name__ == "__main__":
    main()
