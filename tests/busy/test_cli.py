"""flask --app poll import-busy on both engines: the proposal printed per candidate day, and
--apply saving No only in the member's blank cells of busy days."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from poll.db import db
from poll.models import Answer, CandidateDay, Response
from tests.busy.calendars import vcalendar, vevent
from tests.busy.servers import OTHER_PASSWORD, OTHER_USER
from tests.factories import make_network, record_answers

CALENDAR = vcalendar(
    vevent("busy", "DTSTART:20270302T090000Z", "DTEND:20270302T140000Z"),  # 10-15 here
    vevent("partly", "DTSTART:20270303T120000Z", "DTEND:20270303T130000Z"),
    vevent("ferie", "DTSTART;VALUE=DATE:20270608", "DTEND;VALUE=DATE:20270609"),
    vevent("aflyst", "STATUS:CANCELLED", "DTSTART;VALUE=DATE:20270610"),
).encode()


@pytest.fixture
def fx(app):
    with app.app_context():
        fixture = make_network()
        record_answers(
            fixture.poll_id, fixture.member_ids["sara"], [(date(2027, 3, 2), "odense", Answer.YES)]
        )
        db.session.commit()
        return fixture


def lines(output: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in output.splitlines() if line[:2] == "20"}


def answers_of(app, fx, key: str) -> dict[str, dict[str, str]] | None:
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(
                Response.poll_id == fx.poll_id, Response.member_id == fx.member_ids[key]
            )
        )
        return None if response is None else response.answers


def test_prints_the_proposal_and_saves_nothing(app, fx, runner, web):
    url = web.file("/sara.ics", CALENDAR)
    result = runner.invoke(args=["import-busy", "test", "2027", "sara", url])
    assert result.exit_code == 0, result.output
    printed = lines(result.output)
    with app.app_context():
        days = [
            d.day.isoformat()
            for d in db.session.scalars(
                select(CandidateDay)
                .where(CandidateDay.poll_id == fx.poll_id)
                .order_by(CandidateDay.day)
            )
        ]
    assert list(printed) == days  # one line per candidate day, in order
    flags = {day: words[0] for day, words in printed.items()}
    assert flags.pop("2027-03-02") == "busy"
    assert flags.pop("2027-03-03") == "partly"
    assert flags.pop("2027-06-08") == "busy"
    assert set(flags.values()) == {"free"}
    assert printed["2027-03-02"][1:] == ["tirsdag", "den", "2.", "marts", "2027", "(uge", "9)"]
    assert answers_of(app, fx, "sara") == {"2027-03-02": {"odense": "yes"}}
    assert answers_of(app, fx, "henrik") is None


def test_apply_fills_only_blank_cells_of_busy_days(app, fx, runner, web):
    url = web.file("/sara.ics", CALENDAR)
    result = runner.invoke(args=["import-busy", "test", "2027", "sara", url, "--apply"])
    assert result.exit_code == 0, result.output
    assert "3 tomme felter" in result.output
    assert answers_of(app, fx, "sara") == {
        "2027-03-02": {"odense": "yes", "vejle": "no"},  # the answer given by hand is kept
        "2027-06-08": {"odense": "no", "vejle": "no"},
    }
    again = runner.invoke(args=["import-busy", "test", "2027", "sara", url, "--apply"])
    assert again.exit_code == 0, again.output
    assert "0 tomme felter" in again.output
    assert answers_of(app, fx, "sara") == {
        "2027-03-02": {"odense": "yes", "vejle": "no"},
        "2027-06-08": {"odense": "no", "vejle": "no"},
    }


def test_apply_with_nothing_busy_makes_no_response(app, fx, runner, web):
    url = web.file("/tom.ics", vcalendar().encode())
    result = runner.invoke(
        args=["import-busy", "test", "2027", "henrik", url, "--apply", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "Saved No in 0 blank cells" in result.output
    assert set(w[0] for w in lines(result.output).values()) == {"free"}
    assert answers_of(app, fx, "henrik") is None


def test_apply_to_a_closed_poll(app, fx, runner, web):
    from poll.models import Poll

    with app.app_context():
        db.session.get(Poll, fx.poll_id).is_open = False
        db.session.commit()
    url = web.file("/sara.ics", CALENDAR)
    result = runner.invoke(args=["import-busy", "test", "2027", "henrik", url, "--apply"])
    assert result.exit_code == 1
    assert "lukket" in result.output
    assert answers_of(app, fx, "henrik") is None


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["nope", "2027", "sara", "https://example.org/a.ics"], "NETWORK"),
        (["test", "2031", "sara", "https://example.org/a.ics"], "YEAR"),
        (["test", "1999", "sara", "https://example.org/a.ics"], "YEAR"),
        (["test", "2027", "ingen", "https://example.org/a.ics"], "MEMBER"),
        (["test", "2027", "sara", "ftp://example.org/a.ics"], "URL"),
        (["test", "2027", "sara", "kalender.ics"], "URL"),
    ],
)
def test_bad_arguments(app, fx, runner, args, named):
    result = runner.invoke(args=["import-busy", *args, "--apply"])
    assert result.exit_code == 2, result.output
    assert named in result.output
    assert "Traceback" not in result.output
    assert answers_of(app, fx, "sara") == {"2027-03-02": {"odense": "yes"}}


def test_a_calendar_that_cannot_be_read(app, fx, runner, web):
    result = runner.invoke(
        args=["import-busy", "test", "2027", "sara", web.url("/væk.ics"), "--apply"]
    )
    assert result.exit_code == 1
    assert "ikke fundet" in result.output
    page = web.file("/side", b"<html><body>Outlook</body></html>", "text/html")
    result = runner.invoke(args=["import-busy", "test", "2027", "sara", page])
    assert result.exit_code == 1
    assert "ikke en kalender" in result.output
    assert answers_of(app, fx, "sara") == {"2027-03-02": {"odense": "yes"}}


@pytest.fixture(scope="module")
def cli_calendar(caldav_server) -> str:
    with caldav_server.client(OTHER_USER, OTHER_PASSWORD) as client:
        calendar = client.principal().make_calendar(name="cli", cal_id="cli")
        calendar.save_event(
            vcalendar(vevent("kursus", "DTSTART;VALUE=DATE:20270311", "DTEND;VALUE=DATE:20270313"))
        )
    return caldav_server.calendar_url("cli", OTHER_USER)


def test_a_caldav_account(app, fx, runner, caldav_server, cli_calendar):
    result = runner.invoke(
        args=[
            "import-busy",
            "test",
            "2027",
            "henrik",
            cli_calendar,
            "--user",
            OTHER_USER,
            "--apply",
        ],
        env={"MODEPLAN_CALDAV_PASSWORD": OTHER_PASSWORD},
    )
    assert result.exit_code == 0, result.output
    assert {d for d, w in lines(result.output).items() if w[0] == "busy"} == {
        "2027-03-11",
        "2027-03-12",
    }
    assert answers_of(app, fx, "henrik") == {
        "2027-03-11": {"odense": "no", "vejle": "no"},
        "2027-03-12": {"odense": "no", "vejle": "no"},
    }
    wrong = runner.invoke(
        args=[
            "import-busy",
            "test",
            "2027",
            "henrik",
            cli_calendar,
            "--user",
            OTHER_USER,
            "--password",
            "forkert",
        ],
    )
    assert wrong.exit_code == 1
    assert "adgangskode" in wrong.output
