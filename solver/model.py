"""The CP-SAT model of the hard rules, restricted to the date options the attendance DP left,
and one objective expression per later stage."""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from solver.dates import Attendance
from solver.fairness import Fairness
from solver.instance import Instance
from solver.score import Plan, counted, load_counted

Lit = cp_model.IntVar | int


class PlanModel:
    def __init__(self, instance: Instance, attendance: Attendance) -> None:
        self.instance = instance
        self.options = attendance.options
        self.model = m = cp_model.CpModel()
        meetings = instance.meetings
        self.x = [[m.new_bool_var("") for _ in opts] for opts in self.options]
        for xs in self.x:
            m.add_exactly_one(xs)
        if any(len(opts) > 1 for opts in self.options):
            flat = [x for xs in self.x for x in xs]
            opts = [o for os in self.options for o in os]
            m.add(
                cp_model.LinearExpr.weighted_sum(flat, [len(o.can_come) for o in opts])
                == attendance.attendees
            )
            m.add(
                cp_model.LinearExpr.weighted_sum(flat, [len(o.yes) for o in opts]) == attendance.yes
            )
        gap = instance.rules.min_days_between
        for k in range(len(meetings) - 1):
            a, b = self.options[k], self.options[k + 1]
            if (b[0].date - a[-1].date).days < gap:
                m.add(self._day(k + 1) - self._day(k) >= gap)

        self.always = {r.id: frozenset(r.always) for r in instance.roles}
        self.r: dict[tuple[str, int, str], cp_model.IntVar] = {}
        for k, meeting in enumerate(meetings):
            self._meeting_roles(k, meeting.id)

        self.fairness = {
            "roles": Fairness(m, self._role_items(), self._role_seats()),
            "load": Fairness(m, self._load_items(), self._load_seats()),
        }

    def _day(self, k: int) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.weighted_sum(
            self.x[k], [o.date.toordinal() for o in self.options[k]]
        )

    def lit(self, p: str, k: int, role: str) -> Lit:
        """1 for an `always` holder, 0 where p cannot hold the role there, else its variable."""
        if p in self.always[role]:
            return 1
        return self.r.get((p, k, role), 0)

    def _meeting_roles(self, k: int, meeting: str) -> None:
        m, inst, opts = self.model, self.instance, self.options[k]
        can = frozenset().union(*(o.can_come for o in opts))
        sure = frozenset.intersection(*(o.can_come for o in opts))
        cannot = {p.id: p.cannot for p in inst.participants}
        people = sorted(can)
        for role in inst.roles:
            for p in people:
                if role.id not in cannot[p] and p not in self.always[role.id]:
                    self.r[p, k, role.id] = m.new_bool_var("")
        for p in people:
            if p in sure:
                continue
            here = m.new_bool_var("")
            m.add(
                here
                == cp_model.LinearExpr.sum(
                    [x for x, o in zip(self.x[k], opts, strict=True) if p in o.can_come]
                )
            )
            for role in inst.roles:
                if (p, k, role.id) in self.r:
                    m.add_implication(self.r[p, k, role.id], here)
        for role in inst.roles:
            free = [self.r[p, k, role.id] for p in people if (p, k, role.id) in self.r]
            m.add(cp_model.LinearExpr.sum(free) == role.per_meeting - len(role.always))
            if role.within is not None:
                for p in people:
                    mine, parent = self.lit(p, k, role.id), self.lit(p, k, role.within)
                    if isinstance(mine, int) and not isinstance(parent, int):
                        if mine == 1:
                            m.add(parent == 1)
                    elif not isinstance(mine, int):
                        if isinstance(parent, int):
                            if parent == 0:
                                m.add(mine == 0)
                        else:
                            m.add_implication(mine, parent)
            for other in sorted(role.conflicts):
                if other < role.id:
                    continue
                for p in people:
                    a, b = self.lit(p, k, role.id), self.lit(p, k, other)
                    if isinstance(a, int) and isinstance(b, int):
                        continue
                    if isinstance(a, int):
                        if a == 1:
                            m.add(b == 0)
                    elif isinstance(b, int):
                        if b == 1:
                            m.add(a == 0)
                    else:
                        m.add_bool_or([a.Not(), b.Not()])
        for pin in inst.pins:
            if pin.meeting == meeting and pin.role is not None and pin.participant is not None:
                held = self.lit(pin.participant, k, pin.role)
                if not isinstance(held, int):
                    m.add(held == 1)

    # --- fairness ------------------------------------------------------------------------

    def _terms(self, p: str, role: str) -> list[cp_model.IntVar]:
        return [self.r[p, k, role] for k in range(len(self.options)) if (p, k, role) in self.r]

    def _seats(self, role: str) -> int:
        """Seats of a role over the plan that are not taken by its `always` holders."""
        r = self.instance.role(role)
        return (r.per_meeting - len(r.always)) * len(self.options)

    def _role_items(self) -> list[tuple[tuple[str, str], int, list]]:
        return [
            ((p, role.id), self.instance.past(p, role.id), self._terms(p, role.id))
            for role in self.instance.roles
            for p in counted(self.instance, role.id)
        ]

    def _role_seats(self) -> list[tuple[list[int], int]]:
        """Which role items share each role's seats: items are numbered as in _role_items."""
        out, i = [], 0
        for role in self.instance.roles:
            n = len(counted(self.instance, role.id))
            out.append((list(range(i, i + n)), self._seats(role.id)))
            i += n
        return out

    def _load_items(self) -> list[tuple[str, int, list]]:
        inst, meetings = self.instance, len(self.options)
        return [
            (
                p,
                sum(
                    inst.past(p, r.id) + (meetings if p in self.always[r.id] else 0)
                    for r in inst.roles
                ),
                [v for r in inst.roles for v in self._terms(p, r.id)],
            )
            for p in load_counted(inst)
        ]

    def _load_seats(self) -> list[tuple[list[int], int]]:
        people = len(load_counted(self.instance))
        return [(list(range(people)), sum(self._seats(r.id) for r in self.instance.roles))]

    # --- other stages --------------------------------------------------------------------

    def stability(self) -> cp_model.LinearExprT:
        """Changes against `previous`: dates, venues and role holders not kept."""
        inst = self.instance
        index = {m.id: k for k, m in enumerate(inst.meetings)}
        roles = {r.id for r in inst.roles}
        kept: list[Lit] = []
        total = 0
        for prev in inst.previous or ():
            k = index[prev.id]
            pairs = list(zip(self.x[k], self.options[k], strict=True))
            kept += [x for x, o in pairs if o.date == prev.date]
            kept += [x for x, o in pairs if o.venue == prev.venue]
            total += 2
            for rid, holders in prev.roles.items():
                if rid in roles:
                    kept += [self.lit(p, k, rid) for p in holders]
                    total += len(holders)
        return total - cp_model.LinearExpr.sum(kept)

    def rotation(self) -> list[tuple[int, cp_model.LinearExprT]]:
        """Same role at consecutive meetings, then holders who said only "maybe", then venues
        repeated at consecutive meetings, with weights under which each strictly dominates the
        next (a part never exceeds the weight of the part before it)."""
        m, inst, meetings = self.model, self.instance, len(self.options)
        repeat: list[cp_model.IntVar] = []
        most = self.fairness["roles"].most
        for (p, k, rid), a in self.r.items():
            b = self.r.get((p, k + 1, rid))
            if b is not None and most((p, rid)) > 1:
                both = m.new_bool_var("")
                m.add(a + b - both <= 1)
                repeat.append(both)
        maybe = [self._maybe(p, k, held) for (p, k, _), held in self.r.items()]
        for role in inst.roles:
            for p in role.always:
                maybe += [self._maybe(p, k, 1) for k in range(meetings)]
        venue: list[cp_model.LinearExprT] = []
        for k in range(meetings - 1):
            for v in sorted(
                {o.venue for o in self.options[k]} & {o.venue for o in self.options[k + 1]}
            ):
                here = [x for x, o in zip(self.x[k], self.options[k], strict=True) if o.venue == v]
                there = [
                    x
                    for x, o in zip(self.x[k + 1], self.options[k + 1], strict=True)
                    if o.venue == v
                ]
                same = m.new_bool_var("")
                m.add(cp_model.LinearExpr.sum(here + there) - same <= 1)
                venue.append(same)
        seats = sum(r.per_meeting for r in inst.roles) * meetings
        w_maybe = max(1, meetings)  # above the most venue repeats there can be
        return [
            (w_maybe * (seats + 1), cp_model.LinearExpr.sum(repeat)),
            (w_maybe, cp_model.LinearExpr.sum(maybe)),
            (1, cp_model.LinearExpr.sum(venue)),
        ]

    def _maybe(self, p: str, k: int, held: Lit) -> cp_model.LinearExprT:
        """1 when p holds this seat and said only "maybe" for the chosen option."""
        flags = [p not in o.yes for o in self.options[k]]
        if not any(flags):
            return 0
        if all(flags) or len(flags) == 1:
            return held
        said_maybe = cp_model.LinearExpr.sum(
            [x for x, f in zip(self.x[k], flags, strict=True) if f]
        )
        if isinstance(held, int):
            return said_maybe
        both = self.model.new_bool_var("")
        self.model.add(held + said_maybe - both <= 1)
        return both

    # --- solutions -----------------------------------------------------------------------

    def plan(self, values: Sequence[int]) -> Plan:
        inst = self.instance
        options = tuple(
            next(o for x, o in zip(xs, opts, strict=True) if values[x.index])
            for xs, opts in zip(self.x, self.options, strict=True)
        )
        roles = []
        for k in range(len(options)):
            held: dict[str, tuple[str, ...]] = {}
            for role in inst.roles:
                people = set(role.always) | {
                    p
                    for p in options[k].can_come
                    if (p, k, role.id) in self.r and values[self.r[p, k, role.id].index]
                }
                held[role.id] = tuple(sorted(people))
            roles.append(held)
        return Plan(options, tuple(roles))

    def hint_plan(self, plan: Plan) -> None:
        """A partial hint (dates and role holders) from a plan the DP built."""
        m = self.model
        m.clear_hints()
        for k, (xs, opts) in enumerate(zip(self.x, self.options, strict=True)):
            for x, o in zip(xs, opts, strict=True):
                m.add_hint(x, o == plan.options[k])
        for (p, k, role), var in self.r.items():
            m.add_hint(var, p in plan.roles[k][role])

    def hint_values(self, values: Sequence[int]) -> None:
        """A complete hint: a solution of the previous stage, variable by variable."""
        self.model.clear_hints()
        hint = self.model.model_proto.solution_hint
        hint.vars.extend(range(len(values)))
        hint.values.extend(values)
