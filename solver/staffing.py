"""Can one meeting's roles be staffed from the people who can come on a given date and venue?

No hard rule links role holders of different meetings, so this question decides, per meeting
and option, whether the option can be part of a plan at all. That is what makes the date DP
exact. A greedy pass answers almost every case; a small CP-SAT model settles the rest exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from ortools.sat.python import cp_model

from solver.instance import Instance, Role

Staffing = Mapping[str, tuple[str, ...]]  # role id -> holders, sorted


def parents_first(instance: Instance) -> list[Role]:
    """Roles ordered so that a `within` role comes after the role it lies within."""
    done: list[Role] = []
    pending = list(instance.roles)
    while pending:
        for role in pending:
            if role.within is None or any(r.id == role.within for r in done):
                done.append(role)
                pending.remove(role)
                break
    return done


def forced_holders(instance: Instance, meeting: str) -> dict[str, set[str]]:
    """People who must hold each role at this meeting: `always` holders and pinned holders,
    plus, up the `within` chain, the parents those imply."""
    forced: dict[str, set[str]] = {r.id: set(r.always) for r in instance.roles}
    for pin in instance.pins:
        if pin.meeting == meeting and pin.role is not None and pin.participant is not None:
            forced[pin.role].add(pin.participant)
    for role in reversed(parents_first(instance)):
        if role.within is not None:
            forced[role.within] |= forced[role.id]
    return forced


class StaffingCheck:
    """Caches answers per (meeting, available people)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.order = parents_first(instance)
        self.forced = {m.id: forced_holders(instance, m.id) for m in instance.meetings}
        self._children = {
            r.id: [c.id for c in instance.roles if c.within == r.id] for r in instance.roles
        }
        self._cannot = {p.id: p.cannot for p in instance.participants}
        self.staff = cache(self._staff)

    def _staff(self, meeting: str, available: frozenset[str]) -> Staffing | None:
        forced = self.forced[meeting]
        for role in self.order:
            if len(forced[role.id]) > role.per_meeting:
                return None
            if any(p not in available or role.id in self._cannot[p] for p in forced[role.id]):
                return None
            eligible = sum(1 for p in available if role.id not in self._cannot[p])
            if eligible < role.per_meeting:
                return None
        return self._greedy(meeting, available) or self._exact(meeting, available)

    def _greedy(self, meeting: str, available: frozenset[str]) -> Staffing | None:
        held: dict[str, set[str]] = {p: set() for p in available}
        out: dict[str, list[str]] = {}
        forced = self.forced[meeting]

        def fits(p: str, role: Role) -> bool:
            mine = held[p]
            return (
                role.id not in self._cannot[p]
                and role.id not in mine
                and not (role.conflicts & mine)
                and (role.within is None or role.within in mine)
            )

        def useful(p: str, role: Role) -> int:
            # keep people who can also take the child roles inside this one
            return sum(1 for c in self._children[role.id] if c not in self._cannot[p])

        for role in self.order:
            chosen = sorted(forced[role.id])
            if not all(fits(p, role) for p in chosen):
                return None
            pool = sorted(
                (p for p in available if p not in chosen and fits(p, role)),
                key=lambda p: (len(held[p]), -useful(p, role), p),
            )
            chosen += pool[: role.per_meeting - len(chosen)]
            if len(chosen) < role.per_meeting:
                return None
            for p in chosen:
                held[p].add(role.id)
            out[role.id] = chosen
        return {rid: tuple(sorted(ps)) for rid, ps in out.items()}

    def _exact(self, meeting: str, available: frozenset[str]) -> Staffing | None:
        model = cp_model.CpModel()
        people = sorted(available)
        r = {
            (p, role.id): model.new_bool_var(f"{p}:{role.id}")
            for role in self.instance.roles
            for p in people
            if role.id not in self._cannot[p]
        }
        forced = self.forced[meeting]
        for role in self.instance.roles:
            model.add(sum(r[p, role.id] for p in people if (p, role.id) in r) == role.per_meeting)
            for p in forced[role.id]:
                model.add(r[p, role.id] == 1)
            for p in people:
                if (p, role.id) not in r:
                    continue
                if role.within is not None:
                    parent = r.get((p, role.within))
                    model.add(r[p, role.id] == 0) if parent is None else model.add_implication(
                        r[p, role.id], parent
                    )
                for other in role.conflicts:
                    if other > role.id and (p, other) in r:
                        model.add_bool_or([r[p, role.id].Not(), r[p, other].Not()])
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        return {
            role.id: tuple(p for p in people if (p, role.id) in r and solver.value(r[p, role.id]))
            for role in self.instance.roles
        }
