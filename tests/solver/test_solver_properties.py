"""Random small instances: every hard rule holds, and attendance (and, where the plans can be
listed, fairness) equals the optimum found by brute force."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from fractions import Fraction

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from solver_cases import check_rules

from solver import solve

DAYS = [dt.date(2027, 3, 1) + dt.timedelta(days=d) for d in (0, 10, 20, 30, 45, 60)]


@st.composite
def instances(draw) -> dict:
    people = [f"p{i}" for i in range(draw(st.integers(3, 5)))]
    venues = ["a", "b"][: draw(st.integers(1, 2))]
    meetings = {}
    for k in range(draw(st.integers(1, 3))):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        meetings[f"m{k}"] = sorted(d.isoformat() for d in days)
    roles = []
    for i in range(draw(st.integers(1, 3))):
        seats = draw(st.sampled_from([1, 1, 1, 2, 0]))
        role = {"id": f"r{i}", "name": f"Rolle {i}", "per_meeting": seats}
        if i and draw(st.booleans()):
            role["within"] = f"r{draw(st.integers(0, i - 1))}"
        if i and draw(st.booleans()):
            role["conflicts"] = [f"r{draw(st.integers(0, i - 1))}"]
        if draw(st.integers(0, 3)) == 0:
            role["always"] = [draw(st.sampled_from(people))]
        roles.append(role)
    participants = []
    for p in people:
        entry = {"id": p, "name": p.upper()}
        cannot = draw(st.lists(st.sampled_from([r["id"] for r in roles]), unique=True, max_size=1))
        if cannot:
            entry["cannot"] = cannot
        participants.append(entry)
    answer = st.sampled_from(["yes", "yes", "yes", "yes", "maybe", "no", None])
    availability = {}
    for p in people:
        availability[p] = {}
        for d in sorted({d for days in meetings.values() for d in days}):
            row = {v: a for v in venues if (a := draw(answer)) is not None}
            availability[p][d] = row
    pins = []
    if draw(st.integers(0, 3)) == 0:
        m = draw(st.sampled_from(sorted(meetings)))
        pins.append({"meeting": m, "date": draw(st.sampled_from(meetings[m]))})
    if draw(st.integers(0, 3)) == 0:
        pins.append(
            {
                "meeting": draw(st.sampled_from(sorted(meetings))),
                "role": draw(st.sampled_from(roles))["id"],
                "participant": draw(st.sampled_from(people)),
            }
        )
    history = {p: {r["id"]: draw(st.integers(0, 2)) for r in roles} for p in people}
    return {
        "format": "plan-instance/1",
        "year": 2027,
        "timezone": "Europe/Copenhagen",
        "meeting_hours": ["10:00", "15:00"],
        "coordinator": people[0],
        "participants": participants,
        "venues": [{"id": v, "name": v.upper()} for v in venues],
        "meetings": [
            {"id": m, "name": m.upper(), "candidates": days} for m, days in meetings.items()
        ],
        "roles": roles,
        "availability": availability,
        "history": history,
        "pins": pins,
        "previous": None,
        "rules": {
            "min_days_between": draw(st.sampled_from([0, 10, 28])),
            "min_attendance": draw(st.sampled_from([0, 0.5])),
        },
    }


def _staffings(doc: dict, meeting: str, come: set[str]):
    """Every way to staff one meeting by the hard rules, by brute force."""
    cannot = {p["id"]: set(p.get("cannot", [])) for p in doc["participants"]}
    pinned = [
        (p["role"], p["participant"])
        for p in doc["pins"]
        if p["meeting"] == meeting and "role" in p
    ]
    choices = []
    for role in doc["roles"]:
        pool = sorted(p for p in come if role["id"] not in cannot[p])
        choices.append([set(c) for c in itertools.combinations(pool, role["per_meeting"])])
    for combo in itertools.product(*choices):
        held = {r["id"]: c for r, c in zip(doc["roles"], combo, strict=True)}
        if all(
            set(r.get("always", [])) <= held[r["id"]]
            and (not r.get("within") or held[r["id"]] <= held[r["within"]])
            and all(not (held[r["id"]] & held[o]) for o in r.get("conflicts", []))
            for r in doc["roles"]
        ) and all(p in held[r] for r, p in pinned):
            yield held


def _options(doc: dict, meeting: dict):
    floor = math.ceil(Fraction(str(doc["rules"]["min_attendance"])) * len(doc["participants"]))
    for day in meeting["candidates"]:
        for venue in [v["id"] for v in doc["venues"]]:
            if any(
                p["meeting"] == meeting["id"] and p.get("date", day) != day for p in doc["pins"]
            ):
                continue
            answers = {
                p: doc["availability"][p].get(day, {}).get(venue) for p in doc["availability"]
            }
            come = {p for p, a in answers.items() if a in ("yes", "maybe")}
            yes = sum(a == "yes" for a in answers.values())
            staffings = list(_staffings(doc, meeting["id"], come))
            if len(come) >= floor and staffings:
                yield dt.date.fromisoformat(day), len(come), yes, staffings


def _paths(doc: dict):
    layers = [list(_options(doc, m)) for m in doc["meetings"]]
    gap = doc["rules"]["min_days_between"]
    for path in itertools.product(*layers):
        if all((b[0] - a[0]).days >= gap for a, b in itertools.pairwise(path)):
            yield path


def _fairness(doc: dict, staffings) -> tuple[int, int]:
    counts = {
        (p, r["id"]): doc["history"][p][r["id"]] for p in doc["history"] for r in doc["roles"]
    }
    for held in staffings:
        for rid, people in held.items():
            for p in people:
                counts[p, rid] += 1
    cannot = {p["id"]: set(p.get("cannot", [])) for p in doc["participants"]}
    per_role, loaded = 0, set()
    for r in doc["roles"]:
        for p in cannot:
            if r["id"] not in cannot[p] and p not in r.get("always", []):
                per_role += counts[p, r["id"]] ** 2
                loaded.add(p)
    load = sum(sum(counts[p, r["id"]] for r in doc["roles"]) ** 2 for p in loaded)
    return per_role, load


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_rules_hold_and_attendance_is_optimal(doc):
    result = solve(doc)
    event(result["status"])
    paths = list(_paths(doc))
    if not paths:
        assert result["status"] == "infeasible"
        assert result["explanation"]
        return
    best = max((sum(o[1] for o in p), sum(o[2] for o in p)) for p in paths)
    check_rules(doc, result)
    assert result["status"] == "optimal"
    assert (result["score"]["attendees"], result["score"]["yes"]) == best
    plans = sum(math.prod(len(o[3]) for o in p) for p in paths)
    if plans <= 3000:
        event("fairness checked by brute force")
        fairness = min(
            _fairness(doc, staffing)
            for p in paths
            if (sum(o[1] for o in p), sum(o[2] for o in p)) == best
            for staffing in itertools.product(*(o[3] for o in p))
        )
        assert result["score"]["fairness"] == sum(fairness)
