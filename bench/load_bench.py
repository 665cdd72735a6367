"""Load benchmark: the member page and its save under concurrent members, through gunicorn.

A fresh PostgreSQL database gets app_bench's poll (60 members, 46 days, 2 venues, everyone
answered); `gunicorn -w 2 --threads 4 'poll:create_app()'` serves it on a free local port, as
docs/hosting.md runs it. Each simulated member is one client with its own session cookie and the
CSRF token of its own page. One scenario and concurrency level at a time, for a bounded time,
every client repeats one request, waiting for each reply: "save" posts its whole form of 92
answers as the page's script does (the form's fields, urlencoded, Accept: application/json,
each time with new answers and a new comment), "page" fetches its member page.

    .venv/bin/python bench/load_bench.py [--seconds 10] [--levels 1,8,32] [--scenario save,page]

Per scenario and level: requests, p50 and p95 ms, requests/s, and CPU ms per request of the app
(gunicorn's master and workers, from /proc/<pid>/stat), of the database server (the backends of
the app's connections) and of this script's clients. Then the database must hold, for every
member, exactly the last answers and comment the app acknowledged to that member's client: any
lost or mixed-up write is listed and the exit status is 1. Bad flags exit with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa
from app_bench import DAYS, MEMBERS, VENUES, seed
from engines import postgres_url
from flask_migrate import upgrade

from poll import create_app
from poll.db import db
from poll.members import personal_token
from poll.models import CandidateDay, Member, Response, Venue

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.html_forms import form_fields  # noqa: E402  (what a browser posts from a page)

YEAR = 2027
SCENARIOS = ("save", "page")
DEFAULT_LEVELS = (1, 8, 32)
# Issue #14's targets at 32 concurrent (requests/s at least, app CPU ms per request at most),
# and the peer's requests/s at 32 (newdle, measured on this machine; the table).
TARGETS = {"save": (150.0, 6.0), "page": (150.0, 8.0)}
PEER = {"save": 143.0, "page": 227.0}
CELL_NAME = re.compile(r'name="(a-[0-9]+-[0-9]+)"')
ANSWERS = ("yes", "maybe", "no")
TICKS = os.sysconf("SC_CLK_TCK")
START_SECONDS = 60.0
BUSY = 0.5  # a load average above it: other work shares the CPUs


class Failed(Exception):
    """A request the app did not answer as the page expects."""


# --- flags ------------------------------------------------------------------------------------


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"a number of seconds above 0, not {text!r}")
    return value


def levels(text: str) -> list[int]:
    parts = text.split(",")
    if not all(p.strip().isdigit() and 1 <= int(p) <= MEMBERS for p in parts):
        raise argparse.ArgumentTypeError(
            f"comma-separated numbers of clients from 1 to {MEMBERS}, not {text!r}"
        )
    return [int(p) for p in parts]


def scenarios(text: str) -> list[str]:
    parts = [p.strip() for p in text.split(",")]
    if not parts or any(p not in SCENARIOS for p in parts):
        raise argparse.ArgumentTypeError(
            f"{' and/or '.join(SCENARIOS)}, comma-separated, not {text!r}"
        )
    return list(dict.fromkeys(parts))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """argparse exits with status 2 and the flag's message on bad input."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=positive_seconds, default=3.0, help="per level")
    parser.add_argument("--levels", type=levels, default=list(DEFAULT_LEVELS))
    parser.add_argument("--scenario", type=scenarios, default=list(SCENARIOS))
    return parser.parse_args(argv)


# --- the database and the server -------------------------------------------------------------


@dataclass(frozen=True)
class Poll:
    url: str
    secret: str
    poll_id: int
    tokens: list[str]  # the members' in id order


