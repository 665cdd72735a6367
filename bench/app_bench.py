"""Server time of the member page (render, save) and the coordinator's overview.

A poll with 60 members, 46 candidate days and 2 venues, every member answered; the app runs
in-process through Flask's test client, so the time is the server's alone (no network).
Target (issue #2): median ≤ 50 ms each. Runs on SQLite, and on PostgreSQL when one answers.

    .venv/bin/python bench/app_bench.py [--runs 40] [--clock wall|cpu]

--clock cpu times the app's own CPU (time.process_time, the database server's excluded): the
stable figure on a busy machine, where wall time follows whatever else runs. A second table
gives, for every request, the SQL statements it sent and its app CPU ms (median), whatever
--clock says (issue #14: a save at most 7 statements, app CPU at most 6 ms; the member page at
most 50 KB of HTML, app CPU at most 8 ms; the coordinator's overview app CPU at most 12 ms).
"""

import argparse
import random
import statistics
import time
from datetime import date

import sqlalchemy as sa
from engines import postgres_url, sqlite_url
from flask_migrate import upgrade

from poll import create_app
from poll.answers import cell_field
from poll.auth import set_password
from poll.days import Window
from poll.db import db
from poll.members import add_member
from poll.models import Answer, CoordinatorAccount, Network, Response
from poll.network_admin import default_roles, default_venues
from poll.poll_admin import MeetingDraft, PollRules, create_poll

TARGET_MS = 50.0
MEMBERS, DAYS, VENUES = 60, 46, 2


def seed() -> tuple[str, int]:
    """The network; returns one member's token and the poll id."""
    rng = random.Random(2027)
    network = Network(slug="bench", name="Benchmark")
    db.session.add(network)
    default_venues(network)
    default_roles(network)
    tokens = []
    for i in range(MEMBERS):
        _member, token = add_member(
            network,
            key=f"m{i:02d}",
            name=f"Medlem {i}",
            email=f"m{i}@example.dk",
            is_coordinator=i == 0,
        )
        tokens.append(token)
    account = CoordinatorAccount(networks=[network], email="bench@example.dk", name="Bench")
    set_password(account, "bench-password")
    db.session.add(account)
    db.session.flush()
    # Three windows of whole weekdays in 2027 that give 46 candidate days together.
    windows = [
        Window(date(2027, 3, 1), date(2027, 3, 26)),
        Window(date(2027, 6, 1), date(2027, 6, 24)),
        Window(date(2027, 11, 29), date(2027, 12, 10)),
    ]
    poll = create_poll(
        network,
        2027,
        PollRules([MeetingDraft(None, f"Møde {i + 1}", w) for i, w in enumerate(windows)]),
    )
    assert len(poll.days) == DAYS, len(poll.days)
    venues = network.venues
    for member in network.members:
        response = Response(poll_id=poll.id, member_id=member.id, comment="Bench", answers={})
        response.record(
            {
                (day.day, venue.key): rng.choice([Answer.YES, Answer.MAYBE, Answer.NO])
                for day in poll.days
                for venue in venues
            }
        )
        db.session.add(response)
    db.session.commit()
    return tokens[7], poll.id


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter
STATEMENT_TARGETS = {"member page, save (92 cells)": 7, "member page, save by script": 7}
CPU_TARGETS = {
    "member page, render": 8.0,
    "member page, save (92 cells)": 6.0,
    "member page, save by script": 6.0,
    "coordinator overview": 12.0,
}
PAGE_KB_TARGET = 50.0
page_kb: dict[str, float] = {}  # the member page's HTML per engine


class Costs:
    """Per request: the SQL statements it sent and the app's CPU ms (medians)."""

    def __init__(self) -> None:
        self.statements: dict[str, float] = {}
        self.cpu_ms: dict[str, float] = {}
        self._count = 0

    def listen(self, engine) -> None:
        def count(*_args) -> None:
            self._count += 1

        sa.event.listen(engine, "before_cursor_execute", count)


costs = Costs()


