"""Moving a poll's rules to a new year (poll.next_year): ISO weeks, months, other date ranges,
blackout weeks and the settings, with the edges of weeks 1, 52 and 53."""

from datetime import date

import pytest

from poll.days import Window, week_window
from poll.next_year import Note, NoteKind, same_date, shift_rules
from poll.poll_admin import MeetingDraft, PollRules


def rules(*windows: Window, **settings) -> PollRules:
    meetings = [MeetingDraft(f"m{i}", f"Møde {i}", w, i) for i, w in enumerate(windows, start=1)]
    return PollRules(meetings, **settings)


def windows(shifted) -> list[Window]:
    return [m.window for m in shifted.rules.meetings]


def test_week_windows_keep_their_week_numbers():
    shifted = shift_rules(rules(week_window(2027, 9, 10), week_window(2027, 23, 23)), 2027, 2028)
    assert windows(shifted) == [week_window(2028, 9, 10), week_window(2028, 23, 23)]
    assert windows(shifted)[0] == Window(date(2028, 2, 28), date(2028, 3, 12))
    assert shifted.notes == []


def test_week_1_of_the_new_year_may_begin_in_december():
    shifted = shift_rules(rules(week_window(2029, 1, 2)), 2029, 2030)
    assert windows(shifted) == [Window(date(2029, 12, 31), date(2030, 1, 13))]
    assert shifted.notes == []


def test_week_52_stays_week_52_and_week_53_becomes_52_with_a_note():
    shifted = shift_rules(rules(week_window(2026, 50, 51), week_window(2026, 52, 53)), 2026, 2027)
    assert windows(shifted) == [week_window(2027, 50, 51), week_window(2027, 52, 52)]
    assert shifted.notes == [Note(NoteKind.WEEK_52, 2027, 2)]
    alone = shift_rules(rules(week_window(2026, 53, 53)), 2026, 2027)
    assert windows(alone) == [Window(date(2027, 12, 27), date(2028, 1, 2))]
    assert alone.notes == [Note(NoteKind.WEEK_52, 2027, 1)]


def test_week_53_is_kept_when_the_new_year_has_one():
    shifted = shift_rules(rules(week_window(2026, 53, 53)), 2026, 2032)
    assert windows(shifted) == [week_window(2032, 53, 53)]
    assert shifted.notes == []


def test_month_windows_keep_their_months_and_february_its_last_day():
    shifted = shift_rules(
        rules(
            Window(date(2028, 2, 1), date(2028, 2, 29)),
            Window(date(2028, 3, 1), date(2028, 4, 30)),
            Window(date(2028, 9, 1), date(2028, 9, 30)),
        ),
        2028,
        2029,
    )
    assert windows(shifted) == [
        Window(date(2029, 2, 1), date(2029, 2, 28)),
        Window(date(2029, 3, 1), date(2029, 4, 30)),
        Window(date(2029, 9, 1), date(2029, 9, 30)),
    ]
    assert shifted.notes == []
    leap = shift_rules(rules(Window(date(2027, 11, 1), date(2027, 12, 31))), 2027, 2028)
    assert windows(leap) == [Window(date(2028, 11, 1), date(2028, 12, 31))]


def test_a_month_that_is_also_whole_weeks_keeps_its_weeks_as_the_form_shows_it():
    # February 2027 is Monday 1 to Sunday 28: weeks 5-8, which the edit page shows.
    shifted = shift_rules(rules(Window(date(2027, 2, 1), date(2027, 2, 28))), 2027, 2028)
    assert windows(shifted) == [week_window(2028, 5, 8)]


def test_other_date_ranges_keep_their_iso_weeks_and_weekdays():
    # Monday of week 18 to Friday of week 19.
    shifted = shift_rules(rules(Window(date(2027, 5, 3), date(2027, 5, 14))), 2027, 2028)
    assert windows(shifted) == [Window(date(2028, 5, 1), date(2028, 5, 12))]
    assert shifted.notes == []


def test_date_ranges_that_would_leave_the_year_keep_their_dates_with_a_note():
    shifted = shift_rules(
        rules(
            Window(date(2027, 1, 1), date(2027, 1, 8)),  # begins in week 53 of 2026
            Window(date(2027, 12, 27), date(2027, 12, 31)),
        ),
        2027,
        2028,
    )
    assert windows(shifted) == [
        Window(date(2028, 1, 1), date(2028, 1, 8)),
        Window(date(2028, 12, 25), date(2028, 12, 29)),  # week 52, Monday to Friday
    ]
    assert shifted.notes == [Note(NoteKind.SAME_DATES, 2028, 1)]
    week_53 = shift_rules(rules(Window(date(2026, 12, 28), date(2026, 12, 31))), 2026, 2027)
    assert windows(week_53) == [Window(date(2027, 12, 28), date(2027, 12, 31))]
    assert week_53.notes == [Note(NoteKind.SAME_DATES, 2027, 1)]


def test_blackout_weeks_keep_their_numbers_and_a_missing_week_53_is_left_out():
    shifted = shift_rules(rules(week_window(2026, 9, 9), blackout_weeks=[1, 7, 52, 53]), 2026, 2027)
    assert shifted.rules.blackout_weeks == [1, 7, 52]
    assert shifted.notes == [Note(NoteKind.BLACKOUT_DROPPED, 2027, 53)]
    kept = shift_rules(rules(week_window(2026, 9, 9), blackout_weeks=[53]), 2026, 2032)
    assert (kept.rules.blackout_weeks, kept.notes) == ([53], [])


def test_the_settings_are_kept_and_the_deadline_moves_by_the_same_years():
    old = rules(
        week_window(2027, 9, 10),
        weekdays=[1, 3],
        deadline=date(2026, 12, 15),
        hide_answers=True,
        min_days_between=21,
        min_attendance=0.6,
    )
    new = shift_rules(old, 2027, 2029).rules
    assert (new.weekdays, new.deadline, new.hide_answers) == ([1, 3], date(2028, 12, 15), True)
    assert (new.min_days_between, new.min_attendance) == (21, 0.6)
    assert [(m.key, m.name, m.row) for m in new.meetings] == [(None, "Møde 1", 1)]
    assert shift_rules(rules(week_window(2027, 9, 9)), 2027, 2028).rules.deadline is None


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (date(2028, 2, 29), 1, date(2029, 2, 28)),
        (date(2028, 2, 29), 4, date(2032, 2, 29)),
        (date(2027, 3, 1), 1, date(2028, 3, 1)),
    ],
)
def test_same_date(day, years, expected):
    assert same_date(day, years) == expected