def fill(url: str, secret: str) -> Poll:
    """Migrate the empty database and seed app_bench's poll; every member's link."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "TESTING": True})
    with app.app_context():
        upgrade()
        _token, poll_id = seed()
        members = db.session.scalars(sa.select(Member).order_by(Member.id)).all()
        tokens = [personal_token(m) for m in members]
        db.session.remove()
        db.engine.dispose()
    if None in tokens:
        raise SystemExit("a member's link could not be derived")
    return Poll(url, secret, poll_id, [t for t in tokens if t is not None])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(poll: Poll, folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn serving the poll as in production; its base URL and process, stopped after."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MODEPLAN_", "MAIL_")) and k != "DATABASE_URL"
    }
    env = {
        **keep,
        "DATABASE_URL": poll.url,
        "MODEPLAN_SECRET_KEY": poll.secret,
        "MODEPLAN_BASE_URL": base,
        "MODEPLAN_INSTANCE_PATH": str(folder / "instance"),
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"),
        "poll:create_app()",
    ]
    log_path = folder / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=log)
    try:
        wait_until_healthy(base, process, log_path)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_healthy(base: str, process: subprocess.Popen, log: Path) -> None:
    """Until /healthz answers 200 and both workers run; gunicorn's log if it fails."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            healthy = httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            if healthy and len(children(process.pid)) == 2:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not become healthy:\n{log.read_text(errors='replace')}")


# --- CPU time from /proc ----------------------------------------------------------------------


def stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3 onwards); None once it has ended."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int) -> float:
    """User and system CPU of the process, all its threads (0 once it has ended)."""
    fields = stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: fields 14 and 15


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields is not None and int(fields[1]) == parent:
                found.append(int(entry.name))
    return found


