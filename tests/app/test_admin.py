"""The administrator's pages (issue #11): who may open them, the list of networks, a new network
with its coordinator's one-time link shown once and mailed (received by a real SMTP server and
followed), bad input for every field, archiving (links, feeds and mails refused, then back) and
deleting (what it removes, the typed short name, nothing of another network lost); CSRF; the
migration. Both engines, through the pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from poll import accounts
from poll.auth import set_password
from poll.db import db
from poll.feeds import feed_token
from poll.models import (
    Answer,
    AuditEvent,
    CoordinatorAccount,
    MailJob,
    Member,
    MessageLog,
    MessageStatus,
    Network,
    Plan,
    Poll,
    Response,
    Role,
    utcnow,
)
from tests.conftest import fresh_postgres_database, make_app
from tests.factories import PASSWORD, Fixture, log_in, make_network, record_answers
from tests.html_forms import form_fields, with_values

ADMIN = "admin@modeplan.dk"
NEW_PASSWORD = "læsehest-vejle-2027"
SET_LINK = re.compile(r"https?://[^\s\"<>]+/konto/adgangskode/[A-Za-z0-9_-]{20,64}")
CSRF_VALUE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REFUSED = "Kun sidens administrator kan åbne disse sider."
ARCHIVED = "Netværket Testnetværk er arkiveret."


def make_admin(email: str = ADMIN) -> None:
    """A site administrator with a password (call inside an app context)."""
    new = accounts.create_admin(email)
    set_password(new.account, PASSWORD)
    db.session.commit()


@pytest.fixture
def admin(app, client):
    """The test client, logged in as a site administrator who coordinates no network."""
    with app.app_context():
        make_admin()
    done = client.post("/tovholder/login", data={"email": ADMIN, "password": PASSWORD})
    assert done.status_code == 302
    return client


@pytest.fixture
def fx(app) -> Fixture:
    with app.app_context():
        return make_network()


def text(response) -> str:
    return response.get_data(as_text=True)


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def post_form(client, path: str, values: dict[str, str], form_id: str | None = None, **kwargs):
    """GET the page, fill its form (the first, or the one with this id) with `values` and post
    it back to the page."""
    page = client.get(path)
    assert page.status_code == 200, text(page)
    fields = with_values(form_fields(text(page), form_id), values)
    return client.post(path, data=MultiDict(fields), **kwargs)


def create(client, values: dict[str, str], **kwargs):
    return post_form(client, "/admin/nyt-netvaerk", values, "new-network", **kwargs)


def delete(client, network_id: int, typed: str):
    return post_form(
        client, f"/admin/netvaerk/{network_id}/slet", {"slug": typed}, "delete-network"
    )


def row_of(html: str, name: str) -> str:
    """The table row of the network called `name` on the admin page."""
    match = re.search(rf"<tr[^>]*>\s*<th scope=\"row\">{re.escape(name)}</th>.*?</tr>", html, re.S)
    assert match is not None, f"no row for {name}"
    return match.group(0)


def table_counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }


# -- who may open the pages ------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_and_come_back(app, client, fx):
    for path in ("/admin/", "/admin/nyt-netvaerk", f"/admin/netvaerk/{fx.network_id}/slet"):
        response = client.get(path)
        assert response.status_code == 302
        target = urlsplit(response.location)
        assert target.path == "/tovholder/login" and "next=" in target.query
    refused = client.post(f"/admin/netvaerk/{fx.network_id}/arkiver")
    assert refused.status_code == 302
    with app.app_context():
        make_admin()
        assert db.session.get(Network, fx.network_id).archived_at is None
    login = client.post(
        "/tovholder/login?next=/admin/nyt-netvaerk", data={"email": ADMIN, "password": PASSWORD}
    )
    assert login.status_code == 302 and login.location.endswith("/admin/nyt-netvaerk")
    assert client.get(login.location).status_code == 200


def test_an_administrator_without_a_network_lands_on_the_admin_page(app, admin):
    client = admin
    client.post("/tovholder/logout")
    login = client.post("/tovholder/login", data={"email": ADMIN, "password": PASSWORD})
    assert login.status_code == 302 and urlsplit(login.location).path == "/admin/"
    page = client.get(login.location)
    html = text(page)
    assert page.status_code == 200
    assert "<h1>Netværk</h1>" in html
    assert '<a class="brand" href="/admin/">' in html
    assert 'href="/admin/" aria-current="page">Netværk</a>' in html
    assert ">Log ud</button>" in html


def test_a_coordinator_who_is_no_administrator_is_refused(app, client, fx):
    log_in(client, fx)
    for response in (
        client.get("/admin/"),
        client.get("/admin/nyt-netvaerk"),
        client.post(
            "/admin/nyt-netvaerk", data={"slug": "ny", "name": "Ny", "email": "ny@example.dk"}
        ),
        client.post(f"/admin/netvaerk/{fx.network_id}/arkiver"),
        client.post(f"/admin/netvaerk/{fx.network_id}/slet", data={"slug": "test"}),
    ):
        assert response.status_code == 403
        assert REFUSED in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(Network.id))) == 1
        assert db.session.get(Network, fx.network_id).archived_at is None
    assert "Administration" not in text(client.get("/tovholder/"))


def test_a_coordinator_who_is_also_administrator_finds_the_admin_page(app, client, fx):
    with app.app_context():
        make_admin(fx.email)
    log_in(client, fx)
    dashboard = text(client.get("/tovholder/"))
    link = re.search(r'<a href="([^"]+)">Administration</a>', dashboard)
    assert link is not None
    assert client.get(link.group(1)).status_code == 200


def test_an_unknown_network_is_a_404(admin):
    for response in (
        admin.get("/admin/netvaerk/987654/slet"),
        admin.post("/admin/netvaerk/987654/arkiver"),
    ):
        assert response.status_code == 404
        assert "Netværket findes ikke" in text(response)


# -- the list --------------------------------------------------------------------------------


def test_the_list_shows_every_network_in_danish_order_with_its_figures(app, admin):
    with app.app_context():
        for slug, name in (
            ("aarhus", "Aarhus-netværket"),
            ("oest", "Østnet"),
            ("born", "Bornholm"),
        ):
            fx = make_network(slug=slug)
            network = db.session.get(Network, fx.network_id)
            network.name = name
            network.created_at = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # 3 March in Denmark
            if slug == "oest":
                db.session.get(Member, fx.member_ids["maria"]).active = False
                db.session.add(Poll(network_id=network.id, year=2028))
                network.archived_at = utcnow()
        db.session.commit()
    html = text(admin.get("/admin/"))
    assert [m for m in re.findall(r'<th scope="row">([^<]+)</th>', html)] == [
        "Bornholm",
        "Østnet",
        "Aarhus-netværket",
    ]
    oest = row_of(html, "Østnet")
    assert "<code>oest</code>" in oest
    assert "tovholder@oest.dk" in oest
    assert "<td>2</td>" in oest  # active members: maria is not
    assert "<td>2027, 2028</td>" in oest
    assert "<td>tirsdag den 3. marts 2026</td>" in oest
    assert "<strong>Arkiveret</strong>" in oest and ">Genåbn<" in oest
    born = row_of(html, "Bornholm")
    assert "<td>3</td>" in born and "<td>2027</td>" in born and "<td>Aktiv</td>" in born
    assert ">Arkivér<" in born


def test_the_list_says_when_there_are_no_networks(admin):
    html = text(admin.get("/admin/"))
    assert "Der er ingen netværk endnu." in html
    # The site's log holds only the administrator's own creation (it has no network).
    assert "Gjorde en konto til administrator" in html


# -- a new network ---------------------------------------------------------------------------


def test_creating_a_network_shows_the_link_once_and_mails_it(app, admin, smtp):
    index = text(admin.get("/admin/"))
    new_page = re.search(r'<a class="button primary" href="([^"]+)">Opret et netværk</a>', index)
    assert new_page is not None
    assert new_page.group(1) == "/admin/nyt-netvaerk"
    created = create(
        admin,
        {
            "slug": "vest-fyn",
            "name": "Netværk Vestfyn",
            "email": " Anna@Vestfyn.DK ",
            "coordinator_name": "Anna Holm",
        },
        buffered=True,
    )
    html = text(created)
    assert created.status_code == 201, html
    assert "Netværk Vestfyn (vest-fyn) er oprettet med anna@vestfyn.dk som tovholder." in html
    assert "Kopiér linket nu: det vises kun denne ene gang." in html
    assert "Markér linket og kopiér det" in html
    assert created.headers["Cache-Control"] == "no-store"
    shown = SET_LINK.search(html)
    assert shown is not None

    [mail] = smtp.messages()
    assert mail["To"] == "Anna Holm <anna@vestfyn.dk>"
    assert mail["Subject"].startswith("Netværk Vestfyn: vælg din adgangskode til Mødeplan / ")
    body = plain_text(mail)
    assert "Der er oprettet et netværk til dig i Mødeplan: Netværk Vestfyn." in body
    assert "gælder i 7 dage" in body
    mailed = SET_LINK.search(body)
    assert mailed is not None and mailed.group(0) == shown.group(0)

    with app.app_context():
        network = db.session.scalar(select(Network).where(Network.slug == "vest-fyn"))
        assert network.name == "Netværk Vestfyn" and network.archived_at is None
        assert db.session.scalar(select(func.count(Role.id)).where(Role.network_id == network.id))
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "create-network"))
        assert event.network_id == network.id and event.actor == ADMIN
        assert "vest-fyn" in event.detail
    assert "Netværk Vestfyn" in text(admin.get("/admin/"))

    # The coordinator follows the mailed link, chooses a password and logs in.
    coordinator = app.test_client()
    path = urlsplit(mailed.group(0)).path
    page = coordinator.get(path)
    assert page.status_code == 200 and "anna@vestfyn.dk" in text(page)
    saved = post_form(coordinator, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert saved.status_code == 302
    login = coordinator.post(
        "/tovholder/login", data={"email": "anna@vestfyn.dk", "password": NEW_PASSWORD}
    )
    assert login.status_code == 302
    assert "Netværk Vestfyn" in text(coordinator.get("/tovholder/"))
    assert coordinator.get(path).status_code == 404  # used once


def test_the_command_line_creation_is_in_the_log_too(app, runner):
    done = runner.invoke(
        args=["create-network", "nord", "Netværk Nord", "--coordinator", "b@nord.dk"]
    )
    assert done.exit_code == 0, done.output
    with app.app_context():
        event = db.session.scalar(select(AuditEvent))
        assert (event.action, event.actor) == ("create-network", "command line")
        assert event.network_id == db.session.scalar(select(Network.id))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"slug": ""}, "Kortnavn: skriv et kortnavn, for eksempel vest-fyn."),
        ({"slug": "Vest Fyn"}, "Kortnavn: &#39;Vest Fyn&#39; er ikke et gyldigt kortnavn"),
        ({"slug": "-vest"}, "Kortnavn: &#39;-vest&#39; er ikke et gyldigt kortnavn"),
        ({"slug": "v" * 61}, "Kortnavn: højst 60 tegn."),
        ({"slug": "ve\x00st"}, "Kortnavn: fjern de usynlige kontroltegn"),
        ({"name": ""}, "Netværkets navn: udfyld et navn."),
        ({"name": "N" * 201}, "Netværkets navn: højst 200 tegn."),
        ({"name": "Vest\nFyn"}, "Netværkets navn: fjern de usynlige kontroltegn"),
        ({"email": ""}, "Tovholderens e-mail: skriv en e-mailadresse."),
        (
            {"email": "anna-at-vest"},
            "Tovholderens e-mail: &#39;anna-at-vest&#39; er ikke en e-mailadresse",
        ),
        ({"email": "a,b@vest.dk"}, "Tovholderens e-mail: &#39;a,b@vest.dk&#39; er ikke en"),
        ({"coordinator_name": "A" * 201}, "Tovholderens navn: højst 200 tegn."),
        ({"coordinator_name": "Anna\x1bHolm"}, "Tovholderens navn: fjern de usynlige"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(app, admin, smtp, values, message):
    with app.app_context():
        before = table_counts()
    good = {"slug": "vest", "name": "Netværk Vest", "email": "anna@vest.dk"}
    refused = create(admin, {**good, **values}, buffered=True)
    html = text(refused)
    assert refused.status_code == 422
    assert message in html
    assert "Ret venligst følgende" in html and 'aria-invalid="true"' in html
    assert not SET_LINK.search(html)
    with app.app_context():
        assert table_counts() == before
    assert smtp.messages() == []


def test_a_taken_short_name_is_a_conflict_and_a_coordinator_gets_a_second_network(
    app, admin, fx, smtp
):
    with app.app_context():
        before = table_counts()
    taken = create(admin, {"slug": "test", "name": "Andet", "email": "ny@andet.dk"})
    assert taken.status_code == 409
    assert "Kortnavn: Der findes allerede et netværk med kortnavnet &#39;test&#39;." in text(taken)
    with app.app_context():
        assert table_counts() == before
    added = create(admin, {"slug": "andet", "name": "Andet", "email": fx.email})
    assert added.status_code == 303
    assert "tovholder@test.dk har allerede en konto og logger ind som før" in text(
        admin.get(added.location)
    )
    with app.app_context():
        account = db.session.scalar(
            select(CoordinatorAccount).where(CoordinatorAccount.email == fx.email)
        )
        assert sorted(n.slug for n in account.networks) == ["andet", "test"]
    assert smtp.messages() == []


# -- archive ---------------------------------------------------------------------------------


def _links(app, fx: Fixture) -> dict[str, str]:
    with app.app_context():
        member = db.session.get(Member, fx.member_ids["henrik"])
        network = db.session.get(Network, fx.network_id)
        links = {
            "member": f"/m/{fx.tokens['henrik']}",
            "member year": f"/m/{fx.tokens['henrik']}/2027",
            "meeting page": f"/m/{fx.tokens['henrik']}/moede/2027/m1",
            "member feed": f"/kalender/{feed_token(member)}.ics",
            "network feed": f"/kalender/{feed_token(network)}.ics",
            "meeting file": f"/kalender/{feed_token(member)}/2027/m1.ics",
        }
        db.session.commit()
    return links


def _archive_button(admin, name: str, label: str):
    """Click the button `label` in the network's row of the admin page."""
    row = row_of(text(admin.get("/admin/")), name)
    form = re.search(rf'<form method="post" action="([^"]+)".*?>{label}<.*?</form>', row, re.S)
    assert form is not None
    return admin.post(form.group(1), data=MultiDict(form_fields(form.group(0))))


