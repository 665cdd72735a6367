"""Database <-> plan-instance/1 and plan-result/1 (docs/spec/plan-format.md)."""

from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from .db import db
from .models import (
    Availability,
    CandidateDay,
    Member,
    Pin,
    Plan,
    PlanStatus,
    Poll,
    Response,
    RoleHistory,
)

INSTANCE_FORMAT = "plan-instance/1"


class PlanningError(Exception):
    """The poll cannot be turned into a plan instance; the message says why, for the coordinator."""


def active_members(poll: Poll) -> list[Member]:
    """In the order they joined, which keeps the solver's input stable when names change."""
    return sorted((m for m in poll.network.members if m.active), key=lambda m: m.id)


def check_plannable(poll: Poll) -> dict[int, list[str]]:
    """Refuse, with the reason, a poll that cannot become an instance; else its candidate
    dates per meeting id. Cheap: the answers are not read."""
    network = poll.network
    coordinator = network.coordinator
    if coordinator is None or not coordinator.active:
        raise PlanningError(_("The network has no active coordinator among its members."))
    if not network.venues:
        raise PlanningError(_("The network has no venues."))
    candidates: dict[int, list[str]] = defaultdict(list)
    for day in poll.days:  # one query for every meeting's days, in date order
        candidates[day.meeting_id].append(day.day.isoformat())
    empty = [m.name for m in poll.meetings if not candidates[m.id]]
    if empty:
        raise PlanningError(
            _("These meetings have no candidate days: %(names)s", names=", ".join(empty))
        )
    return candidates


def build_instance(poll: Poll, *, with_previous: bool = True) -> dict:
    network = poll.network
    members = active_members(poll)
    coordinator = network.coordinator
    candidates = check_plannable(poll)
    role_keys = {r.key for r in network.roles}
    opt_outs = _year_opt_outs(poll)
    participants = []
    for member in members:
        participant = {"id": member.key, "name": member.name}
        if member.organisation:
            participant["organisation"] = member.organisation
        cannot = sorted((set(member.cannot) | opt_outs.get(member.id, set())) & role_keys)
        if cannot:
            participant["cannot"] = cannot
        participants.append(participant)

    instance = {
        "format": INSTANCE_FORMAT,
        "year": poll.year,
        "timezone": network.timezone,
        "meeting_hours": [
            network.meeting_start.strftime("%H:%M"),
            network.meeting_end.strftime("%H:%M"),
        ],
        "coordinator": coordinator.key,
        "participants": participants,
        "venues": [{"id": v.key, "name": v.name} for v in network.venues],
        "meetings": [
            {
                "id": m.key,
                "name": m.name,
                "candidates": candidates[m.id],
            }
            for m in poll.meetings
        ],
        "roles": [_role(role, coordinator.key) for role in network.roles],
        "availability": _availability(poll, members),
        "history": history_before(poll, members),
        "pins": pins_of(poll),
        "previous": None,
        "rules": {
            "min_days_between": poll.min_days_between,
            "min_attendance": poll.min_attendance,
        },
    }
    if with_previous:
        instance["previous"] = _previous_result(poll)
    return instance


def _role(role, coordinator_key: str) -> dict:
    entry = {"id": role.key, "name": role.name, "per_meeting": role.per_meeting}
    if role.includes_coordinator:
        entry["always"] = [coordinator_key]
    if role.within:
        entry["within"] = role.within
    if role.conflicts:
        entry["conflicts"] = list(role.conflicts)
    return entry


def _year_opt_outs(poll: Poll) -> dict[int, set[str]]:
    rows = db.session.execute(
        select(Response.member_id, Response.cannot_roles).where(Response.poll_id == poll.id)
    )
    return {member_id: set(roles or []) for member_id, roles in rows}


