"""Role swaps on both engines: the holder's request by personal link, the coordinator's
candidates and choice, asking the first candidate, nobody able, the CLI, and refusals.

The plan is the solver's for a network where everyone can come on every day; mails go to the
`smtp` fixture's real server and are read, and every link they or the pages show is fetched.
"""

from __future__ import annotations

import re
from datetime import date

import icalendar
import pytest
from sqlalchemy import select

from poll.audit import Action
from poll.db import db
from poll.models import (
    Answer,
    AuditEvent,
    Member,
    Pin,
    Plan,
    PlanStatus,
    Poll,
    Response,
    RoleHistory,
    SwapRequest,
    SwapStatus,
)
from poll.planning import build_instance, store_plan
from poll.publishing import publish
from solver import solve
from tests.factories import Fixture, log_in, make_network, record_answers
from tests.mail.test_notifications import calendars, text_of

MEMBERS = ("sara", "henrik", "maria", "berit", "kis", "jens")
YEAR = 2027


@pytest.fixture
def published(app) -> Fixture:
    """Six members who can come on every day; the solver's plan for 2027, published."""
    with app.app_context():
        fx = make_network(MEMBERS)
        poll = db.session.get(Poll, fx.poll_id)
        cells = [(d.day, v.key, Answer.YES) for d in poll.days for v in poll.network.venues]
        for member in poll.network.members:
            record_answers(poll.id, member.id, cells)
        db.session.commit()
        result = solve(build_instance(poll))
        assert result["status"] == "optimal"
        publish(db.session.get(Plan, store_plan(poll, result)))
        db.session.commit()
    return fx


def _published_result(app, fx: Fixture) -> tuple[int, dict]:
    with app.app_context():
        plan = db.session.scalar(
            select(Plan).where(Plan.poll_id == fx.poll_id, Plan.status == PlanStatus.PUBLISHED)
        )
        return plan.version, plan.result


def _notes_holder(app, fx: Fixture) -> str:
    return _published_result(app, fx)[1]["meetings"][0]["roles"]["notes"][0]


def _member_page(fx: Fixture, key: str) -> str:
    return f"/m/{fx.tokens[key]}/moede/{YEAR}/m1"


def _request(client, fx: Fixture, key: str, role: str = "notes"):
    return client.post(f"{_member_page(fx, key)}/kan-ikke", data={"role": role})


def _link(text: str, path: str) -> str:
    found = re.search(rf"https?://[^/\s]+({re.escape(path)}[^\s\"<]*)", text)
    assert found, path
    return found.group(1)


def _paths(text: str) -> list[str]:
    """The paths of every link in a mail's text (web and webcal)."""
    return re.findall(r"(?:https?|webcal)://[^/\s]+(/[^\s\"<]*)", text)


def _swap(app) -> SwapRequest:
    with app.app_context():
        swap = db.session.scalars(select(SwapRequest)).one()
        db.session.expunge(swap)
        return swap


def _only_this_changed(before: dict, after: dict, meeting: str, role: str) -> tuple[str, str]:
    """(old holder, new holder) when `after` differs from `before` in exactly one holder."""
    assert [m["id"] for m in after["meetings"]] == [m["id"] for m in before["meetings"]]
    changed = []
    for old, new in zip(before["meetings"], after["meetings"], strict=True):
        assert (old["date"], old["venue"], old["attendance"]) == (
            new["date"],
            new["venue"],
            new["attendance"],
        )
        for rid, holders in old["roles"].items():
            gone = set(holders) - set(new["roles"][rid])
            came = set(new["roles"][rid]) - set(holders)
            assert len(gone) == len(came)
            changed += [
                (old["id"], rid, g, c) for g, c in zip(sorted(gone), sorted(came), strict=True)
            ]
    [(where, rid, gone, came)] = changed
    assert (where, rid) == (meeting, role)
    return gone, came