def test_archiving_closes_links_feeds_and_mail_and_reopening_undoes_it(
    app, admin, fx, smtp, runner
):
    with app.app_context():
        poll = db.session.get(Poll, fx.poll_id)
        poll.deadline = date(2026, 12, 15)
        db.session.commit()
    links = _links(app, fx)
    visitor = app.test_client()
    assert visitor.get(links["member"]).status_code == 200
    assert visitor.get(links["member feed"]).status_code == 200

    done = _archive_button(admin, "Testnetværk", "Arkivér")
    assert done.status_code == 303
    flashed = text(admin.get(done.location))
    assert "Testnetværk er arkiveret. Medlemmernes links og kalendere virker ikke" in flashed
    assert "<strong>Arkiveret</strong>" in row_of(flashed, "Testnetværk")

    for what, path in links.items():
        response = visitor.get(path)
        assert response.status_code == 410, what
        assert ARCHIVED in text(response), what
        assert "Ikke længere tilgængelig" in text(response), what
    assert visitor.post(links["member year"], data={}).status_code == 410

    # No mail: not the automatic reminder, not a coordinator's click, not a lost link.
    reminder = runner.invoke(args=["remind", "--auto", "--today", "2026-12-12"])
    assert reminder.exit_code == 0, reminder.output
    assert "ingen påmindelse: netværket er arkiveret" in reminder.output
    by_hand = runner.invoke(args=["remind", "test", "2027"])
    assert by_hand.exit_code == 1
    assert "Netværket Testnetværk er arkiveret: der sendes ingen mails for det." in by_hand.output
    invitations = runner.invoke(args=["send-mail", "test", "2027", "invitation"])
    assert invitations.exit_code == 1 and "er arkiveret" in invitations.output
    retry = runner.invoke(args=["retry-mail"])
    assert retry.exit_code == 0 and "test: arkiveret" in retry.output
    assert visitor.post("/", data={"email": "henrik@example.dk"}, buffered=True).status_code == 200

    coordinator = app.test_client()
    log_in(coordinator, fx)
    dashboard = text(coordinator.get("/tovholder/"))
    assert "<strong>Netværket er arkiveret.</strong>" in dashboard
    refused = coordinator.post("/tovholder/beskeder/2027/paamindelser", data={"recipients": "3"})
    assert refused.status_code == 303
    assert "er arkiveret: der sendes ingen mails" in text(coordinator.get(refused.location))
    assert smtp.messages() == []

    done = _archive_button(admin, "Testnetværk", "Genåbn")
    assert done.status_code == 303
    assert "Testnetværk er genåbnet." in text(admin.get(done.location))
    assert visitor.get(links["member"]).status_code == 200
    assert visitor.get(links["member feed"]).status_code == 200
    assert visitor.get(links["network feed"]).status_code == 200
    assert "Netværket er arkiveret" not in text(coordinator.get("/tovholder/"))
    reminder = runner.invoke(args=["remind", "--auto", "--today", "2026-12-12"])
    assert reminder.exit_code == 0, reminder.output
    assert len(smtp.messages()) == 3

    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.network_id == fx.network_id)
            .order_by(AuditEvent.id)
        ).all()
        assert events == ["archive-network", "unarchive-network"]


