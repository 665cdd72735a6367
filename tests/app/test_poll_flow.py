"""The poll form's flow (issue 12, point 4): the preview is where the answer lands, with its
create button; a deadline in the past is refused on the field, in the form and on the overview,
and nothing written is lost. Both engines."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.i18n import long_date
from poll.models import Answer, Poll
from tests.app.test_coordinator_polls import FIXTURE_MEETINGS, NEW, form, poll_of, text
from tests.factories import log_in, make_network, record_answers
from tests.html_forms import form_fields


@pytest.fixture
def fx27(app, client):
    """A logged-in coordinator whose network has a 2027 poll (weeks 9-10 and 23)."""
    with app.app_context():
        fixture = make_network()
    log_in(client, fixture)
    return fixture


@pytest.fixture
def fx26(app, client):
    """A logged-in coordinator whose network's only poll is 2026, so that 2027 can be made."""
    with app.app_context():
        fixture = make_network(year=2026)
    log_in(client, fixture)
    return fixture


ROWS = [("Forår", "9-10", "", ""), ("Sommer", "23", "", "")]


def past() -> date:
    return date.today() - timedelta(days=2)  # passed in Copenhagen too, whatever the hour


def danish(app, day: date) -> str:
    with app.test_request_context():
        return long_date(day)


def future() -> date:
    return date.today() + timedelta(days=30)


def test_the_preview_is_where_the_form_lands_with_the_create_button_first(app, client, fx26):
    page = text(client.get(NEW))
    [action] = re.findall(
        r'<form method="post" novalidate class="poll-form" id="poll-form" '
        r'action="([^"]*)"',
        page,
    )
    assert action == f"{NEW}#forhaandsvisning"
    assert 'id="forhaandsvisning"' not in page  # nothing to land on before a preview

    preview = text(client.post(NEW, data=form(ROWS, year=2027)))
    assert preview.count('id="forhaandsvisning"') == 1
    section = preview[preview.index('id="forhaandsvisning"') :]
    # The heading, then the button, then the days: in view where the browser lands.
    assert section.index("Mulige dage") < section.index("Opret afstemningen")
    assert section.index("Opret afstemningen") < section.index("Forår")
    assert preview.count("Opret afstemningen") == 1
    assert poll_of(app, fx26, 2027) is None

    # The form's own fields, posted with the button, create the poll.
    created = client.post(
        action.split("#")[0],
        data=MultiDict([*form_fields(preview, "poll-form"), ("action", "save")]),
    )
    assert created.status_code == 303
    assert poll_of(app, fx26, 2027) is not None


def test_the_query_string_stays_in_the_action(app, client, fx26):
    page = text(client.get(f"{NEW}?fra={fx26.poll_id}"))
    assert f'action="{NEW}?fra={fx26.poll_id}#forhaandsvisning"' in page


def test_with_errors_there_is_no_preview_to_land_on(app, client, fx26):
    page = text(client.post(NEW, data=form([("", "60", "", "")], year=2027)))
    assert 'id="forhaandsvisning"' not in page  # the browser stays at the error summary


def test_a_past_deadline_is_refused_in_the_new_poll_form_and_nothing_is_lost(app, client, fx26):
    passed = past()
    for action in ("preview", "save"):
        response = client.post(
            NEW,
            data=form(ROWS, year=2027, deadline=passed.isoformat(), action=action, blackout="7"),
        )
        assert response.status_code == 422
        page = text(response)
        message = (
            f"Svarfrist: {danish(app, passed)} er allerede passeret. Vælg i dag eller en senere"
            " dag, eller lad feltet stå tomt."
        )
        assert message in page
        assert 'aria-invalid="true"' in page
        # What was written stays in the form.
        fields = dict(form_fields(page, "poll-form"))
        assert fields["deadline"] == passed.isoformat()
        assert (fields["meetings-0-name"], fields["meetings-1-weeks"]) == ("Forår", "23")
        assert fields["blackout_weeks"] == "7"
        assert poll_of(app, fx26, 2027) is None

    later = future()
    created = client.post(
        NEW, data=form(ROWS, year=2027, deadline=later.isoformat(), action="save")
    )
    assert created.status_code == 303
    assert poll_of(app, fx26, 2027).deadline == later


def test_editing_a_poll_keeps_its_own_passed_deadline_but_refuses_a_new_one(app, client, fx27):
    url = f"/tovholder/afstemninger/{fx27.poll_id}/rediger"
    overview = f"/tovholder/afstemninger/{fx27.poll_id}"
    passed = past()
    with app.app_context():
        db.session.get(Poll, fx27.poll_id).deadline = passed
        db.session.commit()
    # Left as it was, the poll's own deadline does not stop other changes.
    kept = client.post(
        url, data=form(FIXTURE_MEETINGS, deadline=passed.isoformat(), action="save", min_days="21")
    )
    assert kept.status_code == 303
    assert poll_of(app, fx27, 2027).min_days_between == 21
    # Another day in the past is refused.
    earlier = passed - timedelta(days=1)
    refused = client.post(url, data=form(FIXTURE_MEETINGS, deadline=earlier.isoformat()))
    assert refused.status_code == 422
    assert f"Svarfrist: {danish(app, earlier)} er allerede passeret." in text(refused)
    assert poll_of(app, fx27, 2027).deadline == passed
    # The same on the overview's deadline form.
    on_overview = client.post(f"{overview}/svarfrist", data={"deadline": earlier.isoformat()})
    assert on_overview.status_code == 422
    page = text(on_overview)
    assert f"Svarfrist: {danish(app, earlier)} er allerede passeret." in page
    assert f'value="{earlier.isoformat()}"' in page  # what was written stays in the field
    assert poll_of(app, fx27, 2027).deadline == passed
    later = future()
    assert (
        client.post(f"{overview}/svarfrist", data={"deadline": later.isoformat()}).status_code
        == 303
    )
    assert poll_of(app, fx27, 2027).deadline == later


def test_the_question_before_deleting_answers_is_where_the_edit_form_lands(app, client, fx27):
    with app.app_context():
        record_answers(
            fx27.poll_id, fx27.member_ids["henrik"], [(date(2027, 3, 1), "odense", Answer.YES)]
        )
        db.session.commit()
    url = f"/tovholder/afstemninger/{fx27.poll_id}/rediger"
    meetings = [("Møde 1", "", "2027-03-02", "2027-03-12", "m1"), ("Møde 2", "23", "", "", "m2")]
    asked = client.post(url, data=form(meetings, action="save"))
    assert asked.status_code == 409
    page = text(asked)
    assert f'action="{url}#forhaandsvisning"' in page
    # The question, not the days below it, is where the browser lands.
    assert page.count('id="forhaandsvisning"') == 1
    question = page[page.index('id="forhaandsvisning"') :]
    assert question.index("Slette dage, der har svar?") < question.index("Mulige dage")
    # Asked first, the days' own save button is not offered.
    assert "Gem ændringerne" not in page