def test_a_holder_withdraws_and_the_coordinator_picks_one_holder_changes(app, published, smtp):
    fx = published
    leaving = _notes_holder(app, fx)
    member = app.test_client()
    page = member.get(_member_page(fx, leaving)).get_data(as_text=True)
    assert 'id="rollebytte"' in page and "Jeg kan ikke alligevel" in page
    assert 'name="role" value="notes"' in page
    assert "Du er Referent ved dette møde." in page

    response = _request(member, fx, leaving)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{_member_page(fx, leaving)}#rollebytte")
    page = member.get(response.headers["Location"]).get_data(as_text=True)
    assert "Koordinatoren har fået besked og finder en, der kan overtage." in page
    assert "Du har meldt, at du ikke kan være Referent." in page
    assert 'name="role" value="notes"' not in page  # asked once

    again = _request(member, fx, leaving)
    assert again.status_code == 409
    assert "Du har allerede meldt" in again.get_data(as_text=True)

    swap = _swap(app)
    assert swap.status == SwapStatus.OPEN and 1 <= len(swap.candidates) <= 3
    best = swap.candidates[0]["id"]
    assert leaving not in [c["id"] for c in swap.candidates]
    with app.app_context():
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == str(Action.SWAP_REQUEST))
        ).all()
        assert event.member.key == leaving and event.actor == "personal link"

    # The coordinator is told by mail, with the link to the candidates.
    [mail] = smtp.messages()
    assert "sara@example.dk" in str(mail["To"])
    assert "kan alligevel ikke være Referent ved Møde 1" in mail["Subject"]
    text = text_of(mail)
    assert "De bedste kandidater" in text
    url = _link(text, f"/tovholder/plan/{YEAR}/rollebytte/{swap.id}")
    coordinator = app.test_client()
    assert coordinator.get(url).status_code == 302  # login first
    log_in(coordinator, fx)
    for path in _paths(text):
        assert coordinator.get(path).status_code == 200, path
    page = coordinator.get(url).get_data(as_text=True)
    assert "Svar for dagen" in page and "Som Referent i år" in page and "Vælg" in page
    names = re.findall(r'<th scope="row">([^<(]+)', page)
    assert names[0].strip() == best.capitalize()
    listing = coordinator.get(f"/tovholder/plan/{YEAR}/rollebytte").get_data(as_text=True)
    assert url in listing
    assert url in coordinator.get(f"/tovholder/plan/{YEAR}").get_data(as_text=True)
    meeting_page = coordinator.get(f"/tovholder/plan/{YEAR}/moede/m1").get_data(as_text=True)
    assert url in meeting_page and 'id="rollebytte"' in meeting_page

    version, before = _published_result(app, fx)
    response = coordinator.post(f"{url}/vaelg", data={"member": best})
    assert response.status_code == 303
    plan_page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Version {version + 1} er udgivet med {best.capitalize()} som Referent" in plan_page
    assert url not in plan_page  # settled

    new_version, after = _published_result(app, fx)
    assert new_version == version + 1
    assert _only_this_changed(before, after, "m1", "notes") == (leaving, best)
    with app.app_context():
        statuses = [
            p.status
            for p in db.session.scalars(
                select(Plan).where(Plan.poll_id == fx.poll_id).order_by(Plan.version)
            )
        ]
        assert statuses == [PlanStatus.SUPERSEDED, PlanStatus.PUBLISHED]
        counts = {
            (row.member.key, row.role.key): row.count
            for row in db.session.scalars(select(RoleHistory).where(RoleHistory.year == YEAR))
        }
        held = {key: sum(key in m["roles"]["notes"] for m in after["meetings"]) for key in MEMBERS}
        assert {k: counts.get((k, "notes"), 0) for k in MEMBERS} == held
        leaver = db.session.scalar(select(Member).where(Member.key == leaving))
        response_row = db.session.scalar(select(Response).where(Response.member_id == leaver.id))
        m1 = after["meetings"][0]
        assert response_row.answers[m1["date"]][m1["venue"]] == "no"
        pins = db.session.scalars(select(Pin)).all()
        assert [(p.meeting.key, p.role.key, p.member.key) for p in pins] == [("m1", "notes", best)]
        swap_row = db.session.get(SwapRequest, swap.id)
        assert swap_row.status == SwapStatus.DONE and swap_row.replacement.key == best

    # The two members get the change and the meeting's calendar entry, one SEQUENCE up.
    mails = smtp.messages()[1:]
    assert sorted(str(m["To"]) for m in mails) == sorted(
        f"{k.capitalize()} <{k}@example.dk>" for k in (leaving, best)
    )
    gone = next(m for m in mails if leaving in str(m["To"]))
    came = next(m for m in mails if best in str(m["To"]))
    assert "Du er ikke længere Referent ved Møde 1." in text_of(gone)
    assert "Du er nu Referent ved Møde 1." in text_of(came)
    for mail in (gone, came):
        files = calendars(mail)
        assert list(files) == ["testnetvaerk-2027-m1.ics"]
        event = icalendar.Calendar.from_ical(files["testnetvaerk-2027-m1.ics"][1]).events[0]
        assert event["SEQUENCE"] == 1
    # Every link of the change mail works; the calendar feed has the new SEQUENCE too.
    reader = app.test_client()
    for path in _paths(text_of(came)):
        assert reader.get(path).status_code == 200, path
    [feed] = [p for p in _paths(text_of(came)) if p.endswith(".ics")]
    ics = reader.get(feed).get_data()
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT")}
    assert events[f"test-{YEAR}-m1@modeplan"]["SEQUENCE"] == 1
    assert events[f"test-{YEAR}-m2@modeplan"]["SEQUENCE"] == 0

    # The settled request is no longer on the member's page; the coordinator's page says so.
    assert "Du har meldt" not in member.get(_member_page(fx, leaving)).get_data(as_text=True)
    assert f"Afgjort: {best.capitalize()} har overtaget." in coordinator.get(url).get_data(
        as_text=True
    )
    assert coordinator.post(f"{url}/vaelg", data={"member": best}).status_code == 409


