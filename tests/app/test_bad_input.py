"""Malformed input never gives a 5xx: every route of app.url_map, logged in and not, with
malformed path values (ids past 2^31 and 2^63, negative, text, NUL, very long), malformed query
strings and forms whose every field holds NUL, line breaks, control characters or huge values;
then every form the pages show, filled in as shown, with one typed-in field at a time malformed
(so the value gets past the other fields' checks). Both engines. A new route is covered by
itself, since the routes are read from the URL map."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.policy import SMTP
from html.parser import HTMLParser
from urllib.parse import quote, urlsplit

import pytest
from flask import url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule
from wtforms import Form as WTForm
from wtforms import HiddenField, PasswordField, StringField

import poll.forms as poll_forms
import poll.mail_jobs as mail_jobs
import poll.views.plan as plan_views
from poll import accounts
from poll.auth import set_password
from poll.db import db
from poll.feeds import feed_token
from poll.guest_links import new_guest_token
from poll.mailer import build_message
from poll.models import (
    AgendaProposal,
    Guest,
    Meeting,
    Member,
    MessageLog,
    MessageStatus,
    Plan,
    Poll,
    SwapRequest,
    Venue,
)
from poll.plan_edits import pin_date_venue
from poll.text_checks import is_email
from tests.calendar.test_feeds_helpers import answer, make_year, publish_result
from tests.factories import PASSWORD, log_in
from tests.html_forms import form_fields

BAD_PATH_VALUES = [
    str(2**31),
    str(2**63),
    "-1",
    "x",
    "%00",
    "a%0Ab",
    "9" * 400,
    "a" * 3000,
]
BAD_FIELD_VALUES = [
    "\x00",
    "navn\r\nmed\tlinjeskift\x1b\x7f",
    str(2**63),
    "-1",
    "x" * 5000,
    "2027-02-30",
    "\u202e\ufeff%00",
]
# Field names the routes read that no page's form may show (POST-only routes, query strings).
COMMON_FIELDS = {
    "email", "password", "name", "key", "address", "organisation", "agenda", "comment",
    "year", "version", "date", "day", "venue", "role", "member", "old", "new", "meeting",
    "kind", "active", "confirm", "confirmed_days", "deadline", "action", "next", "download",
    "shortcut", "weeks", "cannot", "cannot_roles", "cannot_roles_shown", "per_meeting",
    "within", "conflicts", "meeting_start", "meeting_end", "lang", "members",
}  # fmt: skip
# Routes that change what later requests see; they run last.
LAST = ("coordinator.poll_close", "auth.logout")
ARGUMENT = re.compile(r"<(?:[^:<>]+:)?(\w+)>")


TEXT_INPUTS = {"text", "email", "search", "url", "tel", "hidden", "date", "time", "number", None}
FILLERS = {"email": "ny@example.dk", "date": "2027-03-01", "time": "10:00", "number": "1"}
# Forms the second pass leaves alone: they end the session, close the poll or replace the links
# the sweep goes on using, and they take no text (the route sweep covers them).
SKIP_FORMS = {
    *LAST,
    "coordinator.member_new_link",
    "feeds.replace_network_feed",
    "feeds.replace_member_feed",
}
FIELD_MUTATIONS = ["a\x00b", "a\r\nb\t\x1b", "x" * 5000]


@dataclass
class PageForm:
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)  # names a person types into
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _Forms(HTMLParser):
    """Every field name of a page, and its POST forms with the values a browser would send."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.names: set[str] = set()
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        name = a.get("name")
        if name:
            self.names.add(name)
        if tag == "form":
            post = (a.get("method") or "get").lower() == "post"
            self._form = PageForm(a.get("action") or self.page_url) if post else None
            if self._form:
                self.forms.append(self._form)
        form = self._form
        if form is None or not name:
            if tag == "option" and self._select:
                self._options.append((a.get("value") or "", "selected" in a))
            return
        kind = (a.get("type") or "").lower() or None
        if tag == "input" and kind in TEXT_INPUTS:
            value = a.get("value") or FILLERS.get(kind or "", "")
            if not value and kind not in ("hidden", "date"):
                value = {"key": "ny1", "email": "ny@example.dk"}.get(name.rsplit("-", 1)[-1], "Ny")
            form.fields.append((name, value))
            form.text.append(name)
        elif tag == "input" and kind in ("checkbox", "radio") and "checked" in a:
            form.fields.append((name, a.get("value") or "on"))
        elif tag == "button" or (tag == "input" and kind == "submit"):
            form.buttons.append((name, a.get("value") or ""))
        elif tag == "textarea":
            self._textarea = name
            form.fields.append((name, ""))
            form.text.append(name)
        elif tag == "select":
            self._select, self._options = name, []

    def handle_data(self, data) -> None:
        if self._textarea and self._form and self._form.fields:
            name, value = self._form.fields[-1]
            self._form.fields[-1] = (name, value + data)

    def handle_endtag(self, tag) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _selected in self._options[:1]
            ]
            if self._form is not None:
                self._form.fields += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "form":
            self._form = None


