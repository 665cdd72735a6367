"""Two tabs, two saves at once, and the coordinator's edits meanwhile: a save applies only what
the member changed on the page it was made from, never undoing a newer answer (issue #9)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.models import Poll, Response, Venue
from poll.network_admin import update_venue
from tests.app.test_member_page import cell
from tests.html_forms import form_fields, with_values

TUE = date(2027, 3, 2)
WED = date(2027, 3, 3)


def page(client, fx) -> list[tuple[str, str]]:
    response = client.get(f"/m/{fx.tokens['henrik']}/{fx.year}")
    assert response.status_code == 200
    return form_fields(response.get_data(as_text=True), "answers")


def post(client, fx, fields, *, json: bool = False):
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        f"/m/{fx.tokens['henrik']}/{fx.year}", data=MultiDict(fields), headers=headers
    )


def stored(app, fx) -> Response:
    with app.app_context():
        row = db.session.scalar(
            select(Response).where(
                Response.poll_id == fx.poll_id, Response.member_id == fx.member_ids["henrik"]
            )
        )
        assert row is not None
        db.session.expunge(row)
        return row


def test_a_stale_tab_does_not_undo_another_tabs_newer_answers(app, client, fx, grid):
    tue, wed = cell(grid, TUE, "odense"), cell(grid, WED, "vejle")
    first = page(client, fx)
    post(client, fx, with_values(first, {tue: "yes", wed: "yes"}))
    # Tab A and tab B are opened now; A changes Tuesday, then the stale B changes Wednesday.
    tab_a, tab_b = page(client, fx), page(client, fx)
    assert post(client, fx, with_values(tab_a, {tue: "no"})).status_code == 303
    assert post(client, fx, with_values(tab_b, {wed: "maybe"})).status_code == 303
    answers = stored(app, fx).answers
    assert answers[TUE.isoformat()]["odense"] == "no"
    assert answers[WED.isoformat()]["vejle"] == "maybe"
    shown = client.get(f"/m/{fx.tokens['henrik']}/{fx.year}").get_data(as_text=True)
    assert "andet vindue" not in shown


def test_both_tabs_changing_one_cell_keeps_the_first_and_tells_the_second(app, client, fx, grid):
    tue = cell(grid, TUE, "odense")
    tab_a, tab_b = page(client, fx), page(client, fx)
    post(client, fx, with_values(tab_a, {tue: "yes"}))
    response = post(client, fx, with_values(tab_b, {tue: "no"}))
    assert response.status_code == 303
    assert stored(app, fx).answers[TUE.isoformat()]["odense"] == "yes"
    html = client.get(f"/m/{fx.tokens['henrik']}/{fx.year}").get_data(as_text=True)
    assert "Ændret i et andet vindue imens" in html
    assert "tirsdag den 2. marts 2027 i Odense Bibliotek (nu Ja)" in html
    assert dict(form_fields(html, "answers"))[tue] == "yes"  # the page shows what is stored


def test_overlapping_saves_keep_one_tabs_comment_and_the_others_answers(app, client, fx, grid):
    tue = cell(grid, TUE, "odense")
    tab_a, tab_b = page(client, fx), page(client, fx)
    post(client, fx, with_values(tab_a, {tue: "yes"}))
    post(client, fx, with_values(tab_b, {"comment": "Kommer med toget"}))
    row = stored(app, fx)
    assert row.answers[TUE.isoformat()]["odense"] == "yes"
    assert row.comment == "Kommer med toget"
    # and the other way round: B's unchanged (empty) comment does not wipe A's new one
    tab_a, tab_b = page(client, fx), page(client, fx)
    post(client, fx, with_values(tab_a, {"comment": "Kommer i bil"}))
    post(client, fx, with_values(tab_b, {tue: "no"}))
    row = stored(app, fx)
    assert (row.comment, row.answers[TUE.isoformat()]["odense"]) == ("Kommer i bil", "no")


def test_roles_from_a_stale_tab_do_not_undo_newer_ones(app, client, fx, grid):
    tab_a, tab_b = page(client, fx), page(client, fx)
    assert post(client, fx, [*tab_a, ("cannot_roles", "notes")]).status_code == 303
    assert (
        post(client, fx, with_values(tab_b, {cell(grid, TUE, "vejle"): "yes"})).status_code == 303
    )
    assert stored(app, fx).cannot_roles == ["notes"]


def test_a_script_save_tells_of_conflicts_and_gives_what_the_page_now_shows(app, client, fx, grid):
    tue, wed = cell(grid, TUE, "odense"), cell(grid, WED, "odense")
    tab_a, tab_b = page(client, fx), page(client, fx)
    post(client, fx, with_values(tab_a, {tue: "maybe", "comment": "A"}), json=True)
    data = post(client, fx, with_values(tab_b, {tue: "no", wed: "yes", "comment": "B"}), json=True)
    body = data.get_json()
    assert data.status_code == 200 and body["ok"]
    assert body["stored"] == {tue: "maybe"}
    assert body["comment"] == "A"
    assert "Ændret i et andet vindue imens" in body["warnings"][0]
    # The script puts what the page now shows into the hidden fields: the next save from the
    # same tab measures from there, so changing Wednesday back is saved.
    again = with_values(
        tab_b,
        {
            tue: "maybe",
            wed: "no",
            "comment": "A",
            "was_cells": body["was_cells"],
            "was_comment": body["was_comment"],
            "was_roles": body["was_roles"],
        },
    )
    assert post(client, fx, again, json=True).get_json()["warnings"] == []
    row = stored(app, fx)
    assert row.answers[WED.isoformat()]["odense"] == "no"
    assert row.answers[TUE.isoformat()]["odense"] == "maybe"
    assert row.comment == "A"


def test_a_malformed_page_state_is_refused_and_nothing_is_saved(app, client, fx, grid):
    tue = cell(grid, TUE, "odense")
    fields = with_values(page(client, fx), {tue: "yes", "was_cells": "1.2=yes,garbage"})
    response = post(client, fx, fields)
    assert response.status_code == 400
    assert "Siden er forældet" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Response)) is None


def test_removing_a_day_after_the_page_was_shown_leaves_no_answer_under_it(app, client, fx, grid):
    tue = cell(grid, TUE, "odense")
    tab = page(client, fx)
    with app.app_context():
        from poll.poll_admin import remove_day

        poll = db.session.get(Poll, fx.poll_id)
        row = next(d for d in poll.days if d.day == WED)
        remove_day(poll, row)
        db.session.commit()
    # The stale page still posts Wednesday: refused, nothing saved under the removed day.
    response = post(client, fx, with_values(tab, {tue: "yes", cell(grid, WED, "odense"): "no"}))
    assert response.status_code == 400
    post(client, fx, with_values(page(client, fx), {tue: "yes"}))
    assert WED.isoformat() not in stored(app, fx).answers


def test_a_venues_new_key_and_a_stale_save_keep_each_other(app, client, fx, grid):
    tue = cell(grid, TUE, "odense")
    tab = page(client, fx)
    post(client, fx, with_values(page(client, fx), {tue: "yes"}))
    with app.app_context():
        venue = db.session.scalar(select(Venue).where(Venue.key == "odense"))
        update_venue(venue, key="odense-bib", name=venue.name, address=venue.address)
        db.session.commit()
    post(client, fx, with_values(tab, {cell(grid, WED, "vejle"): "maybe"}))
    answers = stored(app, fx).answers
    assert answers[TUE.isoformat()] == {"odense-bib": "yes"}
    assert answers[WED.isoformat()] == {"vejle": "maybe"}
