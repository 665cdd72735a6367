"""Words a coordinator or a member reads: no command names, file formats or solver terms, one
way to write a meeting's hours, "udgiv" for publishing, minimum attendance as a percentage, and
the plan's sentences in the reader's language (issue 12, point 5)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from poll.db import db
from poll.demo import init_demo
from poll.filenames import network_stem, safe_name
from poll.i18n import meeting_hours
from poll.models import Answer, Network, Poll
from tests.factories import log_in, make_network
from tests.planning.test_plan_page import MEMBERS, answer_all, solve

# Words that belong to the command line, the file formats or the solver, not to a page.
JARGON = re.compile(
    r"flask|\bCLI\b|JSON|\bICS\b|CSV|outbox|solver|CP-SAT|optimal|bevist|objective|instance"
    r"|benchmark|\bslug|token|offentligg",
    re.IGNORECASE,
)
# A file format may name the file a link downloads (or a file field takes), in parentheses;
# and Excel's own name for the way to save a file, in quotes, tells the coordinator what to pick.
DOWNLOAD_LABEL = re.compile(r"\((?:JSON|CSV|\.ics)(?: (?:til|for) Excel)?\)")
EXCEL_OPTION = re.compile(r"'CSV UTF-8(?: \([^)']*\))?'")
URL = re.compile(r"\b(?:https?|webcal)://\S+")


class _Text(HTMLParser):
    """The visible text of a page, in chunks, each marked whether it labels a link or a field."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[tuple[str, bool]] = []
        self._hidden = 0
        self._links = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self._hidden += 1
        elif tag in ("a", "label"):
            self._links += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self._hidden -= 1
        elif tag in ("a", "label"):
            self._links = max(0, self._links - 1)

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.chunks.append((data, self._links > 0))


def jargon(html: str) -> list[str]:
    """The jargon in a page's visible text; a format in parentheses is allowed in a link's or
    a field's label."""
    parser = _Text()
    parser.feed(html)
    found = []
    for chunk, in_link in parser.chunks:
        text = EXCEL_OPTION.sub("", URL.sub("", chunk))
        if in_link:
            text = DOWNLOAD_LABEL.sub("", text)
        found += [f"{m.group(0)!r} in {chunk.strip()!r}" for m in JARGON.finditer(text)]
    return found


def visible(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(chunk.split()) for chunk, _ in parser.chunks)


def page(client, url: str, lang: str) -> str:
    sep = "&" if "?" in url else "?"
    response = client.get(f"{url}{sep}lang={lang}")
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


# -- the one way to write a meeting's hours ------------------------------------------------


@pytest.mark.parametrize(("lang", "expected"), [("da", "kl. 10.00–15.00"), ("en", "10:00–15:00")])
def test_meeting_hours_in_each_language(app, lang, expected):
    with app.test_request_context(), force_locale(lang):
        assert meeting_hours(time(10), time(15)) == expected
        zone = ZoneInfo("Europe/Copenhagen")
        start = datetime(2027, 3, 2, 10, 0, tzinfo=zone)
        end = datetime(2027, 3, 2, 15, 0, tzinfo=zone)
        assert meeting_hours(start, end) == expected  # read in its own zone, never moved


def test_meeting_hours_keep_minutes(app):
    with app.test_request_context():
        with force_locale("da"):
            assert meeting_hours(time(9, 30), time(14, 5)) == "kl. 09.30–14.05"
        with force_locale("en"):
            assert meeting_hours(time(9, 30), time(14, 5)) == "09:30–14:05"


# -- file names from the network's name ----------------------------------------------------


def test_file_names_come_from_the_networks_name():
    assert safe_name("Netværk for læring og formidling") == "netvaerk-for-laering-og-formidling"
    assert safe_name("Østjysk Å-gruppe, 2027!") == "oestjysk-aa-gruppe-2027"
    assert safe_name("***", fallback="vest") == "vest"
    assert network_stem(Network(slug="benchmark", name="Læsekredsen")) == "laesekredsen"


# -- the coordinator's and member's pages, in both languages --------------------------------


@pytest.fixture
def published(app):
    """A logged-in client and a network whose plan for 2027 is published."""
    with app.app_context():
        fx = make_network(MEMBERS)
        answer_all(db.session.get(Poll, fx.poll_id))
    client = app.test_client()
    log_in(client, fx)
    assert solve(client)["status"] == "done"
    response = client.post("/tovholder/plan/2027/publish", data={"version": "1"})
    assert response.status_code == 303
    return client, fx