def parse_page(url: str, html: str) -> _Forms:
    parser = _Forms(url)
    parser.feed(html)
    return parser


@pytest.fixture
def world(app, tmp_path, monkeypatch):
    """A network with answers, a published plan, a pin, a logged message and a mail batch; the
    real value of every kind of path argument."""
    app.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    # A solve or a mail batch would start a thread that outlives the test; the routes still run.
    for views in (plan_views, mail_jobs):
        monkeypatch.setattr(views, "start_in_thread", lambda *args, **kwargs: None)
    with app.app_context():
        fx = make_year()
        answer(fx.poll_id, list(fx.member_ids.values()))
        publish_result(fx.poll_id)
        poll = db.session.get(Poll, fx.poll_id)
        m1 = next(m for m in poll.meetings if m.key == "m1")
        pin = pin_date_venue(poll, db.session.get(Meeting, m1.id), None, "odense")
        sara = db.session.get(Member, fx.member_ids["sara"])
        feed = feed_token(sara)
        message = MessageLog(
            network_id=fx.network_id,
            member_id=fx.member_ids["maria"],
            kind="invitation/2027",
            recipient="maria@example.dk",
            subject="Invitation",
            raw=b"",
            status=MessageStatus.FAILED,
            error="",
        )
        db.session.add(message)
        proposal = AgendaProposal(meeting_id=m1.id, member_id=fx.member_ids["kis"], title="Budget")
        db.session.add(proposal)
        db.session.commit()
        swap = SwapRequest(  # maria cannot take the notes at m1 after all
            poll_id=poll.id,
            meeting_id=m1.id,
            role_id=next(r.id for r in poll.network.roles if r.key == "notes"),
            member_id=fx.member_ids["maria"],
            plan_id=db.session.scalars(select(Plan.id)).one(),
            candidates=[],
            explanations={},
            declined=[],
        )
        db.session.add(swap)
        guest = Guest(meeting_id=m1.id, name="Gitte", email="gitte@example.dk")
        fx.tokens["guest"] = new_guest_token(guest)
        db.session.add(guest)
        db.session.commit()
        network = poll.network
        values = {
            "year": "2027",
            "key": "m1",
            "poll_id": str(poll.id),
            "day_id": str(poll.days[0].id),
            "venue_id": str(network.venues[0].id),
            "role_id": str(network.roles[0].id),
            # Not the coordinator's member: editing, deactivating or new links leave sara's
            # personal link and feed (used below) working.
            "member_id": str(fx.member_ids["maria"]),
            "pin_id": str(pin.id),
            "message_id": str(message.id),
            "proposal_id": str(proposal.id),
            "network_id": str(fx.network_id),
            "filename": "style.css",
            # The network's only coordinator: removing them is refused, so the sweep stays in.
            "account_id": str(network.coordinators[0].id),
            "swap_id": str(swap.id),
            "guest_id": str(guest.id),
        }
    # A mail batch (the plan), started as the coordinator starts one; its page's address names it.
    client = app.test_client()
    log_in(client, fx)
    with app.test_request_context():
        plan_mail = url_for("messages.plan", year=2027, mode="plan")
    shown = client.get(plan_mail)
    assert shown.status_code == 200, shown.get_data(as_text=True)
    fields = form_fields(shown.get_data(as_text=True), "confirm-send")
    started = client.post(plan_mail, data=MultiDict(fields))
    assert started.status_code == 303, started.get_data(as_text=True)
    values["job_id"] = started.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    return fx, values, feed


