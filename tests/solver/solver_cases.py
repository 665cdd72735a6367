"""Helpers for the solver tests: a builder for small instances and a checker of the hard rules
that reads the spec, not the solver's code. Imported by name: pytest puts this folder on
sys.path, and the name is unique so it cannot clash with other folders' helpers."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from fractions import Fraction
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "spec" / "examples"

ROLES = [
    {"id": "planning", "name": "Planlægningsgruppe", "per_meeting": 2, "always": ["sara"]},
    {"id": "leader", "name": "Mødeleder", "per_meeting": 1, "within": "planning"},
    {"id": "notes", "name": "Referent", "per_meeting": 1, "conflicts": ["planning"]},
]


def build(
    people: list[str] | None = None,
    meetings: dict[str, list[str]] | None = None,
    venues: list[str] | None = None,
    roles: list[dict] | None = None,
    answer: str = "yes",
    **fields,
) -> dict:
    """A valid instance in which everyone answers `answer` to every date and venue; any
    top-level field can be overridden through keyword arguments."""
    people = people if people is not None else ["sara", "anna", "bo", "carl", "dina"]
    meetings = (
        meetings
        if meetings is not None
        else {
            "m1": ["2027-03-01", "2027-03-02"],
            "m2": ["2027-06-01", "2027-06-02"],
        }
    )
    venues = venues if venues is not None else ["odense", "vejle"]
    doc = {
        "format": "plan-instance/1",
        "year": 2027,
        "timezone": "Europe/Copenhagen",
        "meeting_hours": ["10:00", "15:00"],
        "coordinator": people[0],
        "participants": [{"id": p, "name": p.capitalize()} for p in people],
        "venues": [{"id": v, "name": v.capitalize()} for v in venues],
        "meetings": [
            {"id": m, "name": f"Møde {m[1:]}", "candidates": days} for m, days in meetings.items()
        ],
        "roles": copy.deepcopy(ROLES if roles is None else roles),
        "availability": {
            p: {d: {v: answer for v in venues} for days in meetings.values() for d in days}
            for p in people
        },
        "history": {},
        "pins": [],
        "previous": None,
        "rules": {"min_days_between": 28, "min_attendance": 0},
    }
    doc.update(fields)
    return doc


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def answer(doc: dict, p: str, day: str, venue: str) -> str | None:
    return doc["availability"].get(p, {}).get(day, {}).get(venue)


def check_rules(doc: dict, result: dict) -> None:
    """Assert every hard rule of plan-format.md on a result with a plan."""
    assert result["format"] == "plan-result/1"
    assert result["status"] in ("optimal", "feasible")
    people = {p["id"]: p for p in doc["participants"]}
    all_venues = [v["id"] for v in doc["venues"]]
    roles = {r["id"]: r for r in doc["roles"]}
    rules = doc.get("rules", {})
    floor = math.ceil(Fraction(str(rules.get("min_attendance", 0))) * len(people))
    assert [m["id"] for m in result["meetings"]] == [m["id"] for m in doc["meetings"]]
    previous_day = None
    for meeting, planned in zip(doc["meetings"], result["meetings"], strict=True):
        day, venue = planned["date"], planned["venue"]
        assert day in meeting["candidates"]  # rule 1
        assert venue in meeting.get("venues", all_venues)
        come = [p for p in people if answer(doc, p, day, venue) in ("yes", "maybe")]
        assert len(come) >= floor  # rule 6, attendance
        assert sorted(planned["attendance"]["yes"] + planned["attendance"]["maybe"]) == sorted(come)
        if previous_day is not None:  # rule 6, spacing and order
            gap = (dt.date.fromisoformat(day) - previous_day).days
            assert gap >= rules.get("min_days_between", 0)
        previous_day = dt.date.fromisoformat(day)
        held = planned["roles"]
        assert set(held) == set(roles)
        for rid, role in roles.items():
            assert len(held[rid]) == role["per_meeting"] == len(set(held[rid]))  # rule 2
            for p in held[rid]:
                assert p in come  # rule 3
                assert rid not in people[p].get("cannot", [])  # rule 5
                if role.get("within"):
                    assert p in held[role["within"]]
                for other in role.get("conflicts", []):
                    assert p not in held[other]
            assert set(role.get("always", [])) <= set(held[rid])  # rule 4
        for pin in doc.get("pins", []):  # rule 6, pins
            if pin["meeting"] != meeting["id"]:
                continue
            if "role" in pin:
                assert pin["participant"] in held[pin["role"]]
            else:
                assert pin.get("date", day) == day
                assert pin.get("venue", venue) == venue


def without_time(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "solve_seconds"}
