"""Accounts that coordinate several networks (choosing and switching the network, and the scope
that follows it), and a network's coordinators: invited by mail (a new account, an existing
one), removed with a confirmation, never the last one. Through the pages, with the mails
received by a real SMTP server and their links fetched. Both engines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from poll.db import db
from poll.models import AccountToken, AuditEvent, CoordinatorAccount, Network, utcnow
from tests.factories import PASSWORD, make_network
from tests.html_forms import form_fields, with_values

NEW_PASSWORD = "læsehest-vejle-2027"
SET_LINK = re.compile(r"https?://[^\s\"<>]+/konto/adgangskode/[A-Za-z0-9_-]{20,64}")
LOGIN_LINK = re.compile(r"https?://[^\s\"<>]+/tovholder/login")


@dataclass
class Two:
    """Network A (ours) and B (theirs), each with its own coordinator; with `shared`, A's
    coordinator coordinates B as well."""

    a_id: int
    b_id: int
    a_poll: int
    b_poll: int
    a_email: str
    b_email: str
    a_member: int


def _two(app, shared: bool) -> Two:
    with app.app_context():
        a = make_network()
        b = make_network(member_keys=("ole", "pia"), slug="andet")
        db.session.get(Network, a.network_id).name = "Netværk Syd"
        db.session.get(Network, b.network_id).name = "Netværk Nord"
        if shared:
            account = db.session.scalar(
                select(CoordinatorAccount).where(CoordinatorAccount.email == a.email)
            )
            account.networks.append(db.session.get(Network, b.network_id))
        db.session.commit()
    return Two(
        a.network_id,
        b.network_id,
        a.poll_id,
        b.poll_id,
        a.email,
        b.email,
        a.member_ids["henrik"],
    )


@pytest.fixture
def two(app) -> Two:
    return _two(app, shared=False)


@pytest.fixture
def shared(app) -> Two:
    return _two(app, shared=True)


def log_in(client, email: str, password: str = PASSWORD, next_path: str | None = None):
    url = "/tovholder/login" + (f"?next={next_path}" if next_path else "")
    response = client.post(url, data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def plain_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def post_form(client, page_url: str, form_id: str, values: dict[str, str], **kwargs):
    """GET the page, fill its form `form_id` as a person would, POST it where it points."""
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    html = text(page)
    action = re.search(rf'<form[^>]*id="{form_id}"[^>]*>', html)
    assert action is not None, form_id
    target = re.search(r'action="([^"]*)"', action.group(0))
    fields = with_values(form_fields(html, form_id), values)
    return client.post(target.group(1) if target else page_url, data=MultiDict(fields), **kwargs)


def choose(client, network_id: int, picker: str = "/konto/netvaerk"):
    return post_form(client, picker, f"network-{network_id}", {})


def audit_rows(app, action: str) -> list[tuple[int | None, str, str]]:
    with app.app_context():
        return [
            (e.network_id, e.actor, e.detail)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


# -- one network, several networks -----------------------------------------------------------


def test_one_network_goes_straight_to_its_dashboard_without_a_switch(app, client, two):
    done = log_in(client, two.a_email)
    dashboard = client.get(done.location)
    assert dashboard.status_code == 200
    page = text(dashboard)
    assert "Netværk Syd" in page
    assert "Skift netværk" not in page
    assert "Min konto" in page


def test_several_networks_choose_after_login_then_switch_in_the_header(app, client, shared):
    asked = client.get(log_in(client, shared.a_email).location)
    assert asked.status_code == 302
    assert urlsplit(asked.location).path == "/konto/netvaerk"
    picker = client.get(asked.location)
    assert picker.status_code == 200
    page = text(picker)
    assert "<h1>Vælg netværk</h1>" in page
    assert "Netværk Syd" in page and "Netværk Nord" in page

    chosen = choose(client, shared.b_id, asked.location)
    assert chosen.status_code == 303 and chosen.location.endswith("/tovholder/")
    dashboard = text(client.get(chosen.location))
    assert "Netværk Nord" in dashboard and "Netværk Syd" not in dashboard
    # Scope follows the chosen network: B's poll opens, A's is not found.
    assert client.get(f"/tovholder/afstemninger/{shared.b_poll}").status_code == 200
    assert client.get(f"/tovholder/afstemninger/{shared.a_poll}").status_code == 404

    switch = re.search(r'<a href="([^"]+)"[^>]*>Skift netværk</a>', dashboard)
    assert switch is not None
    assert "det, du arbejder med nu" in text(client.get(switch.group(1)))
    assert choose(client, shared.a_id, switch.group(1)).status_code == 303
    assert "Netværk Syd" in text(client.get("/tovholder/"))
    assert client.get(f"/tovholder/afstemninger/{shared.a_poll}").status_code == 200
    assert client.get(f"/tovholder/afstemninger/{shared.b_poll}").status_code == 404
    assert client.get("/tovholder/medlemmer").status_code == 200
    assert "Ole" not in text(client.get("/tovholder/medlemmer"))


def test_the_page_asked_for_before_login_follows_the_choice(client, shared):
    back = log_in(client, shared.a_email, next_path="/tovholder/roller").location
    assert urlsplit(back).path == "/tovholder/roller"
    picker = client.get(back)
    assert picker.status_code == 302 and urlsplit(picker.location).path == "/konto/netvaerk"
    chosen = choose(client, shared.a_id, picker.location)
    assert chosen.status_code == 303 and urlsplit(chosen.location).path == "/tovholder/roller"
    assert client.get(chosen.location).status_code == 200


def test_a_network_that_is_not_the_account_s_cannot_be_chosen(app, client, shared):
    with app.app_context():
        third = make_network(member_keys=("x",), slug="tredje").network_id
    log_in(client, shared.a_email)
    for value in (str(third), "abc", ""):
        refused = client.post("/konto/netvaerk", data={"network": value})
        assert refused.status_code == 404, value
        assert "Netværk: du er ikke tovholder for dette netværk." in text(refused)
    assert client.get("/tovholder/").status_code == 302  # still nothing chosen


def test_the_chosen_network_is_checked_again_on_every_request(app, client, shared):
    log_in(client, shared.a_email)
    choose(client, shared.b_id)
    assert "Netværk Nord" in text(client.get("/tovholder/"))
    with app.app_context():  # somebody removes the account from B meanwhile
        account = db.session.scalar(
            select(CoordinatorAccount).where(CoordinatorAccount.email == shared.a_email)
        )
        account.networks.remove(db.session.get(Network, shared.b_id))
        db.session.commit()
    page = client.get("/tovholder/")
    assert page.status_code == 200
    assert "Netværk Syd" in text(page)  # its only network now
    assert client.get(f"/tovholder/afstemninger/{shared.b_poll}").status_code == 404


def test_one_network_s_coordinator_cannot_see_another_s_pages(client, two):
    log_in(client, two.b_email)
    assert "Netværk Nord" in text(client.get("/tovholder/"))
    for url in (
        f"/tovholder/afstemninger/{two.a_poll}",
        f"/tovholder/afstemninger/{two.a_poll}/dage",
        f"/tovholder/medlemmer/{two.a_member}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/konto/netvaerk", data={"network": str(two.a_id)}).status_code == 404


# -- coordinators of a network ---------------------------------------------------------------


def coordinators_page(client) -> str:
    """The network page's link to the coordinators."""
    network = text(client.get("/tovholder/netvaerk"))
    link = re.search(r'<a href="([^"]+)">Se, inviter og fjern netværkets tovholdere</a>', network)
    assert link is not None
    return link.group(1)


