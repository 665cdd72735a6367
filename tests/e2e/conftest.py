"""Browser tests: the app served on 127.0.0.1 in a thread, driven by Playwright in Debian's
Chromium (/usr/bin/chromium; never downloaded). Fixtures here are for every e2e test:

    live_server      the app on a session-wide SQLite file, with a seeded network (see LiveServer)
    member_link      a new member of that network with no answers yet: the path of their link
    page             pytest-playwright's page (Chromium, da-DK, Europe/Copenhagen, base_url set)
    axe_violations   axe_violations(page) -> the serious and critical axe-core violations;
                     wcag_violations(page) -> every WCAG 2.1 A/AA violation, of any impact

Mark test modules `pytestmark = pytest.mark.e2e`. Without /usr/bin/chromium the tests skip with
the reason; with CI=true they fail instead.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import make_server

from poll.db import db
from poll.members import add_member
from poll.models import Answer, CandidateDay, Network, Venue
from tests.conftest import make_app
from tests.factories import Fixture, make_network, record_answers

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SERIOUS = ("serious", "critical")


@dataclass
class LiveServer:
    """The running app: its base URL, the Flask app (for `with app.app_context():`) and the
    seeded network (tests.factories.Fixture: member tokens, coordinator e-mail; the password is
    tests.factories.PASSWORD). Sara has answered Ja everywhere, Maria Hvis nødvendigt in week 9."""

    url: str
    app: Flask
    network: Fixture

    def member_path(self, key: str = "henrik", year: int | None = None) -> str:
        return f"/m/{self.network.tokens[key]}" + (f"/{year}" if year else "")


def _seed_answers(fx: Fixture) -> None:
    days = db.session.scalars(select_days(fx.poll_id)).all()
    venues = db.session.scalars(db.select(Venue).where(Venue.network_id == fx.network_id)).all()
    cells = [(day.day, venue.key) for day in days for venue in venues]
    record_answers(fx.poll_id, fx.member_ids["sara"], [(*c, Answer.YES) for c in cells])
    week_9 = [(d, v, Answer.MAYBE) for d, v in cells if d.isocalendar().week == 9]
    record_answers(fx.poll_id, fx.member_ids["maria"], week_9)
    db.session.commit()


def select_days(poll_id: int):
    return db.select(CandidateDay).where(CandidateDay.poll_id == poll_id)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The app (CSRF on) on a migrated SQLite file, served by werkzeug on a free local port."""
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'e2e.sqlite3'}"
    # Mails (no MAIL_HOST) are written to a folder of the test's own, never the checkout's.
    app = make_app(url, SERVER_NAME=None, WTF_CSRF_ENABLED=True, MAIL_OUTBOX=folder / "outbox")
    with app.app_context():
        upgrade()
        fx = make_network()
        _seed_answers(fx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Mails link to where the app is served, so a test can follow them.
    app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live_server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, fx)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


_numbers = itertools.count(1)


@pytest.fixture
def member_link(live_server) -> str:
    """A new member of the seeded network, so each test starts with no answers: their link."""
    n = next(_numbers)
    with live_server.app.app_context():
        network = db.session.get(Network, live_server.network.network_id)
        _member, token = add_member(network, key=f"e2e{n}", name=f"Testperson {n}")
        db.session.commit()
    return f"/m/{token}"


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """pytest-playwright's base URL (relative page.goto), overriding its deprecated fallback."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args) -> dict:
    """Debian's Chromium, never a download: skip without it (fail under CI=true)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true: browser tests may not skip")
        pytest.skip(reason)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args) -> dict:
    """Danish users: da-DK and Copenhagen time in every context."""
    return {**browser_context_args, "locale": "da-DK", "timezone_id": "Europe/Copenhagen"}


WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def axe_violations() -> Callable[..., list[dict]]:
    """axe_violations(page, context=None, tags=None, impacts=SERIOUS) -> the violations found
    by axe-core (offline): by default every rule, serious and critical ones only; `tags` runs
    only the rules with those tags, `impacts=None` keeps every impact."""
    axe = Axe()

    def run(
        page, context=None, tags: list[str] | None = None, impacts: tuple[str, ...] | None = SERIOUS
    ) -> list[dict]:
        options: dict = {"resultTypes": ["violations"]}
        if tags:
            options["runOnly"] = {"type": "tag", "values": tags}
        results = axe.run(page, context=context, options=options)
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [n["target"] for n in v["nodes"]],
            }
            for v in results.response["violations"]
            if impacts is None or v.get("impact") in impacts
        ]

    return run


@pytest.fixture(scope="session")
def wcag_violations(axe_violations) -> Callable[..., list[dict]]:
    """wcag_violations(page) -> every violation of WCAG 2.0/2.1 level A and AA, of any impact
    (minor and moderate too): the bar of the accessibility statement."""
    return lambda page, context=None: axe_violations(page, context, tags=WCAG_21_AA, impacts=None)
