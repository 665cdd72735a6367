"""What a web process costs to start and to keep: `create_app()` time, and the resident memory
of a gunicorn worker after 100 requests.

On PostgreSQL (a fresh database, TEST_POSTGRES_URL): the network of bench/app_bench.py (60
members, 46 days, 2 venues, every member answered). Each `create_app()` runs in a fresh
interpreter (imports included, interpreter start not), median of --runs. Then
`gunicorn -w 1 --threads 4 'poll:create_app()'` serves 100 requests over HTTP, in turn the
member page, a save of it (every cell) and the coordinator's overview, and the worker's VmRSS
(not the arbiter's) is read from /proc. Targets (issue #10): ≤ 0.4 s and ≤ 90 MiB.

    .venv/bin/python bench/startup_bench.py [--runs 7] [--before /tmp/base]

--before measures another checkout the same way (say `git worktree add /tmp/base cfc2281`),
with this venv: its `poll` package is put first on the path.
"""

import argparse
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from engines import postgres_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.html_forms import form_fields  # noqa: E402 (the bench's own tree, for parsing)

TARGET_SECONDS = 0.4
TARGET_MIB = 90.0

SEED = """
import json, sys
sys.path.insert(0, sys.argv[1])
from app_bench import seed
from flask_migrate import upgrade
from poll import create_app
app = create_app()
with app.app_context():
    upgrade()
    token, poll_id = seed()
print(json.dumps({"token": token, "poll_id": poll_id}))
"""

CREATE_APP = """
import time
start = time.perf_counter()
from poll import create_app
create_app()
print(time.perf_counter() - start)
"""


FLOOR = """
import time
start = time.perf_counter()
import flask, flask_babel, flask_sqlalchemy, flask_wtf, psycopg, sqlalchemy.orm
print(time.perf_counter() - start)
"""


def env_for(tree: Path, url: str) -> dict[str, str]:
    # as installed: bytecode cached (this environment may turn that off)
    skip = ("MODEPLAN_", "FLASK_", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    env.update(
        PYTHONPATH=str(tree),
        DATABASE_URL=url,
        MODEPLAN_SECRET_KEY="bench-secret-bench-secret-bench-secret",
        MODEPLAN_BASE_URL="http://127.0.0.1",
    )
    return env


def python(tree: Path, url: str, code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tree,
        env=env_for(tree, url),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"failed in {tree}:\n{done.stderr}")
    return done.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{pid}$", text, re.M):
            found.append(int(status.parent.name))
    return found


def rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", text, re.M).group(1)) / 1024


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            NoRedirect(),
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path) as response:
            assert response.status == 200, (path, response.status)
            return response.read().decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> int:
        body = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=body) as response:
                return response.status
        except urllib.error.HTTPError as error:  # a redirect, here
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def serve_and_measure(tree: Path, url: str, seeded: dict, requests: int) -> float:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "poll:create_app()",
        ],
        cwd=tree,
        env=env_for(tree, url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/tovholder/login").read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.1)
        [worker] = children(server.pid)
        member, coordinator = Browser(base), Browser(base)
        login = form_fields(coordinator.get("/tovholder/login"))
        login = [(k, v) for k, v in login if k not in ("email", "password")]
        login += [("email", "bench@example.dk"), ("password", "bench-password")]
        assert coordinator.post("/tovholder/login", login) in (302, 303), "the login was refused"
        page = f"/m/{seeded['token']}/2027"
        overview = f"/tovholder/afstemninger/{seeded['poll_id']}"
        rng = random.Random(1)
        html = member.get(page)
        for i in range(requests - 2):
            if i % 3 == 0:
                html = member.get(page)
            elif i % 3 == 1:
                fields = [
                    (k, rng.choice(["yes", "maybe", "no"]) if k.startswith("a-") else v)
                    for k, v in form_fields(html)
                ]
                assert member.post(page, fields) == 303, "the save was refused"
            else:
                coordinator.get(overview)
        return rss_mib(worker)
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure(tree: Path, runs: int, requests: int) -> dict[str, float]:
    with postgres_url() as url:
        if url is None:
            raise SystemExit("this benchmark needs PostgreSQL")
        seeded = json.loads(python(tree, url, SEED, str(ROOT / "bench")))
        python(tree, url, CREATE_APP)  # a first run writes the bytecode caches
        times = [float(python(tree, url, CREATE_APP)) for _ in range(runs)]
        floor = [float(python(tree, url, FLOOR)) for _ in range(runs)]
        rss = serve_and_measure(tree, url, seeded, requests)
    return {
        "create_app": statistics.median(times),
        "rss": rss,
        "floor": statistics.median(floor),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--before", type=Path, help="another checkout, measured first")
    args = parser.parse_args()
    trees = {}
    if args.before:
        trees[f"before ({args.before})"] = args.before.resolve()
    trees["this tree"] = ROOT
    results = {name: measure(tree, args.runs, args.requests) for name, tree in trees.items()}
    print(
        f"\nPostgreSQL, 60 members; create_app() median of {args.runs} fresh interpreters;"
        f" gunicorn -w 1 --threads 4, worker VmRSS after {args.requests} requests"
    )
    print(f"{'':28}{'create_app() s':>16}{'worker RSS MiB':>16}")
    for name, figures in results.items():
        print(f"{name:28}{figures['create_app']:>16.2f}{figures['rss']:>16.1f}")
    print(f"{'target':28}{TARGET_SECONDS:>16.2f}{TARGET_MIB:>16.1f}")
    floor = statistics.median(figures["floor"] for figures in results.values())
    print(f"(importing Flask, SQLAlchemy, psycopg, Babel, WTForms alone: {floor:.2f} s here)")
    last = results["this tree"]
    met = last["create_app"] <= TARGET_SECONDS and last["rss"] <= TARGET_MIB
    print(f"this tree: {'ok' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
