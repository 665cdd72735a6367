"""Role swaps: who best takes over one role holder's seat at one meeting of a published plan.

Everything else stays as published: every date, venue and other holder is pinned, so the only
decision left is one person for one seat. Attendance and stability are then the same for every
candidate (the leaving holder counts one change, like a moved date), and the rest of the
lexicographic objective of plan-format.md separates them: fairness of roles, fairness of load,
then repeats and "maybe" holders (venues are fixed). Each eligible member's objective differs
from the others only in their own terms, so it is evaluated directly instead of re-solving the
model once per candidate; tests/solver/test_solver_swap.py checks the first candidate against
a full solve with the same pins.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from solver.dates import Option
from solver.explain import MAX_NAMES
from solver.i18n import LANGUAGES, Text
from solver.instance import Instance, parse_instance
from solver.score import Plan, loads, role_counts, score


class SwapError(ValueError):
    """The swap asked for is not one of the published plan: `str(e)` says which part."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class _Seat:
    k: int
    role: str
    leaving: str


def published_plan(instance: Instance, published: dict) -> Plan:
    """The decisions of a plan-result/1 document as a Plan of this instance."""
    by_id = {m["id"]: m for m in published.get("meetings", [])}
    options, roles = [], []
    for meeting in instance.meetings:
        entry = by_id.get(meeting.id)
        if entry is None:
            raise SwapError("published", f'meeting "{meeting.id}" is not in the plan')
        date, venue = dt.date.fromisoformat(entry["date"]), entry["venue"]
        options.append(Option(date, venue, *instance.slot(date, venue)))
        roles.append({r.id: tuple(sorted(entry["roles"].get(r.id, []))) for r in instance.roles})
    return Plan(tuple(options), tuple(roles))


def swap_candidates(
    instance: dict,
    published: dict,
    meeting: str,
    role: str,
    leaving: str,
    *,
    limit: int = 3,
    language: str = "da",
) -> dict:
    """Up to `limit` members who could take `leaving`'s seat in `role` at `meeting`, best first
    by the plan's lexicographic objective, each with the plan's `score` after the swap; when
    nobody can, `explanations` (every language) say why. Raises SwapError when `leaving` does
    not hold that role there, InstanceError when the instance is malformed."""
    started = time.perf_counter()
    inst = parse_instance(instance)
    plan = published_plan(inst, published)
    index = {m.id: k for k, m in enumerate(inst.meetings)}
    if meeting not in index:
        raise SwapError("meeting", f'unknown meeting "{meeting}"')
    if role not in {r.id for r in inst.roles}:
        raise SwapError("role", f'unknown role "{role}"')
    k = index[meeting]
    if leaving not in plan.roles[k][role]:
        raise SwapError("member", f'"{leaving}" does not hold "{role}" at "{meeting}"')
    seat = _Seat(k, role, leaving)

    ranked = []
    blocked = _blocked(inst, plan, seat)
    if blocked is None:
        counts = role_counts(inst, plan)
        load = loads(inst, counts)
        option = plan.options[k]
        for p in inst.participants:
            if _why_not(inst, plan, seat, p.id) is not None:
                continue
            repeat = sum(
                1
                for j in (k - 1, k + 1)
                if 0 <= j < len(plan.roles) and p.id in plan.roles[j][role]
            )
            maybe = int(p.id not in option.yes)
            # (n+1)² − n² for the role and the load: the only fairness terms that differ
            ranked.append(((counts[p.id, role], load[p.id], repeat, maybe), p.id))
        ranked.sort()

    candidates = []
    for _key, pid in ranked[:limit]:
        after = swapped(plan, seat, pid)
        counts = role_counts(inst, after)
        candidates.append(
            {
                "id": pid,
                "answer": "yes" if pid in plan.options[k].yes else "maybe",
                "role_count": counts[pid, role],
                "load": loads(inst, counts)[pid],
                "score": _score(inst, after),
            }
        )

    def explain(text: Text) -> list[str]:
        if candidates:
            return []
        return _nobody(inst, plan, seat, blocked, text)

    return {
        "meeting": meeting,
        "role": role,
        "leaving": leaving,
        "candidates": candidates,
        "solve_seconds": round(time.perf_counter() - started, 4),
        "explanation": explain(Text(language)),
        "explanations": {lang: explain(Text(lang)) for lang in LANGUAGES},
    }


