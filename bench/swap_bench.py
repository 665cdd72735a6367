"""Benchmark of role swaps: the candidates for every seat of a published plan.

    .venv/bin/python bench/swap_bench.py [--only demo,L]

Each instance is planned once (not timed); then for every (meeting, role, holder) of the plan
that is not an `always` seat, `solver.swap.swap_candidates` is timed in this process, instance
parsing included. Targets (issue 15): the 150-member, 12-meeting network (L of
bench/solver_bench.py) ≤ 1 s, the demo ≤ 0.1 s. For comparison, one full re-solve with every
other decision pinned (what a coordinator would do by hand) is timed for the first seat.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import time

from ortools import __version__ as ortools_version
from solver_bench import ROOT, SIZES, generate

from solver import solve
from solver.swap import swap_candidates

TARGETS = {"demo": 0.1, "L": 1.0}


def instances(only: set[str]) -> dict[str, dict]:
    out = {}
    if "demo" in only:
        out["demo"] = json.loads((ROOT / "poll" / "demo" / "seed-2013.json").read_text("utf-8"))
    if "L" in only:
        out["L"] = generate(next(s for s in SIZES if s.name == "L"))
    return out


def seats(doc: dict, result: dict) -> list[tuple[str, str, str]]:
    always = {r["id"]: set(r.get("always", [])) for r in doc["roles"]}
    return [
        (m["id"], rid, p)
        for m in result["meetings"]
        for rid, holders in m["roles"].items()
        for p in holders
        if p not in always[rid]
    ]


def pinned_resolve(doc: dict, result: dict, seat: tuple[str, str, str]) -> float:
    meeting, _role, leaving = seat
    doc = copy.deepcopy(doc)
    doc["previous"] = result
    doc["pins"] = []
    always = {r["id"]: set(r.get("always", [])) for r in doc["roles"]}
    for m in result["meetings"]:
        doc["pins"].append({"meeting": m["id"], "date": m["date"], "venue": m["venue"]})
        for rid, holders in m["roles"].items():
            for p in holders:
                if (m["id"], rid, p) != seat and p not in always[rid]:
                    doc["pins"].append({"meeting": m["id"], "role": rid, "participant": p})
        if m["id"] == meeting:
            doc["availability"][leaving][m["date"]][m["venue"]] = "no"
    started = time.perf_counter()
    solve(doc)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="demo,L")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, ortools {ortools_version}, {platform.machine()}")
    print()
    print(
        "| instance | members | meetings | seats | median s | max s | target s | "
        "no candidate | pinned re-solve s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, doc in instances(set(args.only.split(","))).items():
        result = solve(doc)
        times, empty = [], 0
        for meeting, role, leaving in seats(doc, result):
            started = time.perf_counter()
            found = swap_candidates(doc, result, meeting, role, leaving)
            times.append(time.perf_counter() - started)
            empty += not found["candidates"]
        resolve = pinned_resolve(doc, result, seats(doc, result)[0])
        print(
            f"| {name} | {len(doc['participants'])} | {len(doc['meetings'])} | {len(times)} | "
            f"{statistics.median(times):.4f} | {max(times):.4f} | {TARGETS[name]} | {empty} | "
            f"{resolve:.2f} |"
        )


if __name__ == "__main__":
    main()
