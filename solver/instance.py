"""Parse and validate a plan-instance/1 document (docs/spec/plan-format.md) into frozen data.

Every problem is reported as an InstanceError naming the JSON path, so a coordinator (or the
web app) can point at the field. Contradictions that are well-formed (a pin on a date that is
not a candidate, an `always` holder who may not hold the role) are left to the solver, which
explains them as infeasibility instead.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any, Protocol, TypeVar

FORMAT = "plan-instance/1"
RESULT_FORMAT = "plan-result/1"
ANSWERS = ("yes", "maybe", "no")
_ID = re.compile(r"[a-z0-9_-]+")
_HOUR = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_Identified)


class InstanceError(ValueError):
    """A malformed plan instance. `str(e)` is `"<json path>: <problem>"`."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Participant:
    id: str
    name: str
    organisation: str | None
    cannot: frozenset[str]


@dataclass(frozen=True)
class Venue:
    id: str
    name: str


@dataclass(frozen=True)
class Meeting:
    id: str
    name: str
    candidates: tuple[dt.date, ...]
    venues: tuple[str, ...]


@dataclass(frozen=True)
class Role:
    id: str
    name: str
    per_meeting: int
    always: tuple[str, ...]
    within: str | None
    conflicts: frozenset[str]  # made symmetric by parse_instance


@dataclass(frozen=True)
class Pin:
    """Either a date and/or venue pin (role and participant None) or a role-holder pin."""

    meeting: str
    date: dt.date | None = None
    venue: str | None = None
    role: str | None = None
    participant: str | None = None


@dataclass(frozen=True)
class PreviousMeeting:
    id: str
    date: dt.date
    venue: str
    roles: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Rules:
    min_days_between: int = 0
    min_attendance: Fraction = Fraction(0)


@dataclass(frozen=True)
class Instance:
    year: int
    timezone: str
    meeting_hours: tuple[str, str]
    coordinator: str
    participants: tuple[Participant, ...]
    venues: tuple[Venue, ...]
    meetings: tuple[Meeting, ...]
    roles: tuple[Role, ...]
    availability: Mapping[str, Mapping[dt.date, Mapping[str, str]]]
    history: Mapping[str, Mapping[str, int]]
    pins: tuple[Pin, ...]
    previous: tuple[PreviousMeeting, ...] | None
    rules: Rules

    def answer(self, participant: str, date: dt.date, venue: str) -> str | None:
        """The participant's answer for that date and venue, None when they gave none."""
        return self.availability.get(participant, {}).get(date, {}).get(venue)

    def slot(self, date: dt.date, venue: str) -> tuple[frozenset[str], frozenset[str]]:
        """Who can come (yes or maybe) and who said yes, for one date and venue."""
        return self._slots.get((date, venue), (frozenset(), frozenset()))

    @cached_property
    def _slots(self) -> dict[tuple[dt.date, str], tuple[frozenset[str], frozenset[str]]]:
        can: dict[tuple[dt.date, str], set[str]] = {}
        yes: dict[tuple[dt.date, str], set[str]] = {}
        for p, days in self.availability.items():
            for date, answers in days.items():
                for venue, answer in answers.items():
                    if answer != "no":
                        can.setdefault((date, venue), set()).add(p)
                        if answer == "yes":
                            yes.setdefault((date, venue), set()).add(p)
        return {k: (frozenset(v), frozenset(yes.get(k, ()))) for k, v in can.items()}

    def past(self, participant: str, role: str) -> int:
        return self.history.get(participant, {}).get(role, 0)

    def attendance_floor(self) -> int:
        return math.ceil(self.rules.min_attendance * len(self.participants))

    def participant(self, pid: str) -> Participant:
        return next(p for p in self.participants if p.id == pid)

    def role(self, rid: str) -> Role:
        return next(r for r in self.roles if r.id == rid)

    def venue(self, vid: str) -> Venue:
        return next(v for v in self.venues if v.id == vid)


# --- helpers: each takes the JSON path of the value it checks -------------------------------


