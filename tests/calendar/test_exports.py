"""Every exported .ics file checked against RFC 5545 and two parsers; SEQUENCE and UID across
re-plans; text surviving the app-level export; the CSV exports; the export CLI."""

from __future__ import annotations

import csv
import io
import time as clock
from datetime import UTC, date, datetime, time

import icalendar
import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from poll.calendar import clean_text
from poll.db import db
from poll.feeds import feed_token
from poll.models import Answer, EventState, Meeting, Member, Network, Plan, Poll, Venue
from poll.plan_calendar import (
    event_description,
    event_summary,
    location_of,
    member_calendar,
    published_events,
)
from poll.planning import store_plan
from poll.publishing import publish
from tests.calendar.test_feeds_helpers import (
    CPH,
    DAYS,
    MEMBERS,
    answer,
    check_ics,
    events_by_uid,
    make_year,
    publish_result,
    result_for,
)
from tests.factories import log_in, make_network

UIDS = [f"test-2027-m{n}@modeplan" for n in (1, 2, 3, 4)]


@pytest.fixture
def published(app):
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
        network = db.session.get(Network, fx.network_id)
        maria = db.session.get(Member, fx.member_ids["maria"])
        paths = {
            "network feed": f"/kalender/{feed_token(network)}.ics",
            "member feed": f"/kalender/{feed_token(maria)}.ics",
        }
        db.session.commit()
    paths["member meeting"] = paths["member feed"].removesuffix(".ics") + "/2027/m3.ics"
    paths["network meeting"] = paths["network feed"].removesuffix(".ics") + "/2027/m1.ics"
    paths["coordinator year"] = "/tovholder/kalender/2027.ics"
    paths["coordinator member year"] = "/tovholder/kalender/2027.ics?member=maria"
    paths["coordinator meeting"] = "/tovholder/kalender/2027/m2.ics"
    return fx, paths


# -- every exported file --------------------------------------------------------------------


EXPORTED = [
    "network feed",
    "member feed",
    "member meeting",
    "network meeting",
    "coordinator year",
    "coordinator member year",
    "coordinator meeting",
]


@pytest.mark.parametrize("which", EXPORTED)
def test_every_exported_file_is_valid_and_times_match_zoneinfo(app, published, which):
    fx, paths = published
    client = app.test_client()
    log_in(client, fx)
    response = client.get(paths[which])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    parsed = check_ics(response.data)
    for event in parsed.events:
        assert str(event["UID"]) in UIDS
        assert event["STATUS"] == "CONFIRMED" and event["SEQUENCE"] == 0
        assert "Bibliotek, " in str(event["LOCATION"])  # venue name and address
        assert "Dagsorden:" in str(event["DESCRIPTION"])


def test_dst_edge_days_land_on_the_right_utc_hours(app, published):
    _fx, paths = published
    data = app.test_client().get(paths["network feed"]).data
    starts = {
        v.uid.value: v.dtstart.value for v in vobject.readOne(data.decode()).contents["vevent"]
    }
    # Hard-coded truth, independent of zoneinfo: winter time is UTC+1, summer time UTC+2.
    assert [starts[uid].astimezone(UTC).hour for uid in UIDS] == [9, 8, 8, 9]
    for n, uid in enumerate(UIDS, start=1):
        day = DAYS[f"m{n}"]
        assert starts[uid].astimezone(UTC) == datetime.combine(day, time(10), CPH).astimezone(UTC)