# -- delete ----------------------------------------------------------------------------------


def _fill(fx: Fixture) -> None:
    """Answers, a plan version and a message for the network (inside an app context)."""
    poll = db.session.get(Poll, fx.poll_id)
    day = poll.days[0].day
    for key in ("sara", "henrik"):
        record_answers(fx.poll_id, fx.member_ids[key], [(day, "odense", Answer.YES)])
    db.session.add(Plan(poll_id=fx.poll_id, version=1, result={"status": "optimal"}))
    db.session.add(
        MessageLog(
            network_id=fx.network_id,
            member_id=fx.member_ids["henrik"],
            kind="invitation/2027",
            recipient="henrik@example.dk",
            subject="Invitation",
            raw=b"",
            status=MessageStatus.SENT,
        )
    )
    db.session.commit()


def test_the_confirmation_names_what_will_be_deleted(app, admin, fx):
    with app.app_context():
        _fill(fx)
    row = row_of(text(admin.get("/admin/")), "Testnetværk")
    link = re.search(r'<a class="button danger" href="([^"]+)">Slet', row)
    assert link is not None
    page = admin.get(link.group(1))
    html = text(page)
    assert page.status_code == 200
    assert "<h1>Slet Testnetværk?</h1>" in html
    assert "Når netværket Testnetværk (test) slettes, slettes alt i det for altid:" in html
    for count in (
        "3 medlemmer med deres personlige links og kalenderlinks",
        "1 afstemning",
        "2 medlemmers svar",
        "1 planversion",
        "1 sendt eller fejlet besked",
    ):
        assert f"<li>{count}</li>" in html
    assert "Disse tovholdere mister netværket: tovholder@test.dk. Deres konti bevares" in html
    assert "Skriv netværkets kortnavn, test, for at bekræfte." in html