def test_asking_the_first_one_who_declines_then_the_next_who_accepts(app, published, smtp):
    fx = published
    leaving = _notes_holder(app, fx)
    assert _request(app.test_client(), fx, leaving).status_code == 303
    swap = _swap(app)
    first, second = swap.candidates[0]["id"], swap.candidates[1]["id"]
    coordinator = app.test_client()
    log_in(coordinator, fx)
    url = f"/tovholder/plan/{YEAR}/rollebytte/{swap.id}"
    response = coordinator.post(f"{url}/spoerg")
    assert response.status_code == 303
    assert f"{first.capitalize()} er spurgt på mail." in coordinator.get(url).get_data(as_text=True)

    asked = smtp.to(f"{first}@example.dk")
    assert "kan du være Referent ved Møde 1?" in asked["Subject"]
    link = _link(text_of(asked), "/m/")
    assert link == f"/m/{fx.tokens[first]}/rollebytte/{swap.id}"
    candidate = app.test_client()
    for path in _paths(text_of(asked)):
        assert candidate.get(path).status_code == 200, path
    page = candidate.get(link).get_data(as_text=True)
    assert "Ja, jeg tager den" in page and "Nej, jeg kan ikke" in page

    # Only the one asked may answer, and only yes or no.
    outsider = f"/m/{fx.tokens[second]}/rollebytte/{swap.id}"
    assert "Du er ikke spurgt" in candidate.get(outsider).get_data(as_text=True)
    assert candidate.post(outsider, data={"answer": "yes"}).status_code == 409
    assert candidate.post(link, data={"answer": "maybe"}).status_code == 400

    response = candidate.post(link, data={"answer": "no"})
    assert response.status_code == 303
    assert "En anden bliver spurgt." in candidate.get(response.headers["Location"]).get_data(
        as_text=True
    )
    next_mail = smtp.to(f"{second}@example.dk")
    link = _link(text_of(next_mail), "/m/")
    assert link == outsider
    _version, before = _published_result(app, fx)
    response = candidate.post(link, data={"answer": "yes"})
    assert response.status_code == 303
    page = candidate.get(response.headers["Location"]).get_data(as_text=True)
    assert "Du har nu rollen" in page
    _version, after = _published_result(app, fx)
    assert _only_this_changed(before, after, "m1", "notes") == (leaving, second)
    with app.app_context():
        row = db.session.get(SwapRequest, swap.id)
        assert row.declined == [first] and row.status == SwapStatus.DONE
        [event] = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == str(Action.SWAP))
        ).all()
        assert event.actor == "personal link" and event.member.key == second


