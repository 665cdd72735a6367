"""The member page /m/<token>: render, save, shortcuts without JavaScript, bad input, deadline
and closed polls, hidden answers and headers, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from poll.answers import local_today
from poll.days import week_window
from poll.db import db
from poll.members import add_member
from poll.models import Answer, CandidateDay, Member, Network, Poll, Response, Venue
from poll.poll_admin import MeetingDraft, PollRules, create_poll
from tests.factories import counting_queries, make_network, record_answers

RADIO = re.compile(r'<input type="radio" name="(a-\d+-\d+)" value="(\w+)"( checked)?>')


def cell(grid, day: date, venue: str) -> str:
    return f"a-{grid['days'][day]}-{grid['venues'][venue]}"


def url(fx, who="henrik", year=None) -> str:
    return f"/m/{fx.tokens[who]}" + (f"/{year}" if year else "")


def checked(html: str) -> dict[str, str]:
    return {name: value for name, value, on in RADIO.findall(html) if on}


def stored(app, fx, who="henrik") -> dict[tuple[int, int], str]:
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(
                Response.poll_id == fx.poll_id, Response.member_id == fx.member_ids[who]
            )
        )
        poll = db.session.get(Poll, fx.poll_id)
        days = {d.day.isoformat(): d.id for d in poll.days}
        venues = {v.key: v.id for v in poll.network.venues}
        cells = response.cells() if response else ()
        return {(days[day], venues[venue]): value.value for day, venue, value in cells}


def response_row(app, fx, who="henrik") -> tuple[str, list[str], object] | None:
    with app.app_context():
        row = db.session.scalar(
            select(Response).where(
                Response.poll_id == fx.poll_id, Response.member_id == fx.member_ids[who]
            )
        )
        return None if row is None else (row.comment, row.cannot_roles, row.updated_at)


def set_poll(app, fx, **fields) -> None:
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        for name, value in fields.items():
            setattr(poll, name, value)
        db.session.commit()


def week_section(html: str, label: str) -> str:
    start = html.index(f">{label}</h3>")
    end = html.find("<h3", start)
    return html[start : end if end != -1 else len(html)]


TUE = date(2027, 3, 2)  # uge 9
WED = date(2027, 3, 3)
MON10 = date(2027, 3, 8)  # uge 10
JUNE = date(2027, 6, 7)  # uge 23


# --- render ---------------------------------------------------------------------------------


def test_page_groups_days_by_iso_week_with_danish_dates_and_labelled_radios(client, fx, grid):
    page = client.get(url(fx))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Henrik" in html and "Testnetværk" in html
    # Meeting windows, ISO weeks, Danish long dates.
    assert "Møde 1" in html and "uge 9–10" in html and "Møde 2" in html
    week9, week10 = week_section(html, "uge 9"), week_section(html, "uge 10")
    assert "tirsdag den 2. marts 2027" in week9
    assert "mandag den 8. marts 2027" not in week9
    assert "mandag den 8. marts 2027" in week10
    assert "mandag den 7. juni 2027" in week_section(html, "uge 23")
    # One radio group per day × venue, three answers; each group is named by its venue in the
    # row the day heads (the day is not repeated in every cell).
    names = {name for name, _value, _on in RADIO.findall(html)}
    assert names == {f"a-{d}-{v}" for d in grid["days"].values() for v in grid["venues"].values()}
    assert len(RADIO.findall(html)) == 3 * len(names)
    assert (
        '<tr><th scope="row">tirsdag den 2. marts 2027</th>'
        "<td><fieldset><legend>Odense Bibliotek</legend>"
    ) in html
    assert "> Ja</label>" not in html  # the label text sits right after the input
    assert ">Ja</label>" in html and ">Hvis nødvendigt</label>" in html and ">Nej</label>" in html
    # Roles from the network, a comment field, the save bar with its live status region.
    assert 'name="cannot_roles" value="notes"' in html and "Referent" in html
    assert '<textarea id="comment" name="comment"' in html
    assert 'id="save-status" class="saved" role="status" aria-live="polite"' in html
    assert "Du har ikke svaret endnu." in html
    assert checked(html) == {}


def test_radios_are_checked_from_stored_answers(app, client, fx, grid):
    with app.app_context():
        member = fx.member_ids["henrik"]
        record_answers(
            fx.poll_id,
            member,
            [(TUE, "odense", Answer.YES), (TUE, "vejle", Answer.NO), (JUNE, "vejle", Answer.MAYBE)],
        )
        db.session.commit()
    html = client.get(url(fx)).get_data(as_text=True)
    assert checked(html) == {
        cell(grid, TUE, "odense"): "yes",
        cell(grid, TUE, "vejle"): "no",
        cell(grid, JUNE, "vejle"): "maybe",
    }


def test_english_is_a_choice(client, fx):
    html = client.get(url(fx) + "?lang=en").get_data(as_text=True)
    assert "Tuesday 2 March 2027" in html and "week 9" in html
    assert ">If need be</label>" in html


# --- save -----------------------------------------------------------------------------------


def test_save_writes_answers_comment_and_roles_then_rerenders_them(app, client, fx, grid):
    posted = {
        cell(grid, TUE, "odense"): "yes",
        cell(grid, TUE, "vejle"): "maybe",
        cell(grid, JUNE, "odense"): "no",
        "comment": "Jeg kører fra Vejle.\r\nTirsdage er bedst.",
        "cannot_roles_shown": "1",
        "cannot_roles": ["notes", "presenter"],
        "save": "1",
    }
    saved = client.post(url(fx, year=2027), data=posted)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(url(fx, year=2027))
    assert saved.headers["Referrer-Policy"] == "no-referrer"

    assert set(stored(app, fx).values()) == {"yes", "maybe", "no"}
    assert len(stored(app, fx)) == 3  # cells without an answer are not stored
    comment, roles, _updated = response_row(app, fx)
    assert comment == "Jeg kører fra Vejle.\nTirsdage er bedst."
    assert roles == ["notes", "presenter"]

    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="save-status"[^>]*>Gemt kl\. \d\d\.\d\d\.</p>', page)
    assert checked(page) == {k: v for k, v in posted.items() if k.startswith("a-")}
    assert "Jeg kører fra Vejle.\nTirsdage er bedst.</textarea>" in page
    assert 'value="notes" checked' in page and 'value="presenter" checked' in page
    assert 'value="leader" checked' not in page
    assert "Du har delvist besvaret afstemningen; senest gemt" in page  # 3 cells of many
    # "Saved" is shown once, not on every later visit.
    assert "Gemt kl." not in client.get(url(fx, year=2027)).get_data(as_text=True)


def test_a_second_save_updates_only_changed_cells_and_the_timestamp(app, client, fx, grid):
    first = {cell(grid, d, v): "yes" for d in (TUE, WED, MON10) for v in ("odense", "vejle")}
    client.post(url(fx, year=2027), data={**first, "comment": "a"})
    _c, _r, first_time = response_row(app, fx)

    before = stored(app, fx)
    second = {**first, cell(grid, WED, "vejle"): "no"}
    client.post(url(fx, year=2027), data={**second, "comment": "b"})
    wed_vejle = (grid["days"][WED], grid["venues"]["vejle"])
    assert stored(app, fx) == {**before, wed_vejle: "no"}
    assert len(before) == 6
    comment, _roles, second_time = response_row(app, fx)
    assert comment == "b" and second_time > first_time


def test_cells_left_out_of_a_post_keep_their_stored_answer(app, client, fx, grid):
    client.post(url(fx, year=2027), data={cell(grid, TUE, "odense"): "yes", "comment": "hej"})
    client.post(url(fx, year=2027), data={cell(grid, WED, "odense"): "maybe"})
    assert stored(app, fx) == {
        (grid["days"][TUE], grid["venues"]["odense"]): "yes",
        (grid["days"][WED], grid["venues"]["odense"]): "maybe",
    }
    # Nor does a post without the comment or the roles fieldset wipe them.
    assert response_row(app, fx)[0] == "hej"


def test_saving_nothing_still_records_that_the_member_answered(app, client, fx):
    assert response_row(app, fx) is None
    assert client.post(url(fx, year=2027), data={"save": "1"}).status_code == 303
    comment, roles, _ = response_row(app, fx)
    assert (comment, roles) == ("", [])


def test_script_save_by_fetch_gets_json(app, client, fx, grid):
    ok = client.post(
        url(fx, year=2027),
        data={cell(grid, TUE, "odense"): "yes"},
        headers={"Accept": "application/json"},
    )
    assert ok.status_code == 200
    assert ok.json["ok"] is True and ok.json["message"].startswith("Gemt kl.")
    assert ok.headers["Referrer-Policy"] == "no-referrer"
    bad = client.post(
        url(fx, year=2027),
        data={cell(grid, TUE, "odense"): "nope", "cannot_roles": "boss"},
        headers={"Accept": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json["ok"] is False
    assert {e["field"] for e in bad.json["errors"]} == {cell(grid, TUE, "odense"), "cannot_roles"}
    assert stored(app, fx) == {(grid["days"][TUE], grid["venues"]["odense"]): "yes"}


def test_csrf_token_is_required_also_by_header(app, fx, grid, strict):
    client = strict.test_client()
    target = url(fx, year=2027)
    refused = client.post(target, data={cell(grid, TUE, "odense"): "yes"})
    assert refused.status_code == 400
    assert "sikkerhedstegn" in refused.get_data(as_text=True)
    page = client.get(target).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    by_header = client.post(
        target,
        data={cell(grid, TUE, "odense"): "yes"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert by_header.status_code == 200 and by_header.json["ok"] is True
    with strict.app_context():
        db.engine.dispose()
    assert stored(app, fx) == {(grid["days"][TUE], grid["venues"]["odense"]): "yes"}


# --- shortcuts without JavaScript -------------------------------------------------------------


def test_week_shortcut_sets_that_week_and_saves_with_the_rest_of_the_form(app, client, fx, grid):
    form = {cell(grid, JUNE, "vejle"): "yes", cell(grid, TUE, "odense"): "no"}
    done = client.post(url(fx, year=2027), data={**form, "shortcut": "week:2027-03-01:maybe"})
    assert done.status_code == 303
    answers = stored(app, fx)
    week9 = [d for d in grid["days"] if d.isocalendar().week == 9]
    for day in week9:
        for venue in ("odense", "vejle"):
            assert answers[(grid["days"][day], grid["venues"][venue])] == "maybe"
    assert answers[(grid["days"][JUNE], grid["venues"]["vejle"])] == "yes"
    assert len(answers) == 2 * len(week9) + 1
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Hele uge 9 er sat til Hvis nødvendigt. Gemt kl." in page


def test_venue_and_all_shortcuts(app, client, fx, grid):
    client.post(url(fx, year=2027), data={"shortcut": "all:yes"})
    assert set(stored(app, fx).values()) == {"yes"}
    assert len(stored(app, fx)) == 2 * len(grid["days"])
    odense = grid["venues"]["odense"]
    done = client.post(url(fx, year=2027), data={"shortcut": f"venue:{odense}:no"})
    answers = stored(app, fx)
    assert {v for (d, ven), v in answers.items() if ven == odense} == {"no"}
    assert {v for (d, ven), v in answers.items() if ven != odense} == {"yes"}
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Alle dage på Odense Bibliotek er sat til Nej." in page


def test_shortcut_buttons_are_named_for_screen_readers(client, fx, grid):
    html = client.get(url(fx)).get_data(as_text=True)
    assert 'value="week:2027-03-01:yes"' in html
    assert 'aria-label="Sæt hele uge 9 til Ja"' in html
    assert f'value="venue:{grid["venues"]["odense"]}:no"' in html
    assert 'aria-label="Sæt alle dage på Odense Bibliotek til Nej"' in html
    assert 'aria-label="Sæt alle dage til Hvis nødvendigt"' in html
    # Enter in the form must save, not run the first shortcut: the first submit button saves.
    first_button = re.search(r"<button [^>]*>", html.split('id="answers"', 1)[1]).group(0)
    assert 'name="save"' in first_button


# --- bad input: 4xx, the field named, nothing lost ---------------------------------------------


@pytest.fixture
def answered(app, client, fx, grid):
    """Henrik has answered: two cells, a comment and a role."""
    client.post(
        url(fx, year=2027),
        data={
            cell(grid, TUE, "odense"): "yes",
            cell(grid, TUE, "vejle"): "maybe",
            "comment": "Første svar",
            "cannot_roles_shown": "1",
            "cannot_roles": "notes",
        },
    )
    before = (stored(app, fx), response_row(app, fx))
    assert len(before[0]) == 2 and before[1][0] == "Første svar"
    return before


def other_network_ids(app) -> tuple[int, int]:
    with app.app_context():
        other = make_network(member_keys=("ole",), slug="andet")
        day = db.session.scalar(
            select(CandidateDay.id).where(CandidateDay.poll_id == other.poll_id).limit(1)
        )
        venue = db.session.scalar(select(Venue.id).where(Venue.network_id == other.network_id))
        return day, venue


BAD_INPUT = {
    "unknown day": (
        lambda g, o: {f"a-999999-{g['venues']['odense']}": "yes"},
        "Svarfeltet »a-999999-{odense}«: den dag eller det mødested findes ikke",
    ),
    "day of another poll": (
        lambda g, o: {f"a-{o[0]}-{g['venues']['odense']}": "yes"},
        "Svarfeltet »a-{o0}-{odense}«",
    ),
    "venue of another network": (
        lambda g, o: {f"a-{g['days'][WED]}-{o[1]}": "yes"},
        "Svarfeltet »a-{wed}-{o1}«",
    ),
    "malformed field": (lambda g, o: {"a-tirsdag-odense": "yes"}, "Svarfeltet »a-tirsdag-odense«"),
    "unknown value": (
        lambda g, o: {cell(g, WED, "odense"): "perhaps"},
        "Svar for onsdag den 3. marts 2027 på Odense Bibliotek: "
        "vælg Ja, Hvis nødvendigt eller Nej.",
    ),
    "two values": (
        lambda g, o: {cell(g, WED, "odense"): ["yes", "no"]},
        "Svar for onsdag den 3. marts 2027 på Odense Bibliotek: vælg ét svar.",
    ),
    "oversize comment": (
        lambda g, o: {"comment": "x" * 2001},
        "Kommentar: højst 2000 tegn (du skrev 2001).",
    ),
    "control characters": (
        lambda g, o: {"comment": "hej\x00"},
        "Kommentar: fjern de usynlige kontroltegn.",
    ),
    "unknown role": (
        lambda g, o: {"cannot_roles_shown": "1", "cannot_roles": ["leader", "boss"]},
        "Roller, jeg ikke kan påtage mig i år: »boss« er ikke en rolle i dette netværk.",
    ),
    "unknown shortcut": (
        lambda g, o: {"shortcut": "week:2027-12-27:yes"},
        "Genvej: ukendt handling.",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_refused_naming_the_field_and_keeps_earlier_answers(
    app, client, fx, grid, answered, case
):
    other = other_network_ids(app)
    build, message = BAD_INPUT[case]
    bad = build(grid, other)
    # Valid changes in the same post are not saved either: all or nothing.
    data = {
        cell(grid, TUE, "odense"): "no",
        cell(grid, MON10, "vejle"): "yes",
        "comment": "Andet svar",
        **bad,
    }
    refused = client.post(url(fx, year=2027), data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    expected = message.format(
        odense=grid["venues"]["odense"], o0=other[0], o1=other[1], wed=grid["days"][WED]
    )
    assert expected in html.replace("&#34;", '"')
    assert "Intet blev gemt" in html and 'role="alert"' in html
    assert (stored(app, fx), response_row(app, fx)) == answered
    # What the member posted is shown again, so nothing typed is lost either.
    if "comment" not in bad:
        assert "Andet svar</textarea>" in html
        assert checked(html)[cell(grid, MON10, "vejle")] == "yes"


def test_a_flood_of_bad_fields_gets_a_short_answer(app, client, fx, grid, answered):
    flood = {f"a-{900000 + i}-1": "yes" for i in range(500)}
    refused = client.post(url(fx, year=2027), data=flood)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert html.count("Svarfeltet »a-9") == 20
    assert "… og 480 problemer mere af samme slags." in html
    assert (stored(app, fx), response_row(app, fx)) == answered


# --- deadline and closed polls --------------------------------------------------------------


def test_the_deadline_day_itself_is_still_open(app, client, fx, grid):
    with app.app_context():
        today = local_today(db.session.get(Network, fx.network_id))
    set_poll(app, fx, deadline=today)
    html = client.get(url(fx)).get_data(as_text=True)
    assert "Svar senest" in html and 'type="radio"' in html
    done = client.post(url(fx, year=2027), data={cell(grid, TUE, "odense"): "yes"})
    assert done.status_code == 303 and len(stored(app, fx)) == 1


@pytest.mark.parametrize("closing", ["deadline", "closed"])
def test_after_the_deadline_or_when_closed_answers_are_read_only(
    app, client, fx, grid, answered, closing
):
    with app.app_context():
        today = local_today(db.session.get(Network, fx.network_id))
    if closing == "deadline":
        set_poll(app, fx, deadline=today - timedelta(days=1))
        notice = "Svar: svarfristen var"
    else:
        set_poll(app, fx, is_open=False)
        notice = "Svar: afstemningen for 2027 er lukket"
    page = client.get(url(fx, year=2027))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert notice in html
    assert 'type="radio"' not in html and "<textarea" not in html and 'name="shortcut"' not in html
    assert '<span class="answer yes">Ja</span>' in html
    assert '<span class="answer maybe">Hvis nødvendigt</span>' in html
    assert "Første svar" in html and "Referent" in html

    refused = client.post(
        url(fx, year=2027), data={cell(grid, TUE, "odense"): "no", "comment": "for sent"}
    )
    assert refused.status_code == 403
    assert notice in refused.get_data(as_text=True)
    assert (stored(app, fx), response_row(app, fx)) == answered
    as_json = client.post(
        url(fx, year=2027),
        data={cell(grid, TUE, "odense"): "no"},
        headers={"Accept": "application/json"},
    )
    assert as_json.status_code == 403 and notice in as_json.json["errors"][0]["message"]


# --- other members' answers ------------------------------------------------------------------


def day_row(html: str, day_label: str) -> str:
    start = html.index(f'<tr><th scope="row">{day_label}</th>')
    return html[start : html.index("</tr>", start)]


def test_others_answers_are_counted_per_day_and_named_on_demand(app, client, fx, grid):
    client.post(url(fx, "sara", 2027), data={cell(grid, TUE, "odense"): "yes"})
    client.post(url(fx, "sara", 2027), data={cell(grid, TUE, "vejle"): "yes"})
    client.post(url(fx, "maria", 2027), data={cell(grid, TUE, "odense"): "maybe"})
    client.post(url(fx, "maria", 2027), data={cell(grid, WED, "vejle"): "no"})
    client.post(url(fx), data={cell(grid, WED, "odense"): "yes"})  # my own: not counted
    html = client.get(url(fx)).get_data(as_text=True)
    # Per day: Sara said yes at both venues and counts once; a "no" and my answer count not.
    assert '<td class="tally">Andre: 1 ja · 1 hvis nødv.</td>' in day_row(
        html, "tirsdag den 2. marts 2027"
    )
    assert '<td class="tally">Andre: 0 ja · 0 hvis nødv.</td>' in day_row(
        html, "onsdag den 3. marts 2027"
    )
    assert html.count('<td class="tally">') == len(grid["days"])
    # The names are not on the page: a link (no script) and a box the script shows.
    assert "Sara" not in html and "Maria" not in html
    names_url = f"/m/{fx.tokens['henrik']}/2027/andre"
    assert f'<a href="{names_url}">Se hvem der ellers har svaret' in html
    assert 'id="show-names-box" hidden' in html and f'data-src="{names_url}"' in html

    names_page = client.get(names_url)
    assert names_page.status_code == 200
    names_html = names_page.get_data(as_text=True)
    tuesday = day_row(names_html, "tirsdag den 2. marts 2027")
    odense, vejle = tuesday.split("<td>")[1:]
    assert '<span class="badge yes">Ja</span> Sara' in odense
    assert '<span class="badge maybe">Hvis nødvendigt</span> Maria' in odense
    assert '<span class="badge yes">Ja</span> Sara' in vejle and "Maria" not in vejle
    assert "Henrik" not in day_row(names_html, "onsdag den 3. marts 2027")
    assert f'href="{url(fx, year=2027)}"' in names_html  # back to the answers
    as_json = client.get(names_url, headers={"Accept": "application/json"})
    assert as_json.json == {
        "cells": {
            cell(grid, TUE, "odense"): {"yes": ["Sara"], "maybe": ["Maria"]},
            cell(grid, TUE, "vejle"): {"yes": ["Sara"], "maybe": []},
        }
    }

    set_poll(app, fx, hide_answers=True)
    hidden = client.get(url(fx)).get_data(as_text=True)
    assert "Andre:" not in hidden and "Sara" not in hidden and "Maria" not in hidden
    assert 'id="show-names"' not in hidden and names_url not in hidden
    for accept in ("text/html", "application/json"):
        refused = client.get(names_url, headers={"Accept": accept})
        assert refused.status_code == 404
        assert "Sara" not in refused.get_data(as_text=True)
    assert "skjult de andre medlemmers svar" in client.get(names_url).get_data(as_text=True)
    assert client.get(f"/m/{fx.tokens['henrik']}/1999/andre").status_code == 404
    assert client.get(f"/m/{'x' * 32}/2027/andre").status_code == 404


# --- links, years, headers -------------------------------------------------------------------


def tally(client, fx, day_label: str = "tirsdag den 2. marts 2027") -> str:
    html = client.get(url(fx)).get_data(as_text=True)
    return day_row(html, day_label).split('<td class="tally">')[1].split("</td>")[0]


def test_the_counts_follow_every_change_to_the_others_answers(app, client, fx, grid):
    """The counts may be kept between pages (PostgreSQL); any write to an answer or a member,
    through a page or not, shows on the next page."""
    client.post(url(fx, "sara", 2027), data={cell(grid, TUE, "odense"): "yes"})
    assert tally(client, fx) == "Andre: 1 ja · 0 hvis nødv."
    assert tally(client, fx) == "Andre: 1 ja · 0 hvis nødv."  # nothing changed
    with counting_queries(app) as statements:
        client.get(url(fx))
    reads = [s for s in statements if "responses.answers" in s]
    # Nothing changed: PostgreSQL reads only the member's own answers; SQLite counts again.
    assert len(reads) == (1 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres") else 2)

    client.post(url(fx, "sara", 2027), data={cell(grid, TUE, "odense"): "maybe"})
    assert tally(client, fx) == "Andre: 0 ja · 1 hvis nødv."

    with app.app_context():  # written by other code than the page: still counted afresh
        maria = db.session.scalar(select(Member).where(Member.key == "maria"))
        response = Response(poll_id=fx.poll_id, member_id=maria.id)
        response.record({(TUE, "vejle"): Answer.YES})
        db.session.add(response)
        db.session.commit()
    assert tally(client, fx) == "Andre: 1 ja · 1 hvis nødv."

    with app.app_context():  # a member who leaves is no longer counted
        sara = db.session.scalar(select(Member).where(Member.key == "sara"))
        sara.active = False
        db.session.commit()
    assert tally(client, fx) == "Andre: 1 ja · 0 hvis nødv."

    client.post(url(fx), data={cell(grid, TUE, "odense"): "yes"})  # my own: never counted
    assert tally(client, fx) == "Andre: 1 ja · 0 hvis nødv."


def test_member_pages_send_no_referrer_and_are_not_cached(client, fx):
    for response in (
        client.get(url(fx)),
        client.get(url(fx, year=2027)),
        client.get("/m/" + "x" * 32),
        client.get(url(fx, year=1999)),
    ):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response.headers["Cache-Control"]
    assert '<meta name="referrer" content="no-referrer">' in client.get(url(fx)).get_data(
        as_text=True
    )


@pytest.mark.parametrize("token", ["x" * 32, "short", "no%20way-but-long-enough-token"])
def test_wrong_token_is_404_in_danish(client, fx, token):
    for path in (f"/m/{token}", f"/m/{token}/2027"):
        page = client.get(path)
        assert page.status_code == 404
        assert "Dette personlige link er ikke gyldigt" in page.get_data(as_text=True)
    assert client.post(f"/m/{token}/2027", data={"comment": "x"}).status_code == 404


def test_inactive_member_link_is_404(app, client, fx):
    with app.app_context():
        db.session.get(Member, fx.member_ids["henrik"]).active = False
        db.session.commit()
    assert client.get(url(fx)).status_code == 404


def test_several_polls_are_linked_by_year_and_the_latest_open_one_is_shown(app, client, fx):
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        create_poll(
            network, 2028, PollRules([MeetingDraft(None, "Møde 1", week_window(2028, 9, 9))])
        )
        db.session.commit()
    html = client.get(url(fx)).get_data(as_text=True)
    assert "Dine svar for 2028" in html
    assert f'href="{url(fx, year=2027)}"' in html
    assert f'href="{url(fx, year=2028)}" aria-current="page"' in html
    assert "Dine svar for 2027" in client.get(url(fx, year=2027)).get_data(as_text=True)
    missing = client.get(url(fx, year=2031))
    assert missing.status_code == 404
    assert "Der er ingen afstemning for 2031" in missing.get_data(as_text=True)
    # A closed later poll gives way to the open one.
    with app.app_context():
        db.session.scalar(select(Poll).where(Poll.year == 2028)).is_open = False
        db.session.commit()
    assert "Dine svar for 2027" in client.get(url(fx)).get_data(as_text=True)


def test_a_network_without_a_poll_says_so(app, client):
    with app.app_context():
        network = Network(slug="tom", name="Tomt netværk")
        db.session.add(network)
        _member, token = add_member(network, key="ib", name="Ib")
        db.session.commit()
    page = client.get(f"/m/{token}")
    assert page.status_code == 200
    assert "Der er endnu ingen afstemning" in page.get_data(as_text=True)
    assert client.get(f"/m/{token}/2027").status_code == 404
