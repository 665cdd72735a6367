"""Time limit, workers, progress and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from solver_cases import EXAMPLES, build, check_rules, example, without_time
from test_solver_rules import answers

from solver import SolveOptions, solve


def test_identical_results_with_one_and_two_workers():
    for name in ("seed-2013", "region-40"):
        doc = example(name)
        one = solve(doc, SolveOptions(workers=1))
        two = solve(doc, SolveOptions(workers=2))
        assert one["status"] == "optimal"
        assert without_time(one) == without_time(two)


def test_time_limit_gives_a_feasible_plan_with_bounds():
    doc = example("region-40")
    result = solve(doc, SolveOptions(time_limit=0.001, language="en"))
    assert result["status"] == "feasible"
    check_rules(doc, result)
    score = result["score"]
    assert score["attendees"] == score["attendees_bound"]
    assert score["fairness_bound"] <= score["fairness"]
    assert result["explanation"][0].startswith("The time limit was reached")


def test_progress_reports_every_stage():
    calls = []
    doc = build()
    solve(doc, SolveOptions(progress=lambda *call: calls.append(call), language="en"))
    labels = [
        "attendance",
        "fairness of roles",
        "fairness of load",
        "rotation and preference",
        "tie-break",
    ]
    expected = []
    for i, label in enumerate(labels):
        expected += [(i, 5, label), (i + 1, 5, label)]
    assert calls == expected
    calls.clear()
    solve({**doc, "previous": solve(doc)}, SolveOptions(progress=lambda *c: calls.append(c)))
    assert [c[2] for c in calls[::2]] == [
        "fremmøde",
        "stabilitet",
        "retfærdig fordeling af roller",
        "retfærdig fordeling af opgaver",
        "rotation og ønsker",
        "entydigt valg",
    ]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "solver", "plan", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
    )


def test_cli_plans_the_founding_network():
    run = _cli(str(EXAMPLES / "seed-2013.json"))
    assert run.returncode == 0
    result = json.loads(run.stdout)
    assert result["status"] == "optimal"
    check_rules(example("seed-2013"), result)
    assert "Møde 1: 2027-" in run.stderr
    assert "Planlægningsgruppe: " in run.stderr


def test_cli_infeasible_writes_result_and_exits_1(tmp_path):
    doc = build()
    answers(doc, {"sara": {"2027-06-01": "no", "2027-06-02": "no"}})
    source, out = tmp_path / "in.json", tmp_path / "out.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    run = _cli(str(source), "-o", str(out), "--workers", "1", "--time-limit", "30", "--lang", "en")
    assert run.returncode == 1
    assert run.stdout == ""
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["status"] == "infeasible"
    assert "Sara always has the role Planlægningsgruppe" in run.stderr
