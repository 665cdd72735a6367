from datetime import date

from poll.days import Window, candidate_days, week_window


def test_week_window_spans_monday_to_sunday():
    assert week_window(2027, 9, 10) == Window(date(2027, 3, 1), date(2027, 3, 14))


def test_holidays_are_left_out_with_their_danish_names():
    days, skipped = candidate_days(week_window(2027, 12, 13), weekdays=range(5))
    assert date(2027, 3, 25) not in days  # skærtorsdag
    names = {s.day: s.name for s in skipped}
    assert names[date(2027, 3, 25)] == "Skærtorsdag"
    assert names[date(2027, 3, 26)] == "Langfredag"
    assert names[date(2027, 3, 29)] == "Anden påskedag"
    assert date(2027, 3, 24) in days


def test_blackout_weeks_weekdays_and_excluded_days():
    days, skipped = candidate_days(
        week_window(2027, 7, 9),
        weekdays=[1, 2],
        blackout_weeks=[7],
        excluded=[date(2027, 3, 2)],
    )
    assert days == [date(2027, 2, 23), date(2027, 2, 24), date(2027, 3, 3)]
    assert {s.reason for s in skipped} == {"blackout"}
    assert all(d.weekday() in (1, 2) for d in days)


def test_customary_closing_days_are_left_out():
    days, skipped = candidate_days(Window(date(2027, 12, 20), date(2027, 12, 31)), range(5))
    assert date(2027, 12, 24) not in days and date(2027, 12, 31) not in days
    assert {s.name for s in skipped} >= {"Juleaftensdag", "Nytårsaften"}