def test_a_wrong_short_name_deletes_nothing(app, admin, fx):
    with app.app_context():
        _fill(fx)
        before = table_counts()
    for typed in ("", "Test", "tes", "test2"):
        refused = delete(admin, fx.network_id, typed)
        assert refused.status_code == 422
        assert "Kortnavn: skriv præcis test for at slette netværket. Intet er slettet." in text(
            refused
        )
    hidden = delete(admin, fx.network_id, "te\x00st")
    assert hidden.status_code == 422
    assert "Kortnavn: fjern de usynlige kontroltegn" in text(hidden)
    with app.app_context():
        assert table_counts() == before


def test_deleting_removes_the_network_and_nothing_of_another(app, admin, fx):
    with app.app_context():
        _fill(fx)
        other = make_network(slug="andet")
        _fill(other)
        db.session.get(Network, other.network_id).name = "Andet netværk"
        db.session.commit()
        only_other = table_counts()
        target = make_network(slug="slet-mig")
        _fill(target)
        _links(app, target)
        db.session.add(MailJob(network_id=target.network_id, poll_id=target.poll_id, kind="plan"))
        db.session.get(Network, target.network_id).name = "Slet mig"
        db.session.commit()

    done = delete(admin, target.network_id, "slet-mig")
    assert done.status_code == 303
    index = text(admin.get(done.location))
    assert "Slet mig er slettet med alt indhold." in index
    assert '<th scope="row">Slet mig</th>' not in index
    assert "Andet netværk" in index and "Testnetværk" in index
    # The site's log names the deleted network.
    log = re.search(r'<table class="events">.*?</table>', index, re.S)
    assert log is not None
    assert "Slettede et netværk" in log.group(0) and "slet-mig (Slet mig)" in log.group(0)
    assert ADMIN in log.group(0)

    with app.app_context():
        after = table_counts()
        # Every table is back to what it held before the deleted network was made, but for its
        # coordinator's account (kept, without a network) and the log row of the deletion.
        assert after == {
            **only_other,
            "coordinator_accounts": only_other["coordinator_accounts"] + 1,
            "audit_events": only_other["audit_events"] + 1,
        }
        account = db.session.scalar(
            select(CoordinatorAccount).where(CoordinatorAccount.email == target.email)
        )
        assert account is not None and account.networks == []
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "delete-network"))
        assert event.network_id is None and event.detail == "slet-mig (Slet mig)"
        assert db.session.scalar(select(func.count(Response.id))) == 4

    # The kept account logs in, but coordinates nothing any more; the members' links are gone.
    coordinator = app.test_client()
    log_in(coordinator, target)
    refused = coordinator.get("/tovholder/")
    assert refused.status_code == 403 and "Denne konto koordinerer intet netværk." in text(refused)
    assert app.test_client().get(f"/m/{target.tokens['henrik']}").status_code == 404
    assert app.test_client().get(f"/m/{other.tokens['henrik']}").status_code == 200


