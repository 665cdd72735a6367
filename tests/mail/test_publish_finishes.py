"""Publishing finishes the year: "Udgiv" closes the poll and mails the plan (both ticked by
default, each can be left out); the member's page then leads with the plan and their roles,
with the answers closed; the year's invitation is gone and refused; every mass mail shows the
first recipient's copy and the number of recipients, and sends only after "Send".

Mails go to the real SMTP server of the `smtp` fixture and are read on arrival.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.models import MailJob, MessageLog, Plan, Poll
from poll.planning import store_plan
from poll.publishing import publish
from tests.calendar.test_feeds_helpers import answer, make_year, publish_result, result_for
from tests.factories import Fixture, log_in
from tests.html_forms import form_fields, with_values
from tests.mail.test_notifications import text_of, wait_for_batch

PLAN_PAGE = "/tovholder/plan/2027"
MESSAGES = "/tovholder/beskeder"


@pytest.fixture
def year(app) -> Fixture:
    """The 2027 network with a deadline, Sara and Henrik have answered, and a draft plan."""
    with app.app_context():
        fx = make_year()
        poll = db.session.get(Poll, fx.poll_id)
        poll.deadline = date(2026, 12, 15)
        db.session.commit()
        answer(fx.poll_id, [fx.member_ids["sara"], fx.member_ids["henrik"]])
        poll = db.session.get(Poll, fx.poll_id)
        store_plan(poll, result_for(poll))
        db.session.commit()
    return fx


@pytest.fixture
def coordinator(app, year):
    client = app.test_client()
    log_in(client, year)
    return client


def page(client, url: str, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def publish_form(client) -> list[tuple[str, str]]:
    return form_fields(page(client, PLAN_PAGE), "publish")


def poll_is_open(app, fx: Fixture) -> bool:
    with app.app_context():
        return db.session.get(Poll, fx.poll_id).is_open


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_publish_with_both_boxes_closes_the_poll_and_mails_the_plan(app, year, coordinator, smtp):
    html = page(coordinator, PLAN_PAGE)
    assert "Luk afstemningen: medlemmerne kan ikke længere ændre deres svar" in html
    assert "Send planen til medlemmerne på mail" in html
    fields = form_fields(html, "publish")
    assert ("close_poll", "1") in fields and ("mail_plan", "1") in fields  # ticked by default

    response = coordinator.post(f"{PLAN_PAGE}/publish", data=MultiDict(fields))
    assert response.status_code == 303
    batch = response.headers["Location"]
    assert "/tovholder/beskeder/udsendelse/" in batch
    assert "Version 1 er udgivet, og afstemningen er lukket." in page(coordinator, batch)
    assert "5 af 5 beskeder sendt." in wait_for_batch(coordinator, batch)
    assert not poll_is_open(app, year)
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == sorted(
        f"{key}@example.dk" for key in ("sara", "henrik", "maria", "berit", "kis")
    )
    mail = smtp.to("maria@example.dk")
    assert mail["Subject"].startswith("Testnetværk: mødeplanen for 2027")
    assert "  Du er: Referent" in text_of(mail)

    # The plan page now has a published version; the plan mail goes through its preview.
    html = page(coordinator, PLAN_PAGE)
    assert 'id="publish"' not in html
    assert f'<form method="get" action="{MESSAGES}/2027/plan">' in html


def test_publish_without_the_boxes_neither_closes_nor_mails(app, year, coordinator, smtp):
    fields = [(k, v) for k, v in publish_form(coordinator) if k not in ("close_poll", "mail_plan")]
    response = coordinator.post(f"{PLAN_PAGE}/publish", data=MultiDict(fields))
    assert response.status_code == 303 and response.headers["Location"] == PLAN_PAGE
    assert "Version 1 er udgivet." in page(coordinator, PLAN_PAGE)
    assert poll_is_open(app, year)
    assert count(app, MailJob) == 0 and count(app, MessageLog) == 0
    assert smtp.envelopes == []
    # The year is planned: the member's page leads with the plan, answers stay open.
    member = page(app.test_client(), f"/m/{year.tokens['maria']}/2027")
    assert "<h1>Planen for 2027</h1>" in member
    assert "Du kan stadig ændre dine svar nedenfor" in member
    assert 'id="answers"' in member
    assert "Indtil da kan du ændre dine svar" not in member


def test_member_page_after_publication_leads_with_the_plan_and_roles(app, year, coordinator, smtp):
    published = coordinator.post(f"{PLAN_PAGE}/publish", data=MultiDict(publish_form(coordinator)))
    wait_for_batch(coordinator, published.headers["Location"])
    client = app.test_client()
    html = page(client, f"/m/{year.tokens['maria']}/2027")
    h1 = html.index("<h1>Planen for 2027</h1>")
    roles = html.index("Dine roller i 2027")
    meeting_list = html.index('<ul class="plan-meetings">')
    windows = html.index("Mødeperioder")
    assert h1 < roles < meeting_list < windows
    # Maria's own roles, meeting by meeting: she takes the notes (Referent) at Møde 3.
    mine = html[roles:meeting_list]
    assert "<li><strong>Referent</strong>: Møde 3, fredag den 29. oktober 2027" in mine
    assert mine.count("<li>") == 4
    assert "Planen for 2027 er udgivet, og der kan ikke længere svares." in html
    assert "Indtil da kan du ændre dine svar" not in html
    assert 'id="answers"' not in html and 'type="radio"' not in html
    assert "Dine svar for 2027" not in html
    # Saving is refused: the poll is closed.
    refused = client.post(
        f"/m/{year.tokens['maria']}/2027",
        data={"save": "1", "comment": "Sent svar"},
    )
    assert refused.status_code in (403, 409)


def test_the_invitation_is_gone_and_refused_after_publication(app, year, coordinator, smtp):
    # Both boxes unticked: the poll stays open, so only the published plan stops invitations.
    fields = [(k, v) for k, v in publish_form(coordinator) if k not in ("close_poll", "mail_plan")]
    assert coordinator.post(f"{PLAN_PAGE}/publish", data=MultiDict(fields)).status_code == 303
    assert poll_is_open(app, year)
    index = page(coordinator, MESSAGES)
    assert f"{MESSAGES}/2027/invitationer" not in index
    assert "Send invitationen til alle medlemmer" not in index
    assert f"{MESSAGES}/2027/paamindelser" in index  # the poll is open: reminders still go
    for response in (
        coordinator.get(f"{MESSAGES}/2027/invitationer"),
        coordinator.post(f"{MESSAGES}/2027/invitationer", data={"recipients": "5"}),
    ):
        assert response.status_code == 409
        assert "planen for 2027 er udgivet, så der kan ikke længere sendes invitationer" in (
            response.get_data(as_text=True)
        )
    assert smtp.envelopes == [] and count(app, MailJob) == 0


def _preview_then_send(client, url: str, query: dict | None, smtp, subject: str, count: int):
    """The preview shows the first recipient's copy and the number; nothing is sent until its
    form is posted; returns the batch's outcome page."""
    html = page(client, url, query_string=query or {})
    assert f"Beskeden sendes til {count} medlemmer." in html
    assert "Der er ikke sendt noget endnu." in html
    assert subject in html
    assert f"Send til {count} medlemmer" in html
    assert smtp.envelopes == []
    # A post that skips the preview sends nothing and leads to it.
    skipped = client.post(url, data={"mode": (query or {}).get("mode", "")})
    assert skipped.status_code == 303 and url in skipped.headers["Location"]
    assert smtp.envelopes == []
    fields = form_fields(html, "confirm-send")
    # A number that no longer holds (say, a member was added meanwhile) shows the preview again.
    stale = client.post(url, data=MultiDict(with_values(fields, {"recipients": "99"})))
    assert stale.status_code == 409
    assert "antallet af medlemmer, der får beskeden, har ændret sig" in stale.get_data(as_text=True)
    assert smtp.envelopes == []
    sent = client.post(url, data=MultiDict(fields))
    assert sent.status_code == 303
    outcome = wait_for_batch(client, sent.headers["Location"])
    assert len(smtp.envelopes) == count
    # The preview showed the copy of the first member the batch mailed.
    first = smtp.messages()[0]
    name = str(first["To"]).split(" <")[0]
    assert f"Beskeden, som {name} får den" in html
    assert f"{name} &lt;{smtp.envelopes[0].rcpt_tos[0]}&gt;" in html
    assert f"Kære {name}" in html and f"Kære {name}" in text_of(first)
    return outcome


