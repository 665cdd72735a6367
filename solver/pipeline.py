"""The lexicographic stages of plan-format.md, solved one after the other.

Attendance comes from the date DP (exact, milliseconds). Then CP-SAT, on a model restricted to
the date options that reach that attendance, solves stability (only with `previous`), fairness
of roles, fairness of load, and rotation and preference. Each stage starts from the previous
stage's solution as a hint and, once proven, its value is kept for the rest. The tie-break is
a seeded single-worker search of the final model, which by then no longer depends on which
optimum an earlier stage happened to find; so any number of workers returns the same plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.core import conflicting_rules
from solver.dates import best_attendance
from solver.explain import given_up, infeasible
from solver.i18n import LANGUAGES, Text
from solver.instance import Instance, parse_instance
from solver.model import PlanModel
from solver.options import SolveOptions
from solver.result import infeasible_result, plan_result
from solver.score import Plan, score
from solver.staffing import StaffingCheck


@dataclass(frozen=True)
class _Outcome:
    value: int
    bound: int
    proven: bool


def solve(instance: dict, options: SolveOptions | None = None) -> dict:
    """Plan a year: a plan-result/1 dict for a plan-instance/1 dict. Raises InstanceError when
    the instance is malformed."""
    options = options or SolveOptions()
    text = Text(options.language)
    started = time.perf_counter()
    return _Run(parse_instance(instance), options, text, started).run()


class _Run:
    def __init__(self, instance: Instance, options: SolveOptions, text: Text, started: float):
        self.inst, self.options, self.text, self.started = instance, options, text, started
        self.deadline = None if options.time_limit is None else started + options.time_limit
        self.labels = [text.gettext("attendance")]
        if instance.previous is not None:
            self.labels.append(text.gettext("stability"))
        self.labels += [
            text.gettext("fairness of roles"),
            text.gettext("fairness of load"),
            text.gettext("rotation and preference"),
            text.gettext("tie-break"),
        ]
        self.done = 0

    def _search(
        self, solver: cp_model.CpSolver, model: cp_model.CpModel
    ) -> cp_model.CpSolverStatus:
        if self.options.stop is None:
            return solver.solve(model)
        with self.options.stop.watching(solver):
            return solver.solve(model)

    def _stage(self, work: Callable[[], bool]) -> bool:
        if self.options.stop is not None:
            self.options.stop.check()
        label = self.labels[self.done]
        if self.options.progress:
            self.options.progress(self.done, len(self.labels), label)
        proven = work()
        if proven:
            self.done += 1
            if self.options.progress:
                self.options.progress(self.done, len(self.labels), label)
        return proven

    def run(self) -> dict:
        found = []

        def dates() -> bool:
            found.append(best_attendance(self.inst, StaffingCheck(self.inst)))
            return True

        self._stage(dates)
        attendance = found[0]
        if attendance is None:
            families = conflicting_rules(self.inst, self.options.seed)
            return infeasible_result(
                self._elapsed(),
                self._in_every_language(lambda text: infeasible(self.inst, families, text)),
                self.text.language,
            )

        self.model = model = PlanModel(self.inst, attendance)
        self.plan = self.first = Plan(attendance.path, attendance.staffing)
        model.hint_plan(self.plan)
        self.bounds = {key: f.bound for key, f in model.fairness.items()}
        stages: list[Callable[[], bool]] = []
        if self.inst.previous is not None:
            stages.append(lambda: self._linear(model.stability()))
        stages += [
            lambda: self._fairness("roles"),
            lambda: self._fairness("load"),
            self._rotation,
            self._tie_break,
        ]
        proven = all(self._stage(stage) for stage in stages)

        figures = score(self.inst, self.plan)
        figures["attendees_bound"] = attendance.attendees
        if not proven:
            figures["fairness_bound"] = sum(
                f.constant + self.bounds[key] for key, f in model.fairness.items()
            )

        def explain(text: Text) -> list[str]:
            sentences = given_up(self.inst, self.plan, text)
            if not proven:
                sentences.insert(
                    0,
                    text.gettext(
                        "The time limit was reached: the attendance is the best possible, the "
                        "rest of the plan may not be."
                    ),
                )
            return sentences

        status = "optimal" if proven else "feasible"
        return plan_result(
            self.inst,
            self.plan,
            status,
            figures,
            self._elapsed(),
            self._in_every_language(explain),
            self.text.language,
        )

    def _in_every_language(self, explain: Callable[[Text], list[str]]) -> dict[str, list[str]]:
        """The sentences in each language, so that a page can show them in its reader's."""
        return {
            language: explain(self.text if language == self.text.language else Text(language))
            for language in LANGUAGES
        }

    def _elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _solve(self) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver] | None:
        """Solve the model as it stands; None when time ran out before any solution."""
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = self.options.workers
        solver.parameters.random_seed = self.options.seed
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                return None
            solver.parameters.max_time_in_seconds = left
        status = self._search(solver, self.model.model)
        if status == cp_model.UNKNOWN:
            return None
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE):
            raise RuntimeError(f"a planning stage ended {solver.status_name(status)}")
        if status != cp_model.INFEASIBLE:
            values = list(solver.response_proto.solution)
            self.plan = self.model.plan(values)
            self.model.hint_values(values)
        return status, solver

    def _minimise(self, expr: cp_model.LinearExprT) -> _Outcome | None:
        self.model.model.minimize(expr)
        solved = self._solve()
        if solved is None:
            return None
        status, solver = solved
        if status == cp_model.INFEASIBLE:
            raise RuntimeError("a planning stage lost the plan of the stage before")
        return _Outcome(
            round(solver.objective_value),
            round(solver.best_objective_bound),
            status == cp_model.OPTIMAL,
        )

    def _fits(self, literal: cp_model.IntVar) -> bool | None:
        """Whether some plan keeps the constraints behind `literal`; None if time ran out."""
        model = self.model.model
        model.clear_objective()
        model.add_assumptions([literal])
        solved = self._solve()
        model.clear_assumptions()
        return None if solved is None else solved[0] != cp_model.INFEASIBLE

    def _linear(self, expr: cp_model.LinearExprT) -> bool:
        out = self._minimise(expr)
        if out is None or not out.proven:
            return False
        self.model.model.add(expr <= out.value)
        return True

    def _rotation(self) -> bool:
        """One solve for the three parts at once; each part's value is then kept on its own,
        which describes the same optimal plans but propagates far better than one weighted row."""
        parts = self.model.rotation()
        out = self._minimise(
            cp_model.LinearExpr.weighted_sum(
                [expr for _, expr in parts], [weight for weight, _ in parts]
            )
        )
        if out is None or not out.proven:
            return False
        rest = out.value
        for weight, expr in parts:
            self.model.model.add(expr <= rest // weight)
            rest %= weight
        return True

    def _fairness(self, key: str) -> bool:
        fairness = self.model.fairness[key]
        fits = self._fits(fairness.band)
        if fits is None:
            return False
        if fits:
            fairness.keep_bands()
            return True
        squares = fairness.squares()
        out = self._minimise(squares.expr())
        if out is None:
            return False
        self.bounds[key] = max(self.bounds[key], out.bound)
        if out.proven:
            self.model.model.add(squares.expr() <= out.value)
        return out.proven

    def _tie_break(self) -> bool:
        """Every earlier stage is proven, so the model now reads the same whatever the number of
        workers, and its plans are exactly the optimal ones. One seeded worker searches that
        model the same way every time: its first plan is the tie-break. Its hint must not depend
        on earlier solutions either: the DP's plan, which measured well when both fairness sums
        were settled by their bands, and none otherwise, which measured better there."""
        model = self.model.model
        model.clear_objective()
        if all(f.banded for f in self.model.fairness.values()):
            self.model.hint_plan(self.first)
        else:
            model.clear_hints()
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = self.options.seed
        if self.deadline is not None:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                return False
            solver.parameters.max_time_in_seconds = left
        status = self._search(solver, model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return False
        self.plan = self.model.plan(list(solver.response_proto.solution))
        return True