def test_when_every_candidate_declines_the_coordinator_is_told(app, published, smtp):
    fx = published
    leaving = _notes_holder(app, fx)
    assert _request(app.test_client(), fx, leaving).status_code == 303
    swap = _swap(app)
    coordinator = app.test_client()
    log_in(coordinator, fx)
    url = f"/tovholder/plan/{YEAR}/rollebytte/{swap.id}"
    assert coordinator.post(f"{url}/spoerg").status_code == 303
    client = app.test_client()
    for candidate in swap.candidates:
        mail = smtp.to(f"{candidate['id']}@example.dk")
        link = _link(text_of(mail), "/m/")
        assert client.post(link, data={"answer": "no"}).status_code == 303
    told = [m for m in smtp.messages() if "sara@example.dk" in str(m["To"])]
    assert len(told) == 2  # the request, then: everyone asked declined
    assert "har sagt nej" in text_of(told[-1])
    page = coordinator.get(_link(text_of(told[-1]), "/tovholder/")).get_data(as_text=True)
    assert "Alle, der er blevet spurgt, har sagt nej." in page
    assert _swap(app).status == SwapStatus.NOBODY
    assert _published_result(app, fx)[0] == 1


def test_the_coordinator_is_not_offered_to_leave_the_planning_group(app, published):
    fx = published
    page = app.test_client().get(_member_page(fx, "sara")).get_data(as_text=True)
    assert 'name="role" value="planning"' not in page


def test_nobody_can_take_over_and_the_coordinator_is_told_why(app, published, smtp):
    fx = published
    version, result = _published_result(app, fx)
    m1 = result["meetings"][0]
    leaving = m1["roles"]["notes"][0]
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        for member in poll.network.members:
            if member.key not in m1["roles"]["planning"] and member.key != leaving:
                response = db.session.scalar(
                    select(Response).where(Response.member_id == member.id)
                )
                response.record(
                    {
                        (
                            date.fromisoformat(m1["date"]),
                            m1["venue"],
                        ): Answer.NO
                    }
                )
        db.session.commit()
    assert _request(app.test_client(), fx, leaving).status_code == 303
    swap = _swap(app)
    assert swap.status == SwapStatus.NOBODY and swap.candidates == []
    [mail] = smtp.messages()
    text = text_of(mail)
    assert "Ingen kan overtage rollen Referent" in text
    assert "kan komme, men har allerede en rolle ved mødet" in text
    coordinator = app.test_client()
    log_in(coordinator, fx)
    page = coordinator.get(_link(text, "/tovholder/")).get_data(as_text=True)
    assert "Ingen kan overtage" in page and "Ingen kan overtage rollen Referent" in page
    assert _published_result(app, fx)[0] == version


