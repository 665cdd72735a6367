"""A new year's poll rules from an earlier poll's: the same ISO weeks, the same months and the
same settings in the new year; what does not fit the new year is adjusted, with a note.

A meeting window of whole ISO weeks keeps its week numbers (week 53 becomes week 52 when the
new year has none). A window of whole calendar months keeps its months. Any other date range
keeps its ISO weeks and weekdays (it moves by whole weeks), or, when that would leave the new
year, its calendar dates. Blackout weeks keep their numbers; a week 53 the new year lacks is
left out. The deadline keeps its date, moved by the same number of years.
"""

from __future__ import annotations

import enum
from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from .days import Window, week_window, weeks_in_year, whole_weeks
from .poll_admin import MeetingDraft, PollRules


class NoteKind(enum.StrEnum):
    WEEK_52 = "week-52"  # a meeting's week 53 is week 52 in the new year
    SAME_DATES = "same-dates"  # a meeting's weeks leave the new year: its dates are kept
    BLACKOUT_DROPPED = "blackout-dropped"  # a blackout week the new year lacks


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    year: int  # the new year
    number: int  # the meeting's number (1, 2, ...) or the blackout week

    def message(self) -> str:
        if self.kind is NoteKind.WEEK_52:
            return _(
                "Meeting %(number)d: %(year)d has no week 53, so week 52 is filled in.",
                number=self.number,
                year=self.year,
            )
        if self.kind is NoteKind.SAME_DATES:
            return _(
                "Meeting %(number)d: the same weeks would reach outside %(year)d, so the same "
                "dates are filled in.",
                number=self.number,
                year=self.year,
            )
        return _(
            "Blackout week %(week)d: %(year)d has no week %(week)d, so it is left out.",
            week=self.number,
            year=self.year,
        )


@dataclass
class ShiftedRules:
    rules: PollRules
    notes: list[Note]


def same_date(day: date, years: int) -> date:
    """The same day and month `years` later; 29 February becomes the 28th in a common year."""
    year = day.year + years
    return date(year, day.month, min(day.day, monthrange(year, day.month)[1]))


def _whole_months(window: Window) -> bool:
    start, end = window.start, window.end
    return (
        start.year == end.year and start.day == 1 and end.day == monthrange(end.year, end.month)[1]
    )


def _shift_window(window: Window, from_year: int, to_year: int) -> tuple[Window, NoteKind | None]:
    weeks = whole_weeks(window, from_year)
    if weeks is not None:
        top = weeks_in_year(to_year)
        first, last = min(weeks[0], top), min(weeks[1], top)
        return week_window(to_year, first, last), (NoteKind.WEEK_52 if last < weeks[1] else None)
    years = to_year - from_year
    if _whole_months(window):
        year, last_month = window.start.year + years, window.end.month
        end = date(year, last_month, monthrange(year, last_month)[1])
        return Window(date(year, window.start.month, 1), end), None
    # Week 1 of each year starts on a Monday, so this moves by whole weeks: same week, same day.
    by = date.fromisocalendar(to_year, 1, 1) - date.fromisocalendar(from_year, 1, 1)
    moved = Window(window.start + by, window.end + by)
    if moved.start.year == moved.end.year == to_year:
        return moved, None
    return Window(same_date(window.start, years), same_date(window.end, years)), (
        NoteKind.SAME_DATES
    )


def shift_rules(rules: PollRules, from_year: int, to_year: int) -> ShiftedRules:
    """`rules` of a poll for `from_year` moved to `to_year`, for a new poll (no meeting keys)."""
    notes: list[Note] = []
    meetings: list[MeetingDraft] = []
    for number, draft in enumerate(rules.meetings, start=1):
        window, kind = _shift_window(draft.window, from_year, to_year)
        if kind is not None:
            notes.append(Note(kind, to_year, number))
        meetings.append(MeetingDraft(None, draft.name, window, number))
    top = weeks_in_year(to_year)
    dropped = [week for week in rules.blackout_weeks if week > top]
    notes += [Note(NoteKind.BLACKOUT_DROPPED, to_year, week) for week in dropped]
    shifted = PollRules(
        meetings=meetings,
        weekdays=list(rules.weekdays),
        blackout_weeks=[week for week in rules.blackout_weeks if week <= top],
        deadline=same_date(rules.deadline, to_year - from_year) if rules.deadline else None,
        hide_answers=rules.hide_answers,
        min_days_between=rules.min_days_between,
        min_attendance=rules.min_attendance,
    )
    return ShiftedRules(shifted, notes)