def test_deleting_waits_for_a_running_mail_batch(app, admin, fx):
    with app.app_context():
        db.session.add(
            MailJob(
                network_id=fx.network_id,
                active_network_id=fx.network_id,
                kind="invitation",
                heartbeat_at=utcnow(),
            )
        )
        db.session.commit()
        before = table_counts()
    refused = delete(admin, fx.network_id, "test")
    assert refused.status_code == 409
    assert "Der sendes beskeder for Testnetværk lige nu." in text(refused)
    with app.app_context():
        assert table_counts() == before


def test_the_delete_form_needs_its_csrf_token(app, fx, strict):
    with app.app_context():
        make_admin()
    client = strict.test_client()
    login_page = text(client.get("/tovholder/login"))
    token = CSRF_VALUE.search(login_page).group(1)  # type: ignore[union-attr]
    client.post(
        "/tovholder/login", data={"email": ADMIN, "password": PASSWORD, "csrf_token": token}
    )
    path = f"/admin/netvaerk/{fx.network_id}/slet"
    refused = client.post(path, data={"slug": "test"})
    assert refused.status_code == 400
    assert "sikkerhedstegn" in text(refused)
    archive = client.post(f"/admin/netvaerk/{fx.network_id}/arkiver")
    assert archive.status_code == 400
    with app.app_context():
        network = db.session.get(Network, fx.network_id)
        assert network is not None and network.archived_at is None
    done = delete(client, fx.network_id, "test")
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Network, fx.network_id) is None
    with strict.app_context():
        db.engine.dispose()


# -- the migration ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
        return
    request.getfixturevalue("postgres_url")
    with fresh_postgres_database("modeplan_migrate") as url:
        yield url


def test_migration_adds_and_removes_archived_at_keeping_every_row(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision="b13e93e47db0")
        assert "archived_at" not in {
            c["name"] for c in sa.inspect(db.engine).get_columns("networks")
        }
        upgrade()
        assert "archived_at" in {c["name"] for c in sa.inspect(db.engine).get_columns("networks")}
        make_network()
        db.session.get(Network, 1).archived_at = utcnow() - timedelta(days=1)
        db.session.commit()
        db.session.remove()
        downgrade(revision="b13e93e47db0")
        assert "archived_at" not in {
            c["name"] for c in sa.inspect(db.engine).get_columns("networks")
        }
        with db.engine.connect() as conn:
            # On SQLite a copied-and-dropped networks table would have taken these with it.
            assert conn.scalar(sa.text("SELECT count(*) FROM members")) == 3
            assert conn.scalar(sa.text("SELECT count(*) FROM coordinator_accounts")) == 1
        db.engine.dispose()
