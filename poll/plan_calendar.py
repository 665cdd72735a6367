"""Published plans as calendars: CalendarEvents per meeting, and the SEQUENCE bookkeeping.

Every meeting has one UID for good (`<network>-<year>-<meeting>@modeplan`), in the network's
feed, in each member's feed, in downloads and in mailed invitations, so a calendar that has seen
it once updates it instead of adding a copy. EventState keeps, per meeting, the fingerprint of
what calendars last saw (date, times, location, status) and its SEQUENCE; `sync_events` brings
it up to date whenever a plan is published or exported, so SEQUENCE goes up exactly when one of
those changes (a venue's address edited between two publications counts too). A meeting that was
in an earlier published plan but is not in the current one stays in the calendars as CANCELLED.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from flask_babel import gettext as _
from icalendar import Calendar
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from .calendar import (
    CalendarEvent,
    EventFingerprint,
    build_calendar,
    event_fingerprint,
    next_sequence,
)
from .db import db
from .models import (
    EventState,
    Member,
    Network,
    Plan,
    PlanStatus,
    Poll,
    Venue,
    utcnow,
)
from .plan_view import MeetingView, meeting_views
from .planning import plan_versions, published_plan

UID_DOMAIN = "modeplan"
T = TypeVar("T")
Status = Literal["CONFIRMED", "CANCELLED"]


@dataclass
class PlannedEvent:
    """A meeting as calendars should see it now: where and when, its status and SEQUENCE."""

    poll: Poll
    view: MeetingView
    status: Status
    sequence: int

    @property
    def cancelled(self) -> bool:
        return self.status == "CANCELLED"


def meeting_uid(network: Network, year: int, meeting_key: str) -> str:
    return f"{network.slug}-{year}-{meeting_key}@{UID_DOMAIN}"


def location_of(venue: Venue) -> str:
    return f"{venue.name}, {venue.address}" if venue.address else venue.name


def _fingerprint(view: MeetingView, status: Status) -> EventFingerprint:
    return event_fingerprint(
        start=view.start, end=view.end, location=location_of(view.venue), status=status
    )


def last_published_view(poll: Poll, key: str, *, before: Plan) -> MeetingView | None:
    """The meeting as the latest earlier published plan that had it placed it."""
    earlier = [
        (p.published_at, p)
        for p in plan_versions(poll)
        if p.id != before.id and p.published_at is not None and p.status != PlanStatus.DRAFT
    ]
    for _published, plan in sorted(earlier, key=lambda e: e[0], reverse=True):
        if any(entry["id"] == key for entry in plan.result["meetings"]):
            view = next((v for v in meeting_views(poll, plan) if v.meeting.key == key), None)
            if view is not None:
                return view
    return None


def _sync(poll: Poll, plan: Plan) -> list[PlannedEvent]:
    views = {v.meeting.key: v for v in meeting_views(poll, plan)}
    states = {
        s.meeting_id: s
        for s in db.session.scalars(
            select(EventState).where(EventState.meeting_id.in_([m.id for m in poll.meetings]))
        )
    }
    current: list[PlannedEvent] = []
    cancelled: list[PlannedEvent] = []
    for meeting in poll.meetings:
        state = states.get(meeting.id)
        view = views.get(meeting.key)
        status: Status = "CONFIRMED"
        if view is None:
            view = last_published_view(poll, meeting.key, before=plan)
            if view is None:
                continue  # never published: calendars never saw it
            status = "CANCELLED"
        fingerprint = _fingerprint(view, status)
        if state is None:
            # A cancellation must outrank the SEQUENCE 0 that calendars saw before.
            sequence = 1 if status == "CANCELLED" else 0
            state = EventState(meeting_id=meeting.id, fingerprint=fingerprint, sequence=sequence)
            db.session.add(state)
        else:
            previous = EventFingerprint(state.fingerprint) if state.fingerprint else None
            state.sequence = next_sequence(previous, state.sequence, fingerprint)
            state.fingerprint = fingerprint
        state.cancelled = status == "CANCELLED"
        event = PlannedEvent(poll, view, status, state.sequence)
        (cancelled if event.cancelled else current).append(event)
    order = {entry["id"]: i for i, entry in enumerate(plan.result["meetings"])}
    current.sort(key=lambda e: order.get(e.view.meeting.key, len(order)))
    return current + cancelled


def sync_events(poll: Poll, plan: Plan) -> list[PlannedEvent]:
    """Bring EventState up to date with the published `plan` and return its events.

    Does not commit (see `committed` for callers outside publish()).
    """
    return _sync(poll, plan)


def committed(build: Callable[[], T]) -> T:
    """Run `build` (which may sync event states or make a feed token) and commit what it changed.

    Nothing changed, nothing committed. A change that a query inside `build` flushed early
    (autoflush) counts too: a feed token made on a GET and then lost would show a dead link.
    The commit leaves the objects the page has loaded as they were read: expiring them would
    reload each one, and one that the coordinator deleted meanwhile (a candidate day) would
    fail the page. Two first exports racing to create the same rows is harmless: the loser
    rolls back and builds again from what the winner wrote."""
    session = db.session()
    flushed: list[bool] = []

    def note_flush(_session, _context) -> None:
        flushed.append(True)

    event.listen(session, "after_flush", note_flush)
    try:
        result = build()
        if flushed or _has_changes():
            _commit_keeping_loaded(session)
    except IntegrityError:
        session.rollback()
        result = build()
        _commit_keeping_loaded(session)
    finally:
        event.remove(session, "after_flush", note_flush)
    return result


def _commit_keeping_loaded(session) -> None:
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _has_changes() -> bool:
    session = db.session
    return bool(
        session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    )


def published_events(poll: Poll) -> list[PlannedEvent]:
    plan = published_plan(poll)
    return sync_events(poll, plan) if plan is not None else []


# -- texts -----------------------------------------------------------------------------------


def role_names(view: MeetingView, member: Member) -> list[str]:
    return [role.name for role in view.roles_of(member)]


def event_summary(event: PlannedEvent, member: Member | None = None) -> str:
    view = event.view
    title = f"{view.meeting.name} – {event.poll.network.name}"
    if member is not None and (roles := role_names(view, member)):
        title = f"{title} ({', '.join(roles)})"
    if event.cancelled:
        title = _("Cancelled: %(title)s", title=title)
    return title


def event_description(event: PlannedEvent, member: Member | None = None) -> str:
    view = event.view
    lines: list[str] = []
    if event.cancelled:
        lines += [_("This meeting is cancelled: it is no longer in the plan."), ""]
    if member is not None and (roles := role_names(view, member)):
        lines += [_("Your roles: %(roles)s", roles=", ".join(roles)), ""]
    holders = [rv for rv in view.roles if rv.holders]
    if holders:
        lines.append(_("Roles:"))
        lines += [
            f"{rv.role.name}: {', '.join(m.shown_name for m in rv.holders)}" for rv in holders
        ]
        lines.append("")
    lines.append(_("Agenda:"))
    lines += [f"- {item}" for item in view.agenda_items] or ["-"]
    return "\n".join(lines).strip()


def calendar_event(event: PlannedEvent, member: Member | None = None) -> CalendarEvent:
    view = event.view
    return CalendarEvent(
        uid=meeting_uid(event.poll.network, event.poll.year, view.meeting.key),
        summary=event_summary(event, member),
        start=view.start,
        end=view.end,
        location=location_of(view.venue),
        description=event_description(event, member),
        sequence=event.sequence,
        status=event.status,
    )


# -- calendars -------------------------------------------------------------------------------


def _stamp(polls: list[Poll]) -> datetime:
    """The latest publication among these polls: stable between publications, so the bytes
    (and the feed's ETag) only change when something in them does."""
    stamps = []
    for poll in polls:
        plan = published_plan(poll)
        if plan is not None:
            stamps.append(plan.published_at or plan.created_at)
    return max(stamps) if stamps else datetime(2000, 1, 1, tzinfo=UTC)


def _polls(network: Network, year: int | None) -> list[Poll]:
    return [p for p in network.polls if year is None or p.year == year]


def network_calendar(
    network: Network, *, year: int | None = None, refresh_hours: int | None = None
) -> bytes:
    """Every meeting of the network's published plans (one year, or all years for a feed)."""
    polls = _polls(network, year)
    events = [calendar_event(e) for poll in polls for e in published_events(poll)]
    name = _("Meetings: %(network)s", network=network.name)
    if year is not None:
        name = f"{name} {year}"
    return build_calendar(events, name=name, stamp=_stamp(polls), refresh_hours=refresh_hours)


def member_calendar(
    member: Member, *, year: int | None = None, refresh_hours: int | None = None
) -> bytes:
    """The member's meetings (every meeting of the network; the member meets there) with the
    member's roles in the title and description."""
    polls = _polls(member.network, year)
    events = [calendar_event(e, member) for poll in polls for e in published_events(poll)]
    name = _("My meetings: %(network)s", network=member.network.name)
    if year is not None:
        name = f"{name} {year}"
    return build_calendar(events, name=name, stamp=_stamp(polls), refresh_hours=refresh_hours)


def find_event(poll: Poll, key: str) -> PlannedEvent | None:
    return next((e for e in published_events(poll) if e.view.meeting.key == key), None)


def meeting_calendar(poll: Poll, event: PlannedEvent, member: Member | None = None) -> bytes:
    return build_calendar(
        [calendar_event(event, member)],
        name=f"{event.view.meeting.name} – {poll.network.name}",
        stamp=_stamp([poll]),
    )


def organizer_of(network: Network, fallback_email: str) -> tuple[str, str]:
    """The coordinator as (name, e-mail) for ORGANIZER: the coordinating member's address, else
    the coordinator account's, else the mail sender."""
    coordinator = network.coordinator
    name = coordinator.name if coordinator else network.name
    if coordinator is not None and coordinator.email:
        return name, coordinator.email
    account = next(iter(network.coordinators), None)
    if account is not None:
        return (coordinator.name if coordinator else account.name), account.email
    return name, fallback_email


def invitation_calendar(
    event: PlannedEvent, member: Member, organizer: tuple[str, str], stamp: datetime | None = None
) -> tuple[bytes, str]:
    """One meeting as a mailed invitation for `member`: (bytes, MIME type).

    One meeting per file, because Outlook reads only the first VEVENT of an invitation
    (MS-STANOICAL 2.2.175). A cancelled meeting goes out as METHOD:CANCEL.
    """
    stamp = stamp or utcnow()
    attendee = (member.name, member.email)
    request = build_calendar(
        [calendar_event(event, member)],
        name=f"{event.view.meeting.name} – {event.poll.network.name}",
        stamp=stamp,
        method="REQUEST",
        organizer=organizer,
        attendee=attendee,
    )
    if not event.cancelled:
        return request, "text/calendar; method=REQUEST; charset=UTF-8"
    # RFC 5546 §3.2.5: a cancellation is its own method, same UID, higher SEQUENCE.
    calendar = Calendar.from_ical(request)
    calendar["METHOD"] = "CANCEL"
    return calendar.to_ical(), "text/calendar; method=CANCEL; charset=UTF-8"