def test_cli_export_ics_writes_a_valid_file(app, published, runner, tmp_path):
    out = tmp_path / "plan.ics"
    result = runner.invoke(args=["export-ics", "test", "2027", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(events_by_uid(check_ics(out.read_bytes()))) == UIDS

    mine = tmp_path / "maria.ics"
    args = ["export-ics", "test", "2027", "--member", "maria", "-o", str(mine)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    events = events_by_uid(check_ics(mine.read_bytes()))
    assert str(events[UIDS[2]]["SUMMARY"]) == "Møde 3 – Testnetværk (Referent)"
    assert "Dine roller: Referent" in str(events[UIDS[2]]["DESCRIPTION"])

    one = runner.invoke(args=["export-ics", "test", "2027", "--meeting", "m4"])
    assert one.exit_code == 0
    assert list(events_by_uid(check_ics(one.stdout_bytes))) == [UIDS[3]]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nowhere", "2027"], 2, "no network with the slug 'nowhere'"),
        (["test", "2031"], 2, "the network has no poll for 2031"),
        (["test", "1999"], 2, "1999"),
        (["test", "abc"], 2, "abc"),
        (["test", "2027", "--member", "nobody"], 2, "the network has no member 'nobody'"),
        (["test", "2027", "--meeting", "m9"], 2, "the published plan has no meeting 'm9'"),
        (["test", "2027", "-o", "/nonexistent/dir/x.ics"], 1, "cannot write /nonexistent/dir"),
    ],
)
def test_cli_export_ics_refuses_bad_input_clearly(app, published, runner, args, code, message):
    result = runner.invoke(args=["export-ics", *args, "--lang", "en"])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_export_ics_without_a_published_plan_exits_1(app, runner):
    with app.app_context():
        make_network(("sara", "henrik"))
    result = runner.invoke(args=["export-ics", "test", "2027"])
    assert result.exit_code == 1
    assert "Planen for 2027 er ikke udgivet endnu." in result.output


def test_coordinator_downloads_refuse_unpublished_and_unknown(app, runner):
    with app.app_context():
        fx = make_network(("sara", "henrik"))
    client = app.test_client()
    log_in(client, fx)
    assert client.get("/tovholder/kalender/2027.ics").status_code == 409
    assert client.get("/tovholder/kalender/2031.ics").status_code == 404
    assert client.get("/tovholder/kalender/2027/m1.ics").status_code == 404
    response = client.get("/tovholder/eksport/2027/plan.csv")
    assert response.status_code == 409
    assert "ikke udgivet" in response.get_data(as_text=True)


# -- SEQUENCE and UID across re-plans -------------------------------------------------------


def _sequences(ics: bytes) -> dict[str, tuple[int, str]]:
    return {uid: (int(e["SEQUENCE"]), str(e["STATUS"])) for uid, e in events_by_uid(ics).items()}


def _wait(client) -> dict:
    for _ in range(600):
        status = client.get("/tovholder/plan/2027/job.json").get_json()
        if status["status"] not in ("queued", "running"):
            return status
        clock.sleep(0.05)
    raise AssertionError("the solve did not finish")


def test_replan_with_a_pinned_date_raises_only_that_meetings_sequence(app):
    """Through the app: solve, publish v1, pin m1 to another date, solve, publish v2."""
    with app.app_context():
        fx = make_network(MEMBERS)
        answer(fx.poll_id, list(fx.member_ids.values()))
    client = app.test_client()
    log_in(client, fx)
    assert client.post("/tovholder/plan/2027/solve").status_code == 303
    assert _wait(client)["status"] == "done"
    assert client.post("/tovholder/plan/2027/publish", data={"version": 1}).status_code == 303
    v1 = client.get("/tovholder/kalender/2027.ics").data
    m1, m2 = "test-2027-m1@modeplan", "test-2027-m2@modeplan"
    assert _sequences(v1) == {m1: (0, "CONFIRMED"), m2: (0, "CONFIRMED")}

    first = icalendar.Calendar.from_ical(v1).events[0].start.astimezone(CPH).date()
    other = date(2027, 3, 10) if first != date(2027, 3, 10) else date(2027, 3, 11)
    client.post(
        "/tovholder/plan/2027/pins",
        data={"meeting": "m1", "kind": "date", "date": other.isoformat(), "venue": "vejle"},
    )
    assert client.post("/tovholder/plan/2027/solve").status_code == 303
    assert _wait(client)["status"] == "done"
    assert client.post("/tovholder/plan/2027/publish", data={"version": 2}).status_code == 303
    v2 = client.get("/tovholder/kalender/2027.ics").data
    check_ics(v2)
    assert _sequences(v2) == {m1: (1, "CONFIRMED"), m2: (0, "CONFIRMED")}
    moved = events_by_uid(v2)[m1]
    assert moved.start.astimezone(CPH).date() == other
    assert str(moved["LOCATION"]).startswith("Vejle Bibliotek")
    # Fetching again changes nothing: the sequence moves with the plan, not with each export.
    assert client.get("/tovholder/kalender/2027.ics").data == v2


def test_dropped_meeting_is_cancelled_and_comes_back_with_a_higher_sequence(app, published):
    fx, paths = published
    client = app.test_client()
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        publish(db.session.get(Plan, store_plan(poll, result_for(poll, only=("m1", "m2", "m3")))))
        db.session.commit()
    feed = client.get(paths["network feed"]).data
    check_ics(feed)
    assert _sequences(feed) == {
        UIDS[0]: (0, "CONFIRMED"),
        UIDS[1]: (0, "CONFIRMED"),
        UIDS[2]: (0, "CONFIRMED"),
        UIDS[3]: (1, "CANCELLED"),
    }
    cancelled = events_by_uid(feed)[UIDS[3]]
    assert str(cancelled["SUMMARY"]).startswith("Aflyst: Møde 4")
    assert cancelled.start.astimezone(CPH).date() == DAYS["m4"]  # where calendars have it
    member = client.get(paths["member feed"]).data
    assert _sequences(member)[UIDS[3]] == (1, "CANCELLED")

    with app.app_context():
        publish_result(fx.poll_id)  # m4 is back
        states = {
            s.meeting_id: (s.sequence, s.cancelled) for s in db.session.scalars(select(EventState))
        }
        m4 = db.session.scalar(select(Meeting).where(Meeting.key == "m4"))
        assert states[m4.id] == (2, False)
    assert _sequences(client.get(paths["network feed"]).data)[UIDS[3]] == (2, "CONFIRMED")


def test_a_changed_venue_address_raises_the_sequence_once(app, published):
    _fx, paths = published
    client = app.test_client()
    with app.app_context():
        venue = db.session.scalar(select(Venue).where(Venue.key == "vejle"))
        venue.address = "Willy Sørensens Plads 2, 7100 Vejle"
        db.session.commit()
    once = _sequences(client.get(paths["network feed"]).data)
    twice = _sequences(client.get(paths["network feed"]).data)
    assert once == twice
    assert [once[uid][0] for uid in UIDS] == [0, 1, 0, 1]  # m2 and m4 are in Vejle


def test_republishing_the_same_dates_keeps_every_sequence(app, published):
    fx, paths = published
    with app.app_context():
        publish_result(fx.poll_id, roles={"m1": {"notes": ["kis"]}})  # roles only
    feed = app.test_client().get(paths["network feed"]).data
    assert {seq for seq, _status in _sequences(feed).values()} == {0}
    assert "Referent: Kis" in str(events_by_uid(feed)[UIDS[0]]["DESCRIPTION"])


# -- text through the app-level export -------------------------------------------------------


TRICKY = "æøåÆØÅ,;:\\\n\r\"' "
danish_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(TRICKY),
        st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"),
    ),
    min_size=1,
    max_size=60,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    network_name=danish_text,
    meeting_name=danish_text,
    member_name=danish_text,
    venue_address=danish_text,
    agenda=st.text(alphabet=st.sampled_from(TRICKY + "abcÆ-–x"), max_size=200),
)
def test_names_and_agenda_survive_the_member_calendar_export(
    app, published, network_name, meeting_name, member_name, venue_address, agenda
):
    fx, _paths = published
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        maria = db.session.get(Member, fx.member_ids["maria"])
        meeting = db.session.scalar(select(Meeting).where(Meeting.key == "m3"))
        venue = db.session.scalar(select(Venue).where(Venue.key == "odense"))
        network.name, meeting.name, maria.name = network_name, meeting_name, member_name
        venue.address, meeting.agenda = venue_address, agenda
        db.session.commit()

        ics = member_calendar(maria, year=2027)
        event = next(
            e
            for e in published_events(db.session.get(Poll, fx.poll_id))
            if e.view.meeting.key == "m3"
        )
        summary = clean_text(event_summary(event, maria))
        description = clean_text(event_description(event, maria))
        location = clean_text(location_of(venue))
        db.session.rollback()

    check_ics(ics)
    parsed = events_by_uid(ics)[UIDS[2]]
    assert str(parsed["SUMMARY"]) == summary
    assert str(parsed["DESCRIPTION"]) == description
    assert str(parsed["LOCATION"]) == location
    assert clean_text(meeting_name) in summary and "(Referent)" in summary
    assert clean_text(member_name) in description  # Maria is Referent at m3
    for line in agenda.splitlines():
        if line.strip():
            assert f"- {clean_text(line.strip())}" in description
    other = {v.uid.value: v for v in vobject.readOne(ics.decode("utf-8")).contents["vevent"]}
    assert other[UIDS[2]].summary.value == summary
    assert other[UIDS[2]].description.value == description
    assert other[UIDS[2]].location.value == location