def _type_name(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _expect(value: Any, kind: type | tuple[type, ...], what: str, path: str) -> Any:
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InstanceError(path, f"must be {what}, not {_type_name(value)}")
    if not isinstance(value, kind):
        raise InstanceError(path, f"must be {what}, not {_type_name(value)}")
    return value


def _obj(value: Any, path: str, required: set[str], optional: set[str]) -> dict[str, Any]:
    _expect(value, dict, "an object", path)
    for key in value:
        if key not in required | optional:
            raise InstanceError(_join(path, key), "unknown field")
    for key in sorted(required):
        if key not in value:
            raise InstanceError(_join(path, key), "is missing")
    return value


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return key if path in ("", "$") else f"{path}.{key}"


def _str(value: Any, path: str) -> str:
    _expect(value, str, "a string", path)
    if not value.strip():
        raise InstanceError(path, "must not be empty")
    return value


def _int(value: Any, path: str, minimum: int | None = 0) -> int:
    _expect(value, int, "an integer", path)
    if minimum is not None and value < minimum:
        raise InstanceError(path, f"must be at least {minimum}, not {value}")
    return value


def _date(value: Any, path: str) -> dt.date:
    _expect(value, str, "an ISO date string", path)
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InstanceError(path, f'"{value}" is not a date') from None


def _ref(value: Any, path: str, known: Mapping[str, Any] | set[str], what: str) -> str:
    _expect(value, str, f"a {what} id", path)
    if value not in known:
        raise InstanceError(path, f'unknown {what} "{value}"')
    return value


def _list(value: Any, path: str) -> list[Any]:
    return _expect(value, list, "a list", path)


def _unique_refs(value: Any, path: str, known: Mapping[str, Any] | set[str], what: str) -> tuple:
    items = _list(value, path)
    seen: list[str] = []
    for i, item in enumerate(items):
        ref = _ref(item, _join(path, i), known, what)
        if ref in seen:
            raise InstanceError(_join(path, i), f'"{ref}" is listed twice')
        seen.append(ref)
    return tuple(seen)


def _entities(value: Any, path: str, build: Callable[[Any, str], T]) -> dict[str, T]:
    out: dict[str, T] = {}
    for i, item in enumerate(_list(value, path)):
        entity = build(item, _join(path, i))
        eid = entity.id
        if eid in out:
            raise InstanceError(_join(_join(path, i), "id"), f'duplicated id "{eid}"')
        out[eid] = entity
    return out


# --- the document --------------------------------------------------------------------------

_TOP_REQUIRED = {
    "format",
    "year",
    "timezone",
    "meeting_hours",
    "coordinator",
    "participants",
    "venues",
    "meetings",
    "roles",
    "availability",
}
_TOP_OPTIONAL = {"history", "pins", "previous", "rules"}


def parse_instance(doc: Any) -> Instance:
    """Validate a decoded plan-instance/1 document. Raises InstanceError on the first problem."""
    _obj(doc, "$", _TOP_REQUIRED, _TOP_OPTIONAL)
    if doc["format"] != FORMAT:
        raise InstanceError("format", f'must be "{FORMAT}", not {doc["format"]!r}')
    year = _int(doc["year"], "year", 1)
    timezone = _str(doc["timezone"], "timezone")
    hours = _meeting_hours(doc["meeting_hours"])

    participants = _entities(doc["participants"], "participants", _participant)
    venues = _entities(doc["venues"], "venues", _venue)
    coordinator = _ref(doc["coordinator"], "coordinator", participants, "participant")
    meetings = _entities(doc["meetings"], "meetings", lambda v, p: _meeting(v, p, venues))
    roles = _roles(doc["roles"], participants)
    for i, item in enumerate(doc["participants"]):
        for j, rid in enumerate(item.get("cannot", [])):
            if rid not in roles:
                raise InstanceError(f"participants[{i}].cannot[{j}]", _unk(rid))

    availability = _availability(doc["availability"], participants, venues)
    history = _history(doc.get("history", {}), participants, roles)
    pins = tuple(
        _pin(item, _join("pins", i), participants, venues, meetings, roles)
        for i, item in enumerate(_list(doc.get("pins", []), "pins"))
    )
    previous = _previous(doc.get("previous"), meetings)
    rules = _rules(doc.get("rules", {}))
    return Instance(
        year=year,
        timezone=timezone,
        meeting_hours=hours,
        coordinator=coordinator,
        participants=tuple(participants.values()),
        venues=tuple(venues.values()),
        meetings=tuple(meetings.values()),
        roles=tuple(roles.values()),
        availability=availability,
        history=history,
        pins=pins,
        previous=previous,
        rules=rules,
    )


def _unk(rid: str) -> str:
    return f'unknown role "{rid}"'


def _meeting_hours(value: Any) -> tuple[str, str]:
    items = _list(value, "meeting_hours")
    if len(items) != 2:
        raise InstanceError("meeting_hours", "must list a start and an end time")
    for i, item in enumerate(items):
        _expect(item, str, 'a time such as "10:00"', f"meeting_hours[{i}]")
        if not _HOUR.fullmatch(item):
            raise InstanceError(f"meeting_hours[{i}]", f'"{item}" is not a time (HH:MM)')
    if items[0] >= items[1]:
        raise InstanceError("meeting_hours[1]", "must be later than the start time")
    return items[0], items[1]


def _participant(value: Any, path: str) -> Participant:
    _obj(value, path, {"id", "name"}, {"organisation", "cannot"})
    pid = _str(value["id"], _join(path, "id"))
    if not _ID.fullmatch(pid):
        raise InstanceError(_join(path, "id"), f'"{pid}" must match [a-z0-9_-]+')
    organisation = value.get("organisation")
    if organisation is not None:
        _str(organisation, _join(path, "organisation"))
    cannot = value.get("cannot", [])
    names = _list(cannot, _join(path, "cannot"))
    for i, rid in enumerate(names):
        _str(rid, _join(_join(path, "cannot"), i))
        if names.index(rid) != i:
            raise InstanceError(_join(_join(path, "cannot"), i), f'"{rid}" is listed twice')
    return Participant(
        pid, _str(value["name"], _join(path, "name")), organisation, frozenset(names)
    )


def _venue(value: Any, path: str) -> Venue:
    _obj(value, path, {"id", "name"}, set())
    return Venue(_str(value["id"], _join(path, "id")), _str(value["name"], _join(path, "name")))


def _meeting(value: Any, path: str, venues: Mapping[str, Venue]) -> Meeting:
    _obj(value, path, {"id", "name", "candidates"}, {"venues"})
    cpath = _join(path, "candidates")
    dates: list[dt.date] = []
    for i, item in enumerate(_list(value["candidates"], cpath)):
        day = _date(item, _join(cpath, i))
        if day in dates:
            raise InstanceError(_join(cpath, i), f'"{item}" is listed twice')
        dates.append(day)
    if "venues" in value:
        meeting_venues = _unique_refs(value["venues"], _join(path, "venues"), venues, "venue")
    else:
        meeting_venues = tuple(venues)
    return Meeting(
        _str(value["id"], _join(path, "id")),
        _str(value["name"], _join(path, "name")),
        tuple(sorted(dates)),
        meeting_venues,
    )


def _roles(value: Any, participants: Mapping[str, Participant]) -> dict[str, Role]:
    raw = _list(value, "roles")
    ids: dict[str, int] = {}
    for i, item in enumerate(raw):
        _obj(item, f"roles[{i}]", {"id", "name", "per_meeting"}, {"always", "within", "conflicts"})
        rid = _str(item["id"], f"roles[{i}].id")
        if rid in ids:
            raise InstanceError(f"roles[{i}].id", f'duplicated id "{rid}"')
        ids[rid] = i
    roles: dict[str, Role] = {}
    for i, item in enumerate(raw):
        path = f"roles[{i}]"
        within = item.get("within")
        if within is not None:
            _ref(within, _join(path, "within"), ids, "role")
            if within == item["id"]:
                raise InstanceError(_join(path, "within"), "a role cannot be within itself")
        conflicts = _unique_refs(item.get("conflicts", []), _join(path, "conflicts"), ids, "role")
        if item["id"] in conflicts:
            raise InstanceError(
                _join(_join(path, "conflicts"), conflicts.index(item["id"])),
                "a role cannot conflict with itself",
            )
        roles[item["id"]] = Role(
            id=item["id"],
            name=_str(item["name"], _join(path, "name")),
            per_meeting=_int(item["per_meeting"], _join(path, "per_meeting")),
            always=_unique_refs(
                item.get("always", []), _join(path, "always"), participants, "participant"
            ),
            within=within,
            conflicts=frozenset(conflicts),
        )
    _check_within_cycles(roles, ids)
    symmetric = {
        rid: frozenset(r.conflicts | {o.id for o in roles.values() if rid in o.conflicts})
        for rid, r in roles.items()
    }
    return {
        rid: Role(r.id, r.name, r.per_meeting, r.always, r.within, symmetric[rid])
        for rid, r in roles.items()
    }


def _check_within_cycles(roles: Mapping[str, Role], index: Mapping[str, int]) -> None:
    for start in roles:
        chain = [start]
        while (parent := roles[chain[-1]].within) is not None:
            if parent == start:
                loop = " → ".join([*chain, start])
                raise InstanceError(f"roles[{index[start]}].within", f"within cycle {loop}")
            if parent in chain:
                break  # a cycle not through `start`; reported when its own roles are visited
            chain.append(parent)


def _availability(
    value: Any, participants: Mapping[str, Participant], venues: Mapping[str, Venue]
) -> dict[str, dict[dt.date, dict[str, str]]]:
    _expect(value, dict, "an object", "availability")
    out: dict[str, dict[dt.date, dict[str, str]]] = {}
    dates: dict[str, dt.date] = {}
    for pid, days in value.items():
        ppath = _join("availability", pid)
        if pid not in participants:
            raise InstanceError(ppath, f'unknown participant "{pid}"')
        _expect(days, dict, "an object", ppath)
        out[pid] = mine = {}
        for day, answers in days.items():
            date = dates.get(day) if isinstance(day, str) else None
            if date is None:
                date = dates[day] = _date(day, _join(ppath, day))
            if not isinstance(answers, dict):
                _expect(answers, dict, "an object", _join(ppath, day))
            for vid, answer in answers.items():
                if vid not in venues or answer not in ANSWERS:  # paths only for the error
                    vpath = _join(_join(ppath, day), vid)
                    if vid not in venues:
                        raise InstanceError(vpath, f'unknown venue "{vid}"')
                    _expect(answer, str, '"yes", "maybe" or "no"', vpath)
                    raise InstanceError(vpath, f'"{answer}" is not "yes", "maybe" or "no"')
            mine[date] = answers
    return out


def _history(
    value: Any, participants: Mapping[str, Participant], roles: Mapping[str, Role]
) -> dict[str, dict[str, int]]:
    _expect(value, dict, "an object", "history")
    out: dict[str, dict[str, int]] = {}
    for pid, counts in value.items():
        ppath = _join("history", pid)
        if pid not in participants:
            raise InstanceError(ppath, f'unknown participant "{pid}"')
        _expect(counts, dict, "an object", ppath)
        for rid, count in counts.items():
            if rid not in roles:
                raise InstanceError(_join(ppath, rid), _unk(rid))
            _int(count, _join(ppath, rid))
        out[pid] = dict(counts)
    return out


def _pin(
    value: Any,
    path: str,
    participants: Mapping[str, Participant],
    venues: Mapping[str, Venue],
    meetings: Mapping[str, Meeting],
    roles: Mapping[str, Role],
) -> Pin:
    _obj(value, path, {"meeting"}, {"date", "venue", "role", "participant"})
    meeting = _ref(value["meeting"], _join(path, "meeting"), meetings, "meeting")
    if "role" in value or "participant" in value:
        for key in ("date", "venue"):
            if key in value:
                raise InstanceError(_join(path, key), "a role pin cannot also pin a date or venue")
        for key in ("role", "participant"):
            if key not in value:
                raise InstanceError(_join(path, key), "is missing")
        return Pin(
            meeting,
            role=_ref(value["role"], _join(path, "role"), roles, "role"),
            participant=_ref(
                value["participant"], _join(path, "participant"), participants, "participant"
            ),
        )
    if "date" not in value and "venue" not in value:
        raise InstanceError(path, "must pin a date, a venue or a role holder")
    date = _date(value["date"], _join(path, "date")) if "date" in value else None
    venue = (
        _ref(value["venue"], _join(path, "venue"), venues, "venue") if "venue" in value else None
    )
    return Pin(meeting, date=date, venue=venue)


def _previous(value: Any, meetings: Mapping[str, Meeting]) -> tuple[PreviousMeeting, ...] | None:
    """Only the decisions of an earlier result matter; its other fields are ignored."""
    if value is None:
        return None
    _expect(value, dict, "null or a plan result", "previous")
    if value.get("format") != RESULT_FORMAT:
        raise InstanceError("previous.format", f'must be "{RESULT_FORMAT}"')
    out: list[PreviousMeeting] = []
    items = _list(value.get("meetings"), "previous.meetings")
    for i, item in enumerate(items):
        path = f"previous.meetings[{i}]"
        _expect(item, dict, "an object", path)
        for key in ("id", "date", "venue", "roles"):
            if key not in item:
                raise InstanceError(_join(path, key), "is missing")
        mid = _ref(item["id"], _join(path, "id"), meetings, "meeting")
        if any(p.id == mid for p in out):
            raise InstanceError(_join(path, "id"), f'duplicated id "{mid}"')
        roles = _expect(item["roles"], dict, "an object", _join(path, "roles"))
        holders: dict[str, tuple[str, ...]] = {}
        for rid, people in roles.items():
            rpath = _join(_join(path, "roles"), rid)
            holders[rid] = tuple(
                _str(p, _join(rpath, j)) for j, p in enumerate(_list(people, rpath))
            )
        out.append(
            PreviousMeeting(
                mid,
                _date(item["date"], _join(path, "date")),
                _str(item["venue"], _join(path, "venue")),
                holders,
            )
        )
    return tuple(out)


def _rules(value: Any) -> Rules:
    _obj(value, "rules", set(), {"min_days_between", "min_attendance"})
    days = _int(value.get("min_days_between", 0), "rules.min_days_between")
    share = value.get("min_attendance", 0)
    _expect(share, (int, float), "a number between 0 and 1", "rules.min_attendance")
    if not 0 <= share <= 1:
        raise InstanceError("rules.min_attendance", f"must be between 0 and 1, not {share}")
    # str() keeps 0.7 as 7/10, so ⌈0.7 × 10⌉ is 7 and not 8
    return Rules(days, Fraction(str(share)))
