"""`previous` is honoured: a re-plan changes as little as it can."""

from __future__ import annotations

from solver_cases import build, check_rules, example, without_time
from test_solver_rules import answers

from solver import solve


def test_same_instance_gives_same_plan_and_no_changes():
    doc = example("seed-2013")
    first = solve(doc)
    doc["previous"] = first
    again = solve(doc)
    assert again["score"]["changes"] == 0
    assert again["meetings"] == first["meetings"]


def test_one_withdrawal_moves_only_that_persons_seats():
    doc = build(people=["sara", "anna", "bo", "carl", "dina", "eva", "finn"])
    answers(doc, {p: {"2027-03-02": "no"} for p in ["carl", "dina"]})
    first = solve(doc)
    m1 = first["meetings"][0]
    assert m1["date"] == "2027-03-01"
    leaver = m1["roles"]["notes"][0]
    answers(doc, {leaver: {"2027-03-01": "no"}})
    doc["previous"] = first
    again = solve(doc)
    check_rules(doc, again)
    assert again["score"]["changes"] == 1
    assert (again["meetings"][0]["date"], again["meetings"][0]["venue"]) == (
        m1["date"],
        m1["venue"],
    )
    assert again["meetings"][1] == first["meetings"][1]
    changed = {
        rid for rid, held in again["meetings"][0]["roles"].items() if held != m1["roles"][rid]
    }
    assert changed == {"notes"}
    assert (
        again["explanation"][-1]
        == f"Møde 1: {leaver.capitalize()} har ikke længere rollen Referent."
    )


def test_stability_comes_before_fairness():
    doc = build()
    first = solve(doc)
    doc["previous"] = first
    doc["history"] = {first["meetings"][0]["roles"]["notes"][0]: {"notes": 5}}
    again = solve(doc)
    assert without_time(again)["meetings"] == first["meetings"]
    assert solve({**doc, "previous": None})["meetings"] != first["meetings"]
