"""A concrete plan and the figures the spec reports about it (plan-result/1 `score`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from solver.dates import Option
from solver.instance import Instance


@dataclass(frozen=True)
class Plan:
    options: tuple[Option, ...]  # per meeting, in the instance's order
    roles: tuple[Mapping[str, tuple[str, ...]], ...]  # per meeting: role id -> holders, sorted


def counted(instance: Instance, role: str) -> list[str]:
    """Who the fairness sum counts for a role: everyone who may hold it, but its `always`."""
    always = set(instance.role(role).always)
    return [p.id for p in instance.participants if role not in p.cannot and p.id not in always]


def load_counted(instance: Instance) -> list[str]:
    """Who the load sum counts: everyone counted for at least one role."""
    ids = {p for r in instance.roles for p in counted(instance, r.id)}
    return [p.id for p in instance.participants if p.id in ids]


def role_counts(instance: Instance, plan: Plan) -> dict[tuple[str, str], int]:
    """History plus plan, per (participant, role)."""
    out = {
        (p.id, r.id): instance.past(p.id, r.id)
        for p in instance.participants
        for r in instance.roles
    }
    for roles in plan.roles:
        for rid, holders in roles.items():
            for p in holders:
                out[p, rid] += 1
    return out


def loads(instance: Instance, counts: Mapping[tuple[str, str], int]) -> dict[str, int]:
    return {p.id: sum(counts[p.id, r.id] for r in instance.roles) for p in instance.participants}


def repeats(instance: Instance, plan: Plan) -> list[tuple[str, str, int]]:
    """(participant, role, k): holds a role at meetings k and k+1, not being its `always`."""
    out = []
    for role in instance.roles:
        for k in range(len(plan.roles) - 1):
            both = set(plan.roles[k][role.id]) & set(plan.roles[k + 1][role.id])
            out += [(p, role.id, k) for p in sorted(both - set(role.always))]
    return out


def maybe_holders(instance: Instance, plan: Plan) -> list[tuple[str, str, int]]:
    """(participant, role, k): holds a role at meeting k but answered only "maybe"."""
    return [
        (p, rid, k)
        for k, (option, roles) in enumerate(zip(plan.options, plan.roles, strict=True))
        for rid, holders in roles.items()
        for p in holders
        if p not in option.yes
    ]


def venue_repeats(plan: Plan) -> int:
    return sum(a.venue == b.venue for a, b in zip(plan.options, plan.options[1:], strict=False))


def changes(instance: Instance, plan: Plan) -> list[tuple[int, str, str | None]]:
    """What differs from `previous`: (k, "date" | "venue" | role id, the holder who left)."""
    if instance.previous is None:
        return []
    index = {m.id: k for k, m in enumerate(instance.meetings)}
    roles = {r.id for r in instance.roles}
    out: list[tuple[int, str, str | None]] = []
    for prev in instance.previous:
        k = index[prev.id]
        if plan.options[k].date != prev.date:
            out.append((k, "date", None))
        if plan.options[k].venue != prev.venue:
            out.append((k, "venue", None))
        for rid, holders in prev.roles.items():
            if rid in roles:
                out += [(k, rid, p) for p in holders if p not in plan.roles[k][rid]]
    return out


def score(instance: Instance, plan: Plan) -> dict:
    counts = role_counts(instance, plan)
    load = loads(instance, counts)
    fairness = sum(counts[p, r.id] ** 2 for r in instance.roles for p in counted(instance, r.id))
    fairness += sum(load[p] ** 2 for p in load_counted(instance))
    spread = {}
    for role in instance.roles:
        levels = [counts[p, role.id] for p in counted(instance, role.id)]
        if levels:
            spread[role.id] = max(levels) - min(levels)
    levels = [load[p] for p in load_counted(instance)]
    return {
        "attendees": sum(len(o.can_come) for o in plan.options),
        "yes": sum(len(o.yes) for o in plan.options),
        "fairness": fairness,
        "role_spread": spread,
        "load_spread": max(levels) - min(levels) if levels else 0,
        "repeats": len(repeats(instance, plan)),
        "changes": len(changes(instance, plan)),
    }
