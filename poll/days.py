"""Candidate days: meeting windows, allowed weekdays, Danish holidays and blackout weeks."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str  # "holiday" or "blackout"
    name: str = ""


@dataclass(frozen=True)
class Window:
    start: date
    end: date


def iso_week(day: date) -> int:
    return day.isocalendar().week


def week_window(year: int, first_week: int, last_week: int) -> Window:
    """Monday of `first_week` to Sunday of `last_week` (ISO weeks of `year`)."""
    return Window(
        date.fromisocalendar(year, first_week, 1), date.fromisocalendar(year, last_week, 7)
    )


def weeks_in_year(year: int) -> int:
    return date(year, 12, 28).isocalendar().week


def whole_weeks(window: Window, year: int) -> tuple[int, int] | None:
    """The first and last ISO week of `year` when the window is exactly whole weeks of it
    (Monday to Sunday), else None."""
    start, end = window.start, window.end
    if start.weekday() != 0 or end.weekday() != 6:
        return None
    if start.isocalendar().year != year or end.isocalendar().year != year:
        return None
    return iso_week(start), iso_week(end)


@lru_cache(maxsize=16)
def danish_holidays(year: int) -> dict[date, str]:
    """Public holidays plus the customary closing days (Grundlovsdag, juleaftensdag, ...)."""
    found = holidays.country_holidays(
        "DK", years=year, language="da", categories=("public", "optional")
    )
    return dict(found.items())


def holiday_name(day: date) -> str | None:
    return danish_holidays(day.year).get(day)


def candidate_days(
    window: Window,
    weekdays: Iterable[int],
    blackout_weeks: Iterable[int] = (),
    excluded: Iterable[date] = (),
) -> tuple[list[date], list[SkippedDay]]:
    """The days a meeting may fall on, and the allowed weekdays left out with the reason."""
    allowed = set(weekdays)
    blackout = set(blackout_weeks)
    excluded_days = set(excluded)
    days: list[date] = []
    skipped: list[SkippedDay] = []
    day = window.start
    while day <= window.end:
        if day.weekday() in allowed and day not in excluded_days:
            name = holiday_name(day)
            if name:
                skipped.append(SkippedDay(day, "holiday", name))
            elif iso_week(day) in blackout:
                skipped.append(SkippedDay(day, "blackout"))
            else:
                days.append(day)
        day += timedelta(days=1)
    return days, skipped
