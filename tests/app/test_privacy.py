"""Personal data (issue #11, part 4) through the pages, on both engines: the privacy page and
its links, a member's data as a file from their own page, and the coordinator erasing a member
(the confirmation, what goes, what stays, "tidligere medlem" everywhere the plan is shown, the
next planning's history)."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from poll import audit
from poll.config import ConfigError
from poll.days import week_window
from poll.db import db
from poll.feeds import feed_token
from poll.members import add_member
from poll.models import (
    AuditEvent,
    CandidateDay,
    CoordinatorAccount,
    Member,
    MessageLog,
    MessageStatus,
    Network,
    Pin,
    Plan,
    Poll,
    Response,
    RoleHistory,
)
from poll.planning import build_instance
from poll.poll_admin import MeetingDraft, PollRules, create_poll
from solver.instance import parse_instance
from tests.calendar.test_feeds_helpers import DAYS, content_lines, make_year, publish_result
from tests.factories import Fixture, log_in, make_network, record_answers
from tests.html_forms import form_fields

KEY = re.compile(r"^[a-z0-9_-]+$")
OTHERS = ("sara", "henrik", "maria", "kis")


def href(page: str, text: str) -> str:
    """The href of the link whose text starts with `text`."""
    found = re.search(rf'<a[^>]*href="([^"]+)"[^>]*>\s*{re.escape(text)}', page)
    assert found is not None, f"no link '{text}' on the page"
    return found.group(1).replace("&amp;", "&")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- the privacy page ------------------------------------------------------------------------


def test_privacy_page_in_danish_and_english_names_the_controller_and_each_networks_coordinator(
    app, client
):
    with app.app_context():
        make_network()
        other = Network(slug="andet", name="Andet netværk")
        db.session.add(other)
        db.session.add(
            CoordinatorAccount(
                networks=[other], email="anna@andet.dk", name="Anna", password_hash="!"
            )
        )
        db.session.add(CoordinatorAccount(email="admin@site.dk", name="Admin", password_hash="!"))
        db.session.commit()
    app.config.update(
        PRIVACY_CONTROLLER="Herning Bibliotekerne, Bredgade 1, 7400 Herning",
        PRIVACY_CONTACT="dpo@herning.dk",
        PURGE_MONTHS=18,
    )
    page = client.get("/privatliv")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="da">' in text
    assert "<h1>Privatliv: dine personoplysninger i Mødeplan</h1>" in text
    assert "Dataansvarlig er Herning Bibliotekerne, Bredgade 1, 7400 Herning." in text
    assert "Spørgsmål om dine personoplysninger: dpo@herning.dk." in text
    assert "indtil 18 måneder efter udgangen af afstemningens år" in text
    assert "For at planlægge netværkets møder" in text
    assert "Indsigt: på din personlige side kan du hente alle dine oplysninger som fil" in text
    assert "Sletning: bed din tovholder om at slette dine personoplysninger." in text
    # Every network with its coordinators' names and addresses; an administrator is none.
    assert "<strong>Testnetværk</strong>:" in text
    assert 'Tovholder (<a href="mailto:tovholder@test.dk">tovholder@test.dk</a>)' in text
    assert (
        '<strong>Andet netværk</strong>:\n            Anna (<a href="mailto:anna@andet.dk">' in text
    )
    assert "admin@site.dk" not in text

    english = client.get("/privatliv?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "<h1>Privacy: your personal data in Mødeplan</h1>" in english
    assert "The data controller is Herning Bibliotekerne, Bredgade 1, 7400 Herning." in english
    assert "until 18 months after the end of the poll's year" in english
    assert "The networks and their coordinators" in english


def test_without_the_settings_the_page_says_to_ask_the_coordinator_and_the_default_24_months(
    client,
):
    text = client.get("/privatliv").get_data(as_text=True)
    assert "spørg dit netværks tovholder, hvem det er" in text
    assert "Spørgsmål om dine personoplysninger" not in text
    assert "indtil 24 måneder efter udgangen af afstemningens år" in text
    assert "Der er ingen netværk endnu." in text


def test_the_start_pages_footer_links_to_the_privacy_page(client):
    start = client.get("/").get_data(as_text=True)
    link = href(start, "Privatliv")
    assert client.get(link).status_code == 200


def test_privacy_settings_come_from_the_environment_and_bad_ones_stop_the_start(monkeypatch):
    for name in (
        "MODEPLAN_PRIVACY_CONTROLLER",
        "MODEPLAN_PRIVACY_CONTACT",
        "MODEPLAN_PURGE_MONTHS",
    ):
        monkeypatch.delenv(name, raising=False)
    from poll import create_app

    assert create_app({"TESTING": True}).config["PURGE_MONTHS"] == 24
    monkeypatch.setenv("MODEPLAN_PRIVACY_CONTROLLER", "Vejle Bibliotekerne")
    monkeypatch.setenv("MODEPLAN_PRIVACY_CONTACT", "dpo@vejle.dk")
    monkeypatch.setenv("MODEPLAN_PURGE_MONTHS", "36")
    config = create_app({"TESTING": True}).config
    assert config["PRIVACY_CONTROLLER"] == "Vejle Bibliotekerne"
    assert config["PRIVACY_CONTACT"] == "dpo@vejle.dk"
    assert config["PURGE_MONTHS"] == 36
    monkeypatch.setenv("MODEPLAN_PURGE_MONTHS", "0")
    monkeypatch.setenv("MODEPLAN_PRIVACY_CONTACT", "two\nlines")
    with pytest.raises(ConfigError) as stopped:
        create_app({"TESTING": True})
    assert 'MODEPLAN_PURGE_MONTHS must be a whole number of 1 or more, got "0"' in str(
        stopped.value
    )
    assert "MODEPLAN_PRIVACY_CONTACT must be one line of text" in str(stopped.value)


def test_mails_end_with_a_working_link_to_the_privacy_page(app, client, smtp):
    with app.app_context():
        make_network()
    client.post("/", data={"email": "henrik@example.dk"}, buffered=True)
    [message] = smtp.messages()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Sådan behandler Mødeplan dine personoplysninger: http" in text
    assert "How Mødeplan handles your personal data" not in text  # Henrik's mails are Danish
    url = re.search(r"personoplysninger: (\S+)", text).group(1)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{url}"' in html
    page = client.get(path_of(url))
    assert page.status_code == 200
    assert "Privatliv: dine personoplysninger i Mødeplan" in page.get_data(as_text=True)


# -- a published year with Berit in it -------------------------------------------------------


@pytest.fixture
def year(app) -> dict:
    """make_year's five members and a published 2027 plan in which Berit holds five roles;
    Berit's answers and comment, her feed link, two mails to her (one failed), a pin of her,
    an audit row naming her; and a 2028 poll, the next planning."""
    with app.app_context():
        fx = make_year()
        poll = db.session.get(Poll, fx.poll_id)
        for meeting in poll.meetings[2:]:  # the autumn meetings get their planned days
            day = DAYS[meeting.key]
            db.session.add(CandidateDay(poll_id=poll.id, meeting_id=meeting.id, day=day))
        db.session.commit()
        db.session.refresh(poll)
        cells = [(d.day, v.key, "yes") for d in poll.days for v in poll.network.venues]
        for key in ("berit", "henrik"):
            record_answers(poll.id, fx.member_ids[key], cells, comment=f"{key}: gerne Vejle")
        db.session.commit()
        publish_result(fx.poll_id)
        network = poll.network
        berit = db.session.get(Member, fx.member_ids["berit"])
        feeds = {
            "berit": f"/kalender/{feed_token(berit)}.ics",
            "network": f"/kalender/{feed_token(network)}.ics",
        }
        sent = ((MessageStatus.SENT, "invitation/2027"), (MessageStatus.FAILED, "plan/2027"))
        for status, kind in sent:
            db.session.add(
                MessageLog(
                    network_id=network.id,
                    member_id=berit.id,
                    kind=kind,
                    recipient=berit.email,
                    subject="Testnetværk: mødeplanen for 2027",
                    raw=b"To: Berit <berit@example.dk>\r\n\r\nKaere Berit",
                    status=status,
                    error="" if status == MessageStatus.SENT else "550 berit@example.dk unknown",
                )
            )
        db.session.add(
            Pin(meeting_id=poll.meetings[0].id, role_id=network.roles[2].id, member_id=berit.id)
        )
        audit.record(audit.Action.REPLACE_MEMBER_LINK, network.id, detail="Berit", actor="x@y.dk")
        create_poll(
            network, 2028, PollRules([MeetingDraft(None, "Møde 1", week_window(2028, 9, 10))])
        )
        db.session.commit()
    return {"fx": fx, "feeds": feeds}


def _berit(app, fx: Fixture) -> Member:
    with app.app_context():
        member = db.session.get(Member, fx.member_ids["berit"])
        db.session.expunge(member)
        return member


def _history_of_2028(app, fx: Fixture) -> dict:
    with app.app_context():
        poll = db.session.scalar(select(Poll).where(Poll.year == 2028))
        instance = build_instance(poll)
        parse_instance(instance)  # the solver takes it as it is
        return instance


# -- a member's data as a file ---------------------------------------------------------------


def test_the_member_downloads_everything_about_them_from_their_page(app, client, year):
    fx = year["fx"]
    page = client.get(f"/m/{fx.tokens['berit']}/2027")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    section = text.split('<section class="my-data"', 1)[1].split("</section>", 1)[0]
    assert "Hent mine data" in section
    assert "alle dine oplysninger som fil" in section
    assert "JSON" not in text and "json" not in section.lower()
    privacy = href(section, "Sådan behandler Mødeplan dine personoplysninger")
    assert client.get(privacy).status_code == 200

    download = client.get(href(section, "Hent mine data"))
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    disposition = download.headers["Content-Disposition"]
    assert re.fullmatch(
        r'attachment; filename="mine-oplysninger-testnetvaerk-\d{4}-\d\d-\d\d\.json"', disposition
    )
    assert download.headers["Cache-Control"] == "no-store"
    assert download.headers["Referrer-Policy"] == "no-referrer"
    data = json.loads(download.get_data(as_text=True))

    assert data["format"] == "modeplan-member-data/1"
    assert data["member"] == {
        "name": "Berit",
        "email": "berit@example.dk",
        "organisation": "",
        "key": "berit",
        "active": True,
        "coordinator": False,
        "mail_language": "da",
        "never_these_roles": [],
        "added_at": data["member"]["added_at"],
        "personal_link_exists": True,
        "calendar_link_exists": True,
    }
    assert data["network"] == {"name": "Testnetværk", "slug": "test"}
    [answers] = data["answers"]
    assert answers["year"] == 2027
    assert answers["comment"] == "berit: gerne Vejle"
    assert answers["days"][0] == {
        "date": "2027-03-01",
        "meeting": "Møde 1",
        "venue": "Odense Bibliotek",
        "answer": "yes",
    }
    assert {d["venue"] for d in answers["days"]} == {"Odense Bibliotek", "Vejle Bibliotek"}
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        assert len(answers["days"]) == len(poll.days) * 2
    assert [(r["meeting"], r["roles"]) for r in data["roles_in_published_plans"]] == [
        ("Møde 1", ["Referent"]),
        ("Møde 2", ["Oplægsholder"]),
        ("Møde 3", ["Planlægningsgruppe"]),
        ("Møde 4", ["Planlægningsgruppe", "Mødeleder"]),
    ]
    assert data["roles_in_published_plans"][0]["date"] == "2027-03-26"
    assert sorted((h["year"], h["role"], h["count"]) for h in data["role_history"]) == [
        (2027, "Mødeleder", 1),
        (2027, "Oplægsholder", 1),
        (2027, "Planlægningsgruppe", 2),
        (2027, "Referent", 1),
    ]
    assert [(m["kind"], m["to"], m["status"]) for m in data["messages"]] == [
        ("invitation/2027", "berit@example.dk", "sent"),
        ("plan/2027", "berit@example.dk", "failed"),
    ]
    # Nothing of anyone else, and no link.
    raw = download.get_data(as_text=True).lower()
    for key in OTHERS:
        assert key not in raw
    assert fx.tokens["berit"].lower() not in raw
    assert "/kalender/" not in raw and "/m/" not in raw


def test_the_download_needs_a_working_personal_link(client, year):
    response = client.get("/m/not-a-real-token-at-all-xyz/mine-oplysninger")
    assert response.status_code == 404
    assert "Dette personlige link er ikke gyldigt" in response.get_data(as_text=True)


def test_a_member_without_a_poll_finds_the_download_too(app, client):
    with app.app_context():
        network = Network(slug="tomt", name="Tomt netværk")
        db.session.add(network)
        _member, token = add_member(network, key="ole", name="Ole", email="ole@example.dk")
        db.session.commit()
    page = client.get(f"/m/{token}").get_data(as_text=True)
    data = client.get(href(page, "Hent mine data")).get_json()
    assert data["member"]["name"] == "Ole"
    assert data["answers"] == [] and data["messages"] == []


# -- the coordinator erases a member ---------------------------------------------------------


def _erase_through_the_pages(client, fx: Fixture) -> str:
    """From the member's edit page to the confirmation and its button; the confirmation page."""
    edit = client.get(f"/tovholder/medlemmer/{fx.member_ids['berit']}").get_data(as_text=True)
    confirm_url = href(edit, "Slet personoplysninger")
    confirm = client.get(confirm_url)
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    done = client.post(confirm_url, data=MultiDict(form_fields(page, "erase")))
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/tovholder/medlemmer")
    return page