def test_inviting_a_new_coordinator_mails_a_link_to_choose_a_password(app, client, two, smtp):
    log_in(client, two.a_email)
    url = coordinators_page(client)
    listed = text(client.get(url))
    assert "<h1>Tovholdere</h1>" in listed and two.a_email in listed
    assert "Inviter en tovholder" in listed

    invited = post_form(client, url, "invite", {"email": " Ny@Example.DK ", "name": "Nina Ny"})
    assert invited.status_code == 303
    after = text(client.get(invited.location))
    assert "ny@example.dk er inviteret" in after
    assert "Inviteret, har ikke valgt adgangskode endnu" in after

    [message] = smtp.messages()
    assert "ny@example.dk" in str(message["To"])
    assert message["Subject"] == (
        "Netværk Syd: du er inviteret som tovholder i Mødeplan / "
        "You are invited as a coordinator in Mødeplan"
    )
    body = plain_text(message)
    assert body.startswith("Kære Nina Ny")
    assert "Tovholder har gjort dig til tovholder for Netværk Syd" in body
    [link] = set(SET_LINK.findall(body))
    assert LOGIN_LINK.search(body)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        assert token.purpose == "set-password"
        assert timedelta(days=6, hours=23) < token.expires_at - utcnow() <= timedelta(days=7)

    # The link sets a password, and the new coordinator works on network A.
    newcomer = app.test_client()
    path = urlsplit(link).path
    assert "ny@example.dk" in text(newcomer.get(path))
    saved = post_form(
        newcomer, path, "password-form", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert saved.status_code == 302
    login = urlsplit(LOGIN_LINK.search(body).group(0)).path  # type: ignore[union-attr]
    assert newcomer.get(login).status_code == 200
    log_in(newcomer, "ny@example.dk", NEW_PASSWORD)
    assert "Netværk Syd" in text(newcomer.get("/tovholder/"))
    assert audit_rows(app, "invite-coordinator") == [(two.a_id, two.a_email, "ny@example.dk")]
    assert audit_rows(app, "set-password") == [(two.a_id, "ny@example.dk", "ny@example.dk")]


def test_inviting_an_existing_account_adds_the_network_and_mails_a_notice(app, client, two, smtp):
    log_in(client, two.b_email)
    done = post_form(client, coordinators_page(client), "invite", {"email": two.a_email})
    assert done.status_code == 303
    assert "har allerede en konto og er nu tovholder" in text(client.get(done.location))

    [message] = smtp.messages()
    assert two.a_email in str(message["To"])
    assert message["Subject"] == (
        "Netværk Nord: du er nu tovholder i Mødeplan / You are now a coordinator in Mødeplan"
    )
    body = plain_text(message)
    assert not SET_LINK.search(body)  # it has a password: it logs in as before
    login = LOGIN_LINK.search(body)
    assert login is not None
    other = app.test_client()
    assert other.get(urlsplit(login.group(0)).path).status_code == 200
    asked = other.get(log_in(other, two.a_email).location)
    assert urlsplit(asked.location).path == "/konto/netvaerk"
    assert "Netværk Nord" in text(other.get(asked.location))
    with app.app_context():
        assert db.session.scalar(select(AccountToken)) is None
    assert audit_rows(app, "add-coordinator") == [(two.b_id, two.b_email, two.a_email)]


def test_inviting_again_before_a_password_is_chosen_sends_a_new_link(app, client, two, smtp):
    log_in(client, two.a_email)
    url = coordinators_page(client)
    for _ in range(2):
        assert post_form(client, url, "invite", {"email": "ny@example.dk"}).status_code == 303
    first, second = (SET_LINK.search(plain_text(m)).group(0) for m in smtp.messages())  # type: ignore[union-attr]
    assert client.get(urlsplit(first).path).status_code == 404
    assert client.get(urlsplit(second).path).status_code == 200


def test_an_invitation_the_server_refuses_says_so_and_can_be_sent_again(app, client, two, smtp):
    log_in(client, two.a_email)
    url = coordinators_page(client)
    smtp.data_reply = "550 Mailbox unavailable"
    refused = post_form(client, url, "invite", {"email": "ny@example.dk"})
    assert refused.status_code == 303
    page = text(client.get(refused.location))
    assert "ny@example.dk er nu tovholder, men mailen med linket kunne ikke sendes" in page
    assert "550 Mailbox unavailable" in page
    smtp.data_reply = "250 OK"
    assert post_form(client, url, "invite", {"email": "ny@example.dk"}).status_code == 303
    [message] = smtp.messages()
    link = SET_LINK.search(plain_text(message))
    assert link is not None
    assert client.get(urlsplit(link.group(0)).path).status_code == 200


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"email": ""}, "E-mail: udfyld den nye tovholders e-mailadresse."),
        ({"email": "ikke-en-adresse"}, "E-mail: det er ikke en gyldig e-mailadresse."),
        ({"email": "a@b.dk\r\nBcc: x@y.dk"}, "E-mail: fjern de usynlige kontroltegn"),
        ({"email": "a@b.dk", "name": "Nina\x00"}, "Navn (frivilligt): fjern de usynlige"),
        ({"email": "a@b.dk", "name": "n" * 201}, "Navn: højst 200 tegn."),
        (
            {"email": "TOVHOLDER@test.dk"},
            "E-mail: tovholder@test.dk er allerede tovholder for dette netværk.",
        ),
    ],
)
def test_a_bad_invitation_is_refused_by_field_and_mails_nothing(
    app, client, two, smtp, values, message
):
    log_in(client, two.a_email)
    refused = post_form(client, coordinators_page(client), "invite", values)
    assert refused.status_code == 422
    assert message in text(refused)
    assert smtp.messages() == []
    with app.app_context():
        assert len(db.session.get(Network, two.a_id).coordinators) == 1