def _availability(poll: Poll, members: list[Member]) -> dict:
    """member -> date -> venue -> answer. A national network has 100 000 answers and more, so
    they are read as plain DBAPI tuples (see `_plain_rows`)."""
    keys = {m.id: m.key for m in members}
    venues = {v.id: v.key for v in poll.network.venues}
    days = {d.id: d.day.isoformat() for d in poll.days}
    table = Availability.__table__
    rows = _plain_rows(
        select(table.c.member_id, table.c.day_id, table.c.venue_id, table.c.value).where(
            table.c.day_id.in_(select(CandidateDay.id).where(CandidateDay.poll_id == poll.id))
        )
    )
    found: dict[str, dict[str, dict[str, str]]] = {key: {} for key in keys.values()}
    for member_id, day_id, venue_id, value in rows:
        key = keys.get(member_id)
        if key is not None and venue_id in venues:
            by_day = found[key]
            day = days[day_id]
            cells = by_day.get(day)
            if cells is None:
                cells = by_day[day] = {}
            cells[venues[venue_id]] = value
    return {key: by_day for key, by_day in found.items() if by_day}


def _plain_rows(statement) -> list[tuple]:
    """Run a SELECT on the DBAPI cursor, skipping SQLAlchemy's per-row objects (which cost more
    than the query itself at this size). Its parameters are integers, inlined at compile time."""
    connection = db.session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def history_before(poll: Poll, members: list[Member]) -> dict[str, dict[str, int]]:
    """Role counts from imported history and from plans published for earlier years."""
    keys = {m.id: m.key for m in members}
    rows = db.session.execute(
        select(RoleHistory.member_id, RoleHistory.role_id, func.sum(RoleHistory.count))
        .where(or_(RoleHistory.year.is_(None), RoleHistory.year < poll.year))
        .where(RoleHistory.member_id.in_(keys))
        .group_by(RoleHistory.member_id, RoleHistory.role_id)
    )
    roles = {r.id: r.key for r in poll.network.roles}
    history: dict[str, dict[str, int]] = {}
    for member_id, role_id, count in rows:
        if count:
            history.setdefault(keys[member_id], {})[roles[role_id]] = int(count)
    return {key: dict(sorted(counts.items())) for key, counts in sorted(history.items())}


def pins_of(poll: Poll) -> list[dict]:
    meeting_ids = [m.id for m in poll.meetings]
    pins = db.session.scalars(
        select(Pin).where(Pin.meeting_id.in_(meeting_ids)).order_by(Pin.meeting_id, Pin.id)
    )
    result = []
    for pin in pins:
        entry: dict = {"meeting": pin.meeting.key}
        if pin.role is not None:
            entry.update(role=pin.role.key, participant=pin.member.key)
        else:
            if pin.day is not None:
                entry["date"] = pin.day.isoformat()
            if pin.venue is not None:
                entry["venue"] = pin.venue.key
        result.append(entry)
    return result


def latest_plan(poll: Poll) -> Plan | None:
    return db.session.scalar(
        select(Plan).where(Plan.poll_id == poll.id).order_by(Plan.version.desc()).limit(1)
    )


def published_plan(poll: Poll) -> Plan | None:
    return db.session.scalar(
        select(Plan).where(Plan.poll_id == poll.id, Plan.status == PlanStatus.PUBLISHED)
    )


def plan_versions(poll: Poll) -> list[Plan]:
    return list(
        db.session.scalars(select(Plan).where(Plan.poll_id == poll.id).order_by(Plan.version))
    )


def _previous_result(poll: Poll) -> dict | None:
    """The latest stored plan, when it covers exactly this poll's meetings."""
    plan = latest_plan(poll)
    if plan is None:
        return None
    if [m["id"] for m in plan.result["meetings"]] != [m.key for m in poll.meetings]:
        return None
    return plan.result


def store_plan(poll: Poll, result: dict, note: str = "") -> Plan:
    latest = latest_plan(poll)
    plan = Plan(
        poll_id=poll.id,
        version=(latest.version + 1) if latest else 1,
        status=PlanStatus.DRAFT,
        result=result,
        note=note,
    )
    db.session.add(plan)
    db.session.flush()
    return plan
