"""30 members saving at once through two real server processes on PostgreSQL while the
coordinator removes days: every save that answered "Saved" is kept, and no answer is left under
a removed day (issue #9). Bounded in time: every request and every thread has a time-out."""

from __future__ import annotations

import http.cookiejar
import random
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from poll.db import db
from poll.models import Answer, CandidateDay, Response, Venue
from tests.conftest import fresh_postgres_database, make_app
from tests.factories import PASSWORD, make_network, record_answers
from tests.html_forms import form_fields, with_values

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 30
SAVES_EACH = 8
DAYS_REMOVED = 6
TIMEOUT = 30


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def opener(jar: http.cookiejar.CookieJar | None = None) -> urllib.request.OpenerDirector:
    handlers: list = [NoRedirect()]
    if jar is not None:
        handlers.append(urllib.request.HTTPCookieProcessor(jar))
    return urllib.request.build_opener(*handlers)


def request(client, url: str, fields=None) -> tuple[int, str]:
    data = None if fields is None else urllib.parse.urlencode(fields).encode()
    try:
        with client.open(url, data=data, timeout=TIMEOUT) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextmanager
def servers(url: str, count: int, log: Path) -> Iterator[list[str]]:
    """`count` server processes on the database; their log (errors with tracebacks) in `log`."""
    with log.open("w") as errors:
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.live_app", url],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
            for _ in range(count)
        ]
        try:
            yield [f"http://127.0.0.1:{p.stdout.readline().strip()}" for p in processes]
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
                process.stdout.close()


@pytest.fixture
def race_database(postgres_url) -> Iterator[str]:
    with fresh_postgres_database("modeplan_race") as url:
        yield url


def test_thirty_members_saving_while_the_coordinator_removes_days_lose_nothing(
    race_database, tmp_path
):
    app = make_app(race_database)
    keys = ["tovholder", *(f"m{i:02d}" for i in range(MEMBERS))]
    with app.app_context():
        upgrade()
        fx = make_network(member_keys=keys)
        days = {
            d.id: d.day.isoformat()
            for d in db.session.scalars(
                select(CandidateDay).where(CandidateDay.poll_id == fx.poll_id)
            )
        }
        venues = {
            v.id: v.key
            for v in db.session.scalars(select(Venue).where(Venue.network_id == fx.network_id))
        }
        for key in keys[1:]:
            record_answers(
                fx.poll_id,
                fx.member_ids[key],
                [
                    (date.fromisoformat(d), v, Answer.YES)
                    for d in days.values()
                    for v in venues.values()
                ],
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    removed = random.Random(9).sample(sorted(days), DAYS_REMOVED)
    acknowledged: dict[str, dict[tuple[str, str], str]] = {
        key: {(d, v): "yes" for d in days.values() for v in venues.values()} for key in keys[1:]
    }
    problems: list[str] = []

    def member(index: int, key: str, bases: list[str]) -> None:
        rng = random.Random(index)
        client = opener()
        path = f"/m/{fx.tokens[key]}/{fx.year}"
        for round_ in range(SAVES_EACH):
            base = bases[(index + round_) % len(bases)]
            status, html = request(client, base + path)
            if status != 200:
                problems.append(f"{key}: page answered {status}")
                return
            fields = form_fields(html, "answers")
            cells = sorted({name for name, _ in fields if name.startswith("a-")})
            changes = {name: rng.choice(["yes", "maybe", "no"]) for name in rng.sample(cells, 6)}
            status, _body = request(client, base + path, with_values(fields, changes))
            if status == 303:
                for name, value in changes.items():
                    _a, day_id, venue_id = name.split("-")
                    acknowledged[key][(days[int(day_id)], venues[int(venue_id)])] = value
            elif status != 400:  # 400: the page held a day removed meanwhile; nothing saved
                problems.append(f"{key}: save answered {status}")

    def coordinator(base: str) -> None:
        client = opener(http.cookiejar.CookieJar())
        status, _ = request(
            client, base + "/tovholder/login", {"email": fx.email, "password": PASSWORD}
        )
        if status not in (302, 303):
            problems.append(f"login answered {status}")
            return
        for day_id in removed:
            url = f"{base}/tovholder/afstemninger/{fx.poll_id}/dage/{day_id}/fjern"
            status, _ = request(client, url, {"confirm": days[day_id]})
            if status != 303:
                problems.append(f"removing day {days[day_id]} answered {status}")

    log = tmp_path / "servers.log"
    with servers(race_database, 2, log) as bases:
        threads = [
            threading.Thread(target=member, args=(i, key, bases), daemon=True)
            for i, key in enumerate(keys[1:])
        ]
        threads.append(threading.Thread(target=coordinator, args=(bases[0],), daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        assert not any(t.is_alive() for t in threads), "clients did not finish in time"

    tracebacks = [line for line in log.read_text().splitlines() if "Error" in line]
    assert problems == [], tracebacks[:5]
    gone = {days[d] for d in removed}
    with app.app_context():
        rows = {
            r.member_id: r.answers
            for r in db.session.scalars(select(Response).where(Response.poll_id == fx.poll_id))
        }
        remaining = set(
            db.session.scalars(select(CandidateDay.day).where(CandidateDay.poll_id == fx.poll_id))
        )
        db.session.remove()
        db.engine.dispose()
    assert {d.isoformat() for d in remaining} == set(days.values()) - gone
    lost = []
    for key in keys[1:]:
        answers = rows[fx.member_ids[key]]
        assert not gone & answers.keys(), f"{key} has answers under a removed day"
        for (day, venue), value in acknowledged[key].items():
            if day not in gone and answers.get(day, {}).get(venue) != value:
                lost.append((key, day, venue, value, answers.get(day, {}).get(venue)))
    assert lost == []