def _token(rule: Rule, fx, feed: str) -> str:
    if rule.endpoint.startswith("guests."):
        return fx.tokens["guest"]
    return feed if rule.endpoint.startswith("feeds.") else fx.tokens["sara"]


def _path(rule: Rule, values: dict[str, str]) -> str:
    return ARGUMENT.sub(lambda m: values[m.group(1)], rule.rule)


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods & {"GET", "POST"})


def _check(failures: list[str], response, method: str, url: str, what: str) -> None:
    if response.status_code >= 500:
        failures.append(f"{response.status_code} {method} {url[:100]} {what}")


def _sweep_rule(client, rule: Rule, real: dict[str, str], failures, forms) -> None:
    """The rule with real path values and malformed fields, then each path value malformed."""
    real_path = _path(rule, real)
    names = set(COMMON_FIELDS)
    if "GET" in rule.methods:
        page = client.get(real_path)
        _check(failures, page, "GET", real_path, "(real values)")
        if page.mimetype == "text/html":
            parsed = parse_page(real_path, page.get_data(as_text=True))
            names |= parsed.names
            forms += parsed.forms
    for bad in BAD_FIELD_VALUES:
        query = "?" + "&".join(f"{quote(n)}={quote(bad)}" for n in sorted(names))
        for method in _methods(rule):
            url = real_path + query
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={name: bad for name in names})
            _check(failures, response, method, url, f"every field={bad[:20]!r}")
    for argument in sorted(rule.arguments):
        for bad in BAD_PATH_VALUES:
            url = _path(rule, {**real, argument: bad})
            for method in _methods(rule):
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, data={n: "\x00" for n in names})
                _check(failures, response, method, url, f"{argument}={bad[:20]!r}")


def _sweep_form(client, app, form: PageForm, failures) -> str | None:
    """A form as the page shows it, with one typed-in field at a time malformed; its endpoint."""
    path = urlsplit(form.action).path
    try:
        endpoint, _args = app.url_map.bind("modeplan.test").match(path, method="POST")
    except HTTPException:
        return None
    if endpoint in SKIP_FORMS or not form.text:
        return None
    buttons = [b for b in form.buttons if b[0]]
    button = next((b for b in buttons if b[1] == "save"), buttons[0] if buttons else None)
    base = [*form.fields, *([button] if button else [])]
    for name in form.text:
        for bad in FIELD_MUTATIONS:
            data = MultiDict([(n, bad if n == name else v) for n, v in base])
            response = client.post(form.action, data=data)
            _check(failures, response, "POST", form.action, f"{name}={bad[:20]!r}")
    return endpoint


def _sweep(client, app, fx, values, feed) -> tuple[list[str], set[str]]:
    """The server errors, and the endpoints whose forms were posted field by field."""
    failures: list[str] = []
    posted: set[str] = set()
    forms: list[PageForm] = []
    rules = list(app.url_map.iter_rules())
    last = sorted((r for r in rules if r.endpoint in LAST), key=lambda r: LAST.index(r.endpoint))
    for rule in (r for r in rules if r.endpoint not in LAST):
        _sweep_rule(client, rule, {**values, "token": _token(rule, fx, feed)}, failures, forms)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    for form in forms:
        if (form.action, tuple(form.text)) not in seen:
            seen.add((form.action, tuple(form.text)))
            posted.add(_sweep_form(client, app, form, failures))
    for rule in last:
        _sweep_rule(client, rule, {**values, "token": _token(rule, fx, feed)}, failures, forms)
    return failures, posted