def swapped(plan: Plan, seat: _Seat, new: str) -> Plan:
    roles = list(plan.roles)
    held = dict(roles[seat.k])
    held[seat.role] = tuple(sorted({*held[seat.role], new} - {seat.leaving}))
    roles[seat.k] = held
    return Plan(plan.options, tuple(roles))


def _score(inst: Instance, plan: Plan) -> dict:
    """The plan's score with `changes` counted against the published plan: the one holder."""
    figures = score(inst, plan)
    figures["changes"] = 1
    return figures


def _blocked(inst: Instance, plan: Plan, seat: _Seat) -> str | None:
    """Why the seat cannot change hands at all, whoever takes it: the leaving holder always has
    the role, or holds a role within it there, which would lose its parent."""
    if seat.leaving in inst.role(seat.role).always:
        return "always"
    held = plan.roles[seat.k]
    if any(r.within == seat.role and seat.leaving in held[r.id] for r in inst.roles):
        return "within"
    return None


def _why_not(inst: Instance, plan: Plan, seat: _Seat, p: str) -> str | None:
    """The hard rule that keeps p from the seat, or None when p may take it."""
    held = plan.roles[seat.k]
    role = inst.role(seat.role)
    if p == seat.leaving or p in held[seat.role]:
        return "holds"
    if p not in plan.options[seat.k].can_come:
        return "away"
    if seat.role in inst.participant(p).cannot:
        return "cannot"
    if any(p in held[other] for other in role.conflicts):
        return "conflict"
    if role.within is not None and p not in held[role.within]:
        return "within"
    return None


def _nobody(inst: Instance, plan: Plan, seat: _Seat, blocked: str | None, t: Text) -> list[str]:
    meeting, option = inst.meetings[seat.k], plan.options[seat.k]
    role = inst.role(seat.role)
    values = {
        "meeting": meeting.name,
        "role": role.name,
        "person": inst.participant(seat.leaving).name,
        "date": t.date(option.date),
        "venue": inst.venue(option.venue).name,
    }
    out = [
        t.gettext(
            "Nobody can take over the role {role} from {person} at {meeting} ({date}, {venue}) "
            "while the rest of the plan stays as published.",
            **values,
        )
    ]
    if blocked == "always":
        out.append(t.gettext("{person} always has the role {role}.", **values))
        return out
    if blocked == "within":
        child = next(
            r
            for r in inst.roles
            if r.within == role.id and seat.leaving in plan.roles[seat.k][r.id]
        )
        out.append(
            t.gettext(
                "{person} also has the role {child}, which is part of {role}: both must be "
                "handed over.",
                child=child.name,
                **values,
            )
        )
        return out
    reasons: dict[str, list[str]] = {}
    for p in inst.participants:
        reasons.setdefault(_why_not(inst, plan, seat, p.id) or "", []).append(p.name)

    def names(key: str) -> str:
        found = reasons.get(key, [])
        more = len(found) - MAX_NAMES
        return t.names(found[:MAX_NAMES] + ([f"+{more}"] if more > 0 else []))

    if reasons.get("cannot"):
        out.append(
            t.gettext(
                "{names} can come but may not hold the role {role}.",
                names=names("cannot"),
                **values,
            )
        )
    if reasons.get("conflict"):
        out.append(
            t.gettext(
                "{names} can come but already have a role there that cannot be combined with "
                "{role}.",
                names=names("conflict"),
                **values,
            )
        )
    if reasons.get("within"):
        out.append(
            t.gettext(
                "{names} can come but are not in {parent}, which every {role} must be part of.",
                names=names("within"),
                parent=inst.role(role.within or "").name,
                **values,
            )
        )
    if len(out) == 1:
        out.append(t.gettext("Nobody else answered that they can come that day at that venue."))
    return out
