"""Complete answers: the member page counts the days answered, lists the blank ones by week,
fills only the blank answers on request, says "Du har svaret" only when every day is answered,
folds answered weeks and returns a shortcut to the week it set; the coordinator's overview and
dashboard count answered / partly / not answered, and reminders go to the last two. Both
engines."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select

from poll.completeness import State, blank_by_week, progress
from poll.db import db
from poll.models import Answer, CandidateDay, Network, Poll, Response, Venue
from tests.calendar.test_feeds_helpers import make_year, publish_result
from tests.factories import log_in, make_network, record_answers

TUE = date(2027, 3, 2)  # uge 9
MON10 = date(2027, 3, 8)  # uge 10
JUNE = date(2027, 6, 7)  # uge 23
DAYS = 15  # weeks 9, 10 and 23, Monday to Friday
VENUES = ("odense", "vejle")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def url(fx, who="henrik") -> str:
    return f"/m/{fx.tokens[who]}/2027"


def week9(grid) -> dict[str, str]:
    return {
        f"a-{day_id}-{venue_id}": "yes"
        for day, day_id in grid["days"].items()
        if day.isocalendar().week == 9
        for venue_id in grid["venues"].values()
    }


def cell(grid, day: date, venue: str) -> str:
    return f"a-{grid['days'][day]}-{grid['venues'][venue]}"


def stored(app, fx, who="henrik") -> dict[tuple[str, str], str]:
    with app.app_context():
        row = db.session.scalar(
            select(Response).where(
                Response.poll_id == fx.poll_id, Response.member_id == fx.member_ids[who]
            )
        )
        return {(d, v): a.value for d, v, a in row.cells()} if row else {}


def details(page: str, anchor: str) -> str:
    """The opening tag of the <details> of a week."""
    return re.search(rf'<details class="week" id="{anchor}"[^>]*>', page).group(0)


# -- the pure rules --------------------------------------------------------------------------


def test_a_day_counts_only_when_every_venue_has_an_answer():
    days = [date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 8)]
    answers = {"2027-03-01": {"odense": "yes", "vejle": "no"}, "2027-03-02": {"odense": "yes"}}
    done = progress(days, list(VENUES), answers)
    assert (done.answered_days, done.total_days, done.state) == (1, 3, State.PARTLY)
    assert [(b.day, b.venues, b.partly) for b in done.blank] == [
        (date(2027, 3, 2), ("vejle",), True),
        (date(2027, 3, 8), VENUES, False),
    ]
    assert [monday for monday, _days in blank_by_week(done)] == [
        date(2027, 3, 1),
        date(2027, 3, 8),
    ]
    assert progress(days, list(VENUES), None).state == State.NONE
    assert progress(days, list(VENUES), {}).state == State.NONE  # saved, but no day answered
    every = {d.isoformat(): {"odense": "no", "vejle": "maybe"} for d in days}
    assert progress(days, list(VENUES), every).state == State.ANSWERED
    assert progress([], list(VENUES), {}).state == State.ANSWERED  # nothing to answer


# -- the member page -------------------------------------------------------------------------


def test_one_week_saved_shows_progress_and_the_blank_days_by_week(app, client, fx, grid):
    page = text(client.get(url(fx)))
    assert "Du har ikke svaret endnu." in page
    assert f"0 af {DAYS} dage besvaret" in page
    assert "Disse" not in page  # no list of blank days before the first save

    saved = client.post(url(fx), data={**week9(grid), cell(grid, MON10, "odense"): "no"})
    assert saved.status_code == 303
    page = text(client.get(saved.headers["Location"]))
    assert f"5 af {DAYS} dage besvaret" in page
    assert "Du har delvist besvaret afstemningen; senest gemt" in page
    assert "Du har svaret;" not in page
    assert f"Disse {DAYS - 5} dage mangler stadig svar:" in page
    blank = re.search(r'<ul class="blank-weeks">(.*?)</ul>', page, re.S).group(1)
    assert '<a href="#uge-2027-10">Uge 10</a>' in blank
    assert '<a href="#uge-2027-23">Uge 23</a>' in blank
    assert "Uge 9" not in blank
    assert "man. 8. mar. (mangler svar for Vejle Bibliotek)" in blank
    assert "man. 7. jun." in blank and "tirs. 2. mar." not in blank
    # The answered week folds; the weeks with blanks stay open.
    assert " open" not in details(page, "uge-2027-9")
    assert details(page, "uge-2027-10").endswith(" open>")
    assert details(page, "uge-2027-23").endswith(" open>")
    assert "alle dage besvaret" in page and "mangler svar</span>" in page


def test_set_every_blank_answer_keeps_the_given_ones(app, client, fx, grid):
    client.post(url(fx), data={cell(grid, TUE, "odense"): "no"})
    # A cell changed on the page but not saved yet counts as given too.
    form = {cell(grid, TUE, "odense"): "no", cell(grid, JUNE, "vejle"): "yes"}
    done = client.post(url(fx), data={**form, "shortcut": "blank:maybe"})
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/2027#svar-status")
    answers = stored(app, fx)
    assert len(answers) == DAYS * 2
    assert answers[("2027-03-02", "odense")] == "no"
    assert answers[("2027-06-07", "vejle")] == "yes"
    assert list(answers.values()).count("maybe") == DAYS * 2 - 2

    page = text(client.get(done.headers["Location"]))
    message = f"{DAYS * 2 - 2} manglende svar er sat til Hvis nødvendigt. Gemt kl."
    status = re.search(r'<section id="svar-status".*?</section>', page, re.S).group(0)
    assert message in status  # shown where the page returns to
    assert f"{DAYS} af {DAYS} dage besvaret" in page and "Alle dage har et svar." in page
    assert "Du har svaret; senest gemt" in page
    assert 'class="blank-weeks"' not in page and 'value="blank:' not in page
    assert " open>" not in re.sub(r'<details class="replace[^>]*>', "", page)  # all folded

    again = client.post(url(fx), data={"shortcut": "blank:no"})
    assert "Der var ingen manglende svar at udfylde." in text(client.get(again.headers["Location"]))
    assert stored(app, fx) == answers


def test_set_blank_buttons_are_named_for_screen_readers(client, fx):
    page = text(client.get(url(fx)))
    for label in ("Ja", "Hvis nødvendigt", "Nej"):
        assert f'aria-label="Sæt alle manglende svar til {label}"' in page
    assert "Svar, du allerede har givet, bliver ikke ændret." in page


def test_a_week_shortcut_returns_to_that_week_with_the_message_there(app, client, fx, grid):
    done = client.post(url(fx), data={"shortcut": "week:2027-03-08:yes"})
    assert done.headers["Location"].endswith("/2027#uge-2027-10")
    page = text(client.get(done.headers["Location"]))
    week = page[page.index('id="uge-2027-10"') : page.index('id="uge-2027-23"')]
    assert re.search(r'<p class="local-message">Hele uge 10 er sat til Ja\. Gemt kl\.', week)
    assert details(page, "uge-2027-10").endswith(" open>")  # open: its message is there
    # Once the message is read, the answered week folds.
    page = text(client.get(url(fx)))
    assert " open" not in details(page, "uge-2027-10")
    assert "local-message" not in page

    venue = client.post(url(fx), data={"shortcut": f"venue:{grid['venues']['odense']}:no"})
    assert venue.headers["Location"].endswith("/2027#hurtigt")
    page = text(client.get(venue.headers["Location"]))
    quick = re.search(r'<section id="hurtigt".*?</section>', page, re.S).group(0)
    assert "Alle dage på Odense Bibliotek er sat til Nej. Gemt kl." in quick


def test_the_task_comes_before_the_calendar_block(client, fx):
    page = text(client.get(url(fx)))
    assert page.index('id="answers"') < page.index('id="calendar-heading"')
    assert page.index('id="svar-status"') < page.index('id="hurtigt"') < page.index("uge-2027-9")


def test_a_save_by_script_gets_the_new_progress(app, client, fx, grid):
    done = client.post(url(fx), data=week9(grid), headers={"Accept": "application/json"})
    assert done.status_code == 200
    assert done.json["state"] == "partly"
    assert done.json["answered"].startswith("Du har delvist besvaret afstemningen")
    assert f"5 af {DAYS} dage besvaret" in done.json["progress_html"]
    assert 'href="#uge-2027-10"' in done.json["progress_html"]
    rest = {
        cell(grid, day, venue): "no"
        for day in grid["days"]
        if day.isocalendar().week != 9
        for venue in VENUES
    }
    done = client.post(url(fx), data=rest, headers={"Accept": "application/json"})
    assert done.json["state"] == "answered"
    assert done.json["answered"].startswith("Du har svaret; senest gemt")
    assert "blank-weeks" not in done.json["progress_html"]


def test_a_closed_poll_shows_the_progress_without_buttons(app, client, fx, grid):
    client.post(url(fx), data=week9(grid))
    with app.app_context():
        db.session.get(Poll, fx.poll_id).is_open = False
        db.session.commit()
    page = text(client.get(url(fx)))
    assert f"5 af {DAYS} dage besvaret" in page and 'class="blank-weeks"' in page
    assert 'value="blank:' not in page


# -- the coordinator -------------------------------------------------------------------------


@pytest.fixture
def three(app):
    """Sara answered every day, Henrik week 9 only, Maria nothing."""
    with app.app_context():
        fx = make_network()
        days = db.session.scalars(
            select(CandidateDay.day).where(CandidateDay.poll_id == fx.poll_id)
        ).all()
        venues = db.session.scalars(
            select(Venue.key).where(Venue.network_id == fx.network_id)
        ).all()
        every = [(d, v, Answer.YES) for d in days for v in venues]
        record_answers(fx.poll_id, fx.member_ids["sara"], every)
        week = [c for c in every if c[0].isocalendar().week == 9]
        record_answers(fx.poll_id, fx.member_ids["henrik"], week)
        db.session.commit()
    return fx


def test_the_overview_and_dashboard_count_answered_partly_and_missing(app, client, three):
    log_in(client, three)
    page = text(client.get(f"/tovholder/afstemninger/{three.poll_id}"))
    assert (
        "1 af 3 har svaret på alle dage</strong>;\n  1 har svaret delvist;\n  1 har ikke svaret."
    ) in page
    partly = re.search(r'<ul class="partly">(.*?)</ul>', page, re.S).group(1)
    assert "Henrik" in partly and f"5 af {DAYS} dage besvaret" in partly
    assert "Maria" in re.search(r'<ul class="missing">(.*?)</ul>', page, re.S).group(1)
    assert "Sara" in re.search(r'<ul class="answered">(.*?)</ul>', page, re.S).group(1)
    dashboard = text(client.get("/tovholder/"))
    assert "1 af 3 har svaret på alle dage; 1 har svaret delvist" in dashboard


def test_reminders_go_to_partly_and_not_answered(app, client, three, smtp, runner):
    log_in(client, three)
    page = text(client.get("/tovholder/beskeder"))
    assert "Har ikke svaret på alle dage endnu: Henrik, Maria" in page
    assert "Mind de 2 medlemmer, der ikke har svaret på alle dage" in page
    result = runner.invoke(args=["remind", "test", "2027"])
    assert result.exit_code == 0, result.output
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [
        "henrik@example.dk",
        "maria@example.dk",
    ]
    henrik = smtp.to("henrik@example.dk").get_body(("plain",)).get_content()
    assert f"Du har svaret på 5 af de {DAYS} dage til møderne i Testnetværk i 2027" in henrik
    assert "Vi mangler dit svar" not in henrik
    maria = smtp.to("maria@example.dk").get_body(("plain",)).get_content()
    assert "Vi mangler dit svar" in maria


def test_the_automatic_reminder_also_reaches_the_partly_answered(app, three, smtp, runner):
    with app.app_context():
        db.session.get(Poll, three.poll_id).deadline = date(2026, 12, 15)
        db.session.commit()
    result = runner.invoke(args=["remind", "--auto", "--today", "2026-12-12"])
    assert result.exit_code == 0, result.output
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [
        "henrik@example.dk",
        "maria@example.dk",
    ]


def test_a_network_without_answers_counts_everyone_missing(app, client):
    with app.app_context():
        fx = make_network(slug="tom")
        assert db.session.get(Network, fx.network_id) is not None
    log_in(client, fx)
    page = text(client.get(f"/tovholder/afstemninger/{fx.poll_id}"))
    assert "0 af 3 har svaret på alle dage" in page and "3 har ikke svaret." in page


# -- after publication -----------------------------------------------------------------------


def test_a_meeting_already_held_folds_on_the_member_page(app, client):
    with app.app_context():
        fx = make_year(slug="holdt")
        # Møde 1 was held (a date before today); the others are still to come.
        publish_result(fx.poll_id, days={"m1": date(2026, 3, 26)})
    page = text(client.get(f"/m/{fx.tokens['henrik']}/2027"))
    held = re.search(r'<details class="past-meeting">(.*?)</details>', page, re.S).group(1)
    assert "<h3>Møde 1</h3> <span" in held and "holdt torsdag den 26. marts 2026" in held
    assert page.count('class="past-meeting"') == 1
    assert "<h3>Møde 2</h3>" in page


def test_nobody_missing_but_some_partly_is_not_called_everybody_answered(app, client, three):
    with app.app_context():
        record_answers(three.poll_id, three.member_ids["maria"], [(TUE, "odense", Answer.NO)])
        db.session.commit()
    log_in(client, three)
    page = text(client.get(f"/tovholder/afstemninger/{three.poll_id}"))
    assert "Alle har svaret på nogle af dagene" in page
    assert "Alle har svaret." not in page
    assert "1 af 3 har svaret på alle dage</strong>;\n  2 har svaret delvist" in page