def test_the_confirmation_names_the_member_and_what_goes_and_nothing_happens_before_it(
    app, client, year
):
    fx = year["fx"]
    log_in(client, fx)
    url = f"/tovholder/medlemmer/{fx.member_ids['berit']}/slet-personoplysninger"
    page = client.get(url).get_data(as_text=True)
    assert "<h1>Slet personoplysningerne om Berit?</h1>" in page
    assert "Det er endeligt: det kan ikke fortrydes." in page
    assert "Navn, e-mailadresse (berit@example.dk) og organisation." in page
    assert "Svarene på 1 afstemning, med de roller, medlemmet ikke kan tage." in page
    assert "1 kommentar." in page
    assert "Adressen i 2 beskeder i beskedloggen." in page
    assert "Rollehistorikken, uden navn (5 roller varetaget)" in page
    assert "Ja, slet personoplysningerne om Berit" in page
    # A post without the confirmation erases nothing.
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 400
    assert "Intet er slettet: bekræft med knappen nedenfor." in unconfirmed.get_data(as_text=True)
    assert _berit(app, fx).name == "Berit"


def test_erasing_a_member_removes_them_keeps_their_counts_and_shows_former_member(
    app, client, year
):
    fx, feeds = year["fx"], year["feeds"]
    before = _history_of_2028(app, fx)
    assert before["history"]["berit"] == {"leader": 1, "notes": 1, "planning": 2, "presenter": 1}
    with app.app_context():
        network_total = db.session.scalar(select(func.sum(RoleHistory.count)))
    log_in(client, fx)
    _erase_through_the_pages(client, fx)
    members = client.get("/tovholder/medlemmer").get_data(as_text=True)
    assert "Medlemmets personoplysninger er slettet." in members
    assert "Berit" not in members

    # Gone from the database.
    erased = _berit(app, fx)
    assert (erased.name, erased.email, erased.organisation, erased.active) == ("", "", "", False)
    assert erased.erased_at is not None and erased.feed_token_hash is None
    assert KEY.match(erased.key) and erased.key.startswith("former-")
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Response.member_id == erased.id)) == 0
        assert (
            db.session.scalar(
                select(Response.comment).where(Response.member_id == fx.member_ids["henrik"])
            )
            == "henrik: gerne Vejle"
        )
        assert db.session.scalar(select(func.count()).where(Pin.member_id == erased.id)) == 0
        logs = db.session.scalars(select(MessageLog).where(MessageLog.member_id == erased.id)).all()
        assert [(m.kind, m.recipient, m.raw, m.error) for m in logs] == [
            ("invitation/2027", "", b"", "")
        ]
        # The role counts stay, for the network, under the anonymous row.
        assert db.session.scalar(select(func.sum(RoleHistory.count))) == network_total
        assert (
            db.session.scalar(
                select(func.sum(RoleHistory.count)).where(RoleHistory.member_id == erased.id)
            )
            == 5
        )
        # The audit log says it happened, without the name; older rows lose the name too.
        events = {e.action: e.detail for e in db.session.scalars(select(AuditEvent))}
        assert events["erase-member"] == erased.key
        assert events["replace-member-link"] == "tidligere medlem"
        everything = " ".join(str(e.detail) for e in db.session.scalars(select(AuditEvent)))
        assert "Berit" not in everything and "berit" not in everything
        # The stored plan keeps its format, with the anonymous key in sorted lists.
        [plan] = db.session.scalars(select(Plan)).all()
        assert "berit" not in json.dumps(plan.result).lower()
        m1 = plan.result["meetings"][0]
        assert m1["roles"]["notes"] == [erased.key]
        assert m1["attendance"]["yes"] == sorted(["sara", "henrik", "maria", erased.key, "kis"])
        for meeting in plan.result["meetings"]:
            for lists in (meeting["attendance"], meeting["roles"]):
                assert all(KEY.match(p) for people in lists.values() for p in people)
                # (the solver writes them sorted; this test's plan was not, except where changed)
                assert all(p == sorted(p) for p in lists.values() if erased.key in p)
        poll = db.session.get(Poll, fx.poll_id)
        parse_instance(build_instance(poll))  # the plan is still a valid `previous`

    # The links stop working.
    assert client.get(f"/m/{fx.tokens['berit']}").status_code == 404
    assert client.get(f"/m/{fx.tokens['berit']}/mine-oplysninger").status_code == 404
    assert client.get(feeds["berit"]).status_code == 404
    assert client.get(f"/tovholder/medlemmer/{erased.id}").status_code == 410

    # The plan, a meeting page, the members' pages and the calendars say "tidligere medlem".
    plan_page = client.get("/tovholder/plan/2027").get_data(as_text=True)
    assert "<li>tidligere medlem" in plan_page and "Berit" not in plan_page
    meeting = client.get("/tovholder/plan/2027/moede/m1").get_data(as_text=True)
    assert "<dt>Referent</dt><dd>tidligere medlem</dd>" in meeting
    henrik = client.get(f"/m/{fx.tokens['henrik']}/2027").get_data(as_text=True)
    assert "<dt>Referent</dt><dd>tidligere medlem</dd>" in henrik and "Berit" not in henrik
    ics = "\n".join(content_lines(client.get(feeds["network"]).get_data()))
    assert "Referent: tidligere medlem" in ics and "Berit" not in ics
    csv = client.get("/tovholder/eksport/2027/plan.csv").get_data().decode("utf-8-sig")
    assert "tidligere medlem" in csv and "Berit" not in csv
    messages = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "tidligere medlem" in messages and "berit@example.dk" not in messages
    assert "Berit" not in client.get("/tovholder/kalender").get_data(as_text=True)

    # The next planning counts everyone else's history as before and never plans her again.
    after = _history_of_2028(app, fx)
    assert after["history"] == {k: v for k, v in before["history"].items() if k != "berit"}
    assert erased.key not in {p["id"] for p in after["participants"]}
    assert [p["id"] for p in after["participants"]] == ["sara", "henrik", "maria", "kis"]


