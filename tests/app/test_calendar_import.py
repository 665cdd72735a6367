""" "Get it from my calendar" on the member page (poll/views/calendar_import.py): read an ICS link
served on 127.0.0.1, the proposal per day, saving it through the member's normal save, answered
cells left alone unless asked, the kept connection (encrypted, masked, removable, refreshed by
`remind --auto`), erasure, purge, the data export and the failures, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from poll import calendar_links
from poll.busy import CalDavSource, CalendarError, ErrorKind, IcsSource, error_message
from poll.db import db
from poll.models import (
    Answer,
    BusyFlag,
    CalendarConnection,
    Member,
    Poll,
    Response,
)
from poll.privacy.erasure import erase
from tests.calendar_files import CalendarFiles, calendar, calendar_files
from tests.conftest import make_app
from tests.factories import log_in, make_network, record_answers

TUE = date(2027, 3, 2)  # week 9: busy 09-16
WED = date(2027, 3, 3)  # partly busy 14-16
MON10 = date(2027, 3, 8)  # week 10: free, then busy after a refresh
BUSY = (datetime(2027, 3, 2, 8, tzinfo=UTC), datetime(2027, 3, 2, 15, tzinfo=UTC), "Budget")
PARTLY = (datetime(2027, 3, 3, 13, tzinfo=UTC), datetime(2027, 3, 3, 15, tzinfo=UTC), "Tandlæge")
LATER = (datetime(2027, 3, 8, 7, tzinfo=UTC), datetime(2027, 3, 8, 16, tzinfo=UTC), "Kursus")
RADIO = re.compile(r'<input type="radio" name="(a-\d+-\d+)" value="(\w+)"( checked)?>')
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def files() -> Iterator[CalendarFiles]:
    with calendar_files() as served:
        yield served


def stored(app, fx, who="henrik") -> dict[tuple[str, str], str]:
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(
                Response.poll_id == fx.poll_id, Response.member_id == fx.member_ids[who]
            )
        )
        return {(d, v): a.value for d, v, a in (response.cells() if response else ())}


def page_url(fx, who="henrik") -> str:
    return f"/m/{fx.tokens[who]}/2027/kalender"


def token_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def radios(page: str) -> dict[str, str | None]:
    """Each offered cell and its checked answer (None: none checked)."""
    out: dict[str, str | None] = {}
    for name, value, on in RADIO.findall(page):
        out.setdefault(name, None)
        if on:
            out[name] = value
    return out


def proposal_form(page: str) -> tuple[str, dict[str, str]]:
    """The proposal form's action and what it posts as the page stands."""
    start = page.index('id="forslag"')
    form = page[page.index('<form method="post"', start) :]
    form = form[: form.index("</form>")]
    action = html.unescape(re.search(r'action="([^"]+)"', form).group(1))
    data = {
        "csrf_token": token_of(form),
        "was_cells": re.search(r'name="was_cells" value="([^"]*)"', form).group(1),
        "save": "1",
    }
    data.update({k: v for k, v in radios(form).items() if v is not None})
    return action, data


def connect(client, fx, url: str, *, keep: bool = False, who="henrik"):
    page = client.get(page_url(fx, who)).get_data(as_text=True)
    data = {"csrf_token": token_of(page), "kind": "ics", "ics_url": url}
    if keep:
        data["keep"] = "1"
    return client.post(page_url(fx, who), data=data)


def test_the_member_page_links_to_the_calendar_page_which_reads_a_link_and_proposes(
    app, strict, fx, files, grid
):
    client = strict.test_client()
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Hent fra min kalender" in member_page
    link = re.search(r'href="([^"]+/kalender)"', member_page).group(1)
    first = client.get(link)
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    assert 'name="ics_url"' in text and "Husk forbindelsen" in text
    assert "Det foreslår din kalender" not in text  # nothing read yet

    url = files.ics("/henrik.ics", calendar(BUSY, PARTLY))
    done = connect(client, fx, url)
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/kalender#forslag")
    proposal = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 optaget dag" in proposal and "1 delvist optaget dag" in proposal

    days, venues = grid["days"], grid["venues"]
    offered = radios(proposal)
    # The busy day: No in every venue; the partly busy day: each venue offered, none chosen;
    # free days: nothing offered.
    for key, venue_id in venues.items():
        assert offered[f"a-{days[TUE]}-{venue_id}"] == "no", key
        assert offered[f"a-{days[WED]}-{venue_id}"] is None, key
    assert len(offered) == 2 * len(venues)
    assert proposal.count(">Optaget<") == 1 and proposal.count(">Delvist optaget<") == 1
    assert "uge 9" in proposal and "uge 10" in proposal
    # Only the flags are stored, nothing of the events; no connection was asked for.
    with app.app_context():
        flags = {f.day: f.state for f in db.session.scalars(select(BusyFlag))}
        assert flags[TUE] == "busy" and flags[WED] == "partly" and flags[MON10] == "free"
        assert db.session.scalar(select(func.count()).select_from(CalendarConnection)) == 0
    assert "Budget" not in proposal and "Tandlæge" not in proposal
    assert stored(app, fx) == {}  # nothing saved until the member saves

    # Without a kept connection, what was read can be removed from the proposal.
    forgotten = client.post(f"{page_url(fx)}/fjern", data={"csrf_token": token_of(proposal)})
    assert forgotten.status_code == 303
    after = client.get(forgotten.headers["Location"]).get_data(as_text=True)
    assert "Det, der blev læst fra din kalender, er fjernet." in after
    assert 'id="forslag"' not in after
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BusyFlag)) == 0