# -- CSV -------------------------------------------------------------------------------------


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Danish Excel"
    text = data[3:].decode("utf-8")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_answers_csv_one_row_per_member_day_and_venue(app):
    with app.app_context():
        fx = make_network(("sara", "henrik", "maria"))
        comment = '=HYPERLINK("x"); kan\nikke'
        answer(fx.poll_id, [fx.member_ids["henrik"]], Answer.MAYBE, comment=comment)
        poll = db.session.get(Poll, fx.poll_id)
        n_days, n_venues = len(poll.days), len(poll.network.venues)
        db.session.get(Member, fx.member_ids["maria"]).organisation = "Vejle; Bibliotekerne"
        db.session.commit()
    client = app.test_client()
    log_in(client, fx)
    response = client.get("/tovholder/eksport/2027/svar.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="testnetvaerk-2027-svar.csv"' in response.headers["Content-Disposition"]
    rows = _csv(response.data)
    assert rows[0] == [
        "Medlem",
        "Organisation",
        "Møde",
        "Dato",
        "Ugedag",
        "Uge",
        "Mødested",
        "Svar",
        "Kommentar",
        "Svaret",
    ]
    assert len(rows) == 1 + 3 * n_days * n_venues
    henrik = [r for r in rows[1:] if r[0] == "Henrik"]
    assert {r[7] for r in henrik} == {"Hvis nødvendigt"}
    assert henrik[0][8] == '\'=HYPERLINK("x"); kan\nikke'  # no formula; ; and newline kept
    assert henrik[0][2:7] == ["Møde 1", "2027-03-01", "mandag", "9", "Odense Bibliotek"]
    maria = [r for r in rows[1:] if r[0] == "Maria"]
    assert {r[7] for r in maria} == {""} and maria[0][1] == "Vejle; Bibliotekerne"
    assert maria[0][9] == ""


def test_plan_csv_has_date_week_venue_address_and_role_holders(app, published):
    fx, _paths = published
    client = app.test_client()
    log_in(client, fx)
    rows = _csv(client.get("/tovholder/eksport/2027/plan.csv").data)
    assert rows[0] == [
        "Møde",
        "Dato",
        "Ugedag",
        "Uge",
        "Start",
        "Slut",
        "Mødested",
        "Adresse",
        "Planlægningsgruppe",
        "Mødeleder",
        "Referent",
        "Oplægsholder",
    ]
    assert rows[1] == [
        "Møde 1",
        "2027-03-26",
        "fredag",
        "12",
        "10:00",
        "15:00",
        "Odense Bibliotek",
        "Østre Stationsvej 15, 5000 Odense C",
        "Sara, Henrik, Maria",
        "Henrik",
        "Berit",
        "Kis",
    ]
    assert len(rows) == 5
    english = _csv(client.get("/tovholder/eksport/2027/plan.csv?version=1&lang=en").data)
    assert english[0][:2] == ["Meeting", "Date"] and english[1][2] == "Friday"


@pytest.mark.parametrize(
    ("query", "status"), [("?version=abc", 400), ("?version=9", 404), ("?version=-1", 400)]
)
def test_plan_csv_bad_version_is_4xx(app, published, query, status):
    fx, _paths = published
    client = app.test_client()
    log_in(client, fx)
    response = client.get(f"/tovholder/eksport/2027/plan.csv{query}")
    assert response.status_code == status
    assert "Version" in response.get_data(as_text=True)


def test_exports_need_login_and_the_own_network(app, published):
    _fx, _paths = published
    with app.app_context():
        other = make_network(("ole",), slug="andet", year=2028)
    anonymous = app.test_client()
    for path in (
        "/tovholder/eksport/2027/svar.csv",
        "/tovholder/eksport/2027/plan.csv",
        "/tovholder/kalender",
    ):
        assert anonymous.get(path).status_code == 302
    client = app.test_client()
    log_in(client, other)
    assert client.get("/tovholder/eksport/2027/svar.csv").status_code == 404
    assert client.get("/tovholder/kalender/2027.ics").status_code == 404


def test_cli_export_csv(app, published, runner, tmp_path):
    out = tmp_path / "plan.csv"
    result = runner.invoke(args=["export-csv", "test", "2027", "plan", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert _csv(out.read_bytes())[1][0] == "Møde 1"
    answers = runner.invoke(args=["export-csv", "test", "2027", "answers"])
    assert answers.exit_code == 0 and _csv(answers.stdout_bytes)[0][0] == "Medlem"
    bad = runner.invoke(args=["export-csv", "test", "2027", "plan", "--version", "7"])
    assert bad.exit_code == 2 and "version 7 findes ikke" in bad.output
    wrong = runner.invoke(args=["export-csv", "test", "2027", "everything"])
    assert wrong.exit_code == 2 and "everything" in wrong.output
