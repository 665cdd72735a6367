import json
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from poll.db import db
from poll.jobs import reap_stale, start_job
from poll.models import (
    Answer,
    JobStatus,
    Member,
    Pin,
    Plan,
    Poll,
    Response,
    RoleHistory,
    SolveJob,
    utcnow,
)
from poll.planning import build_instance
from tests.factories import log_in, make_network, record_answers

MEMBERS = ("sara", "henrik", "maria", "berit", "kis")


def answer_all(poll: Poll, value: Answer = Answer.YES, only: tuple[str, ...] = MEMBERS) -> None:
    members = [m for m in poll.network.members if m.key in only]
    cells = [(day.day, venue.key, value) for day in poll.days for venue in poll.network.venues]
    for member in members:
        record_answers(poll.id, member.id, cells)
    db.session.commit()


@pytest.fixture
def planned(app):
    """A logged-in client and a network whose five members can come on every day."""
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id))
    client = app.test_client()
    log_in(client, fx)
    return client, fx


def wait_for_job(client, year: int = 2027) -> dict:
    for _ in range(600):
        status = client.get(f"/tovholder/plan/{year}/job.json").get_json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.05)
    raise AssertionError("the solve did not finish")


def solve(client, year: int = 2027) -> dict:
    response = client.post(f"/tovholder/plan/{year}/solve")
    assert response.status_code == 303
    return wait_for_job(client, year)


def pin_another_day(app, client) -> None:
    """Pin the first meeting of the latest version to another day: planning again then
    changes the plan (a re-plan that changes nothing stores no version)."""
    first = plans(app)[-1].result["meetings"][0]
    other_day = "2027-03-10" if first["date"] != "2027-03-10" else "2027-03-11"
    response = client.post(
        "/tovholder/plan/2027/pins",
        data={"meeting": "m1", "kind": "date", "date": other_day, "venue": first["venue"]},
    )
    assert response.status_code == 303


