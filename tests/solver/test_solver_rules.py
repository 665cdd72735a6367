"""One small instance per hard rule, built so that the rule binds, and the objective order."""

from __future__ import annotations

from solver_cases import build, check_rules

from solver import solve

PRESENTER = [{"id": "presenter", "name": "Oplægsholder", "per_meeting": 1}]


def answers(doc: dict, table: dict[str, dict[str, str]], venues=None) -> dict:
    """Set answers per person and date, for every venue (or the given ones)."""
    for p, days in table.items():
        for day, value in days.items():
            for v in venues or [v["id"] for v in doc["venues"]]:
                doc["availability"][p].setdefault(day, {})[v] = value
    return doc


def plan(doc: dict) -> dict:
    result = solve(doc)
    check_rules(doc, result)
    assert result["status"] == "optimal"
    return result


def test_seed_2013_keeps_every_rule():
    from solver_cases import example

    doc = example("seed-2013")
    result = plan(doc)
    assert result["score"]["attendees"] == result["score"]["attendees_bound"]


def test_meeting_venues_bind():
    doc = build()
    doc["meetings"][0]["venues"] = ["vejle"]
    answers(doc, {p: {"2027-03-01": "no", "2027-03-02": "no"} for p in ["anna", "bo"]}, ["vejle"])
    assert plan(doc)["meetings"][0]["venue"] == "vejle"


def test_holders_can_come():
    doc = build(people=["sara", "anna", "bo", "carl", "dina", "eva"])
    # anna has never held a role, so fairness wants her; on the better date she cannot come
    doc["history"] = {
        p: {"planning": 2, "leader": 2, "notes": 2} for p in ["bo", "carl", "dina", "eva"]
    }
    answers(doc, {"anna": {"2027-03-01": "no", "2027-03-02": "no"}})
    result = plan(doc)
    assert all("anna" not in held for held in result["meetings"][0]["roles"].values())


def test_always_holder_decides_the_date():
    doc = build()
    answers(doc, {"sara": {"2027-06-01": "no"}})
    answers(doc, {p: {"2027-06-02": "maybe"} for p in ["anna", "bo", "carl", "dina"]})
    result = plan(doc)
    assert result["meetings"][1]["date"] == "2027-06-02"
    assert all("sara" in m["roles"]["planning"] for m in result["meetings"])


def test_cannot_is_respected_even_against_fairness():
    doc = build()
    doc["participants"][1]["cannot"] = ["notes"]
    doc["history"] = {p: {"notes": 3} for p in ["bo", "carl", "dina"]}
    result = plan(doc)
    assert all(m["roles"]["notes"] != ["anna"] for m in result["meetings"])


def test_within_and_conflicts_bind():
    doc = build(people=["sara", "anna", "bo"])
    doc["participants"][0]["cannot"] = ["leader", "notes"]
    doc["participants"][2]["cannot"] = ["planning"]
    result = plan(doc)
    for m in result["meetings"]:
        assert m["roles"] == {"planning": ["anna", "sara"], "leader": ["anna"], "notes": ["bo"]}


def test_per_meeting_zero_and_several():
    roles = [
        {"id": "hosts", "name": "Værter", "per_meeting": 3},
        {"id": "guest", "name": "Gæst", "per_meeting": 0},
    ]
    result = plan(build(roles=roles))
    for m in result["meetings"]:
        assert len(m["roles"]["hosts"]) == 3 and m["roles"]["guest"] == []


def test_pins_are_kept():
    doc = build(
        pins=[
            {"meeting": "m1", "date": "2027-03-02", "venue": "vejle"},
            {"meeting": "m2", "role": "notes", "participant": "anna"},
            {"meeting": "m1", "role": "notes", "participant": "anna"},
        ]
    )
    answers(doc, {"bo": {"2027-03-02": "no"}})
    result = plan(doc)
    assert (result["meetings"][0]["date"], result["meetings"][0]["venue"]) == (
        "2027-03-02",
        "vejle",
    )
    assert result["meetings"][0]["roles"]["notes"] == ["anna"]
    assert result["meetings"][1]["roles"]["notes"] == ["anna"]
    assert result["score"]["repeats"] == 1  # pinned twice in a row: reported, not avoided


