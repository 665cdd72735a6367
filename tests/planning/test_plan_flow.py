"""The plan's flow (issue 12, point 4), as the coordinator and a member meet it: planning from
the overview in one click, meeting pages with the menu and a way back, a replacement list of
members who may take the role, a re-plan that changes nothing, the published version beside a
newer draft, pinned decisions marked, a year nobody answered. Both engines."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from poll.db import db
from poll.models import Answer, Member, Pin, Response, SolveJob
from tests.factories import log_in, make_network
from tests.planning.test_plan_page import (
    MEMBERS,
    pin_another_day,
    plans,
    solve,
    wait_for_job,
)

PLAN = "/tovholder/plan/2027"
MARK = '<span class="badge pinned"><span aria-hidden="true">🔒</span> fastlåst</span>'


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_overview_starts_the_planning_in_one_click(app, planned):
    client, fx = planned
    overview = f"/tovholder/afstemninger/{fx.poll_id}"
    page = text(client.get(overview))
    button = re.search(
        rf'<form method="post" action="{PLAN}/solve" class="inline">.*?</form>', page, re.S
    )
    assert button and "Planlæg året" in button.group(0) and "csrf_token" in button.group(0)
    # The click lands on the plan page, where the planning runs with its progress.
    started = client.post(f"{PLAN}/solve")
    assert started.status_code == 303 and started.headers["Location"].endswith(PLAN)
    assert wait_for_job(client)["status"] == "done"
    assert [p.version for p in plans(app)] == [1]
    # Planned: the overview leads to the plan instead of planning again.
    page = text(client.get(overview))
    assert f'action="{PLAN}/solve"' not in page
    assert f'<a class="button" href="{PLAN}">Se planen</a>' in page


def test_a_year_nobody_answered_is_refused_with_a_plain_reason(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        # An empty answer and an inactive member's answers count as no answers.
        db.session.add(Response(poll_id=fx.poll_id, member_id=fx.member_ids["henrik"]))
        kis = db.session.get(Member, fx.member_ids["kis"])
        kis.active = False
        poll_days = [d.day for d in kis.network.polls[0].days]
        response = Response(poll_id=fx.poll_id, member_id=kis.id)
        response.record({(day, "odense"): Answer.YES for day in poll_days})
        db.session.add(response)
        db.session.commit()
    client = app.test_client()
    log_in(client, fx)
    refused = client.post(f"{PLAN}/solve", follow_redirects=True)
    page = text(refused)
    assert (
        "Ingen har svaret på afstemningen for 2027 endnu, så der er intet at planlægge ud fra."
        in page
    )
    assert "kan flere end 0" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count(SolveJob.id))) == 0
    assert plans(app) == []


def test_a_replan_that_changes_nothing_says_so_and_stores_no_version(app, planned):
    client, _fx = planned
    assert solve(client)["status"] == "done"
    assert solve(client)["status"] == "done"
    assert [p.version for p in plans(app)] == [1]
    page = text(client.get(PLAN))
    assert (
        "Planen er uændret: den nye planlægning gav det samme som version 1, så der er ikke"
        " gemt en ny version." in page
    )
    # A real change is a new version, and the page no longer says "unchanged".
    pin_another_day(app, client)
    assert solve(client)["status"] == "done"
    assert [p.version for p in plans(app)] == [1, 2]
    assert "Planen er uændret" not in text(client.get(PLAN))


def test_the_published_version_stays_in_view_beside_a_newer_draft(app, planned):
    client, _fx = planned
    solve(client)
    assert "Ingen version er udgivet endnu" in text(client.get(PLAN))
    client.post(f"{PLAN}/publish", data={"version": "1"})
    pin_another_day(app, client)
    solve(client)
    page = text(client.get(PLAN))
    box = page[
        page.index('id="published-version"') : page.index(
            "</p>", page.index('id="published-version"')
        )
    ]
    assert "Udgivet version: version 1" in box
    assert f'<a href="{PLAN}?version=1">se den</a>' in box
    assert "Herunder: version 2, som ikke er udgivet." in box
    # At the top: before the planning button and every meeting.
    assert page.index('id="published-version"') < page.index(f'action="{PLAN}/solve"')
    assert page.index('id="published-version"') < page.index('class="meeting card"')
    # The published version itself says so, and leads to the newer draft.
    live = text(client.get(f"{PLAN}?version=1"))
    assert "Du ser den udgivne version (version 1)." in live
    assert f'<a href="{PLAN}?version=2">Se den nyeste kladde, version 2</a>' in live


def test_pinned_meetings_and_role_holders_carry_a_mark_with_a_word(app, planned):
    client, _fx = planned
    solve(client)
    assert "fastlåst" not in text(client.get(PLAN))
    first = plans(app)[0].result["meetings"][0]
    holder = first["roles"]["presenter"][0]
    client.post(
        f"{PLAN}/pins",
        data={"meeting": "m1", "kind": "role", "role": "presenter", "member": holder},
    )
    client.post(
        f"{PLAN}/pins",
        data={"meeting": "m1", "kind": "date", "date": first["date"], "venue": first["venue"]},
    )
    page = text(client.get(PLAN))
    meeting = page[page.index('id="meeting-m1"') : page.index('id="meeting-m2"')]
    assert f"<li>{holder.capitalize()} {MARK}" in meeting
    when = meeting[
        meeting.index('class="when"') : meeting.index("</p>", meeting.index('class="when"'))
    ]
    where = meeting[
        meeting.index('class="where"') : meeting.index("</p>", meeting.index('class="where"'))
    ]
    assert MARK in when and MARK in where
    # The second meeting has no pin and no mark.
    other = page[page.index('id="meeting-m2"') : page.index('id="fairness-heading"')]
    assert "fastlåst" not in other
    # The list of pinned decisions marks each one too.
    pins = page[
        page.index('id="pins-heading"') : page.index("</section>", page.index('id="pins-heading"'))
    ]
    assert pins.count(MARK) == 2


def _options(page: str, select_id: str) -> list[tuple[str, str]]:
    body = re.search(rf'<select name="new" id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert body, select_id
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body.group(1))


def test_the_replacement_list_starts_blank_and_offers_only_members_who_may_take_the_role(
    app, planned
):
    client, fx = planned
    solve(client)
    meeting = plans(app)[0].result["meetings"][0]
    old = meeting["roles"]["presenter"][0]
    opted_out, said_no, inactive, eligible = [k for k in MEMBERS if k != old]
    with app.app_context():
        responses = {
            r.member_id: r
            for r in db.session.scalars(select(Response).where(Response.poll_id == fx.poll_id))
        }
        responses[fx.member_ids[opted_out]].cannot_roles = ["presenter"]
        responses[fx.member_ids[said_no]].answers = {
            day: dict.fromkeys(cells, Answer.NO.value)
            for day, cells in responses[fx.member_ids[said_no]].answers.items()
        }
        db.session.get(Member, fx.member_ids[inactive]).active = False
        db.session.commit()
    page = text(client.get(PLAN))
    select_id = f"new-m1-presenter-{old}"
    assert f'<select name="new" id="{select_id}" required' in page
    assert _options(page, select_id) == [("", "Vælg …"), (eligible, eligible.capitalize())]
    assert '<option value="" disabled selected>Vælg …</option>' in page
    assert "Listen viser kun medlemmer, der kan komme den dag og må have rollen." in page

    # Submitted blank: refused with the field's name, and nothing changes.
    blank = client.post(
        f"{PLAN}/replace", data={"meeting": "m1", "role": "presenter", "old": old, "new": ""}
    )
    assert blank.status_code == 400
    assert "Ny rolleindehaver: vælg det medlem, der overtager rollen." in text(blank)
    with app.app_context():
        assert db.session.scalar(select(func.count(Pin.id))) == 0
    assert len(plans(app)) == 1

    # The one offered is accepted: pinned in the role, and the year planned again.
    accepted = client.post(
        f"{PLAN}/replace", data={"meeting": "m1", "role": "presenter", "old": old, "new": eligible}
    )
    assert accepted.status_code == 303
    wait_for_job(client)
    with app.app_context():
        [pin] = db.session.scalars(select(Pin)).all()
        assert (pin.role.key, pin.member.key) == ("presenter", eligible)


def test_meeting_pages_keep_the_menu_and_lead_back(app, planned):
    client, fx = planned
    solve(client)
    # A draft's meeting page: the coordinator's menu and the way back to the plan.
    draft = text(client.get(f"{PLAN}/moede/m1"))
    assert 'href="/tovholder/medlemmer"' in draft and 'href="/tovholder/roller"' in draft
    assert f'<a href="{PLAN}">← Tilbage til planen for 2027</a>' in draft
    client.post(f"{PLAN}/publish", data={"version": "1"})
    assert f'<a href="{PLAN}">← Tilbage til planen for 2027</a>' in text(
        client.get(f"{PLAN}/moede/m1")
    )

    # A member's meeting page leads back to their own page, and shows no one else's link.
    member = app.test_client()
    token = fx.tokens["henrik"]
    response = member.get(f"/m/{token}/moede/2027/m1")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = text(response)
    assert f'<a href="/m/{token}/2027">← Tilbage til din side for 2027</a>' in page
    assert "/tovholder/" not in page
    for other, other_token in fx.tokens.items():
        if other != "henrik":
            assert other_token not in page
    assert member.get(f"/m/{token}/2027").status_code == 200