@pytest.mark.parametrize(
    ("lang", "hours", "words", "gone"),
    [
        (
            "da",
            "kl. 10.00–15.00",
            ["Hent data til andre programmer (JSON)", "den bedst mulige plan"],
            ["datagrundlag", "bevist", "10:00–15:00"],
        ),
        (
            "en",
            "10:00–15:00",
            ["Download data for other programs (JSON)", "the best possible plan"],
            ["plan instance", "proven best", "kl."],
        ),
    ],
)
def test_plan_page_words(published, lang, hours, words, gone):
    client, _fx = published
    html = page(client, "/tovholder/plan/2027", lang)
    text = visible(html)
    assert hours in text
    for word in words:
        assert word in text
    for word in gone:
        assert word not in text
    assert jargon(html) == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("da", "Send den udgivne plan"),
        ("en", "Send the published plan"),
    ],
)
def test_published_plan_is_udgivet(published, lang, expected):
    client, _fx = published
    assert expected in visible(page(client, "/tovholder/beskeder", lang))
    assert expected in visible(page(client, "/tovholder/plan/2027", lang))


@pytest.mark.parametrize(
    ("lang", "label", "hint"),
    [
        (
            "da",
            "Mindste fremmøde (procent af medlemmerne)",
            "Fx 50: mindst halvdelen af medlemmerne skal kunne komme til hvert møde.",
        ),
        (
            "en",
            "Minimum attendance (percent of the members)",
            "For example 50: at least half of the members must be able to come to every meeting.",
        ),
    ],
)
def test_poll_form_asks_for_minimum_attendance_as_a_percentage(published, lang, label, hint):
    client, fx = published
    html = page(client, f"/tovholder/afstemninger/{fx.poll_id}/rediger", lang)
    text = visible(html)
    assert label in text and hint in text
    assert 'name="min_attendance" type="text" value="50"' in html
    assert "0,5" not in text
    assert jargon(html) == []


def test_minimum_attendance_is_stored_as_a_share(published, app):
    client, fx = published
    html = page(client, f"/tovholder/afstemninger/{fx.poll_id}/rediger", "da")
    form = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', html))
    form.update(min_attendance="75 %", action="save")
    form["weekdays"] = ["0", "1", "2", "3", "4"]
    client.post(f"/tovholder/afstemninger/{fx.poll_id}/rediger", data=form)
    with app.app_context():
        assert db.session.get(Poll, fx.poll_id).min_attendance == 0.75
    html = page(client, f"/tovholder/afstemninger/{fx.poll_id}/rediger", "da")
    assert 'name="min_attendance" type="text" value="75"' in html


@pytest.mark.parametrize(
    ("lang", "expected", "gone"),
    [
        ("da", "Et par dage før fristen får de, der ikke har svaret, en påmindelse", "flask"),
        ("en", "A few days before the deadline, those who have not answered get a", "flask"),
    ],
)
def test_messages_page_names_no_command(app, lang, expected, gone):
    with app.app_context():
        fx = make_network(MEMBERS)
        db.session.get(Poll, fx.poll_id).deadline = date(2027, 1, 15)
        db.session.commit()
    client = app.test_client()
    log_in(client, fx)
    html = page(client, "/tovholder/beskeder", lang)
    assert expected in visible(html)
    assert gone not in html.lower()
    assert jargon(html) == []


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("da", "Importér medlemmer fra et regneark"),
        ("en", "Import members from a spreadsheet"),
    ],
)
def test_member_import_page_speaks_of_a_spreadsheet(app, lang, heading):
    with app.app_context():
        fx = make_network(MEMBERS)
    client = app.test_client()
    log_in(client, fx)
    html = page(client, "/tovholder/medlemmer/import", lang)
    text = visible(html)
    assert heading in text
    assert "CSV-fil" not in text and "CSV file" not in text
    assert jargon(html) == []


@pytest.mark.parametrize(
    ("lang", "hours", "other"), [("da", "kl. 10.00–15.00", "10:00"), ("en", "10:00–15:00", "kl.")]
)
def test_member_and_dashboard_show_hours_one_way(published, app, lang, hours, other):
    client, fx = published
    dashboard = visible(page(client, "/tovholder/", lang))
    assert hours in dashboard and other not in dashboard
    member = app.test_client()
    html = page(member, f"/m/{fx.tokens['henrik']}", lang)
    text = visible(html)
    assert hours in text
    assert other not in text
    label = "Føj til kalenderen (.ics)" if lang == "da" else "Add to calendar (.ics)"
    assert label in text
    assert jargon(html) == []


