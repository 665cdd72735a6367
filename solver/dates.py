"""Stage 1, attendance, solved exactly by dynamic programming over the chain of meetings.

The only hard rule that links two meetings is the spacing between consecutive ones; every other
rule (window, pins, attendance floor, staffing) concerns a single meeting and its date/venue
option. So the best total attendance is a longest path through the options of meeting 1, 2, …
with an edge wherever the spacing holds. Options that cannot be staffed are found lazily: only
options on an optimal path are checked, and the DP reruns without the ones that fail.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from solver.instance import Instance, Meeting
from solver.staffing import Staffing, StaffingCheck


@dataclass(frozen=True)
class Option:
    date: dt.date
    venue: str
    can_come: frozenset[str]  # answered yes or maybe
    yes: frozenset[str]


@dataclass(frozen=True)
class Attendance:
    attendees: int
    yes: int
    options: tuple[tuple[Option, ...], ...]  # per meeting: staffable options on optimal paths
    path: tuple[Option, ...]  # one optimal path, the earliest dates
    staffing: tuple[Staffing, ...]  # a staffing of each option on `path`


def meeting_options(instance: Instance, meeting: Meeting) -> list[Option]:
    """Every (date, venue) the meeting may use, before pins and rules are applied."""
    return [
        Option(date, venue, *instance.slot(date, venue))
        for date in meeting.candidates
        for venue in meeting.venues
    ]


def allowed_options(instance: Instance, meeting: Meeting) -> list[Option]:
    """Options that keep the meeting's date/venue pins and its attendance floor, by date."""
    floor = instance.attendance_floor()
    pins = [p for p in instance.pins if p.meeting == meeting.id and p.role is None]
    return [
        o
        for o in meeting_options(instance, meeting)
        if len(o.can_come) >= floor
        and all(p.date in (None, o.date) and p.venue in (None, o.venue) for p in pins)
    ]


def best_attendance(instance: Instance, check: StaffingCheck) -> Attendance | None:
    """The lexicographic optimum (people who can come, then yes), or None if no plan exists."""
    weight = len(instance.participants) * max(1, len(instance.meetings)) + 1
    gap = dt.timedelta(days=instance.rules.min_days_between)
    layers = [allowed_options(instance, m) for m in instance.meetings]
    staffed: dict[tuple[int, Option], Staffing | None] = {}
    while True:
        usable = [
            [o for o in layer if staffed.get((k, o), True) is not None]
            for k, layer in enumerate(layers)
        ]
        found = _longest_paths(usable, gap, lambda o: weight * len(o.can_come) + len(o.yes))
        if found is None:
            return None
        on_path, path = found
        fresh = [(k, o) for k, opts in enumerate(on_path) for o in opts if (k, o) not in staffed]
        for k, o in fresh:
            staffed[k, o] = check.staff(instance.meetings[k].id, o.can_come)
        if all(staffed[key] is not None for key in fresh):
            break
    # Every option on `path` was usable, so its staffing is not None (mypy cannot follow that).
    return Attendance(
        attendees=sum(len(o.can_come) for o in path),
        yes=sum(len(o.yes) for o in path),
        options=tuple(tuple(opts) for opts in on_path),
        path=tuple(path),
        staffing=tuple(staffed[k, o] for k, o in enumerate(path)),  # type: ignore[misc]
    )


def _longest_paths(
    layers: list[list[Option]], gap: dt.timedelta, value: Callable[[Option], int]
) -> tuple[list[list[Option]], list[Option]] | None:
    """Options lying on some best path through the layers, and the best path with the earliest
    dates. Layers hold options sorted by date; consecutive picks must be `gap` apart."""
    if not layers:
        return [], []
    if any(not layer for layer in layers):
        return None
    forward = [[value(o) for o in layers[0]]]
    for k in range(1, len(layers)):
        forward.append(_extend(layers[k - 1], forward[-1], layers[k], gap, value, after=False))
    backward = [[value(o) for o in layers[-1]]]
    for k in range(len(layers) - 2, -1, -1):
        backward.insert(0, _extend(layers[k + 1], backward[0], layers[k], gap, value, after=True))
    best = max(forward[-1])
    if best < 0:
        return None
    on_path = [
        [
            (o, b)
            for o, f, b in zip(layer, fw, bw, strict=True)
            if f >= 0 and f + b - value(o) == best
        ]
        for layer, fw, bw in zip(layers, forward, backward, strict=True)
    ]
    path: list[Option] = []
    remaining = best  # value still to collect from here to the end
    for opts in on_path:
        start = path[-1].date + gap if path else dt.date.min
        pick = next(o for o, b in opts if o.date >= start and b == remaining)
        remaining -= value(pick)
        path.append(pick)
    return [[o for o, _ in opts] for opts in on_path], path


def _extend(
    prev: list[Option],
    prev_best: list[int],
    layer: list[Option],
    gap: dt.timedelta,
    value: Callable[[Option], int],
    *,
    after: bool,
) -> list[int]:
    """Best value of a path ending (after=False) or starting (after=True) at each option of
    `layer`, given the best values at the neighbouring layer `prev`; -1 where none exists."""
    dates = [o.date for o in prev]
    if after:
        suffix = prev_best[:]
        for i in range(len(suffix) - 2, -1, -1):
            suffix[i] = max(suffix[i], suffix[i + 1])
        out = []
        for o in layer:
            i = bisect.bisect_left(dates, o.date + gap)
            out.append(value(o) + suffix[i] if i < len(suffix) and suffix[i] >= 0 else -1)
        return out
    prefix = prev_best[:]
    for i in range(1, len(prefix)):
        prefix[i] = max(prefix[i], prefix[i - 1])
    out = []
    for o in layer:
        i = bisect.bisect_right(dates, o.date - gap) - 1
        out.append(value(o) + prefix[i] if i >= 0 and prefix[i] >= 0 else -1)
    return out