def test_saving_the_proposal_is_the_normal_save_and_keeps_what_it_does_not_show(
    app, strict, fx, files, grid
):
    days, venues = grid["days"], grid["venues"]
    first_venue, second_venue = sorted(venues, key=venues.get)[:2]
    with app.app_context():
        record_answers(
            fx.poll_id,
            fx.member_ids["henrik"],
            [(TUE, first_venue, Answer.YES), (MON10, first_venue, Answer.MAYBE)],
            comment="Kan ikke om fredagen",
            cannot_roles=["referent"],
        )
        db.session.commit()
    client = strict.test_client()
    connect(client, fx, files.ics("/h.ics", calendar(BUSY, PARTLY)))
    proposal = client.get(page_url(fx)).get_data(as_text=True)
    offered = radios(proposal)
    # The answered cell is shown, not offered.
    assert f"a-{days[TUE]}-{venues[first_venue]}" not in offered
    assert offered[f"a-{days[TUE]}-{venues[second_venue]}"] == "no"

    action, data = proposal_form(proposal)
    assert action == f"/m/{fx.tokens['henrik']}/2027"
    data[f"a-{days[WED]}-{venues[second_venue]}"] = "maybe"  # the member decides one
    saved = client.post(action, data=data)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/m/{fx.tokens['henrik']}/2027")
    back = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Gemt kl." in back

    cells = stored(app, fx)
    tue, wed, mon = TUE.isoformat(), WED.isoformat(), MON10.isoformat()
    assert cells[(tue, first_venue)] == "yes"  # answered by hand: kept
    assert cells[(mon, first_venue)] == "maybe"
    for key in venues:
        if key != first_venue:
            assert cells[(tue, key)] == "no"
    assert cells[(wed, second_venue)] == "maybe"
    assert (wed, first_venue) not in cells  # partly busy and not decided: still blank
    assert len(cells) == 2 + (len(venues) - 1) + 1
    with app.app_context():
        response = db.session.scalar(
            select(Response).where(Response.member_id == fx.member_ids["henrik"])
        )
        assert response.comment == "Kan ikke om fredagen"
        assert response.cannot_roles == ["referent"]


def test_answered_cells_are_proposed_only_when_the_member_asks(app, client, fx, files, grid):
    days, venues = grid["days"], grid["venues"]
    first_venue = min(venues, key=venues.get)
    with app.app_context():
        record_answers(fx.poll_id, fx.member_ids["henrik"], [(TUE, first_venue, Answer.YES)])
        db.session.commit()
    url = files.ics("/h.ics", calendar(BUSY))
    client.post(page_url(fx), data={"kind": "ics", "ics_url": url})
    name = f"a-{days[TUE]}-{venues[first_venue]}"
    plain = client.get(page_url(fx)).get_data(as_text=True)
    assert name not in radios(plain)
    assert 'name="ogsaa"' in plain
    asked = client.get(page_url(fx) + "?ogsaa=1").get_data(as_text=True)
    assert radios(asked)[name] == "no"
    _action, data = proposal_form(asked)
    assert f"{days[TUE]}.{venues[first_venue]}=yes" in data["was_cells"]
    assert client.post(f"/m/{fx.tokens['henrik']}/2027", data=data).status_code == 303
    assert stored(app, fx)[(TUE.isoformat(), first_venue)] == "no"


