"""Database <-> plan-instance/1 and plan-result/1 (docs/spec/plan-format.md)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import BindParameter, Row, bindparam, func, insert, or_, select
from sqlalchemy.orm import aliased

from .db import db
from .models import (
    CandidateDay,
    Meeting,
    Member,
    Network,
    Pin,
    Plan,
    PlanStatus,
    Poll,
    Response,
    Role,
    RoleHistory,
    Venue,
)

INSTANCE_FORMAT = "plan-instance/1"


class PlanningError(Exception):
    """The poll cannot be turned into a plan instance; the message says why, for the coordinator."""


def active_member_keys(poll: Poll) -> dict[int, str]:
    """The network's active members: id -> key."""
    return {m.id: m.key for m in poll.network.members if m.active}


# The instance is read, and a plan stored, with these statements, built once and run on the
# session's connection: a solve job starts from a fresh session, where making statements and
# loading ORM objects would cost more than the queries (the app's part of a solve must stay
# small beside the solver's, issue #4).
_venue, _role, _member = aliased(Venue), aliased(Role), aliased(Member)
_network_id: BindParameter[int] = bindparam("network")
_poll_id: BindParameter[int] = bindparam("poll")
_MEMBERS = (
    select(
        Member.id,
        Member.key,
        Member.name,
        Member.organisation,
        Member.cannot,
        Member.is_coordinator,
    )
    .where(Member.network_id == _network_id, Member.active.is_(True))
    .order_by(Member.id)
)
_VENUES = (
    select(Venue.id, Venue.key, Venue.name)
    .where(Venue.network_id == _network_id)
    .order_by(Venue.position, Venue.id)
)
_MEETING_DAYS = (
    select(Meeting.id, Meeting.key, Meeting.name, CandidateDay.day)
    .outerjoin(CandidateDay, CandidateDay.meeting_id == Meeting.id)
    .where(Meeting.poll_id == _poll_id)
    .order_by(Meeting.position, Meeting.id, CandidateDay.day)
)
_NETWORK = select(Network.timezone, Network.meeting_start, Network.meeting_end).where(
    Network.id == _network_id
)
_ROLES = (
    select(
        Role.key,
        Role.name,
        Role.per_meeting,
        Role.within,
        Role.conflicts,
        Role.includes_coordinator,
    )
    .where(Role.network_id == _network_id)
    .order_by(Role.position, Role.id)
)
_RESPONSES = select(Response.member_id, Response.cannot_roles, Response.answers).where(
    Response.poll_id == _poll_id
)
_HISTORY = (
    select(RoleHistory.member_id, Role.key, func.sum(RoleHistory.count))
    .join(Role, Role.id == RoleHistory.role_id)
    .where(Role.network_id == _network_id)
    .where(or_(RoleHistory.year.is_(None), RoleHistory.year < bindparam("year")))
    .group_by(RoleHistory.member_id, Role.key)
)
_PINS = (
    select(
        Meeting.key.label("meeting"),
        Pin.day,
        _venue.key.label("venue"),
        _role.key.label("role"),
        _member.key.label("participant"),
    )
    .join(Meeting, Meeting.id == Pin.meeting_id)
    .outerjoin(_venue, _venue.id == Pin.venue_id)
    .outerjoin(_role, _role.id == Pin.role_id)
    .outerjoin(_member, _member.id == Pin.member_id)
    .where(Meeting.poll_id == _poll_id)
    .order_by(Pin.meeting_id, Pin.id)
)
_LATEST_RESULT = (
    select(Plan.result).where(Plan.poll_id == _poll_id).order_by(Plan.version.desc()).limit(1)
)
_STORE_PLAN = (
    insert(Plan)
    .values(
        version=select(func.coalesce(func.max(Plan.version), 0) + 1)
        .where(Plan.poll_id == _poll_id)
        .scalar_subquery()
    )
    .returning(Plan.id)
)


def _rows(statement, **params) -> Sequence[Row]:
    return db.session.connection().execute(statement, params).all()


def check_plannable(poll: Poll) -> None:
    """Refuse, with the reason, a poll that cannot become an instance, whose roles alone need
    more people than the network has, or that no active member has answered yet (the solver
    would only report that no day has enough people)."""
    parts = _parts(poll)
    shortfall = roles_shortfall(_rows(_ROLES, network=poll.network_id), len(parts.members))
    if shortfall:
        raise PlanningError(shortfall)
    if not has_answers(poll):
        raise PlanningError(
            _(
                "Nobody has answered the poll for %(year)d yet, so there is nothing to plan"
                " from. Send the invitations and plan the year when the members have answered.",
                year=poll.year,
            )
        )


_ANSWERS = (
    select(Response.answers)
    .join(Member, Member.id == Response.member_id)
    .where(Response.poll_id == _poll_id, Member.active.is_(True))
)


def has_answers(poll: Poll) -> bool:
    """Whether any active member has marked at least one day of the poll."""
    return any(answers for (answers,) in _rows(_ANSWERS, poll=poll.id))


NO_COORDINATOR = _l(
    "No active member is marked as the network's coordinator, and the plan needs one. Under"
    " Members, add yourself (or open the coordinator) and tick “Coordinator of the network”."
)


