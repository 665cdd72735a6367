"""Benchmark of the planning engine (python -m solver) on generated instances.

    .venv/bin/python bench/solver_bench.py [--only S,M] [--workers 2] [--keep DIR]

Instances come from a seeded generator: S (9 members, 3 meetings, 2 venues), M (40, 6, 3),
L (150, 12, 5), XL (500, 12, 10) and XXL (500, 36 meetings over three years, 10). Every member
answers every candidate day × venue. Each instance is planned by the CLI in its own process,
which is timed as a whole (Python start included), with its peak memory from wait4 and the
time at which each stage was proven (from the CLI's progress lines). The same figures are
computed for a baseline that does what a coordinator does with a Doodle poll: per meeting the
day and venue with most "yes", then roles round-robin by fewest held. Then L and XL are
re-planned after one role holder withdraws from one meeting, and an infeasible S is explained.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ortools import __version__ as ortools_version

from solver.dates import meeting_options
from solver.instance import parse_instance
from solver.score import Plan, score
from solver.staffing import parents_first

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Size:
    name: str
    members: int
    meetings: int
    venues: int
    days: int  # candidate weekdays per meeting
    years: int = 1
    time_limit: float | None = None


SIZES = [
    Size("S", 9, 3, 2, 15),
    Size("M", 40, 6, 3, 10),
    Size("L", 150, 12, 5, 10),
    Size("XL", 500, 12, 10, 10),
    Size("XXL", 500, 36, 10, 10, years=3, time_limit=30),
]
VENUES = [
    "odense",
    "vejle",
    "aarhus",
    "aalborg",
    "esbjerg",
    "kolding",
    "horsens",
    "randers",
    "silkeborg",
    "herning",
]


def generate(size: Size, seed: int = 2027) -> dict:
    rng = random.Random(f"{size.name}-{seed}")
    people = [f"p{i:03d}" for i in range(size.members)]
    venues = VENUES[: size.venues]
    start = dt.date(2027, 1, 11)
    step = 365 * size.years / size.meetings
    meetings = []
    for k in range(size.meetings):
        day, days = start + dt.timedelta(days=round(k * step)), []
        while len(days) < size.days:
            if day.weekday() < 5:
                days.append(day.isoformat())
            day += dt.timedelta(days=1)
        meetings.append({"id": f"m{k + 1}", "name": f"Møde {k + 1}", "candidates": days})
    availability = {}
    for p in people:
        keen = rng.uniform(0.55, 0.95)
        home = rng.randrange(len(venues))
        reach = {v: 1.0 if i == home else rng.uniform(0.4, 1.0) for i, v in enumerate(venues)}
        availability[p] = {}
        for m in meetings:
            for day in m["candidates"]:
                busy = rng.random() < 0.25
                row = {}
                for v in venues:
                    r, yes = rng.random(), keen * reach[v]
                    row[v] = (
                        "no" if busy else "yes" if r < yes else "maybe" if r < yes + 0.15 else "no"
                    )
                availability[p][day] = row
    roles = [
        {"id": "planning", "name": "Planlægningsgruppe", "per_meeting": 3, "always": [people[0]]},
        {"id": "leader", "name": "Mødeleder", "per_meeting": 1, "within": "planning"},
        {"id": "notes", "name": "Referent", "per_meeting": 1, "conflicts": ["planning"]},
        {"id": "presenter", "name": "Oplægsholder", "per_meeting": 1},
    ]
    history = {
        p: {r["id"]: rng.choice([0, 0, 0, 1, 1, 2]) for r in roles if r["id"] != "planning" or i}
        for i, p in enumerate(people)
    }
    return {
        "format": "plan-instance/1",
        "year": 2027,
        "timezone": "Europe/Copenhagen",
        "meeting_hours": ["10:00", "15:00"],
        "coordinator": people[0],
        "participants": [
            {
                "id": p,
                "name": f"Deltager {i}",
                **({"cannot": ["leader", "notes"]} if i == 0 else {}),
            }
            for i, p in enumerate(people)
        ],
        "venues": [{"id": v, "name": v.capitalize()} for v in venues],
        "meetings": meetings,
        "roles": roles,
        "availability": availability,
        "history": history,
        "pins": [],
        "previous": None,
        "rules": {"min_days_between": 28, "min_attendance": 0.5},
    }


def baseline(doc: dict) -> tuple[dict, bool]:
    """Most "yes" per meeting, then roles round-robin by fewest held (history plus plan).
    Returns its figures and the hard rules it breaks."""
    inst = parse_instance(doc)
    options, roles = [], []
    held = {(p.id, r.id): inst.past(p.id, r.id) for p in inst.participants for r in inst.roles}
    for meeting in inst.meetings:
        best = max(meeting_options(inst, meeting), key=lambda o: len(o.yes))
        options.append(best)
        mine: dict[str, list[str]] = {}
        for role in parents_first(inst):
            chosen = list(role.always)
            pool = sorted(
                (
                    p.id
                    for p in inst.participants
                    if p.id in best.can_come
                    and role.id not in p.cannot
                    and p.id not in chosen
                    and not any(p.id in mine[c] for c in role.conflicts if c in mine)
                    and (role.within is None or p.id in mine[role.within])
                ),
                key=lambda p, r=role.id: (held[p, r], p),
            )
            chosen += pool[: role.per_meeting - len(chosen)]
            for p in chosen:
                held[p, role.id] += 1
            mine[role.id] = sorted(chosen)
        roles.append(mine)
    broken = []
    gap = inst.rules.min_days_between
    if any((b.date - a.date).days < gap for a, b in itertools.pairwise(options)):
        broken.append("spacing")
    if any(len(o.can_come) < inst.attendance_floor() for o in options):
        broken.append("attendance floor")
    if any(p not in o.can_come for o in options for r in inst.roles for p in r.always):
        broken.append("always holder absent")
    if any(len(staff[r.id]) < r.per_meeting for staff in roles for r in inst.roles):
        broken.append("roles unstaffed")
    return score(inst, Plan(tuple(options), tuple(roles))), broken


STAGE = re.compile(r"^\[(\d+)/(\d+)\] .*: ([0-9.]+) s$")


def run_cli(path: Path, out: Path, workers: int, time_limit: float | None) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "solver",
        "plan",
        str(path),
        "-o",
        str(out),
        "--workers",
        str(workers),
        "--lang",
        "en",
    ]
    if time_limit is not None:
        cmd += ["--time-limit", str(time_limit)]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stages, last = [], 0.0
    for line in stderr.splitlines():
        if match := STAGE.match(line):
            stages.append(float(match[3]) - last)
            last = float(match[3])
    result = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return {
        "exit": proc.returncode,
        "wall": wall,
        "rss_mib": usage.ru_maxrss / 1024,
        "stages": stages,
        "result": result,
        "stderr": stderr,
    }


def figures(s: dict) -> str:
    spread = max(s["role_spread"].values(), default=0)
    return f"{s['attendees']} / {spread} / {s['load_spread']} / {s['repeats']}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", help="comma-separated sizes, e.g. S,M")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep instances and results in this folder")
    args = parser.parse_args()
    sizes = [s for s in SIZES if not args.only or s.name in args.only.split(",")]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="solver-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, OR-Tools {ortools_version}, "
        f"workers {args.workers}, generator seed 2027"
    )
    print()
    print(
        "| size | status | CLI wall s | solve s | stage s (attendance, fair roles, fair load, "
        "rotation, tie-break) | peak MiB | plan: attendance / role spread / load spread / "
        "repeats | baseline (same) | rules the baseline breaks |"
    )
    print("|---|---|---:|---:|---|---:|---|---|---|")
    results = {}
    for size in sizes:
        doc = generate(size)
        path = folder / f"{size.name}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        run = run_cli(path, folder / f"{size.name}.result.json", args.workers, size.time_limit)
        results[size.name] = (doc, run)
        res = run["result"]
        base, broken = baseline(doc)
        status = res.get("status", f"exit {run['exit']}")
        if status == "feasible":
            sc = res["score"]
            gap = (sc["fairness"] - sc["fairness_bound"]) / max(1, sc["fairness_bound"])
            status += f" (fairness gap {gap:.1%})"
        stages = ", ".join(f"{s:.2f}" for s in run["stages"])
        print(
            f"| {size.name} | {status} | {run['wall']:.2f} | {res.get('solve_seconds', 0):.2f} "
            f"| {stages} | {run['rss_mib']:.0f} | {figures(res['score'])} | {figures(base)} "
            f"| {', '.join(broken) or 'none'} |",
            flush=True,
        )

    print()
    print("| re-plan after one withdrawal | status | CLI wall s | solve s | changes | peak MiB |")
    print("|---|---|---:|---:|---:|---:|")
    for name in ("L", "XL"):
        if name not in results:
            continue
        doc, run = results[name]
        meeting = run["result"]["meetings"][2]
        leaver = meeting["roles"]["notes"][0]
        days = next(m["candidates"] for m in doc["meetings"] if m["id"] == meeting["id"])
        for day in days:
            doc["availability"][leaver][day] = dict.fromkeys(doc["availability"][leaver][day], "no")
        doc["previous"] = run["result"]
        path = folder / f"{name}-replan.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        again = run_cli(path, folder / f"{name}-replan.result.json", args.workers, None)
        res = again["result"]
        print(
            f"| {name} | {res['status']} | {again['wall']:.2f} | {res['solve_seconds']:.2f} | "
            f"{res['score']['changes']} | {again['rss_mib']:.0f} |",
            flush=True,
        )

    if "S" in results:
        doc = generate(SIZES[0])
        coordinator = doc["coordinator"]
        for day in doc["meetings"][1]["candidates"]:
            doc["availability"][coordinator][day] = dict.fromkeys(
                doc["availability"][coordinator][day], "no"
            )
        path = folder / "S-infeasible.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        run = run_cli(path, folder / "S-infeasible.result.json", args.workers, None)
        res = run["result"]
        print()
        print(
            f"infeasible S: exit {run['exit']}, solve {res['solve_seconds']:.3f} s, CLI wall "
            f"{run['wall']:.2f} s, explanation: {res['explanation']}"
        )


if __name__ == "__main__":
    main()