def test_a_kept_connection_is_encrypted_masked_refreshed_and_removable(app, strict, fx, files):
    client = strict.test_client()
    url = files.ics("/private-abcdef0123456789/basic.ics", calendar(BUSY))
    assert connect(client, fx, url, keep=True).status_code == 303
    with app.app_context():
        kept = db.session.scalar(select(CalendarConnection))
        assert kept.member_id == fx.member_ids["henrik"]
        assert url not in kept.secret and "127.0.0.1" not in kept.secret
        assert "abcdef0123456789" not in kept.masked
        assert kept.masked == "http://127.0.0.1/…/basic.ics"
        assert calendar_links.decrypt(kept.secret) == IcsSource(url)
    page = client.get(page_url(fx)).get_data(as_text=True)
    assert "Forbundet med http://127.0.0.1/…/basic.ics" in page
    assert url not in page
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Din kalender foreslår Nej for 1 dag, du ikke har svaret på" in member_page
    assert "http://127.0.0.1/…/basic.ics" in member_page

    # "Read again" reads the changed calendar.
    files.ics("/private-abcdef0123456789/basic.ics", calendar(BUSY, LATER))
    again = client.post(f"{page_url(fx)}/hent-igen", data={"csrf_token": token_of(page)})
    assert again.status_code == 303
    assert "2 optagede dage" in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(BusyFlag.state).where(BusyFlag.day == MON10)) == "busy"

    removed = client.post(f"{page_url(fx)}/fjern", data={"csrf_token": token_of(page)})
    assert removed.status_code == 303
    after = client.get(removed.headers["Location"]).get_data(as_text=True)
    assert "Kalenderforbindelsen er fjernet" in after
    assert "basic.ics" not in after
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarConnection)) == 0
        assert db.session.scalar(select(func.count()).select_from(BusyFlag)) == 0


def test_caldav_details_are_encrypted_and_the_user_masked(app, fx):
    source = CalDavSource("https://cloud.example.dk/remote.php/dav/", "bente", "app-pw-secret")
    with app.app_context():
        member = db.session.get(Member, fx.member_ids["henrik"])
        calendar_links.keep(member, source, datetime.now(UTC))
        db.session.commit()
        kept = db.session.scalar(select(CalendarConnection))
        assert kept.kind == "caldav"
        for plain in ("app-pw-secret", "bente", "cloud.example.dk"):
            assert plain not in kept.secret
        assert kept.masked == "https://cloud.example.dk/… · b***"
        assert calendar_links.decrypt(kept.secret) == source
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY="another-secret-" * 3)
    with other.app_context():
        assert calendar_links.decrypt(kept.secret) is None  # another key cannot read it
        db.engine.dispose()


def test_remind_auto_reads_kept_connections_again_and_the_member_page_says_so(
    app, client, runner, fx, files
):
    with app.app_context():
        db.session.get(Poll, fx.poll_id).deadline = date(2027, 2, 20)
        db.session.commit()
    url = files.ics("/h.ics", calendar(BUSY))
    client.post(page_url(fx), data={"kind": "ics", "ics_url": url, "keep": "1"})
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Din kalender foreslår Nej for 1 dag, du ikke har svaret på" in member_page

    files.ics("/h.ics", calendar(BUSY, LATER))
    done = runner.invoke(args=["remind", "--auto", "--today", "2027-01-01"])
    assert done.exit_code == 0, done.output
    assert "test 2027: kalendere læst igen: 1 af 1" in done.output
    with app.app_context():
        flags = {f.day: f.state for f in db.session.scalars(select(BusyFlag))}
        assert flags[MON10] == "busy" and flags[TUE] == "busy"
        assert db.session.scalar(select(CalendarConnection.failure)) == ""
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Din kalender foreslår Nej for 2 dage, du ikke har svaret på" in member_page
    link = re.search(r'href="([^"]+/kalender#forslag)"', member_page).group(1)
    assert client.get(link).status_code == 200

    # A calendar that is gone: the flags stay, the failure is kept and shown.
    del files.files["/h.ics"]
    failed = runner.invoke(args=["remind", "--auto", "--today", "2027-01-01"])
    assert failed.exit_code == 0, failed.output
    assert "kalendere læst igen: 0 af 1" in failed.output and url not in failed.output
    with app.app_context():
        assert db.session.scalar(select(CalendarConnection.failure)) == "not_found"
        expected = error_message(CalendarError(ErrorKind.NOT_FOUND))
    page = client.get(page_url(fx)).get_data(as_text=True)
    assert expected in html.unescape(page)