def roles_shortfall(roles: Sequence, active_members: int) -> str | None:
    """Why the roles alone need more different people at each meeting than the network has
    active members, or None. Counts the largest role, and any two roles that cannot be combined
    together: a lower bound, so no poll that could be planned is refused."""
    by_key = {role.key: role for role in roles}
    single = max(roles, key=lambda role: role.per_meeting, default=None)
    pairs = [
        (role, by_key[key])
        for role in roles
        for key in role.conflicts
        if key in by_key and key != role.key
    ]
    pair = max(pairs, key=lambda p: p[0].per_meeting + p[1].per_meeting, default=None)
    if pair and pair[0].per_meeting + pair[1].per_meeting > active_members:
        first, second = sorted(pair, key=lambda role: role.per_meeting, reverse=True)
        return _(
            "%(first)s (%(first_count)d per meeting) and %(second)s (%(second_count)d) cannot be"
            " combined, so each meeting needs %(needed)d different people, but the number of"
            " active members is %(count)d. Add members, or give a role fewer holders per meeting"
            " under Roles.",
            first=first.name,
            first_count=first.per_meeting,
            second=second.name,
            second_count=second.per_meeting,
            needed=first.per_meeting + second.per_meeting,
            count=active_members,
        )
    if single and single.per_meeting > active_members:
        return _(
            "%(role)s has %(needed)d holders per meeting, but the number of active members is"
            " %(count)d. Add members, or give the role fewer holders per meeting under Roles.",
            role=single.name,
            needed=single.per_meeting,
            count=active_members,
        )
    return None


@dataclass(frozen=True)
class Gap:
    """Something a network lacks before it can be planned: `kind` is venues, members,
    coordinator or roles (the page links each to where it is fixed)."""

    kind: str
    message: str


def planning_gaps(network: Network) -> list[Gap]:
    """What the network lacks before any year of it can be planned, for the coordinator's
    overview: a new network lacks everything, and the plan page refuses one at a time."""
    active = [m for m in network.members if m.active]
    gaps = []
    if not network.venues:
        gaps.append(Gap("venues", _("The network has no venues.")))
    if not active:
        gaps.append(Gap("members", _("The network has no active members.")))
    if not any(m.is_coordinator for m in active):
        gaps.append(Gap("coordinator", str(NO_COORDINATOR)))
    shortfall = roles_shortfall(network.roles, len(active)) if active else None
    if shortfall:
        gaps.append(Gap("roles", shortfall))
    return gaps


@dataclass(frozen=True)
class _Parts:
    """The rows of an instance that can refuse a plan."""

    members: Sequence[Row]
    coordinator: str
    venues: Sequence[Row]
    meetings: list[tuple[str, str, list[str]]]  # key, name, candidate dates


def _parts(poll: Poll) -> _Parts:
    members = _rows(_MEMBERS, network=poll.network_id)
    coordinator = next((m.key for m in members if m.is_coordinator), None)
    if coordinator is None:
        raise PlanningError(str(NO_COORDINATOR))
    venues = _rows(_VENUES, network=poll.network_id)
    if not venues:
        raise PlanningError(_("The network has no venues."))
    meetings: dict[int, tuple[str, str, list[str]]] = {}
    for meeting_id, key, name, day in _rows(_MEETING_DAYS, poll=poll.id):
        dates = meetings.setdefault(meeting_id, (key, name, []))[2]
        if day is not None:
            dates.append(day.isoformat())
    empty = [name for _key, name, dates in meetings.values() if not dates]
    if empty:
        raise PlanningError(
            _("These meetings have no candidate days: %(names)s", names=", ".join(empty))
        )
    return _Parts(members, coordinator, venues, list(meetings.values()))


def build_instance(poll: Poll, *, with_previous: bool = True) -> dict:
    """The poll as plan-instance/1, from ten queries whatever its size."""
    parts = _parts(poll)
    network = _rows(_NETWORK, network=poll.network_id)[0]
    roles = _rows(_ROLES, network=poll.network_id)
    role_keys = {r.key for r in roles}
    keys = {m.id: m.key for m in parts.members}
    candidates = {day for _key, _name, dates in parts.meetings for day in dates}
    availability: dict[str, dict[str, dict[str, str]]] = {}
    opt_outs: dict[int, list[str]] = {}
    for member_id, cannot_roles, answers in _rows(_RESPONSES, poll=poll.id):
        key = keys.get(member_id)
        if key is None:
            continue
        opt_outs[member_id] = cannot_roles or []
        by_day = {day: cells for day, cells in answers.items() if day in candidates}
        if by_day:
            availability[key] = by_day

    participants = []
    for member in parts.members:
        participant = {"id": member.key, "name": member.name}
        if member.organisation:
            participant["organisation"] = member.organisation
        cannot = sorted({*member.cannot, *opt_outs.get(member.id, ())} & role_keys)
        if cannot:
            participant["cannot"] = cannot
        participants.append(participant)

    meeting_keys = [key for key, _name, _dates in parts.meetings]
    return {
        "format": INSTANCE_FORMAT,
        "year": poll.year,
        "timezone": network.timezone,
        "meeting_hours": [
            network.meeting_start.strftime("%H:%M"),
            network.meeting_end.strftime("%H:%M"),
        ],
        "coordinator": parts.coordinator,
        "participants": participants,
        "venues": [{"id": v.key, "name": v.name} for v in parts.venues],
        "meetings": [
            {"id": key, "name": name, "candidates": dates} for key, name, dates in parts.meetings
        ],
        "roles": [_role_entry(role, parts.coordinator) for role in roles],
        "availability": availability,
        "history": history_before(poll, keys),
        "pins": pins_of(poll),
        "previous": _previous_result(poll, meeting_keys) if with_previous else None,
        "rules": {
            "min_days_between": poll.min_days_between,
            "min_attendance": poll.min_attendance,
        },
    }