class Backends:
    """The PostgreSQL server processes of the app's connections (this one's left out)."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.name = sa.engine.make_url(url).database

    def pids(self) -> set[int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.name},
            )
            return {pid for (pid,) in rows}


# --- the clients ------------------------------------------------------------------------------


@dataclass
class Client:
    """One member's browser: its cookies, its page's form and what the app acknowledged."""

    token: str
    http: httpx.AsyncClient
    rng: random.Random
    fields: list[tuple[str, str]] = field(default_factory=list)  # the form's, but the cells
    cells: list[str] = field(default_factory=list)
    csrf: str = ""
    saves: int = 0
    acknowledged: dict[str, str] = field(default_factory=dict)  # cells and comment
    # States a failed save may have left (its outcome unknown): besides the acknowledged one.
    maybe: list[dict[str, str]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"/m/{self.token}/{YEAR}"

    async def open_page(self) -> None:
        """Load the page as a browser does: the session cookie, the form, the CSRF token."""
        response = await self.http.get(self.path)
        if response.status_code != 200:
            raise Failed(f"member page: {response.status_code}")
        html = response.text
        self.cells = sorted(set(CELL_NAME.findall(html)))
        if len(self.cells) != DAYS * VENUES:
            raise Failed(f"member page: {len(self.cells)} answer fields, not {DAYS * VENUES}")
        posted = form_fields(html, "answers")
        self.fields = [(k, v) for k, v in posted if k not in self.cells]
        self.csrf = dict(self.fields)["csrf_token"]
        self.acknowledged = {k: v for k, v in posted if k in self.cells or k == "comment"}

    async def page(self) -> int:
        response = await self.http.get(self.path)
        if response.status_code != 200 or b"</html>" not in response.content[-200:]:
            raise Failed(f"member page: {response.status_code}")
        return len(response.content)

    async def save(self) -> int:
        self.saves += 1
        sent = {cell: self.rng.choice(ANSWERS) for cell in self.cells}
        sent["comment"] = f"Kan bedst om tirsdagen ({self.saves})."
        form = [(k, sent.get(k, v)) for k, v in self.fields] + [(c, sent[c]) for c in self.cells]
        try:
            response = await self.http.post(
                self.path,
                content=urllib.parse.urlencode(form),
                headers={
                    "Accept": "application/json",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": self.csrf,
                },
            )
        except httpx.HTTPError:
            self.maybe.append(sent)  # it may or may not have been written
            raise
        reply = response.json() if response.status_code == 200 else {}
        if not reply.get("ok") or reply.get("warnings"):
            if response.status_code >= 500:
                self.maybe.append(sent)
            raise Failed(f"save: {response.status_code} {reply or response.text[:200]}")
        self.acknowledged, self.maybe = sent, []
        # What the page now shows, from which the app measures the next save's changes.
        shown = {k: reply[k] for k in ("was_cells", "was_comment", "was_roles") if k in reply}
        self.fields = [(k, shown.get(k, v)) for k, v in self.fields]
        return len(response.content)


@dataclass
class Cell:
    scenario: str
    level: int
    latencies: list[float]
    received: int  # bytes of the replies' bodies
    errors: int
    seconds: float
    app_cpu: float
    database_cpu: float | None
    client_cpu: float

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def per_request(self, cpu: float) -> float:
        return cpu * 1000 / max(1, self.requests + self.errors)


async def drive(
    clients: list[Client], operation: Callable[[Client], Awaitable[int]], seconds: float
) -> tuple[list[float], int, int, float]:
    """Every client repeats the operation until the time is up (the last one finishes, so no
    request is cut off); the latencies in ms, the bytes received, the errors and the seconds
    taken."""
    latencies: list[float] = []
    received = errors = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def run(client: Client) -> None:
        nonlocal received, errors
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                size = await operation(client)  # not `+= await`: that reads before waiting
            except (Failed, httpx.HTTPError, ValueError) as error:
                errors += 1
                if errors <= 3:
                    print(f"  error: {error}", file=sys.stderr)
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            received += size

    await asyncio.gather(*(run(c) for c in clients))
    return latencies, received, errors, time.perf_counter() - start


async def measure(
    base: str, server: int, backends: Backends, poll: Poll, args: argparse.Namespace
) -> tuple[list[Cell], list[str]]:
    most = max(args.levels)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [
        Client(token, httpx.AsyncClient(base_url=base, timeout=60, limits=limits), random.Random(i))
        for i, token in enumerate(poll.tokens[:most])
    ]
    operations = {"save": Client.save, "page": Client.page}
    cells = []
    try:
        await asyncio.gather(*(c.open_page() for c in clients))  # also warms both workers
        for scenario in args.scenario:
            for level in args.levels:
                processes = [server, *children(server)]
                database = backends.pids()
                app_before = sum(cpu_seconds(p) for p in processes)
                db_before = {p: cpu_seconds(p) for p in database}
                client_before = time.process_time()
                latencies, received, errors, seconds = await drive(
                    clients[:level], operations[scenario], args.seconds
                )
                client_cpu = time.process_time() - client_before
                # A worker that was restarted meanwhile takes its CPU time with it.
                processes = [*processes, *children(server)]
                app_cpu = sum(cpu_seconds(p) for p in set(processes)) - app_before
                database_cpu = None
                if all(stat_fields(p) is not None for p in database):
                    # Connections the pool opened meanwhile count from zero.
                    database |= backends.pids()
                    database_cpu = sum(cpu_seconds(p) - db_before.get(p, 0.0) for p in database)
                cell = Cell(
                    scenario,
                    level,
                    latencies,
                    received,
                    errors,
                    seconds,
                    app_cpu,
                    database_cpu,
                    client_cpu,
                )
                cells.append(cell)
                print(
                    f"  {scenario} × {level}: {cell.requests} requests, {errors} errors",
                    file=sys.stderr,
                )
    finally:
        await asyncio.gather(*(c.http.aclose() for c in clients))
    saved = {c.token: [c.acknowledged, *c.maybe] for c in clients if c.saves}
    return cells, check_writes(poll, saved)


# --- the check and the table ------------------------------------------------------------------


def check_writes(poll: Poll, saved: Mapping[str, list[dict[str, str]]]) -> list[str]:
    """Each member's stored answers and comment against what their client sent (by token: the
    last save acknowledged, then any later one whose outcome is unknown), as form fields: the
    members whose stored answers match none of them."""
    engine = sa.create_engine(poll.url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        days = dict(conn.execute(sa.select(CandidateDay.id, CandidateDay.day)).all())
        venues = dict(conn.execute(sa.select(Venue.id, Venue.key)).all())
        stored = {
            token: conn.execute(
                sa.select(Response.answers, Response.comment).where(
                    Response.poll_id == poll.poll_id,
                    Response.member_id == member_id,
                )
            ).one()
            for token, member_id in _members(conn, poll)
        }
    engine.dispose()

    def as_stored(sent: dict[str, str]) -> tuple[dict[str, dict[str, str]], str]:
        answers: dict[str, dict[str, str]] = {}
        for name, value in sent.items():
            if name.startswith("a-"):
                _a, day_id, venue_id = name.split("-")
                day = days[int(day_id)].isoformat()
                answers.setdefault(day, {})[venues[int(venue_id)]] = value
        return answers, sent["comment"]

    mismatches = []
    for token, sent in saved.items():
        answers, comment = stored[token]
        allowed = [as_stored(s) for s in sent]
        if (answers, comment) not in allowed:
            expected, wanted_comment = allowed[0]
            wrong = sum(
                1
                for day, by_venue in expected.items()
                for venue, value in by_venue.items()
                if answers.get(day, {}).get(venue) != value
            )
            mismatches.append(
                f"member {poll.tokens.index(token)}: {wrong} of {DAYS * VENUES} answers"
                f" differ from the last acknowledged save; comment {comment!r}"
                f" (sent {wanted_comment!r})"
            )
    return mismatches


def _members(conn: sa.Connection, poll: Poll) -> Iterator[tuple[str, int]]:
    ids = conn.execute(sa.select(Member.id).order_by(Member.id)).scalars().all()
    return zip(poll.tokens, ids, strict=True)


def target(cell: Cell, rate: float, cpu: float) -> str:
    least_rate, most_cpu = TARGETS[cell.scenario]
    cpu_ok = cpu <= most_cpu
    if cell.level != 32:
        return f"≤{most_cpu:.0f} ms: {'met' if cpu_ok else 'missed'}"
    ok = cpu_ok and rate >= least_rate
    return f"≥{least_rate:.0f}/s, ≤{most_cpu:.0f} ms: {'met' if ok else 'missed'}"


def table(cells: list[Cell]) -> None:
    header = (
        f"{'scenario':<9}{'clients':>8}{'requests':>9}{'KB':>6}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'req/s':>8}{'app CPU':>9}{'db CPU':>8}{'bench CPU':>10}{'errors':>7}"
        f"  {'vs newdle':<10}target"
    )
    print(header)
    for cell in cells:
        ordered = sorted(cell.latencies) or [0.0]
        p50 = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        rate = cell.requests / cell.seconds
        size = cell.received / max(1, cell.requests) / 1000
        cpu = cell.per_request(cell.app_cpu)
        database = (
            f"{cell.per_request(cell.database_cpu):>8.1f}" if cell.database_cpu is not None else "—"
        )
        ratio = f"{rate / PEER[cell.scenario]:.2f}×" if cell.level == 32 else ""
        print(
            f"{cell.scenario:<9}{cell.level:>8}{cell.requests:>9}{size:>6.1f}{p50:>8.1f}{p95:>8.1f}"
            f"{rate:>8.1f}{cpu:>9.1f}{database:>8}{cell.per_request(cell.client_cpu):>10.1f}"
            f"{cell.errors:>7}  {ratio:<10}{target(cell, rate, cpu)}"
        )
    print(
        "KB: a reply's body (the page's HTML, the save's JSON)."
        " CPU: ms per request (app: gunicorn's master and 2 workers; db: the PostgreSQL backends;"
        " bench: these clients). vs newdle: req/s against its"
        f" {PEER['save']:.0f} (save) and {PEER['page']:.0f} (page) at 32 clients."
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = os.getloadavg()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in load)}")
    if load[0] > BUSY:
        print(f"The machine is not idle (load average above {BUSY}): the figures are noisy.")
    secret = os.urandom(24).hex()
    with postgres_url() as url, tempfile.TemporaryDirectory() as tmp:
        if url is None:
            print("load_bench needs PostgreSQL (TEST_POSTGRES_URL)", file=sys.stderr)
            return 1
        poll = fill(url, secret)
        backends = Backends(url)
        with gunicorn(poll, Path(tmp)) as (base, process):
            print(
                f"{MEMBERS} members, {DAYS} days, {VENUES} venues; gunicorn -w 2 --threads 4"
                f" on PostgreSQL; {args.seconds:g} s per level"
            )
            cells, mismatches = asyncio.run(measure(base, process.pid, backends, poll, args))
        backends.engine.dispose()
    table(cells)
    saved = sum(c.requests for c in cells if c.scenario == "save")
    if mismatches:
        print(f"LOST OR MIXED-UP WRITES: {len(mismatches)}")
        for line in mismatches:
            print(f"  {line}")
    elif saved:
        members = max((c.level for c in cells if c.scenario == "save"), default=0)
        print(
            f"OK: the database holds the last acknowledged answers and comment of each of the"
            f" {members} members who saved ({saved} saves)"
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
