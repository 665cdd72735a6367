"""Calendar data for the tests: raw iCalendar text, as servers and programs write it."""

from datetime import date, timedelta

from icalendar import Timezone


def vtimezone(tzid: str) -> str:
    return (
        Timezone.from_tzid(tzid, first_date=date(2025, 1, 1), last_date=date(2029, 1, 1))
        .to_ical()
        .decode()
    )


def vcalendar(*components: str, extra: str = "", zones: tuple[str, ...] = ()) -> str:
    """A VCALENDAR around these components (each a BEGIN ... END block), CRLF line ends."""
    body = "".join(vtimezone(z) for z in zones) + "".join(c.strip() + "\n" for c in components)
    text = (
        f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Mødeplan//EN\n{extra}{body}END:VCALENDAR\n"
    )
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def vevent(uid: str, *lines: str) -> str:
    return "\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261201T120000Z", *lines, "END:VEVENT"]
    )


def weekdays(first: date, last: date) -> list[date]:
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days