def plans(app) -> list[Plan]:
    with app.app_context():
        rows = db.session.scalars(select(Plan).order_by(Plan.version)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_plan_page_requires_login(app):
    response = app.test_client().get("/tovholder/plan/2027")
    assert response.status_code == 302
    assert "/tovholder/login" in response.headers["Location"]


def test_plan_the_year_stores_a_draft_and_shows_it(app, planned):
    client, _fx = planned
    assert solve(client)["status"] == "done"
    [plan] = plans(app)
    assert (plan.version, plan.status.value, plan.result["status"]) == (1, "draft", "optimal")
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    first = plan.result["meetings"][0]
    assert first["date"].startswith("2027-03-")
    assert "den " in page and "marts 2027" in page and "uge " in page
    assert "kl. 10.00–15.00" in page
    assert "Østre Stationsvej 15" in page or "Willy Sørensens Plads 1" in page
    assert "Planlægningsgruppe" in page and "Retfærdighed" in page
    assert "Udgiv version 1" in page
    # The fairness table scrolls sideways on a phone: a named region reached by keyboard.
    assert (
        '<div class="table-wrap" tabindex="0" role="region" aria-labelledby="fairness-heading">'
        in page
    )
    # Every hard rule the page relies on: three in the planning group, the coordinator among them.
    for meeting in plan.result["meetings"]:
        assert len(meeting["roles"]["planning"]) == 3 and "sara" in meeting["roles"]["planning"]


def test_a_second_click_while_running_does_not_start_a_second_solve(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        poll = db.session.get(Poll, fx.poll_id)
        first, started = start_job(poll, None)
        again, started_again = start_job(poll, None)
        assert started and not started_again and again == first
        # The database itself refuses a second active job for the poll.
        db.session.add(SolveJob(poll_id=poll.id, active_poll_id=poll.id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_a_crashed_solve_is_reported_as_failed(app, planned):
    client, fx = planned
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        job_id, _ = start_job(poll, None)
        job = db.session.get(SolveJob, job_id)
        job.status = JobStatus.RUNNING
        job.heartbeat_at = utcnow() - timedelta(minutes=5)
        db.session.commit()
        reap_stale(poll)
        job = db.session.get(SolveJob, job.id)
        assert job.status == JobStatus.FAILED and job.active_poll_id is None
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert "Den seneste planlægning fejlede" in page


def test_pin_then_replan_keeps_the_pin_and_marks_changes(app, planned):
    client, _fx = planned
    solve(client)
    first = plans(app)[0].result["meetings"][0]
    other_day = "2027-03-10" if first["date"] != "2027-03-10" else "2027-03-11"
    response = client.post(
        "/tovholder/plan/2027/pins",
        data={"meeting": "m1", "kind": "date", "date": other_day, "venue": "vejle"},
    )
    assert response.status_code == 303
    assert solve(client)["status"] == "done"
    v1, v2 = plans(app)
    assert (v2.result["meetings"][0]["date"], v2.result["meetings"][0]["venue"]) == (
        other_day,
        "vejle",
    )
    # Nothing else needed to change: the second meeting stays where it was.
    assert v2.result["meetings"][1]["date"] == v1.result["meetings"][1]["date"]
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert "ændret" in page
    assert "Fastlåste beslutninger" in page


def test_pins_are_validated(app, planned):
    client, _fx = planned
    bad_day = client.post(
        "/tovholder/plan/2027/pins",
        data={"meeting": "m1", "kind": "date", "date": "2027-06-07", "venue": ""},
        follow_redirects=True,
    )
    assert "Dato: 2027-06-07 er ikke en mulig dag for Møde 1" in bad_day.get_data(as_text=True)
    not_a_date = client.post(
        "/tovholder/plan/2027/pins", data={"meeting": "m1", "kind": "date", "date": "2027-02-30"}
    )
    assert not_a_date.status_code == 400
    assert "Dato" in not_a_date.get_data(as_text=True)
    with app.app_context():
        sara = db.session.scalar(select(Member).where(Member.key == "sara"))
        sara.cannot = ["notes"]
        db.session.commit()
    refused = client.post(
        "/tovholder/plan/2027/pins",
        data={"meeting": "m1", "kind": "role", "role": "notes", "member": "sara"},
        follow_redirects=True,
    )
    assert "Sara må ikke have rollen Referent" in refused.get_data(as_text=True)
    assert client.post("/tovholder/plan/2027/pins", data={"meeting": "m9"}).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Pin)).all() == []


def test_replace_a_role_holder_by_hand(app, planned):
    client, _fx = planned
    solve(client)
    meeting = plans(app)[0].result["meetings"][0]
    old = meeting["roles"]["presenter"][0]
    candidates = [k for k in MEMBERS if k not in (old, "sara")]
    new = candidates[0]
    # A member who answered no for that day and venue is refused, with the reason.
    with app.app_context():
        member = db.session.scalar(select(Member).where(Member.key == new))
        response = db.session.scalar(select(Response).where(Response.member_id == member.id))
        response.answers = {
            day: dict.fromkeys(by_venue, Answer.NO.value)
            for day, by_venue in response.answers.items()
        }
        db.session.commit()
    refused = client.post(
        "/tovholder/plan/2027/replace",
        data={"meeting": "m1", "role": "presenter", "old": old, "new": new},
        follow_redirects=True,
    )
    assert "kan ikke komme til Møde 1" in refused.get_data(as_text=True)
    assert len(plans(app)) == 1
    # Someone who can come is accepted: pinned, re-planned, and the rest kept.
    new = candidates[1]
    client.post(
        "/tovholder/plan/2027/replace",
        data={"meeting": "m1", "role": "presenter", "old": old, "new": new},
    )
    wait_for_job(client)
    v1, v2 = plans(app)
    assert v2.result["meetings"][0]["roles"]["presenter"] == [new]
    assert v2.result["meetings"][0]["date"] == v1.result["meetings"][0]["date"]


def test_publish_records_history_and_keeps_old_versions_readable(app, planned):
    client, _fx = planned
    solve(client)
    response = client.post("/tovholder/plan/2027/publish", data={"version": "1"})
    assert response.status_code == 303
    pin_another_day(app, client)  # a change after publishing makes a new draft version
    solve(client)
    v1, v2 = plans(app)
    assert (v1.status.value, v2.status.value) == ("published", "draft")
    with app.app_context():
        total = sum(r.count for r in db.session.scalars(select(RoleHistory)))
    # Two meetings: 3 planning + 1 leader + 1 notes + 1 presenter each.
    assert total == 12
    old = client.get("/tovholder/plan/2027?version=1").get_data(as_text=True)
    assert "Version 1" in old and "udgivet" in old
    assert client.get("/tovholder/plan/2027?version=7").status_code == 404
    assert client.post("/tovholder/plan/2027/publish", data={"version": "x"}).status_code == 400


def test_no_plan_possible_explains_and_loses_nothing(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        poll = db.session.get(Poll, fx.poll_id)
        answer_all(poll, only=("henrik", "maria", "berit", "kis"))  # the coordinator says nothing
    client = app.test_client()
    log_in(client, fx)
    assert solve(client)["status"] == "done"
    page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert "Ingen plan er mulig" in page
    assert "Sara" in page
    assert "lavere mindste fremmøde" in page
    # Each relaxation links to the page where it is made, and each of those pages answers.
    relax = page[page.index("Hvad du kan lempe") : page.index("Intet gemt er ændret")]
    links = re.findall(r'href="([^"]+)"', relax)
    assert links == [
        f"/tovholder/afstemninger/{fx.poll_id}/rediger",
        f"/tovholder/afstemninger/{fx.poll_id}/rediger",
        "/tovholder/roller",
        "/tovholder/medlemmer",
    ]
    for link in links:
        assert client.get(link).status_code == 200, link
    assert "flere aktive medlemmer" in relax and "færre personer pr. møde i en rolle" in relax
    assert plans(app) == []
    with app.app_context():
        assert db.session.scalar(select(Poll).where(Poll.id == fx.poll_id)) is not None
        assert any(r.answers for r in db.session.scalars(select(Response)))


def test_download_the_instance(app, planned):
    client, fx = planned
    response = client.get("/tovholder/plan/2027/instance.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context():
        expected = build_instance(db.session.get(Poll, fx.poll_id))
    assert json.loads(response.get_data(as_text=True)) == expected
    assert client.get("/tovholder/plan/2031/instance.json").status_code == 404


def test_meeting_page_agenda_for_coordinator_and_planning_group(app, planned):
    client, fx = planned
    solve(client)
    client.post("/tovholder/plan/2027/publish", data={"version": "1"})
    page = client.get("/tovholder/plan/2027/moede/m1").get_data(as_text=True)
    assert "Sparring – siden sidst" in page and "Hvordan deler vi mødets indhold?" in page
    saved = client.post(
        "/tovholder/plan/2027/moede/m1",
        data={"agenda": "Sparring – siden sidst\nOplæg om læseklubber\n\nDeling"},
    )
    assert saved.status_code == 303
    assert "Oplæg om læseklubber" in client.get("/tovholder/plan/2027/moede/m1").get_data(
        as_text=True
    )
    too_long = client.post("/tovholder/plan/2027/moede/m1", data={"agenda": "x" * 5000})
    assert too_long.status_code == 400 and "Dagsorden" in too_long.get_data(as_text=True)

    meeting = plans(app)[0].result["meetings"][0]
    group = next(k for k in meeting["roles"]["planning"] if k != "sara")
    outsider = meeting["roles"]["notes"][0]
    member_client = app.test_client()
    url = f"/m/{fx.tokens[group]}/moede/2027/m1"
    assert member_client.get(url).headers["Referrer-Policy"] == "no-referrer"
    assert member_client.post(url, data={"agenda": "Nyt punkt"}).status_code == 303
    assert "Nyt punkt" in member_client.get(url).get_data(as_text=True)
    other = f"/m/{fx.tokens[outsider]}/moede/2027/m1"
    assert member_client.post(other, data={"agenda": "Hack"}).status_code == 403
    assert "Nyt punkt" in member_client.get(other).get_data(as_text=True)


def test_members_see_the_published_plan_with_their_own_roles(app, planned):
    client, fx = planned
    solve(client)
    member_page = app.test_client()
    before = member_page.get(f"/m/{fx.tokens['henrik']}").get_data(as_text=True)
    assert 'id="plan-h"' not in before  # a draft is the coordinator's alone
    client.post("/tovholder/plan/2027/publish", data={"version": "1"})
    meeting = plans(app)[0].result["meetings"][0]
    notes = meeting["roles"]["notes"][0]
    page = member_page.get(f"/m/{fx.tokens[notes]}").get_data(as_text=True)
    assert "Planen for 2027" in page
    assert "Dine roller:</strong> Referent" in page
    assert f"/m/{fx.tokens[notes]}/moede/2027/m1" in page
    # The calendar: a feed to subscribe to, and each meeting for Google, Outlook or as a file.
    assert "webcal://" in page and "/kalender/" in page
    assert "calendar.google.com" in page and "outlook" in page
    assert page.count("/2027/m1.ics") == 1 and page.count("/2027/m2.ics") == 1


def test_a_poll_that_cannot_be_planned_is_refused_at_the_click_with_the_reason(app, planned):
    client, fx = planned
    with app.app_context():
        sara = db.session.get(Member, fx.member_ids["sara"])
        sara.is_coordinator = False
        db.session.commit()
    response = client.post("/tovholder/plan/2027/solve", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Intet aktivt medlem er markeret som netværkets tovholder" in page
    assert "sæt flueben ved “Netværkets tovholder”" in page
    with app.app_context():
        assert db.session.scalars(select(SolveJob)).all() == []
    assert client.get("/tovholder/plan/2027/instance.json").status_code == 409