def timed(name: str, figures: dict, call, runs: int, expect: int = 200) -> None:
    samples, cpu, statements = [], [], []
    for _ in range(runs):
        costs._count = 0
        start, start_cpu = clock(), time.process_time()
        response = call()
        cpu.append((time.process_time() - start_cpu) * 1000)
        samples.append((clock() - start) * 1000)
        statements.append(costs._count)
        if response.status_code != expect:
            raise SystemExit(f"unexpected status {response.status_code}, wanted {expect}")
    figures[name] = statistics.median(samples)
    costs.statements[name] = statistics.median(statements)
    costs.cpu_ms[name] = statistics.median(cpu)


def measure(url: str, runs: int) -> dict[str, float]:
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        token, poll_id = seed()
        costs.listen(db.engine)
        day_ids = [d for (d,) in db.session.execute(sa.text("SELECT id FROM candidate_days"))]
        venue_ids = [v for (v,) in db.session.execute(sa.text("SELECT id FROM venues"))]
    client = app.test_client()
    page = f"/m/{token}/2027"
    rng = random.Random(1)

    def form() -> dict[str, str]:
        cells = {
            cell_field(d, v): rng.choice(["yes", "maybe", "no"]) for d in day_ids for v in venue_ids
        }
        cells["comment"] = "Kan bedst om tirsdagen."  # every cell changes, as at worst
        cells["cannot_roles_shown"] = "1"  # the page always posts its role choices
        return cells

    def save():
        return client.post(page, data=form())

    def save_by_script():
        return client.post(page, data=form(), headers={"Accept": "application/json"})

    figures: dict[str, float] = {}
    timed("member page, render", figures, lambda: client.get(page), runs)
    page_kb[url.split(":", 1)[0].split("+", 1)[0]] = len(client.get(page).data) / 1000
    timed("member page, save (92 cells)", figures, save, runs, expect=303)
    timed("member page, save by script", figures, save_by_script, runs)
    coordinator = app.test_client()
    coordinator.post(
        "/tovholder/login", data={"email": "bench@example.dk", "password": "bench-password"}
    )
    overview = f"/tovholder/afstemninger/{poll_id}"
    timed("coordinator overview", figures, lambda: coordinator.get(overview), runs)
    with app.app_context():
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--clock", choices=CLOCKS, default="wall")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    results = {}
    with sqlite_url() as url:
        results["SQLite"] = measure(url, args.runs)
    per_request = {"SQLite": (dict(costs.statements), dict(costs.cpu_ms))}
    with postgres_url() as url:
        if url:
            results["PostgreSQL"] = measure(url, args.runs)
            per_request["PostgreSQL"] = (dict(costs.statements), dict(costs.cpu_ms))
    print(
        f"\n{MEMBERS} members, {DAYS} days, {VENUES} venues;"
        f" median of {args.runs} runs, ms of {args.clock} time"
    )
    print(f"{'':32}" + "".join(f"{engine:>12}" for engine in results) + f"{'target':>10}")
    for name in next(iter(results.values())):
        cells = "".join(f"{results[engine][name]:>12.1f}" for engine in results)
        worst = max(results[engine][name] for engine in results)
        verdict = "ok" if worst <= TARGET_MS else "MISSED"
        print(f"{name:32}{cells}{TARGET_MS:>8.0f}  {verdict}")
    print("\nper request: SQL statements / app CPU ms (median)")
    print(f"{'':32}" + "".join(f"{engine:>16}" for engine in per_request) + f"{'target':>14}")
    for name in next(iter(results.values())):
        cells = "".join(
            f"{statements[name]:>7.0f} / {cpu[name]:>6.1f}"
            for statements, cpu in per_request.values()
        )
        target = ""
        if name in CPU_TARGETS:
            statements_target = STATEMENT_TARGETS.get(name, "")
            target = f"{statements_target:>6} / {CPU_TARGETS[name]:>4.0f}"
        print(f"{name:32}{cells}{target:>14}")
    sizes = ", ".join(f"{engine} {kb:.1f} KB" for engine, kb in page_kb.items())
    print(f"\nmember page HTML: {sizes} (target {PAGE_KB_TARGET:.0f} KB)")


if __name__ == "__main__":
    main()
