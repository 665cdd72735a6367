"""Year polls: creating them from the rules and keeping their candidate days in step."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from .days import SkippedDay, Window, candidate_days
from .db import db
from .models import Availability, CandidateDay, Meeting, Network, Poll, Role, Venue


@dataclass
class MeetingSpec:
    key: str
    name: str
    window: Window


@dataclass
class DayPlan:
    """What the rules give per meeting, compared with the days the poll has now."""

    days: dict[str, list[date]] = field(default_factory=dict)
    skipped: dict[str, list[SkippedDay]] = field(default_factory=dict)
    to_add: list[tuple[str, date]] = field(default_factory=list)
    to_remove: list[CandidateDay] = field(default_factory=list)
    answered_removals: list[CandidateDay] = field(default_factory=list)


def create_poll(network: Network, year: int, meetings: list[MeetingSpec], **settings) -> Poll:
    poll = Poll(network=network, year=year, **settings)
    db.session.add(poll)
    for position, spec in enumerate(meetings):
        db.session.add(
            Meeting(
                poll=poll,
                key=spec.key,
                name=spec.name,
                position=position,
                window_start=spec.window.start,
                window_end=spec.window.end,
            )
        )
    db.session.flush()
    apply_days(poll, plan_days(poll))
    return poll


def plan_days(poll: Poll) -> DayPlan:
    """The candidate days the rules give now; manual days are kept, answered removals flagged."""
    plan = DayPlan()
    excluded = {date.fromisoformat(d) for d in poll.excluded_days}
    wanted: dict[date, str] = {}
    for meeting in poll.meetings:
        days, skipped = candidate_days(
            Window(meeting.window_start, meeting.window_end),
            poll.weekdays,
            poll.blackout_weeks,
            excluded,
        )
        plan.days[meeting.key] = days
        plan.skipped[meeting.key] = skipped
        for day in days:
            wanted.setdefault(day, meeting.key)
    existing = {d.day: d for d in poll.days}
    by_key = {m.key: m for m in poll.meetings}
    for day, key in sorted(wanted.items()):
        if day not in existing:
            plan.to_add.append((key, day))
    answered = answered_day_ids(poll)
    for day, row in existing.items():
        outside = day not in wanted or by_key.get(wanted[day]) is not row.meeting
        if outside and not row.manual:
            plan.to_remove.append(row)
            if row.id in answered:
                plan.answered_removals.append(row)
    return plan


def apply_days(poll: Poll, plan: DayPlan) -> None:
    by_key = {m.key: m for m in poll.meetings}
    for row in plan.to_remove:
        db.session.delete(row)
    db.session.flush()
    for key, day in plan.to_add:
        db.session.add(CandidateDay(poll=poll, meeting=by_key[key], day=day))
    db.session.flush()
    db.session.expire(poll, ["days"])


def answered_day_ids(poll: Poll) -> set[int]:
    rows = db.session.scalars(
        select(Availability.day_id)
        .join(CandidateDay, CandidateDay.id == Availability.day_id)
        .where(CandidateDay.poll_id == poll.id)
        .group_by(Availability.day_id)
    )
    return set(rows)


def answer_count(day: CandidateDay) -> int:
    return db.session.scalar(
        select(func.count(Availability.id)).where(Availability.day_id == day.id)
    )


def default_roles(network: Network) -> list[Role]:
    """The roles from the founding document, as plan-format.md spells them."""
    roles = [
        Role(key="planning", name="Planlægningsgruppe", per_meeting=3, includes_coordinator=True),
        Role(key="leader", name="Mødeleder", per_meeting=1, within="planning"),
        Role(key="notes", name="Referent", per_meeting=1, conflicts=["planning"]),
        Role(key="presenter", name="Oplægsholder", per_meeting=1),
    ]
    for position, role in enumerate(roles):
        role.network = network
        role.position = position
        db.session.add(role)
    return roles


def default_venues(network: Network) -> list[Venue]:
    venues = [
        Venue(key="odense", name="Odense Bibliotek", address="Østre Stationsvej 15, 5000 Odense C"),
        Venue(key="vejle", name="Vejle Bibliotek", address="Willy Sørensens Plads 1, 7100 Vejle"),
    ]
    for position, venue in enumerate(venues):
        venue.network = network
        venue.position = position
        db.session.add(venue)
    return venues
