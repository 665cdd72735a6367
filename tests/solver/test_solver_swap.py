"""Role swaps: candidates for one seat with the rest of the published plan kept."""

from __future__ import annotations

import copy

import pytest
from solver_cases import build, check_rules, example
from test_solver_rules import answers

from solver import solve
from solver.swap import SwapError, swap_candidates


def _pinned_replan(doc: dict, published: dict, meeting: str, role: str, leaving: str) -> dict:
    """A full solve with every date, venue and other holder pinned, `previous` the published
    plan, and the leaving holder unable to come that day: what the swap must agree with."""
    doc = copy.deepcopy(doc)
    doc["previous"] = published
    pins = []
    for m in published["meetings"]:
        pins.append({"meeting": m["id"], "date": m["date"], "venue": m["venue"]})
        always = {r["id"]: set(r.get("always", [])) for r in doc["roles"]}
        for rid, holders in m["roles"].items():
            for p in holders:
                if (m["id"], rid, p) != (meeting, role, leaving) and p not in always[rid]:
                    pins.append({"meeting": m["id"], "role": rid, "participant": p})
        if m["id"] == meeting:
            doc["availability"][leaving][m["date"]][m["venue"]] = "no"
    doc["pins"] = pins
    return doc


def _the_seat(published: dict, role: str) -> tuple[str, str]:
    for m in published["meetings"]:
        holders = m["roles"][role]
        if holders:
            return m["id"], holders[0]
    raise AssertionError("no holder")


def test_first_candidate_is_the_full_solvers_choice():
    doc = example("seed-2013")
    published = solve(doc)
    for role in ("notes", "presenter"):
        meeting, leaving = _the_seat(published, role)
        found = swap_candidates(doc, published, meeting, role, leaving)
        assert 1 <= len(found["candidates"]) <= 3
        assert leaving not in [c["id"] for c in found["candidates"]]
        full = _pinned_replan(doc, published, meeting, role, leaving)
        again = solve(full)
        check_rules(full, again)
        assert again["score"]["changes"] == 1
        best = found["candidates"][0]
        # ties are broken differently; the objective (fairness, repeats) is the same
        for key in ("fairness", "repeats", "changes", "role_spread", "load_spread"):
            assert best["score"][key] == again["score"][key], key
        picked = next(m for m in again["meetings"] if m["id"] == meeting)["roles"][role]
        assert len(picked) == 1
        ties = [
            c["id"]
            for c in found["candidates"]
            if c["score"]["fairness"] == best["score"]["fairness"]
        ]
        assert picked[0] in ties or len(ties) == len(found["candidates"])


def test_candidates_are_ordered_by_fairness_then_repeats_then_yes():
    doc = build(people=["sara", "anna", "bo", "carl", "dina", "eva"])
    doc["history"] = {"bo": {"notes": 2}, "carl": {"presenter": 3}}
    doc["roles"] = [
        {"id": "notes", "name": "Referent", "per_meeting": 1},
        {"id": "presenter", "name": "Oplægsholder", "per_meeting": 1},
    ]
    answers(doc, {"eva": {"2027-03-01": "maybe", "2027-03-02": "maybe"}})
    published = {
        "format": "plan-result/1",
        "meetings": [
            {
                "id": "m1",
                "date": "2027-03-01",
                "venue": "odense",
                "roles": {"notes": ["anna"], "presenter": ["carl"]},
            },
            {
                "id": "m2",
                "date": "2027-06-01",
                "venue": "odense",
                "roles": {"notes": ["dina"], "presenter": ["carl"]},
            },
        ],
    }
    found = swap_candidates(doc, published, "m1", "notes", "anna", limit=6)
    # by notes held (history plus plan), then load, then repeats, then "yes" before "maybe":
    # carl's presenter roles count in his load, dina has notes at the next meeting
    assert [c["id"] for c in found["candidates"]] == ["sara", "eva", "carl", "dina", "bo"]
    assert [c["role_count"] for c in found["candidates"]] == [1, 1, 1, 2, 3]
    assert [c["load"] for c in found["candidates"]] == [1, 1, 6, 2, 3]
    assert [c["score"]["repeats"] for c in found["candidates"]] == [1, 1, 1, 2, 1]  # carl: 1
    assert found["candidates"][0]["answer"] == "yes"
    assert next(c for c in found["candidates"] if c["id"] == "eva")["answer"] == "maybe"
    assert found["explanations"] == {"da": [], "en": []}


def test_hard_rules_keep_people_out():
    doc = build(people=["sara", "anna", "bo", "carl", "dina"])
    doc["participants"][2]["cannot"] = ["notes"]  # bo
    published = {
        "format": "plan-result/1",
        "meetings": [
            {
                "id": "m1",
                "date": "2027-03-01",
                "venue": "odense",
                "roles": {"planning": ["carl", "sara"], "leader": ["carl"], "notes": ["anna"]},
            },
            {
                "id": "m2",
                "date": "2027-06-01",
                "venue": "odense",
                "roles": {"planning": ["dina", "sara"], "leader": ["dina"], "notes": ["bo"]},
            },
        ],
    }
    answers(doc, {"dina": {"2027-03-01": "no"}})
    found = swap_candidates(doc, published, "m1", "notes", "anna", language="en")
    # bo may not, carl and sara are in the planning group (conflict), dina cannot come
    assert found["candidates"] == []
    en = found["explanations"]["en"]
    assert en[0].startswith("Nobody can take over the role Referent from Anna at Møde 1")
    assert "Bo can come but may not hold the role Referent." in en
    assert (
        "Sara and Carl can come but already have a role there that cannot be combined with "
        "Referent." in en
    )
    assert found["explanation"] == en
    assert found["explanations"]["da"][0].startswith("Ingen kan overtage rollen Referent")

    leader = swap_candidates(doc, published, "m1", "leader", "carl", language="en")
    assert [c["id"] for c in leader["candidates"]] == ["sara"]  # within planning

    within = swap_candidates(doc, published, "m1", "planning", "carl", language="en")
    assert within["candidates"] == []
    assert "Carl also has the role Mødeleder" in within["explanation"][1]
    always = swap_candidates(doc, published, "m1", "planning", "sara", language="en")
    assert always["explanation"][1] == "Sara always has the role Planlægningsgruppe."


def test_only_the_holder_can_leave_a_seat():
    doc = build()
    published = solve(doc)
    m1 = published["meetings"][0]
    outsider = next(p["id"] for p in doc["participants"] if p["id"] not in m1["roles"]["notes"])
    with pytest.raises(SwapError) as raised:
        swap_candidates(doc, published, "m1", "notes", outsider)
    assert raised.value.field == "member"
    with pytest.raises(SwapError) as raised:
        swap_candidates(doc, published, "m9", "notes", outsider)
    assert raised.value.field == "meeting"
    with pytest.raises(SwapError) as raised:
        swap_candidates(doc, published, "m1", "chef", outsider)
    assert raised.value.field == "role"


def test_score_after_the_swap_counts_the_change():
    doc = build(people=["sara", "anna", "bo", "carl", "dina", "eva", "finn"])
    published = solve(doc)
    meeting, leaving = _the_seat(published, "notes")
    found = swap_candidates(doc, published, meeting, "notes", leaving)
    for candidate in found["candidates"]:
        assert candidate["score"]["changes"] == 1
        assert candidate["role_count"] == 1