def test_invitation_shows_its_text_and_count_and_sends_after_confirmation(
    app, year, coordinator, smtp
):
    outcome = _preview_then_send(
        coordinator,
        f"{MESSAGES}/2027/invitationer",
        None,
        smtp,
        "Testnetværk: hvornår kan du i 2027?",
        5,
    )
    assert "5 af 5 beskeder sendt." in outcome
    html = page(coordinator, f"{MESSAGES}/2027/invitationer")
    # Links are placeholders in the preview, never a member's working link.
    assert "[personligt link]" in html and year.tokens["sara"] not in html


def test_reminder_shows_its_text_and_count_and_sends_after_confirmation(
    app, year, coordinator, smtp
):
    outcome = _preview_then_send(
        coordinator,
        f"{MESSAGES}/2027/paamindelser",
        None,
        smtp,
        "Påmindelse: svar på mødedatoerne for 2027",
        3,
    )
    assert "3 af 3 beskeder sendt." in outcome


def test_plan_and_change_notice_show_their_text_and_count_before_sending(
    app, year, coordinator, smtp
):
    with app.app_context():
        publish(db.session.scalars(select(Plan)).one())
        db.session.commit()
    _preview_then_send(
        coordinator,
        f"{MESSAGES}/2027/plan",
        {"mode": "plan"},
        smtp,
        "Testnetværk: mødeplanen for 2027",
        5,
    )
    html = page(coordinator, f"{MESSAGES}/2027/plan", query_string={"mode": "plan"})
    assert "testnetvaerk-2027-m1.ics" in html  # the attachments are named

    with app.app_context():
        # Kis now takes notes at Møde 2; Henrik no longer presents at Møde 3.
        publish_result(year.poll_id, roles={"m3": {"presenter": ["kis"]}})
        # A minute passes: the plan mail just sent does not hold the change notice back.
        for log in db.session.scalars(select(MessageLog)):
            log.created_at -= timedelta(minutes=2)
        db.session.commit()
    smtp.envelopes.clear()
    index = page(coordinator, MESSAGES)
    assert "Send hvad der er ændret siden version 1" in index
    html = page(coordinator, f"{MESSAGES}/2027/plan", query_string={"mode": "changes"})
    assert "Beskeden sendes til 2 medlemmer." in html
    assert "Ikke sendt til: Berit (intet ændret for dette medlem); Maria (" in html
    fields = form_fields(html, "confirm-send")
    sent = coordinator.post(f"{MESSAGES}/2027/plan", data=MultiDict(fields))
    wait_for_batch(coordinator, sent.headers["Location"])
    assert sorted(e.rcpt_tos[0] for e in smtp.envelopes) == [
        "henrik@example.dk",
        "kis@example.dk",
    ]
    assert "mødeplanen for 2027 er ændret" in smtp.messages()[0]["Subject"]


