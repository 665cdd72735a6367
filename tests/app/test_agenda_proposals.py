"""Agenda proposals on the meeting page: who may propose, who may take in or decline, what the
proposer sees, and what erasure and purge do with them (poll/agenda_proposals.py)."""

from datetime import date

import pytest
from sqlalchemy import select

from poll.db import db
from poll.models import AgendaProposal, Member, Poll, ProposalStatus
from poll.privacy import retention
from poll.privacy.erasure import erase
from tests.calendar.test_feeds_helpers import make_year, publish_result
from tests.factories import log_in

# make_year's m1 (26 March 2027): planning sara, henrik, maria; referent berit; kis presents.


@pytest.fixture
def year(app):
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
    return fx


def page(fx, key: str, meeting: str = "m1") -> str:
    return f"/m/{fx.tokens[key]}/moede/2027/{meeting}"


def proposals(app) -> list[AgendaProposal]:
    with app.app_context():
        rows = list(db.session.scalars(select(AgendaProposal).order_by(AgendaProposal.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def agenda(app, fx, key: str = "m1") -> str | None:
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        return next(m.agenda for m in poll.meetings if m.key == key)


def test_a_member_proposes_and_the_planning_group_takes_it_in(app, year):
    fx = year
    kis = app.test_client()
    before = kis.get(page(fx, "kis")).get_data(as_text=True)
    assert "Forslag til dagsordenen" in before and 'name="title"' in before
    sent = kis.post(
        page(fx, "kis") + "/forslag",
        data={
            "title": "  Læseklubber   for voksne ",
            "details": "Erfaringer fra Vejle.\r\nOg Odense.",
        },
    )
    assert sent.status_code == 303
    shown = kis.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Tak: dit forslag er sendt til planlægningsgruppen." in shown
    assert "<strong>Læseklubber for voksne</strong>: Afventer planlægningsgruppen" in shown
    [proposal] = proposals(app)
    assert proposal.details == "Erfaringer fra Vejle.\nOg Odense."

    # The planning group (henrik holds "planning" at m1) sees it with the proposer and details.
    henrik = app.test_client()
    group_page = henrik.get(page(fx, "henrik")).get_data(as_text=True)
    assert "Foreslået af Kis" in group_page and "Erfaringer fra Vejle.<br>Og Odense." in group_page
    decide = f"{page(fx, 'henrik')}/forslag/{proposal.id}"
    assert f'action="{decide}"' in group_page
    taken = henrik.post(decide, data={"action": "take"})
    assert taken.status_code == 303
    assert "er sat på dagsordenen" in henrik.get(taken.headers["Location"]).get_data(as_text=True)
    # Before the standing closing item, after the standing opening one.
    assert agenda(app, fx) == (
        "Sparring – siden sidst\nLæseklubber for voksne\nHvordan deler vi mødets indhold?"
    )
    assert "<strong>Læseklubber for voksne</strong>: Taget med på dagsordenen" in kis.get(
        page(fx, "kis")
    ).get_data(as_text=True)
    # Answered once: a second answer is refused, the agenda keeps one copy.
    again = henrik.post(decide, data={"action": "take"})
    assert again.status_code == 400
    assert "Forslaget er allerede besvaret." in again.get_data(as_text=True)
    assert agenda(app, fx).count("Læseklubber") == 1


def test_the_coordinator_declines_with_a_reason_and_the_proposer_sees_it(app, year, client):
    fx = year
    kis = app.test_client()
    kis.post(page(fx, "kis") + "/forslag", data={"title": "Budget", "details": ""})
    [proposal] = proposals(app)
    log_in(client, fx)
    url = f"/tovholder/plan/2027/moede/m1/forslag/{proposal.id}"
    coordinator_page = client.get("/tovholder/plan/2027/moede/m1").get_data(as_text=True)
    assert f'action="{url}"' in coordinator_page and "Foreslået af Kis" in coordinator_page
    no_reason = client.post(url, data={"action": "decline", "reason": "  "})
    assert no_reason.status_code == 400
    assert "Begrundelse: skriv med et ord" in no_reason.get_data(as_text=True)
    too_long = client.post(url, data={"action": "decline", "reason": "x" * 201})
    assert too_long.status_code == 400 and "Begrundelse: højst 200 tegn." in too_long.get_data(
        as_text=True
    )
    assert client.post(url, data={"action": "somethingelse"}).status_code == 400
    declined = client.post(url, data={"action": "decline", "reason": "Tages op i juni"})
    assert declined.status_code == 303
    assert "<strong>Budget</strong>: Afvist: Tages op i juni" in kis.get(page(fx, "kis")).get_data(
        as_text=True
    )
    assert agenda(app, fx) is None  # the agenda is untouched


def test_only_the_planning_group_and_the_coordinator_may_answer(app, year):
    fx = year
    app.test_client().post(page(fx, "kis") + "/forslag", data={"title": "Udlån af ting"})
    [proposal] = proposals(app)
    for outsider in ("berit", "kis"):  # the referent; the proposer, not in the group
        client = app.test_client()
        shown = client.get(page(fx, outsider)).get_data(as_text=True)
        assert "Tag med på dagsordenen" not in shown
        refused = client.post(
            f"{page(fx, outsider)}/forslag/{proposal.id}", data={"action": "take"}
        )
        assert refused.status_code == 403
        assert "Kun mødets planlægningsgruppe" in refused.get_data(as_text=True)
    # henrik is in m1's planning group, not m2's: there he may not answer, nor reach m1's
    # proposal through m2's page.
    henrik = app.test_client()
    elsewhere = f"{page(fx, 'henrik', 'm2')}/forslag/{proposal.id}"
    assert henrik.post(elsewhere, data={"action": "take"}).status_code == 403
    in_m2 = henrik.post(f"{page(fx, 'maria', 'm2')}/forslag/{proposal.id}", data={"action": "take"})
    assert in_m2.status_code == 404  # maria is in m2's group; the proposal is m1's
    # Not logged in: the coordinator's address sends to the login page.
    anonymous = app.test_client().post(
        f"/tovholder/plan/2027/moede/m1/forslag/{proposal.id}", data={"action": "take"}
    )
    assert anonymous.status_code == 302 and "/tovholder/login" in anonymous.headers["Location"]
    assert [p.status for p in proposals(app)] == [ProposalStatus.PENDING]
    # A link that is not a member's, and a member made inactive, propose nothing.
    assert app.test_client().post("/m/notatoken/moede/2027/m1/forslag").status_code == 404
    with app.app_context():
        db.session.get(Member, fx.member_ids["kis"]).active = False
        db.session.commit()
    gone = app.test_client().post(page(fx, "kis") + "/forslag", data={"title": "Igen"})
    assert gone.status_code == 404
    assert len(proposals(app)) == 1


def test_a_proposal_is_checked_field_by_field_and_what_was_typed_is_kept(app, year):
    fx = year
    kis = app.test_client()
    url = page(fx, "kis") + "/forslag"
    empty = kis.post(url, data={"title": " ", "details": "Noget"})
    assert empty.status_code == 400
    text = empty.get_data(as_text=True)
    assert "Titel: skriv, hvad punktet handler om." in text
    assert 'aria-invalid="true" aria-describedby="proposal-title-error"' in text
    assert ">Noget</textarea>" in text
    long_title = kis.post(url, data={"title": "x" * 121})
    assert long_title.status_code == 400
    assert "Titel: højst 120 tegn." in long_title.get_data(as_text=True)
    control = kis.post(url, data={"title": "Budget\x1b[31m"})
    assert control.status_code == 400
    assert "Titel: fjern de usynlige kontroltegn." in control.get_data(as_text=True)
    long_details = kis.post(url, data={"title": "Budget", "details": "y" * 1001})
    assert long_details.status_code == 400
    assert "Uddybning: højst 1000 tegn." in long_details.get_data(as_text=True)
    assert proposals(app) == []
    assert kis.post(url, data={"title": "x" * 120, "details": "y" * 1000}).status_code == 303
    assert len(proposals(app)) == 1


def test_proposals_close_when_the_meeting_has_been_held(app):
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id, days={"m1": date(2026, 11, 2)})
    kis = app.test_client()
    shown = kis.get(page(fx, "kis")).get_data(as_text=True)
    assert 'name="title"' not in shown and "Mødet er holdt" in shown
    closed = kis.post(page(fx, "kis") + "/forslag", data={"title": "For sent"})
    assert closed.status_code == 409
    assert proposals(app) == []
    # The held meeting is listed on the member's page, with its agenda and its page's link.
    listed = kis.get(f"/m/{fx.tokens['kis']}/2027").get_data(as_text=True)
    start = listed.index('id="minutes-list-h"')
    section = listed[start : listed.index("</section>", start)]
    assert "Møde 1" in section and "Intet referat endnu." in section and "Møde 2" not in section
    assert "Sparring – siden sidst" in section
    assert f'href="{page(fx, "kis")}"' in section
    assert kis.get(page(fx, "kis")).status_code == 200


def test_proposals_need_the_csrf_token(app, year, strict):
    refused = strict.test_client().post(page(year, "kis") + "/forslag", data={"title": "Budget"})
    assert refused.status_code == 400
    assert proposals(app) == []
    with strict.app_context():
        db.engine.dispose()


def test_erasure_drops_the_proposers_open_proposals_and_keeps_a_taken_one_anonymous(app, year):
    fx = year
    kis = app.test_client()
    for title in ("Taget", "Afventer", "Afvist"):
        kis.post(page(fx, "kis") + "/forslag", data={"title": title})
    taken, _pending, declined = proposals(app)
    henrik = app.test_client()
    henrik.post(f"{page(fx, 'henrik')}/forslag/{taken.id}", data={"action": "take"})
    henrik.post(
        f"{page(fx, 'henrik')}/forslag/{declined.id}", data={"action": "decline", "reason": "Nej"}
    )
    with app.app_context():
        erase(db.session.get(Member, fx.member_ids["kis"]))
        db.session.commit()
    [left] = proposals(app)
    assert (left.id, left.member_id, left.status) == (taken.id, None, ProposalStatus.TAKEN)
    shown = henrik.get(page(fx, "henrik")).get_data(as_text=True)
    assert "Foreslået af tidligere medlem" in shown and "Kis" not in shown


def test_purge_removes_the_proposals_with_the_year(app, year):
    fx = year
    app.test_client().post(page(fx, "kis") + "/forslag", data={"title": "Budget"})
    with app.app_context():
        found = retention.find(date(2029, 12, 1), 12)
        [item] = [i for i in found if i.year == 2027]
        assert item.proposals == 1
        retention.purge(found, lambda i: f"{i.year}")
        db.session.commit()
    assert proposals(app) == []


def test_proposals_close_when_the_notice_has_sent_the_agenda(app, year):
    from poll.models import MeetingNotice

    fx = year
    kis = app.test_client()
    assert 'name="title"' in kis.get(page(fx, "kis")).get_data(as_text=True)
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        m1 = next(m for m in poll.meetings if m.key == "m1")
        # the row the notice round writes before its mails (poll.meeting_notice)
        db.session.add(MeetingNotice(meeting_id=m1.id, kind="notice", day=date(2027, 3, 1)))
        db.session.commit()
    shown = kis.get(page(fx, "kis")).get_data(as_text=True)
    assert 'name="title"' not in shown
    assert "Dagsordenen er sendt med mødeindkaldelsen" in shown
    closed = kis.post(page(fx, "kis") + "/forslag", data={"title": "For sent"})
    assert closed.status_code == 409
    assert "dagsordenen er sendt" in closed.get_data(as_text=True)
    assert proposals(app) == []
    # The other meeting, whose notice has not gone, still takes proposals.
    assert 'name="title"' in kis.get(page(fx, "kis", "m2")).get_data(as_text=True)
    sent = kis.post(page(fx, "kis", "m2") + "/forslag", data={"title": "Til næste gang"})
    assert sent.status_code == 303
    assert [p.title for p in proposals(app)] == ["Til næste gang"]