def test_publishing_the_year_again_after_an_erasure_still_counts_the_erased_roles(
    app, client, year
):
    fx = year["fx"]
    with app.app_context():
        publish_result(fx.poll_id, roles={"m1": {"notes": ["kis"]}})  # version 2: Kis takes notes
    log_in(client, fx)
    _erase_through_the_pages(client, fx)
    erased = _berit(app, fx)
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.sum(RoleHistory.count)).where(RoleHistory.member_id == erased.id)
            )
            == 4
        )
    page = client.get("/tovholder/plan/2027?version=1").get_data(as_text=True)
    version = page.split('<section aria-labelledby="version-heading">', 1)[1]
    assert "Udgiv version 1" in version
    fields = form_fields(version, "publish")
    assert ("version", "1") in fields
    fields = [(k, v) for k, v in fields if k != "mail_plan"]  # no mail in this test
    assert client.post("/tovholder/plan/2027/publish", data=MultiDict(fields)).status_code == 303
    with app.app_context():
        counts = dict(
            db.session.execute(
                select(RoleHistory.role_id, RoleHistory.count).where(
                    RoleHistory.member_id == erased.id
                )
            ).all()
        )
    assert sum(counts.values()) == 5  # version 1's five roles, under the anonymous key


def test_the_coordinator_cannot_be_erased_until_another_member_coordinates(app, client, year):
    fx = year["fx"]
    log_in(client, fx)
    url = f"/tovholder/medlemmer/{fx.member_ids['sara']}/slet-personoplysninger"
    page = client.get(url).get_data(as_text=True)
    refused = client.post(url, data=MultiDict(form_fields(page, "erase")))
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "Sara er tovholder: gør et andet medlem til tovholder først." in text
    assert "Intet blev ændret." in text
    with app.app_context():
        assert db.session.get(Member, fx.member_ids["sara"]).name == "Sara"