def test_sending_every_failed_message_again_shows_the_first_and_the_count(
    app, year, coordinator, smtp
):
    smtp.data_reply = "554 5.7.1 Afvist af politik"
    html = page(coordinator, f"{MESSAGES}/2027/paamindelser")
    sent = coordinator.post(
        f"{MESSAGES}/2027/paamindelser", data=MultiDict(form_fields(html, "confirm-send"))
    )
    assert "3 beskeder kunne ikke sendes" in wait_for_batch(coordinator, sent.headers["Location"])
    smtp.data_reply = "250 OK"
    index = page(coordinator, MESSAGES)
    assert f'<form method="get" action="{MESSAGES}/igen">' in index

    html = page(coordinator, f"{MESSAGES}/igen")
    assert "Beskeden sendes til 3 medlemmer." in html
    assert "Påmindelse: svar på mødedatoerne for 2027" in html
    assert "[personligt link]" in html
    assert coordinator.post(f"{MESSAGES}/igen").status_code == 303  # without the page: nothing
    assert smtp.envelopes == []
    fields = form_fields(html, "confirm-send")
    stale = coordinator.post(
        f"{MESSAGES}/igen", data=MultiDict(with_values(fields, {"recipients": "7"}))
    )
    assert stale.status_code == 409 and smtp.envelopes == []
    again = coordinator.post(f"{MESSAGES}/igen", data=MultiDict(fields))
    assert "3 af 3 beskeder sendt." in wait_for_batch(coordinator, again.headers["Location"])
    assert len(smtp.envelopes) == 3