def _add_coordinator(app, network_id: int, email: str) -> None:
    with app.app_context():
        account = db.session.scalar(
            select(CoordinatorAccount).where(CoordinatorAccount.email == email)
        )
        account.networks.append(db.session.get(Network, network_id))
        db.session.commit()


def _remove_link(client, url: str, email: str) -> str:
    link = re.search(
        rf'<a href="([^"]+)">Fjern<span class="visually-hidden"> {re.escape(email)}</span>',
        text(client.get(url)),
    )
    assert link is not None
    return link.group(1)


def test_removing_a_coordinator_asks_first_and_keeps_the_account(app, client, two):
    _add_coordinator(app, two.a_id, two.b_email)  # B's coordinator helps in A as well
    theirs = app.test_client()
    log_in(theirs, two.b_email)
    choose(theirs, two.a_id)
    log_in(client, two.a_email)
    url = coordinators_page(client)
    confirm_url = _remove_link(client, url, two.b_email)
    confirm = client.get(confirm_url)
    assert confirm.status_code == 200
    assert "Fjern en tovholder?" in text(confirm)
    with app.app_context():  # asking changed nothing
        assert len(db.session.get(Network, two.a_id).coordinators) == 2

    removed = post_form(client, confirm_url, "remove", {})
    assert removed.status_code == 303
    after = text(client.get(removed.location))
    assert f"{two.b_email} er ikke længere tovholder for netværket" in after
    assert f"<td>{two.b_email}</td>" not in after
    with app.app_context():
        account = db.session.scalar(
            select(CoordinatorAccount).where(CoordinatorAccount.email == two.b_email)
        )
        assert [n.id for n in account.networks] == [two.b_id]
    # Their session works on A no more: it falls back to their one network, B.
    assert "Netværk Nord" in text(theirs.get("/tovholder/"))
    assert theirs.get(f"/tovholder/afstemninger/{two.a_poll}").status_code == 404
    assert audit_rows(app, "remove-coordinator") == [(two.a_id, two.a_email, two.b_email)]