def _role_entry(role: Row, coordinator_key: str) -> dict:
    entry = {"id": role.key, "name": role.name, "per_meeting": role.per_meeting}
    if role.includes_coordinator:
        entry["always"] = [coordinator_key]
    if role.within:
        entry["within"] = role.within
    if role.conflicts:
        entry["conflicts"] = list(role.conflicts)
    return entry


def history_before(poll: Poll, keys: Mapping[int, str]) -> dict[str, dict[str, int]]:
    """Role counts from imported history and from plans published for earlier years, for the
    members in `keys` (member id -> key)."""
    history: dict[str, dict[str, int]] = {}
    for member_id, role_key, count in _rows(_HISTORY, network=poll.network_id, year=poll.year):
        if count and member_id in keys:
            history.setdefault(keys[member_id], {})[role_key] = int(count)
    return {key: dict(sorted(counts.items())) for key, counts in sorted(history.items())}


def pins_of(poll: Poll) -> list[dict]:
    result = []
    for pin in _rows(_PINS, poll=poll.id):
        entry: dict = {"meeting": pin.meeting}
        if pin.role is not None:
            entry.update(role=pin.role, participant=pin.participant)
        else:
            if pin.day is not None:
                entry["date"] = pin.day.isoformat()
            if pin.venue is not None:
                entry["venue"] = pin.venue
        result.append(entry)
    return result


def latest_plan(poll: Poll) -> Plan | None:
    return db.session.scalar(
        select(Plan).where(Plan.poll_id == poll.id).order_by(Plan.version.desc()).limit(1)
    )


ANY_PLAN = select(Plan.id).where(Plan.poll_id == bindparam("poll")).limit(1)


def has_plan(poll: Poll) -> bool:
    """Whether the poll has been planned at all (without loading a plan's result)."""
    return db.session.scalar(ANY_PLAN, {"poll": poll.id}) is not None


PUBLISHED_PLAN = select(Plan).where(
    Plan.poll_id == bindparam("poll"), Plan.status == PlanStatus.PUBLISHED
)  # built once: every member page asks it


def plan_by_id(plan_id: int | None) -> Plan | None:
    """A plan whose id was read with something else (the member page reads the published
    plan's id with the member's response)."""
    return db.session.get(Plan, plan_id) if plan_id is not None else None


def published_plan(poll: Poll) -> Plan | None:
    return db.session.scalar(PUBLISHED_PLAN, {"poll": poll.id})


def plan_versions(poll: Poll) -> list[Plan]:
    return list(
        db.session.scalars(select(Plan).where(Plan.poll_id == poll.id).order_by(Plan.version))
    )


def _previous_result(poll: Poll, meeting_keys: list[str]) -> dict | None:
    """The latest stored plan, when it covers exactly these meetings."""
    latest = _rows(_LATEST_RESULT, poll=poll.id)
    if not latest or [m["id"] for m in latest[0].result["meetings"]] != meeting_keys:
        return None
    return latest[0].result


def _meeting_outcome(result: dict) -> list[tuple]:
    """What a plan decides and shows, per meeting: date, venue, hours, role holders and who
    can come; the solver's status and wording are left out."""
    return [
        (
            m["id"],
            m["date"],
            m["venue"],
            m.get("start"),
            m.get("end"),
            sorted((role, sorted(holders)) for role, holders in m["roles"].items()),
            sorted((kind, sorted(keys)) for kind, keys in m.get("attendance", {}).items()),
        )
        for m in result["meetings"]
    ]


def unchanged_plan(poll: Poll, result: dict) -> Plan | None:
    """The latest version, when `result` plans exactly the same meetings with the same people:
    planning again then changed nothing, and no new version is stored."""
    latest = latest_plan(poll)
    if latest is None or _meeting_outcome(latest.result) != _meeting_outcome(result):
        return None
    return latest


def store_plan(poll: Poll, result: dict, note: str = "") -> int:
    """The id of a new draft version holding the result, numbered after the latest."""
    return (
        db.session.connection()
        .execute(
            _STORE_PLAN,
            {
                "poll": poll.id,
                "poll_id": poll.id,
                "status": PlanStatus.DRAFT,
                "result": result,
                "note": note,
            },
        )
        .scalar_one()
    )