def test_erasure_pages_are_scoped_and_need_a_login(app, client, year):
    fx = year["fx"]
    url = f"/tovholder/medlemmer/{fx.member_ids['berit']}/slet-personoplysninger"
    assert client.get(url).status_code == 302  # to the login
    with app.app_context():
        other = make_network(("ole",), slug="andet")
    log_in(client, other)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"confirm": str(fx.member_ids["berit"])}).status_code == 404
    assert _berit(app, fx).name == "Berit"


def test_the_erase_form_needs_its_csrf_token(app, year, strict):
    fx = year["fx"]
    client = strict.test_client()
    login = client.get("/tovholder/login").get_data(as_text=True)
    client.post(
        "/tovholder/login",
        data={**dict(form_fields(login)), "email": fx.email, "password": "korrekt hest batteri"},
    )
    url = f"/tovholder/medlemmer/{fx.member_ids['berit']}/slet-personoplysninger"
    page = client.get(url).get_data(as_text=True)
    fields = form_fields(page, "erase")
    assert any(name == "csrf_token" and value for name, value in fields)
    refused = client.post(url, data=MultiDict([(k, v) for k, v in fields if k != "csrf_token"]))
    assert refused.status_code == 400
    assert "sikkerhedstegn" in refused.get_data(as_text=True)
    assert _berit(app, fx).name == "Berit"
    assert client.post(url, data=MultiDict(fields)).status_code == 303
    assert _berit(app, fx).name == ""
    with strict.app_context():
        db.engine.dispose()
