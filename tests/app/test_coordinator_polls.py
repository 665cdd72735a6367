"""Year polls from rules: the preview, creating, editing without losing answers, single days,
the deadline and closing. Both engines."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from poll.db import db
from poll.models import Answer, CandidateDay, Meeting, Poll, Response
from tests.factories import log_in, make_network, record_answers

NEW = "/tovholder/afstemninger/ny"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form(
    meetings,
    *,
    year=None,
    action="preview",
    weekdays=(0, 1, 2, 3, 4),
    blackout="",
    deadline="",
    hide=False,
    min_days="28",
    min_attendance="50",
) -> dict:
    """The poll form as a browser posts it; meetings are (name, weeks, start, end[, key])."""
    data = {
        "action": action,
        "weekdays": [str(d) for d in weekdays],
        "blackout_weeks": blackout,
        "deadline": deadline,
        "min_days_between": min_days,
        "min_attendance": min_attendance,
    }
    if year is not None:
        data["year"] = str(year)
    if hide:
        data["hide_answers"] = "y"
    for i, row in enumerate(meetings):
        name, weeks, start, end, *key = row
        data.update(
            {
                f"meetings-{i}-name": name,
                f"meetings-{i}-weeks": weeks,
                f"meetings-{i}-start": start,
                f"meetings-{i}-end": end,
                f"meetings-{i}-key": key[0] if key else "",
            }
        )
    return data


@pytest.fixture
def fx(app, client):
    """A network with a 2027 poll: Møde 1 in weeks 9-10, Møde 2 in week 23."""
    with app.app_context():
        fixture = make_network()
    log_in(client, fixture)
    return fixture


@pytest.fixture
def fx26(app, client):
    """A network whose only poll is 2026, so that 2027 can be created."""
    with app.app_context():
        fixture = make_network(year=2026)
    log_in(client, fixture)
    return fixture


def poll_of(app, fx, year):
    with app.app_context():
        return db.session.scalar(
            select(Poll).where(Poll.network_id == fx.network_id, Poll.year == year)
        )


def days_of(app, poll_id) -> dict[date, str]:
    """Each candidate day and the key of its meeting (manual days marked with a *)."""
    with app.app_context():
        rows = db.session.execute(
            select(CandidateDay.day, Meeting.key, CandidateDay.manual)
            .join(Meeting, Meeting.id == CandidateDay.meeting_id)
            .where(CandidateDay.poll_id == poll_id)
        )
        return {d: k + ("*" if manual else "") for d, k, manual in rows}


def answer(app, fx, who: str, day: date, venue="odense", value=Answer.YES) -> None:
    with app.app_context():
        record_answers(fx.poll_id, fx.member_ids[who], [(day, venue, value)])
        db.session.commit()


def answers(app, fx) -> set[tuple[str, date]]:
    keys = {v: k for k, v in fx.member_ids.items()}
    with app.app_context():
        return {
            (keys[r.member_id], date.fromisoformat(day))
            for r in db.session.scalars(select(Response))
            for day in r.answers
        }


FIXTURE_MEETINGS = [("Møde 1", "9–10", "", "", "m1"), ("Møde 2", "23", "", "", "m2")]


# -- creating --------------------------------------------------------------------------------


def test_the_preview_from_weeks_shows_week_numbers_and_the_holidays_left_out(app, client, fx26):
    response = client.post(
        NEW,
        data=form([("Forårsmøde", "9-10", "", ""), ("Påskemøde", "uge 12–13", "", "")], year=2027),
    )
    assert response.status_code == 200
    page = text(response)
    assert "Intet er gemt endnu" in page
    for expected in ("uge 9", "uge 10", "uge 12", "uge 13", "Forårsmøde", "Påskemøde"):
        assert expected in page, expected
    assert "Udeladte helligdage:" in page
    for holiday in ("Skærtorsdag", "Langfredag", "Anden påskedag"):
        assert holiday in page, holiday
    assert "10 mulige dage" in page and "7 mulige dage" in page
    assert "man. 1. mar." in page
    assert 'value="save"' in page
    assert poll_of(app, fx26, 2027) is None


def test_saving_creates_the_poll_with_its_days_and_settings(app, client, fx26):
    response = client.post(
        NEW,
        data=form(
            [("", "9-10", "", ""), ("Påskemøde", "12–13", "", "")],
            year=2027,
            action="save",
            blackout="7, 42",
            deadline="2027-02-15",
            hide=True,
            min_days="21",
            min_attendance="60 %",
        ),
    )
    assert response.status_code in (302, 303), text(response)
    poll = poll_of(app, fx26, 2027)
    assert response.headers["Location"].endswith(f"/tovholder/afstemninger/{poll.id}")
    assert (poll.blackout_weeks, poll.deadline, poll.hide_answers) == (
        [7, 42],
        date(2027, 2, 15),
        True,
    )
    assert (poll.min_days_between, poll.min_attendance, poll.weekdays) == (21, 0.6, [0, 1, 2, 3, 4])
    with app.app_context():
        meetings = db.session.scalars(
            select(Meeting).where(Meeting.poll_id == poll.id).order_by(Meeting.position)
        ).all()
        assert [(m.key, m.name) for m in meetings] == [("m1", "Møde 1"), ("m2", "Påskemøde")]
        assert (meetings[0].window_start, meetings[0].window_end) == (
            date(2027, 3, 1),
            date(2027, 3, 14),
        )
    days = days_of(app, poll.id)
    assert len(days) == 17
    assert date(2027, 3, 25) not in days  # Skærtorsdag
    assert days[date(2027, 3, 22)] == "m2"


def test_a_poll_from_dates_with_chosen_weekdays_and_blackout_weeks(app, client, fx26):
    rows = [("Majmøde", "", "2027-05-03", "2027-05-14")]
    preview = text(client.post(NEW, data=form(rows, year=2027, weekdays=(1, 3), blackout="19")))
    assert "Kristi himmelfartsdag" in preview
    assert "Udeladt i blokerede uger:" in preview and "uge 19" in preview
    assert "uge 18" in preview and "1 mulig dag" in preview
    saved = client.post(
        NEW, data=form(rows, year=2027, weekdays=(1, 3), blackout="19", action="save")
    )
    assert saved.status_code in (302, 303)
    poll = poll_of(app, fx26, 2027)
    assert days_of(app, poll.id) == {date(2027, 5, 4): "m1"}
    assert poll.weekdays == [1, 3]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"year": 2026}, "År: netværket har allerede en afstemning for 2026."),
        ({"year": "tyve"}, "År: udfyld året, fx 2027."),
        ({"meetings": [("M", "9-x", "", "")]}, "Møde 1, uger: skriv én uge som 9"),
        ({"meetings": [("M", "60", "", "")]}, "Møde 1, uger: 2027 har uge 1 til 52, ikke 60."),
        ({"meetings": [("M", "9", "2027-03-01", "")]}, "Møde 1: angiv enten uger eller datoer"),
        ({"meetings": [("M", "", "", "")]}, "Møde 1: angiv ugerne (fx 9–10) eller datoerne"),
        ({"meetings": [("M", "", "2027-03-01", "")]}, "Møde 1, til: udfyld den sidste dag."),
        ({"meetings": [("M", "", "1. marts", "2027-03-05")]}, "Fra: skriv en dato som 2027-03-01."),
        (
            {"meetings": [("M", "", "2027-03-09", "2027-03-01")]},
            "Møde 1, til: må ikke ligge før fra.",
        ),
        (
            {"meetings": [("M", "", "2028-03-01", "2028-03-09")]},
            "Møde 1: datoerne skal ligge i 2027.",
        ),
        (
            {"meetings": [("A", "9-10", "", ""), ("B", "10", "", "")]},
            "Møde 2: perioden skal begynde",
        ),
        ({"meetings": []}, "Møder: angiv mindst ét møde"),
        (
            {"meetings": [("Jul", "", "2027-12-24", "2027-12-26")]},
            "Møde 1: der er ingen mulige dage tilbage i perioden",
        ),
        ({"weekdays": ()}, "Ugedage: vælg mindst én ugedag."),
        ({"weekdays": ("0", "9")}, "Ugedage: ukendt ugedag"),
        ({"blackout": "7, x"}, "Blokerede uger: 'x' er ikke et ugenummer."),
        ({"min_attendance": "150"}, "Mindste fremmøde: en procentsats fra 0 til 100"),
        ({"min_days": "-3"}, "Mindste antal dage mellem møderne: et helt tal fra 0 til 365."),
        ({"deadline": "15/13/2026"}, "Svarfrist: skriv en dato som 2026-12-15."),
    ],
)
def test_bad_rules_are_refused_with_a_message_naming_the_field(app, client, fx26, changes, message):
    changes = dict(changes)  # the parameters are shared by both engines' runs
    meetings = changes.pop("meetings", [("Møde", "9-10", "", "")])
    data = form(meetings, year=changes.pop("year", 2027), action="save", **changes)
    response = client.post(NEW, data=data)
    assert response.status_code == 422
    assert message in text(response)
    assert 'value="save"' not in text(response)
    assert poll_of(app, fx26, 2027) is None


def test_a_meeting_row_can_be_added_without_javascript(app, client, fx26):
    response = client.post(NEW, data=form([("M", "9", "", "")], year=2027, action="add_row"))
    assert response.status_code == 200
    page = text(response)
    assert 'name="meetings-6-name"' in page
    assert 'name="meetings-7-name"' not in page
    assert 'value="M"' in page
    assert poll_of(app, fx26, 2027) is None


# -- editing ---------------------------------------------------------------------------------


def test_the_edit_page_shows_the_rules_as_saved(app, client, fx):
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}/rediger"))
    assert 'value="9–10"' in page and 'value="23"' in page
    assert 'name="meetings-0-key" type="hidden" value="m1"' in page
    assert 'value="50"' in page and 'value="28"' in page


def test_adding_days_keeps_every_answer(app, client, fx):
    answer(app, fx, "henrik", date(2027, 3, 1))
    answer(app, fx, "maria", date(2027, 6, 8), "vejle", Answer.MAYBE)
    before = answers(app, fx)
    url = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    meetings = [("Møde 1", "9–11", "", "", "m1"), ("Møde 2", "23", "", "", "m2")]
    preview = text(client.post(url, data=form(meetings)))
    assert "5 nye dage" in preview and "0 dage fjernes" in preview
    saved = client.post(url, data=form(meetings, action="save"))
    assert saved.status_code in (302, 303)
    assert answers(app, fx) == before
    days = days_of(app, fx.poll_id)
    assert days[date(2027, 3, 15)] == "m1" and len(days) == 20


def test_removing_answered_days_asks_first_and_deletes_only_on_confirm(app, client, fx):
    answer(app, fx, "henrik", date(2027, 3, 1))
    answer(app, fx, "maria", date(2027, 3, 1), "vejle")
    answer(app, fx, "maria", date(2027, 3, 9))
    url = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    meetings = [("Møde 1", "", "2027-03-02", "2027-03-12", "m1"), ("Møde 2", "23", "", "", "m2")]

    asked = client.post(url, data=form(meetings, action="save"))
    assert asked.status_code == 409
    page = text(asked)
    assert "Slette dage, der har svar?" in page
    assert "mandag den 1. marts 2027" in page and "2 medlemmer har svaret" in page
    assert date(2027, 3, 1) in days_of(app, fx.poll_id)
    assert len(answers(app, fx)) == 3

    token = re.search(r'name="confirmed_days" value="([^"]*)"', page).group(1)
    assert token == "2027-03-01"
    stale = client.post(
        url, data={**form(meetings, action="confirm"), "confirmed_days": "2027-03-02"}
    )
    assert stale.status_code == 409
    assert date(2027, 3, 1) in days_of(app, fx.poll_id)

    done = client.post(url, data={**form(meetings, action="confirm"), "confirmed_days": token})
    assert done.status_code in (302, 303)
    assert date(2027, 3, 1) not in days_of(app, fx.poll_id)
    assert answers(app, fx) == {("maria", date(2027, 3, 9))}


def test_dropping_a_weekday_with_answers_also_asks_first(app, client, fx):
    answer(app, fx, "henrik", date(2027, 3, 5))  # a Friday
    url = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    asked = client.post(url, data=form(FIXTURE_MEETINGS, weekdays=(0, 1, 2, 3), action="save"))
    assert asked.status_code == 409
    assert "fredag den 5. marts 2027" in text(asked)
    with app.app_context():
        assert db.session.get(Poll, fx.poll_id).weekdays == [0, 1, 2, 3, 4]


def test_a_day_moving_to_another_meeting_keeps_its_answers(app, client, fx):
    answer(app, fx, "henrik", date(2027, 3, 9))
    url = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    meetings = [("Møde 1", "9", "", "", "m1"), ("Møde 2", "10", "", "", "m2")]
    preview = text(client.post(url, data=form(meetings)))
    assert "flyttet hertil" in preview
    saved = client.post(url, data=form(meetings, action="save"))
    assert saved.status_code in (302, 303)  # week 23 had no answers: no question
    days = days_of(app, fx.poll_id)
    assert days[date(2027, 3, 9)] == "m2"
    assert date(2027, 6, 8) not in days
    assert answers(app, fx) == {("henrik", date(2027, 3, 9))}


def test_blanking_a_meeting_row_removes_the_meeting(app, client, fx):
    url = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    saved = client.post(
        url, data=form([("Møde 1", "9–10", "", "", "m1"), ("", "", "", "", "m2")], action="save")
    )
    assert saved.status_code in (302, 303)
    with app.app_context():
        keys = db.session.scalars(select(Meeting.key).where(Meeting.poll_id == fx.poll_id)).all()
    assert keys == ["m1"]
    assert set(days_of(app, fx.poll_id).values()) == {"m1"}


# -- single days -----------------------------------------------------------------------------


def test_a_manual_day_is_added_to_the_nearest_meeting_and_survives_rule_edits(app, client, fx):
    url = f"/tovholder/afstemninger/{fx.poll_id}/dage"
    added = client.post(url, data={"day": "2027-04-07", "meeting": ""})
    assert added.status_code in (302, 303)
    assert days_of(app, fx.poll_id)[date(2027, 4, 7)] == "m1*"

    holiday = client.post(url, data={"day": "2027-05-06", "meeting": "m2"}, follow_redirects=True)
    assert "Bemærk: Kristi himmelfartsdag er en helligdag." in text(holiday)
    assert days_of(app, fx.poll_id)[date(2027, 5, 6)] == "m2*"

    for data, message in [
        ({"day": "2027-04-07"}, "Dag: dagen er allerede en mulig dag for Møde 1."),
        ({"day": "2028-01-05"}, "Dag: vælg en dag i 2027."),
        ({"day": "i morgen"}, "Dag: skriv en dato som 2027-03-01."),
        ({"day": "2027-04-08", "meeting": "m9"}, "Møde: vælg et af afstemningens møder."),
    ]:
        response = client.post(url, data=data)
        assert response.status_code == 422, data
        assert message in text(response), data

    edit = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    assert "tilføjet af dig" in text(client.post(edit, data=form(FIXTURE_MEETINGS)))
    client.post(edit, data=form(FIXTURE_MEETINGS, action="save"))
    assert days_of(app, fx.poll_id)[date(2027, 4, 7)] == "m1*"


def test_removing_a_single_day_keeps_it_out_and_asks_when_it_has_answers(app, client, fx):
    answer(app, fx, "henrik", date(2027, 3, 2))
    answer(app, fx, "maria", date(2027, 3, 3))
    with app.app_context():
        ids = {
            d.day: d.id
            for d in db.session.scalars(
                select(CandidateDay).where(CandidateDay.poll_id == fx.poll_id)
            )
        }
    base = f"/tovholder/afstemninger/{fx.poll_id}/dage"

    quiet = client.post(f"{base}/{ids[date(2027, 3, 1)]}/fjern")
    assert quiet.status_code in (302, 303)
    assert date(2027, 3, 1) not in days_of(app, fx.poll_id)
    assert poll_of(app, fx, 2027).excluded_days == ["2027-03-01"]

    asked = client.post(f"{base}/{ids[date(2027, 3, 2)]}/fjern")
    assert asked.status_code == 409
    assert "1 medlem har svaret" in text(asked) and "tirsdag den 2. marts 2027" in text(asked)
    assert date(2027, 3, 2) in days_of(app, fx.poll_id)
    wrong = client.post(f"{base}/{ids[date(2027, 3, 2)]}/fjern", data={"confirm": "2027-03-03"})
    assert wrong.status_code == 409
    confirmed = client.post(f"{base}/{ids[date(2027, 3, 2)]}/fjern", data={"confirm": "2027-03-02"})
    assert confirmed.status_code in (302, 303)
    assert date(2027, 3, 2) not in days_of(app, fx.poll_id)
    assert answers(app, fx) == {("maria", date(2027, 3, 3))}

    # The rules do not bring removed days back, and the preview says why.
    edit = f"/tovholder/afstemninger/{fx.poll_id}/rediger"
    preview = text(client.post(edit, data=form(FIXTURE_MEETINGS)))
    assert "Fjernet af dig tidligere:" in preview
    client.post(edit, data=form(FIXTURE_MEETINGS, action="save"))
    assert date(2027, 3, 1) not in days_of(app, fx.poll_id)

    # Adding it back by hand is allowed and lifts the exclusion.
    client.post(base, data={"day": "2027-03-01", "meeting": "m1"})
    assert days_of(app, fx.poll_id)[date(2027, 3, 1)] == "m1*"
    assert "2027-03-01" not in poll_of(app, fx, 2027).excluded_days


# -- deadline, closing -----------------------------------------------------------------------


def test_deadline_is_set_validated_and_cleared(app, client, fx):
    url = f"/tovholder/afstemninger/{fx.poll_id}/svarfrist"
    ok = client.post(url, data={"deadline": "2027-12-15"})
    assert ok.status_code in (302, 303)
    assert poll_of(app, fx, 2027).deadline == date(2027, 12, 15)
    overview = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    assert "Svarfrist: onsdag den 15. december 2027" in overview

    bad = client.post(url, data={"deadline": "15/13/2027"})
    assert bad.status_code == 422
    assert "Svarfrist: skriv en dato som 2026-12-15." in text(bad)
    assert poll_of(app, fx, 2027).deadline == date(2027, 12, 15)

    cleared = client.post(url, data={"deadline": ""})
    assert cleared.status_code in (302, 303)
    assert poll_of(app, fx, 2027).deadline is None


def test_the_poll_is_closed_and_reopened(app, client, fx):
    closed = client.post(f"/tovholder/afstemninger/{fx.poll_id}/luk", follow_redirects=True)
    assert "Afstemningen er lukket" in text(closed)
    assert poll_of(app, fx, 2027).is_open is False
    assert "Genåbn afstemningen" in text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    reopened = client.post(f"/tovholder/afstemninger/{fx.poll_id}/genaabn")
    assert reopened.status_code in (302, 303)
    assert poll_of(app, fx, 2027).is_open is True
    assert client.get(f"/tovholder/afstemninger/{fx.poll_id}/luk").status_code == 405


def test_answers_counted_per_day_on_the_days_page(app, client, fx):
    answer(app, fx, "henrik", date(2027, 3, 4))
    answer(app, fx, "maria", date(2027, 3, 4), "vejle")
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}/dage"))
    row = re.search(r"torsdag den 4\. marts 2027.*?</tr>", page, re.S).group(0)
    assert "<td>2</td>" in row
    with app.app_context():
        assert db.session.scalar(select(func.count(CandidateDay.id))) == 15