def test_no_route_answers_malformed_input_with_a_server_error(app, world):
    fx, values, feed = world
    logged_in = app.test_client()
    log_in(logged_in, fx)
    # Logged out first: the logged-in sweep ends by closing the poll and logging out, and the
    # session made above outlasts the failed logins the logged-out sweep makes.
    failures, logged_out_posted = _sweep(app.test_client(), app, fx, values, feed)
    logged_in_failures, posted = _sweep(logged_in, app, fx, values, feed)
    failures += logged_in_failures
    # Last, as a site administrator: the sweep archives the network, closing its links.
    with app.app_context():
        admin = accounts.create_admin("admin@modeplan.dk")
        set_password(admin.account, PASSWORD)
        db.session.commit()
    as_admin = app.test_client()
    as_admin.post("/tovholder/login", data={"email": "admin@modeplan.dk", "password": PASSWORD})
    admin_failures, admin_posted = _sweep(as_admin, app, fx, values, feed)
    failures += admin_failures
    assert {"admin.new_network", "admin.delete"} <= admin_posted
    # The forms were found and posted field by field (the parser did not come back empty).
    assert {
        "coordinator.network_settings",
        "coordinator.venues",
        "coordinator.venue_edit",
        "coordinator.member_new",
        "coordinator.member_edit",
        "coordinator.role_new",
        "coordinator.poll_edit",
        "meeting.coordinator_page",
        "meeting.member_page",
        "member.answer_year",
        "coordinator.coordinators",
        "account.forgot_password",
    } <= posted
    assert {
        "auth.login",
        "account.forgot_password",
        "meeting.member_page",
        "member.answer_year",
    } <= logged_out_posted
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)


def test_every_route_is_swept(app):
    """The sweep reads the URL map, so it knows every route; each argument has a real value."""
    known = {"year", "key", "poll_id", "day_id", "venue_id", "role_id", "member_id", "pin_id"}
    known |= {"message_id", "job_id", "filename", "token", "account_id", "network_id"}
    known |= {"proposal_id", "swap_id", "guest_id"}
    arguments = {a for rule in app.url_map.iter_rules() for a in rule.arguments}
    assert arguments <= known, f"give the sweep a real value for {arguments - known}"


# -- the checks the sweep stands on, one by one -------------------------------------------------


@pytest.fixture
def published(app, client):
    with app.app_context():
        fx = make_year()
        publish_result(fx.poll_id)
    log_in(client, fx)
    return fx


def _agenda(app, poll_id: int) -> str | None:
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        return next(m.agenda for m in poll.meetings if m.key == "m1")


@pytest.mark.parametrize("page", ["coordinator", "member"])
def test_the_agenda_refuses_control_characters_but_keeps_line_breaks(app, client, published, page):
    fx = published
    url = (
        "/tovholder/plan/2027/moede/m1"
        if page == "coordinator"
        else f"/m/{fx.tokens['sara']}/moede/2027/m1"
    )
    saved = client.post(url, data={"agenda": "Velkomst\r\n\tBudget\nEventuelt"})
    assert saved.status_code == 303
    assert _agenda(app, fx.poll_id) == "Velkomst\nBudget\nEventuelt"
    for bad in ["Velkomst\x00", "Velkomst\nBudget\x1b[31m", "Velkomst\x7f"]:
        response = client.post(url, data={"agenda": bad})
        assert response.status_code == 400, repr(bad)
        page_text = response.get_data(as_text=True)
        assert "Dagsorden: fjern de usynlige kontroltegn." in page_text
        assert _agenda(app, fx.poll_id) == "Velkomst\nBudget\nEventuelt"
    shown = client.post(url, data={"agenda": "Velkomst\nBudget\x1b"})
    assert "Velkomst\nBudget\x1b</textarea>" in shown.get_data(as_text=True)  # shown again


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64 + 1, 10**40])
def test_ids_and_years_past_the_database_range_are_not_found(app, client, published, number):
    token = published.tokens["sara"]
    for url in [
        f"/tovholder/moedesteder/{number}",
        f"/tovholder/medlemmer/{number}",
        f"/tovholder/afstemninger/{number}",
        f"/tovholder/plan/{number}",
        f"/tovholder/plan/{number}/moede/m1",
        f"/m/{token}/{number}",
        f"/m/{token}/moede/{number}/m1",
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/tovholder/roller/{number}/slet").status_code == 404


def test_the_largest_database_id_is_still_a_valid_address(app, client, published):
    assert client.get(f"/tovholder/moedesteder/{2**31 - 1}").status_code == 404
    with app.app_context():
        venue_id = db.session.get(Poll, published.poll_id).network.venues[0].id
    assert client.get(f"/tovholder/moedesteder/{venue_id}").status_code == 200


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("berit@example.dk", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("jens@ærø-bibliotek.dk", True),
        ("a,b@example.dk", False),
        ("a b@example.dk", False),
        ("ab.example.dk", False),
        ("a@b@example.dk", False),
        ("a@example", False),
        ("a@example.dk\r\nBcc: x@evil.example", False),
        ("a@example.dk\n", False),
        ("<a@example.dk>", False),
        ('"a b"@example.dk', False),
        ("Berit <berit@example.dk>", False),
        ("a..b@example.dk", False),
        ("x" * 250 + "@example.dk", False),
    ],
)
def test_the_mailer_refuses_what_the_forms_and_the_import_refuse(address, valid):
    """One check: the mailer builds a message exactly for the addresses the member form and
    the CSV import accept (those two are tested through their pages)."""
    assert is_email(address) is valid

    def build():
        return build_message(
            sender="Mødeplan <noreply@example.dk>",
            to=("Berit", address),
            subject="Invitation",
            text="Hej",
        )

    if valid:
        assert build()["To"].addresses[0].addr_spec == address
    else:
        with pytest.raises(ValueError, match="not a valid e-mail address"):
            build()


