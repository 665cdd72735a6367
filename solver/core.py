"""Why no plan exists: a small set of rule families that cannot all hold together.

Every family of hard rules (per meeting: the date window, the attendance floor, each role's
staffing, each `always` holder, each pin; per pair of meetings: the spacing) sits behind an
assumption literal of a model without objective. CP-SAT returns a sufficient set of assumptions
for infeasibility; it is only cut down on a pure feasibility model solved by one worker, and
even then not always minimal, so it is shrunk further by deletion.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.dates import meeting_options
from solver.instance import Instance


@dataclass(frozen=True, order=True)
class Family:
    """One family of rules. `kind` is window, floor, staffing, always, pin or spacing;
    `role` and `person` are set for staffing/always, `pin` is an index into instance.pins."""

    meeting: int
    kind: str
    role: str | None = None
    person: str | None = None
    pin: int | None = None


class _Model:
    def __init__(self, instance: Instance) -> None:
        self.model = m = cp_model.CpModel()
        self.guards: dict[Family, cp_model.IntVar] = {}
        self.options = [meeting_options(instance, meeting) for meeting in instance.meetings]
        self.x = [[m.new_bool_var("") for _ in opts] for opts in self.options]
        self.r: dict[tuple[str, int, str], cp_model.IntVar] = {}
        cannot = {p.id: p.cannot for p in instance.participants}
        floor = instance.attendance_floor()
        index = {mt.id: k for k, mt in enumerate(instance.meetings)}

        for k, (xs, opts) in enumerate(zip(self.x, self.options, strict=True)):
            m.add_at_most_one(xs)
            m.add(cp_model.LinearExpr.sum(xs) >= 1).only_enforce_if(
                self._guard(Family(k, "window"))
            )
            if floor > 0:
                m.add(
                    cp_model.LinearExpr.weighted_sum(xs, [len(o.can_come) for o in opts]) >= floor
                ).only_enforce_if(self._guard(Family(k, "floor")))
            people = sorted(frozenset().union(*(o.can_come for o in opts)))
            for p in people:
                here = m.new_bool_var("")
                m.add(
                    here
                    == cp_model.LinearExpr.sum(
                        [x for x, o in zip(xs, opts, strict=True) if p in o.can_come]
                    )
                )
                for role in instance.roles:
                    if role.id not in cannot[p]:
                        self.r[p, k, role.id] = var = m.new_bool_var("")
                        m.add_implication(var, here)
            for role in instance.roles:
                holders = [self.r[p, k, role.id] for p in people if (p, k, role.id) in self.r]
                m.add(cp_model.LinearExpr.sum(holders) == role.per_meeting).only_enforce_if(
                    self._guard(Family(k, "staffing", role=role.id))
                )
                for p in role.always:
                    self._require(p, k, role.id, Family(k, "always", role=role.id, person=p))
                for p in people:
                    mine = self.r.get((p, k, role.id))
                    if mine is None:
                        continue
                    if role.within is not None:
                        parent = self.r.get((p, k, role.within))
                        m.add_implication(mine, parent) if parent is not None else m.add(mine == 0)
                    for other in role.conflicts:
                        theirs = self.r.get((p, k, other))
                        if other > role.id and theirs is not None:
                            m.add_bool_or([mine.Not(), theirs.Not()])

        for i, pin in enumerate(instance.pins):
            k = index[pin.meeting]
            family = Family(k, "pin", pin=i)
            if pin.role is not None and pin.participant is not None:
                self._require(pin.participant, k, pin.role, family)
            else:
                fits = [
                    x
                    for x, o in zip(self.x[k], self.options[k], strict=True)
                    if pin.date in (None, o.date) and pin.venue in (None, o.venue)
                ]
                m.add(cp_model.LinearExpr.sum(fits) >= 1).only_enforce_if(self._guard(family))

        gap = instance.rules.min_days_between
        for k in range(len(instance.meetings) - 1):
            guard = self._guard(Family(k, "spacing"))
            early, late = self._by_day(k), self._by_day(k + 1)
            for d1, a in early.items():
                for d2, b in late.items():
                    if (d2 - d1).days < gap:
                        m.add(a + b <= 1).only_enforce_if(guard)

    def _guard(self, family: Family) -> cp_model.IntVar:
        self.guards[family] = guard = self.model.new_bool_var("")
        return guard

    def _require(self, p: str, k: int, role: str, family: Family) -> None:
        guard = self._guard(family)
        held = self.r.get((p, k, role))
        if held is None:
            self.model.add_implication(guard, guard.Not())  # cannot hold it there at all
        else:
            self.model.add_implication(guard, held)

    def _by_day(self, k: int) -> dict:
        days: dict = {}
        for x, o in zip(self.x[k], self.options[k], strict=True):
            days.setdefault(o.date, []).append(x)
        return {d: cp_model.LinearExpr.sum(xs) for d, xs in days.items()}


def conflicting_rules(instance: Instance, seed: int = 0) -> list[Family]:
    """A set of rule families that cannot hold together and from which none can be dropped,
    ordered by meeting. The instance must have no plan."""
    built = _Model(instance)
    by_index = {guard.index: family for family, guard in built.guards.items()}
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed

    def core_of(families: list[Family]) -> list[Family] | None:
        built.model.clear_assumptions()
        built.model.add_assumptions([built.guards[f] for f in families])
        if solver.solve(built.model) != cp_model.INFEASIBLE:
            return None
        found = {
            by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index
        }
        return [f for f in families if f in found] or families

    core = core_of(sorted(built.guards))
    if core is None:
        raise RuntimeError("the explanation model has a plan although the planner found none")
    i = 0
    while i < len(core):
        smaller = core_of(core[:i] + core[i + 1 :])
        if smaller is None:
            i += 1  # needed: without it the rest can hold
        else:
            core = smaller
    return core