def test_the_coordinator_sees_only_answers(app, client, fx, files):
    client.post(page_url(fx), data={"kind": "ics", "ics_url": files.ics("/h.ics", calendar(BUSY))})
    log_in(client, fx)
    for path in (
        f"/tovholder/afstemninger/{fx.poll_id}/svar",
        f"/tovholder/afstemninger/{fx.poll_id}",
    ):
        shown = client.get(path)
        assert shown.status_code == 200
        text = shown.get_data(as_text=True).lower()
        assert "optaget" not in text and "din kalender" not in text and "127.0.0.1" not in text


def test_erasure_removes_the_connection_and_the_flags(app, client, fx, files):
    url = files.ics("/h.ics", calendar(BUSY))
    client.post(page_url(fx, "maria"), data={"kind": "ics", "ics_url": url, "keep": "1"})
    client.post(page_url(fx), data={"kind": "ics", "ics_url": url, "keep": "1"})
    with app.app_context():
        erase(db.session.get(Member, fx.member_ids["maria"]))
        db.session.commit()
        left = db.session.scalars(select(CalendarConnection.member_id)).all()
        assert left == [fx.member_ids["henrik"]]
        assert set(db.session.scalars(select(BusyFlag.member_id))) == {fx.member_ids["henrik"]}


def test_purge_removes_old_years_flags_and_unused_connections(app, runner):
    old = date.today().year - 3
    with app.app_context():
        fx = make_network(year=old)
        poll = db.session.get(Poll, fx.poll_id)
        venue = poll.network.venues[0].key
        first = poll.days[0]
        record_answers(poll.id, fx.member_ids["henrik"], [(first.day, venue, Answer.NO)])
        source = IcsSource("https://example.dk/cal.ics")
        for who, read in (("henrik", datetime(old, 5, 1, tzinfo=UTC)), ("maria", None)):
            member = db.session.get(Member, fx.member_ids[who])
            kept = calendar_links.keep(member, source, datetime(old, 4, 1, tzinfo=UTC))
            kept.read_at = read
            db.session.add(
                BusyFlag(member_id=member.id, poll_id=poll.id, day=first.day, state="busy")
            )
        recent = db.session.get(Member, fx.member_ids["sara"])
        calendar_links.keep(recent, source, datetime.now(UTC))
        db.session.commit()
    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BusyFlag)) == 0
        left = db.session.scalars(select(CalendarConnection.member_id)).all()
        assert left == [fx.member_ids["sara"]]


def test_my_data_says_a_connection_is_kept_masked(app, client, fx, files):
    url = files.ics("/secret-123456789/cal.ics", calendar(BUSY))
    client.post(page_url(fx), data={"kind": "ics", "ics_url": url, "keep": "1"})
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Filen indeholder også din gemte kalenderforbindelse (http://127.0.0.1/…/cal.ics" in (
        member_page
    )
    link = re.search(r'href="([^"]+/mine-oplysninger)"', member_page).group(1)
    data = json.loads(client.get(link).data)
    assert data["calendar"]["kept_connection"] == "http://127.0.0.1/…/cal.ics"
    assert {"day": TUE.isoformat(), "calendar_says": "busy"} in data["calendar"]["days"]
    assert url not in json.dumps(data)
    other = json.loads(client.get(f"/m/{fx.tokens['maria']}/mine-oplysninger").data)
    assert other["calendar"] is None


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"kind": "ics", "ics_url": ""}, "ics_url", "Kalenderlink"),
        ({"kind": "ics", "ics_url": "ftp://example.dk/cal.ics"}, "ics_url", "Kalenderlink"),
        ({"kind": "ics", "ics_url": "kalender.ics"}, "ics_url", "https://"),
        (
            {"kind": "caldav", "caldav_url": "https://x.dk/", "caldav_user": "b"},
            "caldav_password",
            "App-adgangskode",
        ),
        (
            {"kind": "caldav", "caldav_url": "", "caldav_user": "", "caldav_password": "p"},
            "caldav_user",
            "Brugernavn",
        ),
        ({"kind": "andet"}, "kind", "kalenderlink"),
    ],
)
def test_bad_input_is_refused_naming_the_field(app, client, fx, form, field, words):
    refused = client.post(page_url(fx), data={**form, "keep": "1"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert words in page
    if field != "kind":
        assert f'id="{field}-error"' in page and 'aria-invalid="true"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarConnection)) == 0


@pytest.mark.parametrize(
    ("path", "served", "kind"),
    [
        ("/missing.ics", None, ErrorKind.NOT_FOUND),
        (
            "/page.ics",
            (200, "text/html", b"<!doctype html><html><body>Log ind</body></html>"),
            ErrorKind.NOT_CALENDAR,
        ),
    ],
)
def test_a_calendar_that_cannot_be_read_is_told_on_the_field_and_the_link_kept(
    app, strict, fx, files, path, served, kind
):
    if served is not None:
        files.files[path] = served
    client = strict.test_client()
    refused = connect(client, fx, files.url(path), keep=True)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    with app.test_request_context():
        expected = error_message(CalendarError(kind))
    assert expected in html.unescape(page)
    assert 'id="ics_url-error"' in page
    assert f'value="{files.url(path)}"' in page  # the pasted link stays in the field
    assert 'id="keep-ics" name="keep" value="1" checked' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarConnection)) == 0
        assert db.session.scalar(select(func.count()).select_from(BusyFlag)) == 0


