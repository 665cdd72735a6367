"""A stored plan, resolved against the database for people: names, venues, dates, changes.

The plan page, the member page, the CLI, the calendar and the mails all read plans through this.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .models import Meeting, Member, Plan, Poll, Role, Venue

STANDING_AGENDA = ("Sparring – siden sidst", "Hvordan deler vi mødets indhold?")


@dataclass
class RoleView:
    role: Role
    holders: list[Member]


@dataclass
class MeetingView:
    meeting: Meeting
    day: date
    venue: Venue
    start: datetime
    end: datetime
    roles: list[RoleView]
    attendance: dict[str, list[Member]]
    changed: set[str] = field(default_factory=set)  # "date", "venue", role keys

    def roles_of(self, member: Member) -> list[Role]:
        return [rv.role for rv in self.roles if member in rv.holders]

    @property
    def agenda_items(self) -> list[str]:
        text = self.meeting.agenda
        if text is None:
            return list(STANDING_AGENDA)
        return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass
class FairnessRow:
    member: Member
    counts: dict[str, tuple[int, int]]  # role key -> (history, this plan)


def meeting_views(poll: Poll, plan: Plan, previous: Plan | None = None) -> list[MeetingView]:
    network = poll.network
    members = {m.key: m for m in network.members}
    venues = {v.key: v for v in network.venues}
    roles = network.roles
    meetings = {m.key: m for m in poll.meetings}
    zone = ZoneInfo(network.timezone)
    before = {m["id"]: m for m in previous.result["meetings"]} if previous else {}
    views = []
    for entry in plan.result["meetings"]:
        meeting = meetings.get(entry["id"])
        venue = venues.get(entry["venue"])
        if meeting is None or venue is None:
            continue
        day = date.fromisoformat(entry["date"])
        start = _at(day, time.fromisoformat(entry.get("start", "10:00")), zone)
        end = _at(day, time.fromisoformat(entry.get("end", "15:00")), zone)
        view = MeetingView(
            meeting=meeting,
            day=day,
            venue=venue,
            start=start,
            end=end,
            roles=[
                RoleView(r, [members[k] for k in entry["roles"].get(r.key, []) if k in members])
                for r in roles
            ],
            attendance={
                kind: [members[k] for k in entry["attendance"].get(kind, []) if k in members]
                for kind in ("yes", "maybe", "no", "no_answer")
            },
        )
        if old := before.get(entry["id"]):
            if old["date"] != entry["date"]:
                view.changed.add("date")
            if old["venue"] != entry["venue"]:
                view.changed.add("venue")
            for role in roles:
                if sorted(old["roles"].get(role.key, [])) != sorted(
                    entry["roles"].get(role.key, [])
                ):
                    view.changed.add(role.key)
        views.append(view)
    return views


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone)


def fairness_rows(
    poll: Poll, plan: Plan, history: dict[str, dict[str, int]]
) -> tuple[list[FairnessRow], dict[str, int]]:
    """Per member and role: (history, this plan); and per role the spread (max - min of the sum)
    over the members who may hold it."""
    members = [m for m in poll.network.members if m.active]
    in_plan: dict[str, dict[str, int]] = {}
    for entry in plan.result["meetings"]:
        for role_key, holders in entry["roles"].items():
            for key in holders:
                held = in_plan.setdefault(key, {})
                held[role_key] = held.get(role_key, 0) + 1
    rows = []
    for member in members:
        counts = {
            r.key: (
                history.get(member.key, {}).get(r.key, 0),
                in_plan.get(member.key, {}).get(r.key, 0),
            )
            for r in poll.network.roles
        }
        rows.append(FairnessRow(member, counts))
    spread = {}
    for role in poll.network.roles:
        totals = [
            sum(row.counts[role.key])
            for row in rows
            if role.key not in row.member.cannot
            and not (role.includes_coordinator and row.member.is_coordinator)
        ]
        spread[role.key] = (max(totals) - min(totals)) if totals else 0
    return rows, spread