def test_spacing_binds():
    doc = build(
        roles=PRESENTER,
        meetings={"m1": ["2027-03-01", "2027-03-20"], "m2": ["2027-04-01", "2027-04-30"]},
    )
    answers(doc, {p: {"2027-03-01": "no", "2027-04-30": "no"} for p in ["anna", "bo"]})
    result = plan(doc)
    # the best dates (20 March, 1 April) are 12 days apart: one meeting must give way
    assert [m["date"] for m in result["meetings"]] in (
        ["2027-03-01", "2027-04-01"],
        ["2027-03-20", "2027-04-30"],
    )
    assert result["score"]["attendees"] == 5 + 3


def test_attendance_floor_binds():
    doc = build(
        roles=PRESENTER,
        meetings={"m1": ["2027-03-01", "2027-03-20"], "m2": ["2027-04-10", "2027-05-01"]},
    )
    doc["rules"]["min_attendance"] = 0.6  # ⌈0.6 × 5⌉ = 3
    answers(doc, {p: {"2027-03-01": "no", "2027-04-10": "no"} for p in ["anna", "bo"]})
    answers(doc, {p: {"2027-05-01": "no"} for p in ["anna", "bo", "carl"]})
    # without the floor: 20 March (5) + 1 May (2) = 7; with it: 1 March (3) + 10 April (3) = 6
    result = plan(doc)
    assert [m["date"] for m in result["meetings"]] == ["2027-03-01", "2027-04-10"]


def test_attendance_first_then_yes():
    doc = build(
        roles=PRESENTER,
        meetings={"m1": ["2027-03-01", "2027-03-02", "2027-03-03"]},
        venues=["odense"],
    )
    answers(doc, {p: {"2027-03-01": "maybe"} for p in ["sara", "anna", "bo", "carl", "dina"]})
    answers(doc, {"anna": {"2027-03-02": "no"}})
    answers(doc, {"bo": {"2027-03-03": "maybe"}, "carl": {"2027-03-03": "maybe"}})
    # 1 Mar: 5 can come, 0 yes; 2 Mar: 4 can come, 4 yes; 3 Mar: 5 can come, 3 yes
    result = plan(doc)
    assert result["meetings"][0]["date"] == "2027-03-03"
    assert (result["score"]["attendees"], result["score"]["yes"]) == (5, 3)


def test_fairness_spreads_roles_evenly():
    doc = build(
        people=["sara", "anna", "bo", "carl", "dina", "eva", "finn"],
        meetings={f"m{i}": [f"2027-{i:02d}-01"] for i in range(1, 7)},
        rules={"min_days_between": 0, "min_attendance": 0},
    )
    doc["participants"][0]["cannot"] = ["leader", "notes"]  # sara, always in planning
    doc["history"] = {"anna": {"notes": 2}}
    result = plan(doc)
    assert max(result["score"]["role_spread"].values()) <= 1
    notes = [m["roles"]["notes"][0] for m in result["meetings"]]
    assert "anna" not in notes
    assert result["score"]["repeats"] == 0


def test_yes_preferred_over_maybe_for_roles():
    doc = build(
        people=["sara", "anna", "bo", "carl"],
        roles=PRESENTER,
        meetings={"m1": ["2027-03-01"]},
        venues=["odense"],
    )
    answers(doc, {"anna": {"2027-03-01": "maybe"}, "bo": {"2027-03-01": "maybe"}})
    doc["history"] = {"carl": {"presenter": 1}, "sara": {"presenter": 1}}
    # anna and bo are fairest but said maybe; fairness still comes first
    result = plan(doc)
    assert result["meetings"][0]["roles"]["presenter"][0] in ("anna", "bo")
    doc["history"] = {}
    result = plan(doc)
    assert result["meetings"][0]["roles"]["presenter"][0] in ("carl", "sara")


def test_no_meetings_is_an_empty_plan():
    doc = build(meetings={})
    result = plan(doc)
    assert result["meetings"] == [] and result["score"]["attendees"] == 0