def test_only_the_holder_may_ask_and_bad_input_is_refused(app, published, smtp):
    fx = published
    _version, result = _published_result(app, fx)
    m1 = result["meetings"][0]
    leaving = m1["roles"]["notes"][0]
    other = next(k for k in MEMBERS if k not in {leaving, *m1["roles"]["planning"]})
    client = app.test_client()
    page = client.get(_member_page(fx, other)).get_data(as_text=True)
    assert "Du er Referent" not in page
    refused = _request(client, fx, other)
    assert refused.status_code == 409
    assert "Rolle: du har ikke den rolle ved dette møde." in refused.get_data(as_text=True)
    assert (
        client.post(f"/m/{'x' * 43}/moede/{YEAR}/m1/kan-ikke", data={"role": "notes"}).status_code
        == 404
    )
    assert client.post(f"{_member_page(fx, leaving)}/kan-ikke", data={}).status_code == 400
    assert _request(client, fx, leaving, role="chef").status_code == 409
    assert (
        client.post(
            f"/m/{fx.tokens[leaving]}/moede/{YEAR}/m9/kan-ikke", data={"role": "notes"}
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/m/{fx.tokens[leaving]}/moede/1999/m1/kan-ikke", data={"role": "notes"}
        ).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalars(select(SwapRequest)).all() == []
    assert smtp.messages() == []

    assert _request(client, fx, leaving).status_code == 303
    swap = _swap(app)
    coordinator = app.test_client()
    url = f"/tovholder/plan/{YEAR}/rollebytte/{swap.id}"
    assert coordinator.post(f"{url}/vaelg", data={"member": "kis"}).status_code == 302  # login
    log_in(coordinator, fx)
    assert coordinator.post(f"{url}/vaelg", data={}).status_code == 400
    assert coordinator.post(f"{url}/vaelg", data={"member": leaving}).status_code == 409
    planner = m1["roles"]["planning"][1]
    assert coordinator.post(f"{url}/vaelg", data={"member": planner}).status_code == 409
    assert coordinator.get(f"/tovholder/plan/{YEAR}/rollebytte/999").status_code == 404
    assert coordinator.post(f"/tovholder/plan/{YEAR}/rollebytte/999/spoerg").status_code == 404
    assert _published_result(app, fx)[0] == 1


def test_swap_forms_need_the_csrf_token(app, published, strict):
    fx = published
    leaving = _notes_holder(app, fx)
    client = strict.test_client()
    refused = client.post(f"{_member_page(fx, leaving)}/kan-ikke", data={"role": "notes"})
    assert refused.status_code == 400
    assert "sikkerhedstegn" in refused.get_data(as_text=True)
    page = client.get(_member_page(fx, leaving)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    with strict.app_context():
        strict.config["MAIL_OUTBOX"] = None
    accepted = client.post(
        f"{_member_page(fx, leaving)}/kan-ikke", data={"role": "notes", "csrf_token": token}
    )
    assert accepted.status_code == 303
    with strict.app_context():
        db.engine.dispose()


def test_cli_prints_the_candidates_best_first(app, published, runner):
    fx = published
    leaving = _notes_holder(app, fx)
    out = runner.invoke(args=["swap", "test", str(YEAR), "m1", "notes", leaving])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert 1 <= len(lines) <= 3
    keys = [line.split()[0] for line in lines]
    assert leaving not in keys and set(keys) <= set(MEMBERS)
    assert "svarede ja" in lines[0]

    other = next(k for k in MEMBERS if k != leaving)
    refused = runner.invoke(args=["swap", "test", str(YEAR), "m1", "notes", other])
    assert refused.exit_code == 1
    assert "giver ikke medlemmet den rolle" in refused.output

    for args, name in (
        (["nowhere", str(YEAR), "m1", "notes", leaving], "NETWORK"),
        (["test", "1999", "m1", "notes", leaving], "YEAR"),
        (["test", "x", "m1", "notes", leaving], "YEAR"),
        (["test", str(YEAR), "m9", "notes", leaving], "MEETING"),
        (["test", str(YEAR), "m1", "chef", leaving], "ROLE"),
        (["test", str(YEAR), "m1", "notes", "nobody"], "MEMBER"),
    ):
        bad = runner.invoke(args=["swap", *args])
        assert bad.exit_code == 2, (args, bad.output)
        assert name in bad.output


def test_a_holder_who_signs_off_starts_the_swap_and_a_guest_sees_none_of_it(app, published, smtp):
    from poll.guest_links import guest_token
    from poll.models import Guest
    from tests.html_forms import form_fields

    fx = published
    leaving = _notes_holder(app, fx)
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        coordinator_key = poll.network.coordinator.key
    result = _published_result(app, fx)[1]
    held = sorted(
        role
        for role, holders in result["meetings"][0]["roles"].items()
        if leaving in holders and not (role == "planning" and leaving == coordinator_key)
    )
    member = app.test_client()
    page = member.get(_member_page(fx, leaving)).get_data(as_text=True)
    fields = dict(form_fields(page, "signup-form"))
    fields.update(coming="no", dietary="")
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="signup-form"', page)
    assert action
    saved = member.post(action.group(1), data=fields)
    assert saved.status_code == 303
    back = member.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Vi har bedt tovholderen finde en afløser for din" in back
    assert "Referent" in back
    assert "Du har meldt, at du ikke kan være Referent." in back
    assert 'name="role" value="notes"' not in back and "skal have en afløser" not in back

    with app.app_context():
        swaps = db.session.scalars(select(SwapRequest).order_by(SwapRequest.id)).all()
        assert sorted(s.role.key for s in swaps) == held and "notes" in held
        assert {(s.member.key, s.status) for s in swaps} == {(leaving, SwapStatus.OPEN)}
        notes = next(s.id for s in swaps if s.role.key == "notes")

    # The coordinator is told by mail, once per role, with the link to the candidates.
    mails = smtp.messages()
    assert len(mails) == len(held)
    assert all("sara@example.dk" in str(m["To"]) for m in mails)
    [mail] = [m for m in mails if "Referent" in m["Subject"]]
    url = _link(text_of(mail), f"/tovholder/plan/{YEAR}/rollebytte/{notes}")
    coordinator = app.test_client()
    log_in(coordinator, fx)
    shown = coordinator.get(url)
    assert shown.status_code == 200 and "De bedste kandidater" in shown.get_data(as_text=True)

    # Saying so again starts nothing more.
    again = member.post(action.group(1), data=fields)
    assert again.status_code == 303
    assert "Tak – du har meldt fra." in member.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(SwapRequest)).all()) == len(held)
    assert len(smtp.messages()) == len(held)

    # A guest of the meeting sees neither the swaps nor the proposals.
    added = coordinator.post(
        f"/tovholder/plan/{YEAR}/moede/m1/gaester",
        data={"name": "Gitte Gæst", "email": "gitte@aarhus.dk", "organisation": ""},
    )
    assert added.status_code == 303
    with app.app_context():
        token = guest_token(db.session.scalar(select(Guest)))
    guest_page = app.test_client().get(f"/gaest/{token}").get_data(as_text=True)
    assert 'id="signup-form"' in guest_page
    assert "rollebytte" not in guest_page and "kan alligevel ikke" not in guest_page
    assert "Forslag til dagsordenen" not in guest_page and "/tovholder/" not in guest_page


def test_the_coordinator_signing_off_starts_no_swap_of_the_planning_group(app, published):
    fx = published
    result = _published_result(app, fx)[1]
    sara_holds = [r for r, h in result["meetings"][0]["roles"].items() if "sara" in h]
    assert "planning" in sara_holds
    member = app.test_client()
    saved = member.post(f"{_member_page(fx, 'sara')}/tilmelding", data={"coming": "no"})
    assert saved.status_code == 303
    member.get(saved.headers["Location"])
    with app.app_context():
        asked = {s.role.key for s in db.session.scalars(select(SwapRequest))}
    assert asked == set(sara_holds) - {"planning"}