def test_the_last_coordinator_cannot_be_removed(app, client, two):
    log_in(client, two.a_email)
    url = coordinators_page(client)
    listed = text(client.get(url))
    assert ">Fjern<" not in listed
    assert "den sidste kan ikke fjernes" in listed
    with app.app_context():
        own = db.session.scalar(
            select(CoordinatorAccount.id).where(CoordinatorAccount.email == two.a_email)
        )
    refused = client.post(f"{url}/{own}/fjern")
    assert refused.status_code == 409
    assert "Et netværk skal have mindst én tovholder, og tovholder@test.dk er den sidste." in text(
        refused
    )
    with app.app_context():
        assert [a.email for a in db.session.get(Network, two.a_id).coordinators] == [two.a_email]
    assert client.get("/tovholder/").status_code == 200


def test_a_coordinator_of_another_network_cannot_be_removed_here(app, client, two):
    log_in(client, two.a_email)
    url = coordinators_page(client)
    with app.app_context():
        theirs = db.session.scalar(
            select(CoordinatorAccount.id).where(CoordinatorAccount.email == two.b_email)
        )
    for response in (client.get(f"{url}/{theirs}/fjern"), client.post(f"{url}/{theirs}/fjern")):
        assert response.status_code == 404
        assert "Denne tovholder findes ikke" in text(response)
    with app.app_context():
        assert len(db.session.get(Network, two.b_id).coordinators) == 1


def test_removing_yourself_leaves_that_network_for_your_other_one(app, client, shared):
    _add_coordinator(app, shared.a_id, shared.b_email)
    log_in(client, shared.a_email)
    choose(client, shared.a_id)
    url = coordinators_page(client)
    confirm_url = _remove_link(client, url, shared.a_email)
    assert "fjerne dig selv" in text(client.get(confirm_url))
    left = post_form(client, confirm_url, "remove", {})
    assert left.status_code == 303
    page = client.get(left.location)
    assert page.status_code == 200
    assert "Du er ikke længere tovholder for Netværk Syd." in text(page)
    assert "Netværk Nord" in text(page)
    assert client.get(f"/tovholder/afstemninger/{shared.a_poll}").status_code == 404


def test_removing_yourself_from_your_only_network_logs_you_out(app, client, two):
    _add_coordinator(app, two.a_id, two.b_email)
    log_in(client, two.a_email)
    confirm_url = _remove_link(client, coordinators_page(client), two.a_email)
    gone = post_form(client, confirm_url, "remove", {})
    assert gone.status_code == 303 and gone.location.endswith("/tovholder/login")
    login = text(client.get(gone.location))
    assert "Du er ikke længere tovholder for Netværk Syd." in login
    assert "Min konto" not in login
    assert client.get("/tovholder/").status_code == 302
    # Logging in again, the account coordinates nothing any more.
    log_in(client, two.a_email)
    refused = client.get("/tovholder/")
    assert refused.status_code == 403
    assert "koordinerer intet netværk" in text(refused)


def test_the_invitation_form_needs_its_csrf_token(app, two, smtp, strict):
    client = strict.test_client()
    login = form_fields(text(client.get("/tovholder/login")))
    client.post(
        "/tovholder/login",
        data=MultiDict(with_values(login, {"email": two.a_email, "password": PASSWORD})),
    )
    url = "/tovholder/netvaerk/tovholdere"
    bare = client.post(url, data={"email": "ny@example.dk"})
    assert bare.status_code == 400
    assert "sikkerhedstegn" in text(bare)
    assert smtp.messages() == []
    assert post_form(client, url, "invite", {"email": "ny@example.dk"}).status_code == 303
    assert len(smtp.messages()) == 1
    with strict.app_context():
        db.engine.dispose()
