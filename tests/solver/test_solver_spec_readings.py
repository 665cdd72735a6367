"""The readings of plan-format.md that the solver keeps ("Readings" in the spec), one test each,
so that a change to any of them is a decision and not an accident."""

from __future__ import annotations

import copy

from solver_cases import build, check_rules
from test_solver_rules import answers

from solver import solve

TWO_ROLES = [
    {"id": "notes", "name": "Referent", "per_meeting": 1},
    {"id": "presenter", "name": "Oplægsholder", "per_meeting": 1},
]


def _counts(doc: dict, result: dict) -> dict[tuple[str, str], int]:
    out = {
        (p["id"], r["id"]): doc["history"].get(p["id"], {}).get(r["id"], 0)
        for p in doc["participants"]
        for r in doc["roles"]
    }
    for m in result["meetings"]:
        for rid, holders in m["roles"].items():
            for p in holders:
                out[p, rid] += 1
    return out


def test_fairness_is_the_role_sum_plus_the_load_sum():
    doc = build(people=["anna", "bo", "carl"], roles=TWO_ROLES, history={"bo": {"notes": 2}})
    result = solve(doc)
    counts = _counts(doc, result)
    people = [p["id"] for p in doc["participants"]]
    role_sum = sum(n * n for n in counts.values())
    load_sum = sum(sum(counts[p, r["id"]] for r in doc["roles"]) ** 2 for p in people)
    assert result["score"]["fairness"] == role_sum + load_sum


def test_load_counts_every_role_with_history_and_leaves_out_the_uncounted():
    people = ["anna", "bo", "carl", "dina"]
    doc = build(people=people, roles=TWO_ROLES, history={"dina": {"notes": 9}})
    # dina may hold no role: her load (9, from history) is left out of load_spread
    doc["participants"][3]["cannot"] = ["notes", "presenter"]
    doc["history"]["carl"] = {"presenter": 3}
    result = solve(doc)
    check_rules(doc, result)
    counts = _counts(doc, result)
    loads = {p: counts[p, "notes"] + counts[p, "presenter"] for p in people[:3]}
    assert loads["carl"] >= 3  # history counts in the load
    assert result["score"]["load_spread"] == max(loads.values()) - min(loads.values())
    assert result["score"]["load_spread"] < 9


def test_a_replaced_holder_counts_one_change_like_a_moved_date():
    doc = build(people=["sara", "anna", "bo", "carl", "dina", "eva", "finn"])
    first = solve(doc)
    m1 = first["meetings"][0]
    replaced = copy.deepcopy(first)
    holder = m1["roles"]["notes"][0]
    answers(doc, {holder: {m1["date"]: "no"}})
    doc["pins"] = [{"meeting": "m1", "date": m1["date"], "venue": m1["venue"]}]
    doc["previous"] = replaced
    again = solve(doc)
    assert again["score"]["changes"] == 1
    assert again["meetings"][0]["roles"]["notes"] != [holder]

    moved = build(people=["sara", "anna", "bo", "carl", "dina", "eva", "finn"])
    before = solve(moved)
    other = next(d for d in moved["meetings"][0]["candidates"] if d != m1["date"])
    moved["pins"] = [{"meeting": "m1", "date": other}]
    for rid, holders in before["meetings"][0]["roles"].items():
        moved["pins"] += [{"meeting": "m1", "role": rid, "participant": p} for p in holders]
    moved["previous"] = before
    after = solve(moved)
    assert after["meetings"][0]["date"] == other
    assert after["score"]["changes"] == 1


def test_repeats_leave_out_always_holders():
    # sara is always in the planning group, so she holds it at consecutive meetings
    doc = build()
    result = solve(doc)
    assert all("sara" in m["roles"]["planning"] for m in result["meetings"])
    assert result["score"]["repeats"] == 0


def test_min_days_between_zero_allows_the_same_day():
    doc = build(
        meetings={"m1": ["2027-03-01"], "m2": ["2027-03-01"]},
        rules={"min_days_between": 0, "min_attendance": 0},
    )
    result = solve(doc)
    check_rules(doc, result)
    assert [m["date"] for m in result["meetings"]] == ["2027-03-01", "2027-03-01"]
    doc["rules"]["min_days_between"] = 1
    assert solve(doc)["status"] == "infeasible"


def test_always_roles_count_in_the_load_but_not_in_their_roles_sum():
    doc = build(history={"anna": {"notes": 1}})  # sara is always in the planning group
    result = solve(doc)
    counts = _counts(doc, result)
    people = [p["id"] for p in doc["participants"]]
    role_sum = sum(
        counts[p, r["id"]] ** 2
        for r in doc["roles"]
        for p in people
        if p not in r.get("always", [])
    )
    loads = {p: sum(counts[p, r["id"]] for r in doc["roles"]) for p in people}
    assert loads["sara"] >= len(doc["meetings"])
    assert result["score"]["fairness"] == role_sum + sum(n * n for n in loads.values())
    assert result["score"]["load_spread"] == max(loads.values()) - min(loads.values())