def test_a_name_stored_with_a_line_break_still_gets_its_mail():
    message = build_message(
        sender="Mødeplan <noreply@example.dk>",
        to=("Berit\r\nÆrø\x00", "berit@example.dk"),
        subject="Invitation",
        text="Hej",
    )
    assert str(message["To"]) == "Berit Ærø <berit@example.dk>"
    headers = message.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(re.match(rb"[A-Za-z-]+: |[ \t]", line) for line in headers), headers


def _typed_fields(form):
    """The fields of a form (rows of a list too) that a person types one line of text into."""
    for f in form:
        if f.type == "FieldList":
            for entry in f:
                yield from _typed_fields(entry.form)
        elif isinstance(f, StringField) and not isinstance(f, HiddenField | PasswordField):
            yield f


def test_every_text_field_of_every_form_refuses_control_characters(app):
    """A field added to any form later is held to the same rule."""
    classes = [
        c
        for c in vars(poll_forms).values()
        if isinstance(c, type) and issubclass(c, WTForm) and c.__module__ == poll_forms.__name__
    ]
    checked = set()
    with app.test_request_context("/", method="POST"):
        for form_class in classes:
            names = [f.name for f in _typed_fields(form_class(formdata=None))]
            form = form_class(formdata=MultiDict({name: "Ny\x00linje" for name in names}))
            form.validate()
            for f in _typed_fields(form):
                assert any("kontroltegn" in str(e) for e in f.errors), (form_class, f.name)
                checked.add(f"{form_class.__name__}.{f.short_name}")
    assert {"VenueForm.address", "MemberForm.email", "MeetingRowForm.weeks"} <= checked


@pytest.mark.parametrize("value", [2**63, 2**31, "Nul\x00"])
def test_a_value_the_database_cannot_hold_is_a_clear_400_not_a_500(app, value):
    """The safety net behind the converters and the forms: a value that reaches the database
    all the same (PostgreSQL: integer out of range, NUL in text; SQLite: past 2^63)."""

    def lookup():
        if isinstance(value, int):
            db.session.get(Venue, value)
        else:
            db.session.scalar(select(Venue).where(Venue.name == value))
        return "found nothing"

    app.add_url_rule("/test/lookup", "test_lookup", lookup)
    client = app.test_client()
    response = client.get("/test/lookup")
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    if sqlite and value != 2**63:  # SQLite holds 2^31 and NUL; PostgreSQL neither
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert "En værdi i forespørgslen kan ikke bruges." in response.get_data(as_text=True)
    assert client.get("/tovholder/login").status_code == 200  # the next request is served
