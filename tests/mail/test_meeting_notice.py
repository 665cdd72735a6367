"""The meeting notice and the planning group's agenda reminder (issue 15, point 1): sent by
`remind --auto` with a frozen day (--today), received by a real SMTP server, read, and every
link in them fetched; each round once; guests get theirs with their own link.

The 2027 test year (tests/calendar/test_feeds_helpers.py): m1 on Friday 26 March at Odense,
m2 on Monday 29 March at Vejle; notice 14 days before, agenda reminder 21 days before."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from poll.db import db
from poll.models import Guest, MeetingNotice, Member, MessageLog, Network, utcnow
from poll.notifications import GUEST_MARK, PERSONAL_MARK
from tests.calendar.test_feeds_helpers import check_ics, make_year, publish_result
from tests.factories import log_in
from tests.html_forms import form_fields


@pytest.fixture
def year(app):
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
    return fx


def body(message: EmailMessage, subtype: str = "plain") -> str:
    part = message.get_body((subtype,))
    assert part is not None
    return part.get_content().replace("\r\n", "\n")


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s<>\"]+", text)


def own_link(text: str) -> str:
    """The recipient's link to the meeting's page (the others: the privacy page)."""
    [link] = [url for url in links(text) if "/m/" in url or "/gaest/" in url]
    return link


def fetch(client, url: str):
    """GET a link from a mail (made with BASE_URL / SERVER_NAME) through the test client."""
    path = re.sub(r"^https?://[^/]+", "", url).split("#", 1)[0]
    return client.get(path)


def remind(runner, day: str):
    return runner.invoke(args=["remind", "--auto", "--today", day])


def log_rows(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(MessageLog).order_by(MessageLog.id))
        return [(r.kind, r.recipient, r.status.value) for r in rows]


def test_agenda_reminder_goes_to_the_planning_group_21_days_before_and_once(
    app, year, smtp, runner, client
):
    too_early = remind(runner, "2027-03-04")
    assert too_early.exit_code == 0, too_early.output
    assert smtp.messages() == []

    due = remind(runner, "2027-03-05")  # m1 is 21 days ahead
    assert due.exit_code == 0, due.output
    assert "test 2027 m1: påmindelse om dagsorden: 3 sendt" in due.output
    received = smtp.messages()
    assert sorted(str(m["To"]) for m in received) == [
        "Henrik <henrik@example.dk>",
        "Maria <maria@example.dk>",
        "Sara <sara@example.dk>",
    ]
    mail = smtp.to("henrik@example.dk")
    assert mail["Subject"] == "Testnetværk: gør dagsordenen til Møde 1 færdig"
    text = body(mail)
    assert "Du er i planlægningsgruppen for mødet herunder." in text
    assert "fredag den 12. marts 2027" in text  # the notice's day
    assert "Møde 1: fredag den 26. marts 2027 (uge 12), kl. 10.00–15.00" in text
    link = own_link(text)
    page = fetch(client, link)
    assert page.status_code == 200
    assert "Gem dagsorden" in page.get_data(as_text=True)  # the planning group may edit it
    for other in links(text) + links(body(mail, "html")):
        assert fetch(client, other).status_code == 200, other

    again = remind(runner, "2027-03-05")
    assert again.exit_code == 0
    later = remind(runner, "2027-03-06")
    assert later.exit_code == 0
    assert len(smtp.messages()) == 3
    assert [k for k, _r, _s in log_rows(app)] == ["agenda-reminder/2027"] * 3


def test_notice_goes_to_every_member_14_days_before_with_everything(
    app, year, smtp, runner, client
):
    with app.app_context():
        network = db.session.get(Network, year.network_id)
        network.polls[0].meetings[0].agenda = "Sparring – siden sidst\nNye lånerregler"
        kis = db.session.get(Member, year.member_ids["kis"])
        kis.language = "en"
        db.session.commit()
    result = remind(runner, "2027-03-12")
    assert result.exit_code == 0, result.output
    assert "test 2027 m1: mødeindkaldelse: 5 sendt, 0 mislykkedes, 0 ikke sendt." in result.output
    # m2 (29 March) is 17 days ahead: its planning group is reminded of the agenda.
    assert "test 2027 m2: påmindelse om dagsorden: 3 sendt" in result.output
    notices = [
        m for m in smtp.messages() if "og tilmelding" in m["Subject"] or "sign-up" in m["Subject"]
    ]
    assert len(notices) == 5

    mail = smtp.to("berit@example.dk")
    assert mail["Subject"] == "Testnetværk: Møde 1 den 26.03.2027 – dagsorden og tilmelding"
    text = body(mail)
    assert "Kære Berit" in text
    assert "Møde 1: fredag den 26. marts 2027 (uge 12), kl. 10.00–15.00" in text
    assert "Odense Bibliotek, Østre Stationsvej 15, 5000 Odense C" in text
    assert "1. Sparring – siden sidst\n2. Nye lånerregler" in text
    assert "Referent: Berit" in text and "Mødeleder: Henrik" in text
    assert "Du er: Referent" in text
    assert "senest tirsdag den 23. marts 2027" in text
    link = own_link(text)
    assert link.endswith(f"/m/{year.tokens['berit']}/moede/2027/m1#tilmelding")
    page = fetch(client, link)
    assert page.status_code == 200
    assert 'id="tilmelding"' in page.get_data(as_text=True)
    assert "Jeg kommer" in page.get_data(as_text=True)
    for other in links(text) + links(body(mail, "html")):
        assert fetch(client, other).status_code == 200, other
    [(name, ics)] = [
        (p.get_filename(), p.get_payload(decode=True)) for p in mail.iter_attachments()
    ]
    assert name == "testnetvaerk-2027-m1.ics"
    calendar = check_ics(ics, "REQUEST")
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "test-2027-m1@modeplan"
    assert "berit@example.dk" in str(event["ATTENDEE"])

    [english_mail] = [m for m in notices if "kis@example.dk" in str(m["To"])]
    assert english_mail["Subject"] == "Testnetværk: Møde 1 on 26.03.2027 – agenda and sign-up"
    english = body(english_mail)
    assert "Dear Kis" in english and "Friday 26 March 2027" in english
    assert "Kære" not in english

    with app.app_context():
        rows = db.session.scalars(select(MessageLog).where(MessageLog.kind == "notice/2027"))
        stored = [r.raw.decode("utf-8", "replace") for r in rows]
        assert len(stored) == 5
        assert all(year.tokens["berit"] not in raw for raw in stored)
        assert any(PERSONAL_MARK in raw for raw in stored)

    assert remind(runner, "2027-03-13").exit_code == 0
    assert remind(runner, "2027-03-20").exit_code == 0
    # m2's notice (15 March) went out on the 20th, nothing else twice
    kinds = [k for k, _r, _s in log_rows(app)]
    assert kinds.count("notice/2027") == 10
    assert kinds.count("agenda-reminder/2027") == 3


def test_a_plan_published_late_sends_the_notice_not_the_agenda_reminder(app, year, smtp, runner):
    assert remind(runner, "2027-03-25").exit_code == 0  # m1 tomorrow, m2 in four days
    kinds = [k for k, _r, _s in log_rows(app)]
    assert kinds == ["notice/2027"] * 10
    with app.app_context():
        assert {n.kind for n in db.session.scalars(select(MeetingNotice))} == {"notice"}


def test_past_meetings_and_archived_networks_get_nothing(app, year, smtp, runner):
    assert remind(runner, "2027-03-30").exit_code == 0  # both meetings are past
    assert smtp.messages() == []
    with app.app_context():
        db.session.get(Network, year.network_id).archived_at = utcnow()
        db.session.commit()
    assert remind(runner, "2027-03-20").exit_code == 0
    assert smtp.messages() == []


def test_guests_get_the_notice_with_their_own_link(app, year, smtp, runner, client):
    log_in(client, year)
    page = client.get("/tovholder/plan/2027/moede/m1").get_data(as_text=True)
    fields = dict(form_fields(page, "guest-form"))
    fields.update(name="Gitte Gæst", email="gitte@aarhus.dk", organisation="Aarhus Bibliotek")
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="guest-form"', page)
    added = client.post(action.group(1), data=fields)
    assert added.status_code == 303
    assert "får mødeindkaldelsen sammen med medlemmerne" in client.get(
        added.headers["Location"]
    ).get_data(as_text=True)
    assert smtp.messages() == []  # the notice has not gone out yet

    assert remind(runner, "2027-03-12").exit_code == 0
    mail = smtp.to("gitte@aarhus.dk")
    text = body(mail)
    assert "Du er inviteret som gæst til et møde i Testnetværk:" in text
    assert "Du er:" not in text
    link = own_link(text)
    assert "/gaest/" in link and link.endswith("#tilmelding")
    guest = app.test_client()
    page = fetch(guest, link)
    assert page.status_code == 200
    assert "Møde 1" in page.get_data(as_text=True)
    for other in links(text) + links(body(mail, "html")):
        assert fetch(guest, other).status_code == 200, other
    [(_name, ics)] = [
        (p.get_filename(), p.get_payload(decode=True)) for p in mail.iter_attachments()
    ]
    [event] = check_ics(ics, "REQUEST").walk("VEVENT")
    assert "gitte@aarhus.dk" in str(event["ATTENDEE"])
    token = link.rsplit("/", 1)[1].split("#")[0]
    with app.app_context():
        row = db.session.scalar(select(MessageLog).where(MessageLog.recipient == "gitte@aarhus.dk"))
        assert row.kind == "notice/2027" and row.guest_id is not None
        assert token not in row.raw.decode("utf-8", "replace")
        assert GUEST_MARK in row.raw.decode("utf-8", "replace")
        assert db.session.scalar(select(Guest)).notified_at is not None
    log_page = client.get("/tovholder/beskeder").get_data(as_text=True)
    assert "Gitte Gæst &lt;gitte@aarhus.dk&gt;" in log_page
    assert "Mødeindkaldelse 2027" in log_page


def test_a_guest_added_after_the_notice_gets_it_at_once(app, year, smtp, runner, client):
    assert remind(runner, "2027-03-12").exit_code == 0
    before = len(smtp.messages())
    log_in(client, year)
    page = client.get("/tovholder/plan/2027/moede/m1").get_data(as_text=True)
    fields = dict(form_fields(page, "guest-form"))
    fields.update(name="Ole Udefra", email="ole@kb.dk", organisation="")
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="guest-form"', page)
    added = client.post(action.group(1), data=fields)
    assert added.status_code == 303
    assert "Ole Udefra er tilføjet og har fået mødeindkaldelsen." in client.get(
        added.headers["Location"]
    ).get_data(as_text=True)
    assert len(smtp.messages()) == before + 1
    link = own_link(body(smtp.to("ole@kb.dk")))
    assert fetch(app.test_client(), link).status_code == 200
    # The next run does not send it again.
    assert remind(runner, "2027-03-13").exit_code == 0
    assert len(smtp.messages()) == before + 1


def test_failed_guest_notice_is_retried_with_a_working_link(app, year, smtp, runner, client):
    smtp.data_reply = "550 no thanks"
    log_in(client, year)
    page = client.get("/tovholder/plan/2027/moede/m1").get_data(as_text=True)
    fields = dict(form_fields(page, "guest-form"))
    fields.update(name="Ole", email="ole@kb.dk")
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="guest-form"', page)
    client.post(action.group(1), data=fields)
    assert remind(runner, "2027-03-12").exit_code == 1
    assert ("notice/2027", "ole@kb.dk", "failed") in log_rows(app)
    smtp.data_reply = "250 OK"
    retried = runner.invoke(args=["retry-mail", "test"])
    assert retried.exit_code == 0, retried.output
    link = own_link(body(smtp.to("ole@kb.dk")))
    assert "/gaest/" in link
    assert fetch(app.test_client(), link).status_code == 200


def test_the_notice_follows_the_network_setting(app, year, smtp, runner):
    with app.app_context():
        db.session.get(Network, year.network_id).notice_days = 7
        db.session.commit()
    assert remind(runner, "2027-03-11").exit_code == 0  # m1 15 days ahead: nothing yet
    assert smtp.messages() == []
    assert remind(runner, "2027-03-12").exit_code == 0  # 14 = 7 + 7: the agenda reminder
    assert [k for k, _r, _s in log_rows(app)] == ["agenda-reminder/2027"] * 3
    assert remind(runner, "2027-03-19").exit_code == 0  # 7 days ahead: the notice
    kinds = [k for k, _r, _s in log_rows(app)]
    assert kinds.count("notice/2027") == 5