def test_a_closed_poll_reads_nothing(app, client, fx, files):
    with app.app_context():
        db.session.get(Poll, fx.poll_id).is_open = False
        db.session.commit()
    page = client.get(page_url(fx))
    assert page.status_code == 200 and 'name="ics_url"' not in page.get_data(as_text=True)
    url = files.ics("/h.ics", calendar(BUSY))
    assert client.post(page_url(fx), data={"kind": "ics", "ics_url": url}).status_code == 403
    assert files.requests == []
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Hent fra min kalender" not in member_page


def test_unknown_links_and_years_are_not_found(app, client, fx):
    assert client.get("/m/forkert/2027/kalender").status_code == 404
    assert client.get(f"/m/{fx.tokens['henrik']}/2031/kalender").status_code == 404
    assert client.post(f"{page_url(fx)}/hent-igen").status_code == 409


def test_a_kept_connection_can_be_removed_after_the_poll_closed(app, client, fx, files):
    url = files.ics("/h.ics", calendar(BUSY))
    client.post(page_url(fx), data={"kind": "ics", "ics_url": url, "keep": "1"})
    with app.app_context():
        db.session.get(Poll, fx.poll_id).is_open = False
        db.session.commit()
    member_page = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "Forbundet med http://127.0.0.1/h.ics" in member_page
    assert "foreslår Nej" not in member_page
    page = client.get(page_url(fx)).get_data(as_text=True)
    assert "Fjern forbindelsen" in page and "Hent igen" not in page
    assert client.post(f"{page_url(fx)}/hent-igen").status_code == 403
    assert client.post(f"{page_url(fx)}/fjern").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CalendarConnection)) == 0


def test_read_again_that_fails_says_why_and_keeps_the_flags(app, client, fx, files):
    url = files.ics("/h.ics", calendar(BUSY))
    client.post(page_url(fx), data={"kind": "ics", "ics_url": url, "keep": "1"})
    files.files["/h.ics"] = (200, "text/html", b"<!doctype html><p>Log ind</p>")
    failed = client.post(f"{page_url(fx)}/hent-igen")
    assert failed.status_code == 422
    with app.test_request_context():
        expected = error_message(CalendarError(ErrorKind.NOT_CALENDAR))
    assert 'id="refresh-error"' in failed.get_data(as_text=True)
    assert expected in html.unescape(failed.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(CalendarConnection.failure)) == "not_calendar"
        assert db.session.scalar(select(BusyFlag.state).where(BusyFlag.day == TUE)) == "busy"


def test_plain_http_is_refused_outside_debug_and_testing(app, fx, files):
    served = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TESTING=False)
    client = served.test_client()
    url = files.ics("/h.ics", calendar(BUSY))
    refused = client.post(page_url(fx), data={"kind": "ics", "ics_url": url})
    assert refused.status_code == 422
    assert "Kalenderlink: adressen skal begynde med https:// eller webcal://." in html.unescape(
        refused.get_data(as_text=True)
    )
    assert files.requests == []
    with served.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://outlook.office365.com/owa/calendar/4f1c2d0e9a8b@kommune.dk/"
            "a1b2c3d4e5f60718293a4b5c6d7e8f90/calendar.ics",
            "https://outlook.office365.com/…/calendar.ics",
        ),
        (
            "https://calendar.google.com/calendar/ical/bente%40gmail.com/"
            "private-0123456789abcdef/basic.ics",
            "https://calendar.google.com/…/basic.ics",
        ),
        (
            "webcal://p42-caldav.icloud.com/published/2/MTIzNDU2Nzg5MDEy",
            "webcal://p42-caldav.icloud.com/…",
        ),
        ("https://example.dk/kalender.ics?token=hemmelig", "https://example.dk/kalender.ics"),
        ("https://example.dk", "https://example.dk/"),
    ],
)
def test_links_are_masked_to_the_host_and_a_plain_file_name(url, shown):
    assert calendar_links.mask_url(url) == shown