def test_downloads_are_named_after_the_network(published):
    client, _fx = published
    for url, name in [
        ("/tovholder/kalender/2027.ics", "testnetvaerk-2027.ics"),
        ("/tovholder/kalender/2027.ics?member=henrik", "testnetvaerk-2027-henrik.ics"),
        ("/tovholder/eksport/2027/svar.csv", "testnetvaerk-2027-svar.csv"),
        ("/tovholder/plan/2027/instance.json", "testnetvaerk-2027-data.json"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'filename="{name}"' in response.headers["Content-Disposition"]


# -- the plan's sentences in the reader's language -------------------------------------------


def test_english_plan_page_shows_english_give_up_sentences(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        poll = db.session.get(Poll, fx.poll_id)
        answer_all(poll)
        answer_all(poll, value=Answer.NO, only=("kis",))
    client = app.test_client()
    log_in(client, fx)
    client.get("/tovholder/?lang=da")
    assert solve(client)["status"] == "done"  # planned by a Danish page
    danish = visible(page(client, "/tovholder/plan/2027", "da"))
    assert "Kis kan ikke komme." in danish
    english = visible(page(client, "/tovholder/plan/2027", "en"))
    assert "Kis cannot come." in english
    assert "kan ikke komme" not in english


def test_a_plan_stored_before_both_languages_shows_its_own(app):
    """A plan stored with only `explanation` (before `explanations`) still shows it."""
    from poll.i18n import explanation

    with app.test_request_context(), force_locale("en"):
        assert explanation({"explanation": ["Kis kan ikke komme."]}) == ["Kis kan ikke komme."]
        assert explanation(
            {"explanation": ["Kis kan ikke komme."], "explanations": {"en": ["Kis cannot come."]}}
        ) == ["Kis cannot come."]
        assert explanation(None) == []


# -- a walk through a published network -----------------------------------------------------

SKIP = re.compile(r"\.(?:ics|csv|json)$|/log-ud|/logout|mine-oplysninger|/admin|/privatliv")


def _walk(client, start: str, inside: str, lang: str, limit: int = 60) -> dict[str, list[str]]:
    """Follow the same-site links under `inside` from `start`; the jargon on each page."""
    seen: set[str] = set()
    todo = [start]
    found: dict[str, list[str]] = {}
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        if words := jargon(html):
            found[url] = words
        for href in re.findall(r'href="([^"#]+)', html):
            parts = urlsplit(href.replace("&amp;", "&"))
            if parts.netloc or "lang=" in parts.query or SKIP.search(parts.path):
                continue
            if parts.path.startswith(inside):
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    assert len(seen) > 1, f"the walk from {start} found no page to follow"
    return found


@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_jargon_on_the_pages_of_a_published_demo_network(app, lang):
    with app.app_context():
        login = init_demo()
        links = {member.key: token for member, token in login.links}
    result = app.test_cli_runner().invoke(args=["plan-year", "benchmark", "2027", "--publish"])
    assert result.exit_code == 0, result.output

    coordinator = app.test_client()
    coordinator.get(f"/?lang={lang}")
    response = coordinator.post(
        "/tovholder/login", data={"email": login.email, "password": login.password}
    )
    assert response.status_code in (302, 303)
    assert _walk(coordinator, "/tovholder/", "/tovholder/", lang) == {}

    member = app.test_client()
    member.get(f"/?lang={lang}")
    token = next(iter(links.values()))
    assert _walk(member, f"/m/{token}", f"/m/{token}", lang) == {}


def test_an_erased_member_is_former_in_each_languages_sentences(app):
    with app.app_context():
        fx = make_network(MEMBERS)
        poll = db.session.get(Poll, fx.poll_id)
        answer_all(poll)
        answer_all(poll, value=Answer.NO, only=("kis",))
    client = app.test_client()
    log_in(client, fx)
    assert solve(client)["status"] == "done"
    url = f"/tovholder/medlemmer/{fx.member_ids['kis']}/slet-personoplysninger"
    assert client.post(url, data={"confirm": str(fx.member_ids["kis"])}).status_code == 303
    danish = visible(page(client, "/tovholder/plan/2027", "da"))
    assert "tidligere medlem kan ikke komme." in danish and "Kis" not in danish
    english = visible(page(client, "/tovholder/plan/2027", "en"))
    assert "former member cannot come." in english and "Kis" not in english
