"""Malformed instances are refused with one line naming the JSON path (CLI exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from solver_cases import build

from solver import InstanceError, parse_instance, solve
from solver.__main__ import main


def _set(path: list, value):
    def change(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _cycle(doc: dict) -> None:
    doc["roles"][0]["within"] = "leader"


def _duplicate_person(doc: dict) -> None:
    doc["participants"].append({"id": "anna", "name": "Anna 2"})


def _unknown_answer_person(doc: dict) -> None:
    doc["availability"]["zoe"] = {}


def _unknown_venue(doc: dict) -> None:
    doc["availability"]["anna"]["2027-03-01"]["aarhus"] = "yes"


def _bad_answer_date(doc: dict) -> None:
    doc["availability"]["anna"]["2027-02-30"] = {"odense": "yes"}


def _missing(key: str):
    def change(doc: dict) -> None:
        del doc[key]

    return change


MALFORMED = [
    (
        _set(["meetings", 1, "candidates", 1], "2027-02-30"),
        "meetings[1].candidates[1]",
        "not a date",
    ),
    (_set(["roles", 0, "per_meeting"], -1), "roles[0].per_meeting", "at least 0"),
    (_set(["roles", 0, "per_meeting"], "2"), "roles[0].per_meeting", "integer"),
    (_set(["roles", 0, "per_meeting"], True), "roles[0].per_meeting", "integer"),
    (_set(["roles", 1, "within"], "board"), "roles[1].within", 'unknown role "board"'),
    (_set(["roles", 2, "conflicts"], ["planning", "tea"]), "roles[2].conflicts[1]", "unknown role"),
    (_set(["roles", 0, "always"], ["zoe"]), "roles[0].always[0]", 'unknown participant "zoe"'),
    (_cycle, "roles[0].within", "within cycle planning → leader → planning"),
    (_duplicate_person, "participants[5].id", 'duplicated id "anna"'),
    (_unknown_answer_person, "availability.zoe", 'unknown participant "zoe"'),
    (_unknown_venue, "availability.anna.2027-03-01.aarhus", 'unknown venue "aarhus"'),
    (_bad_answer_date, "availability.anna.2027-02-30", '"2027-02-30" is not a date'),
    (
        _set(["availability", "bo", "2027-03-01", "odense"], "ja"),
        "availability.bo.2027-03-01.odense",
        "is not",
    ),
    (
        _set(["pins"], [{"meeting": "m9", "date": "2027-03-01"}]),
        "pins[0].meeting",
        "unknown meeting",
    ),
    (
        _set(["pins"], [{"meeting": "m1", "role": "notes", "participant": "zoe"}]),
        "pins[0].participant",
        "unknown participant",
    ),
    (_set(["pins"], [{"meeting": "m1", "date": "1st of May"}]), "pins[0].date", "not a date"),
    (_set(["history"], {"anna": {"notes": -2}}), "history.anna.notes", "at least 0"),
    (_set(["history"], {"anna": {"tea": 1}}), "history.anna.tea", "unknown role"),
    (_set(["rules", "min_days_between"], -7), "rules.min_days_between", "at least 0"),
    (_set(["rules", "min_attendance"], 1.5), "rules.min_attendance", "between 0 and 1"),
    (_set(["rules", "min_day_between"], 7), "rules.min_day_between", "unknown field"),
    (_set(["participants", 1, "id"], "Anna B"), "participants[1].id", "[a-z0-9_-]+"),
    (_set(["format"], "plan-instance/2"), "format", "plan-instance/1"),
    (_set(["coordinator"], "zoe"), "coordinator", "unknown participant"),
    (_set(["meeting_hours"], ["15:00", "10:00"]), "meeting_hours[1]", "later"),
    (_missing("meetings"), "meetings", "is missing"),
    (
        _set(
            ["previous"],
            {
                "format": "plan-result/1",
                "meetings": [{"id": "m7", "date": "2027-03-01", "venue": "odense", "roles": {}}],
            },
        ),
        "previous.meetings[0].id",
        "unknown meeting",
    ),
]


@pytest.mark.parametrize(("change", "path", "problem"), MALFORMED)
def test_library_names_path_and_problem(change, path, problem):
    doc = build()
    change(doc)
    with pytest.raises(InstanceError) as caught:
        parse_instance(doc)
    assert caught.value.path == path
    assert problem in caught.value.problem
    assert str(caught.value) == f"{caught.value.path}: {caught.value.problem}"
    with pytest.raises(InstanceError):
        solve(doc)


@pytest.mark.parametrize(("change", "path", "problem"), MALFORMED)
def test_cli_exits_2_with_one_line(change, path, problem, tmp_path, capsys):
    doc = build()
    change(doc)
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["plan", str(file), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: ")
    assert problem in lines[0]
    assert not out.exists()


def test_not_json_exits_2(tmp_path, capsys):
    file = tmp_path / "bad.json"
    file.write_text("{ not json", encoding="utf-8")
    assert main(["plan", str(file)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("$: not valid JSON")


def test_real_process_exit_code(tmp_path):
    doc = build()
    doc["roles"][0]["per_meeting"] = -1
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "solver", "plan", str(file)], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == "roles[0].per_meeting: must be at least 0, not -1\n"


def test_well_formed_contradictions_are_not_malformed():
    """A pin on a date that is not a candidate is explained as infeasible, not refused."""
    doc = build(pins=[{"meeting": "m1", "date": "2027-04-01"}])
    parse_instance(doc)
    assert solve(doc)["status"] == "infeasible"
