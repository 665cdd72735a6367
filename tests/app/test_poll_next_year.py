""" "Ny afstemning ud fra sidste år": the offer on the dashboard and the new-poll page, the form
filled from the latest poll for the next free year, its preview, creating it, and refusals.
Both engines."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll import poll_admin
from poll.auth import set_password
from poll.days import Window, week_window
from poll.db import db
from poll.models import CandidateDay, CoordinatorAccount, Network, Poll
from poll.network_admin import default_roles, default_venues
from poll.poll_admin import MeetingDraft, PollRules
from tests.factories import PASSWORD, Fixture, log_in, make_network
from tests.html_forms import form_fields, with_values

NEW = "/tovholder/afstemninger/ny"
OFFER = "Ny afstemning ud fra sidste år"

# The 2026 poll the tests start from, and what 2027 should get from it: Tuesdays and Thursdays,
# weeks 9-10, May, weeks 52-53 (2027 has no week 53), blackout weeks 7, 19 and 53.
RULES_2026 = PollRules(
    [
        MeetingDraft("m1", "Forårsmøde", week_window(2026, 9, 10)),
        MeetingDraft("m2", "Majmøde", Window(date(2026, 5, 1), date(2026, 5, 31))),
        MeetingDraft(None, "Julemøde", week_window(2026, 52, 53)),
    ],
    weekdays=[1, 3],
    blackout_weeks=[7, 19, 53],
    deadline=date(2026, 2, 15),  # 2027-02-15 in 2027: a deadline not passed yet
    hide_answers=True,
    min_days_between=21,
    min_attendance=0.6,
)
DAYS_2027 = {
    date(2027, 3, 2): "m1",
    date(2027, 3, 4): "m1",
    date(2027, 3, 9): "m1",
    date(2027, 3, 11): "m1",
    # 6 May is Kristi himmelfartsdag; 11 and 13 May lie in blackout week 19.
    date(2027, 5, 4): "m2",
    date(2027, 5, 18): "m2",
    date(2027, 5, 20): "m2",
    date(2027, 5, 25): "m2",
    date(2027, 5, 27): "m2",
    date(2027, 12, 28): "m3",
    date(2027, 12, 30): "m3",
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def offer_link(page: str) -> str | None:
    match = re.search(r'<a class="button" href="([^"]*)">' + OFFER + "</a>", page)
    return match.group(1) if match else None


def posted(fields: list[tuple[str, str]], changes: dict[str, str]) -> MultiDict:
    return MultiDict(with_values(fields, changes))


def values(fields: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in fields if k == name]


@pytest.fixture
def fx(app, client) -> Fixture:
    """A logged-in coordinator whose network has one poll, for 2026, made from RULES_2026."""
    with app.app_context():
        fixture = make_network(year=2026)
        poll = db.session.get(Poll, fixture.poll_id)
        poll_admin.apply_rules(poll, RULES_2026, poll_admin.preview(poll, RULES_2026))
        db.session.commit()
    log_in(client, fixture)
    return fixture


def poll_of(app, network_id: int, year: int) -> Poll | None:
    with app.app_context():
        poll = db.session.scalar(
            select(Poll).where(Poll.network_id == network_id, Poll.year == year)
        )
        if poll is not None:
            db.session.expunge(poll)
        return poll


def days_of(app, poll_id: int) -> dict[date, str]:
    with app.app_context():
        return {
            d.day: d.meeting.key
            for d in db.session.scalars(select(CandidateDay).where(CandidateDay.poll_id == poll_id))
        }


def test_the_offer_is_shown_only_when_the_network_has_a_poll(app, client):
    with app.app_context():
        network = Network(slug="tomt", name="Tomt netværk")
        db.session.add(network)
        default_venues(network)
        default_roles(network)
        account = CoordinatorAccount(networks=[network], email="tom@example.dk", name="Tovholder")
        set_password(account, PASSWORD)
        db.session.add(account)
        db.session.commit()
        empty = Fixture(network.id, 0, 0, account.email, {})
    log_in(client, empty)
    for path in ("/tovholder/", NEW):
        page = text(client.get(path))
        assert "Ny årsafstemning" in page
        assert OFFER not in page, path


def test_the_dashboard_and_the_new_poll_page_offer_the_latest_poll(app, client, fx):
    expected = f"{NEW}?fra={fx.poll_id}"
    for path in ("/tovholder/", NEW):
        page = text(client.get(path))
        assert offer_link(page) == expected, path
    assert "Udfylder formularen ud fra afstemningen for 2026." in text(client.get(NEW))
    filled = client.get(expected)
    assert filled.status_code == 200
    assert "Udfyldt ud fra afstemningen for 2026" in text(filled)
    assert offer_link(text(filled)) is None
    assert f'href="{NEW}"' in filled.get_data(as_text=True)  # back to an empty form


def test_the_form_holds_last_years_rules_moved_to_the_next_year(app, client, fx):
    page = text(client.get(f"{NEW}?fra={fx.poll_id}"))
    fields = form_fields(page, "poll-form")
    form = dict(fields)
    assert form["year"] == "2027"
    rows = [
        tuple(form[f"meetings-{i}-{part}"] for part in ("key", "name", "weeks", "start", "end"))
        for i in range(4)
    ]
    assert rows == [
        ("", "Forårsmøde", "9–10", "", ""),
        ("", "Majmøde", "", "2027-05-01", "2027-05-31"),
        ("", "Julemøde", "52", "", ""),
        ("", "", "", "", ""),
    ]
    assert values(fields, "weekdays") == ["1", "3"]
    assert form["blackout_weeks"] == "7, 19"
    assert form["deadline"] == "2027-02-15"
    assert form["hide_answers"] == "y"
    assert (form["min_days_between"], form["min_attendance"]) == ("21", "60")
    assert "Møde 3: 2027 har ingen uge 53, så uge 52 er udfyldt i stedet." in page
    assert "Blokeret uge 53: 2027 har ingen uge 53, så den er udeladt." in page
    assert "De helligdage, der udelades, er dem i 2027." in page
    assert poll_of(app, fx.network_id, 2027) is None  # a GET saves nothing


def test_preview_then_create_gives_the_new_years_days(app, client, fx):
    url = f"{NEW}?fra={fx.poll_id}"
    fields = form_fields(text(client.get(url)), "poll-form")

    preview = client.post(url, data=posted(fields, {"action": "preview"}))
    assert preview.status_code == 200
    page = text(preview)
    assert "Intet er gemt endnu" in page
    assert "Udeladte helligdage:" in page and "Kristi himmelfartsdag" in page
    assert "Udeladt i blokerede uger:" in page and "uge 19" in page
    assert "4 mulige dage" in page and "5 mulige dage" in page and "2 mulige dage" in page
    assert "Møde 3: 2027 har ingen uge 53" in page  # the note stays with the form
    assert poll_of(app, fx.network_id, 2027) is None

    # What the preview page's form holds is what is saved.
    shown = form_fields(page, "poll-form")
    created = client.post(url, data=posted(shown, {"action": "save"}))
    assert created.status_code == 303
    poll = poll_of(app, fx.network_id, 2027)
    assert created.headers["Location"].endswith(f"/tovholder/afstemninger/{poll.id}")
    overview = client.get(created.headers["Location"])
    assert overview.status_code == 200
    assert "Afstemningen for 2027 er oprettet." in text(overview)
    assert days_of(app, poll.id) == DAYS_2027
    assert (poll.weekdays, poll.blackout_weeks, poll.deadline) == (
        [1, 3],
        [7, 19],
        date(2027, 2, 15),
    )
    assert (poll.hide_answers, poll.min_days_between, poll.min_attendance) == (True, 21, 0.6)
    # The 2026 poll is untouched.
    assert poll_of(app, fx.network_id, 2026).blackout_weeks == [7, 19, 53]


def test_the_next_free_year_is_filled_in_and_the_offer_follows_the_latest_poll(app, client, fx):
    url = f"{NEW}?fra={fx.poll_id}"
    fields = form_fields(text(client.get(url)), "poll-form")
    assert client.post(url, data=posted(fields, {"action": "save"})).status_code == 303
    latest = poll_of(app, fx.network_id, 2027)

    link = offer_link(text(client.get("/tovholder/")))
    assert link == f"{NEW}?fra={latest.id}"
    page = text(client.get(link))
    assert dict(form_fields(page, "poll-form"))["year"] == "2028"
    assert "Udfyldt ud fra afstemningen for 2027" in page
    assert "uge 53" not in page  # 2027 had its week 53 moved already
    # From the older poll, the next year without a poll is 2028 too.
    older = text(client.get(url))
    assert dict(form_fields(older, "poll-form"))["year"] == "2028"
    assert "Udfyldt ud fra afstemningen for 2026" in older


def test_another_networks_poll_is_not_found(app, client, fx):
    with app.app_context():
        other = make_network(slug="andet", year=2026)
    for response in (
        client.get(f"{NEW}?fra={other.poll_id}"),
        client.post(f"{NEW}?fra={other.poll_id}", data={"year": "2027", "action": "save"}),
        client.get(f"{NEW}?fra=999999"),
    ):
        assert response.status_code == 404
        assert "Afstemningen findes ikke eller hører til et andet netværk." in text(response)
    assert poll_of(app, other.network_id, 2027) is None
    assert poll_of(app, fx.network_id, 2027) is None


@pytest.mark.parametrize("value", ["abc", "", "-1", "1.5", "1234567890", "٣"])
def test_a_bad_parameter_is_refused_with_a_message(app, client, fx, value):
    response = client.get(NEW, query_string={"fra": value})
    assert response.status_code == 400
    assert f"Ud fra afstemningen: '{value}' er ikke nummeret på en afstemning." in text(response)
    refused = client.post(NEW, query_string={"fra": value}, data={"year": "2027", "action": "save"})
    assert refused.status_code == 400
    assert poll_of(app, fx.network_id, 2027) is None
