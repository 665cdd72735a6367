"""Who said what: the coordinator's people × days grid of a poll.

One table per meeting: a row per active member (an erased member is inactive, so left out, as
on the overview), a column per candidate day and venue, the columns grouped by ISO week and day;
each cell the member's answer or None (not answered), and a total row with the count of each
answer per column. Beneath the tables, each member's comment and the roles they cannot take this
year. Everything comes from a handful of plain queries, whatever the size of the poll; the
template only renders it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from .days import iso_week
from .db import db
from .models import Answer, CandidateDay, Meeting, Member, Poll, Response, Role, Venue
from .overview import active_members, network_venues


@dataclass(eq=False)
class Column:
    """One cell column: a candidate day at a venue."""

    day: CandidateDay
    venue: Venue
    week: WeekHead
    first_of_day: bool  # the day's first venue, where a new day starts


@dataclass(eq=False)
class WeekHead:
    week: int
    days: list[DayHead] = field(default_factory=list)

    @property
    def span(self) -> int:
        return sum(len(d.columns) for d in self.days)

    @property
    def first_day_id(self) -> int:
        """Names the week's header cell: unique, where a week number may come twice (week 1
        at the end of December)."""
        return self.days[0].day.id


@dataclass(eq=False)
class DayHead:
    day: CandidateDay
    columns: list[Column] = field(default_factory=list)


@dataclass
class Totals:
    """How many members gave each answer in one column; `blank` counts those who did not."""

    yes: int = 0
    maybe: int = 0
    no: int = 0
    blank: int = 0

    def add(self, answer: Answer | None) -> None:
        if answer is Answer.YES:
            self.yes += 1
        elif answer is Answer.MAYBE:
            self.maybe += 1
        elif answer is Answer.NO:
            self.no += 1
        else:
            self.blank += 1


@dataclass(eq=False)
class Cell:
    column: Column
    answer: Answer | None  # None: not answered


@dataclass
class Row:
    member: Member
    answered: bool  # has answered the poll at all
    cells: list[Cell]  # one per column of the meeting


@dataclass
class MeetingGrid:
    meeting: Meeting
    weeks: list[WeekHead]
    columns: list[Column]
    rows: list[Row]
    totals: list[Totals]  # one per column


@dataclass
class Note:
    """A member's comment and the roles they cannot take this year (names, the network's
    order)."""

    member: Member
    comment: str
    cannot_roles: list[str]


@dataclass
class AnswerGrid:
    poll: Poll
    venues: list[Venue]
    members: list[Member]  # active, in Danish alphabetical order
    meetings: list[MeetingGrid]
    notes: list[Note]


def answer_grid(poll: Poll) -> AnswerGrid:
    network_id = poll.network_id
    venues = network_venues(network_id)
    members = active_members(network_id)
    responses = {
        r.member_id: r
        for r in db.session.scalars(select(Response).where(Response.poll_id == poll.id))
    }
    role_names = {
        r.key: r.name
        for r in db.session.scalars(
            select(Role).where(Role.network_id == network_id).order_by(Role.position, Role.id)
        )
    }
    meetings = list(
        db.session.scalars(
            select(Meeting).where(Meeting.poll_id == poll.id).order_by(Meeting.position, Meeting.id)
        )
    )
    days = db.session.scalars(
        select(CandidateDay).where(CandidateDay.poll_id == poll.id).order_by(CandidateDay.day)
    )

    weeks_by_meeting: dict[int, list[WeekHead]] = {m.id: [] for m in meetings}
    for day in days:
        weeks = weeks_by_meeting[day.meeting_id]
        week = iso_week(day.day)
        if not weeks or weeks[-1].week != week:
            weeks.append(WeekHead(week))
        columns = [Column(day, venue, weeks[-1], i == 0) for i, venue in enumerate(venues)]
        weeks[-1].days.append(DayHead(day, columns))

    # Each member's answers as {(ISO date, venue key): answer}, read once.
    given: dict[int, dict[tuple[str, str], Answer]] = {
        member_id: {(d, v): a for d, v, a in response.cells()}
        for member_id, response in responses.items()
    }
    grids = []
    for meeting in meetings:
        weeks = weeks_by_meeting[meeting.id]
        columns = [c for w in weeks for d in w.days for c in d.columns]
        keys = [(c.day.day.isoformat(), c.venue.key) for c in columns]
        totals = [Totals() for _ in columns]
        rows = []
        for member in members:
            mine = given.get(member.id, {})
            answers = [mine.get(k) for k in keys]
            for total, answer in zip(totals, answers, strict=True):
                total.add(answer)
            cells = [Cell(c, a) for c, a in zip(columns, answers, strict=True)]
            rows.append(Row(member, member.id in responses, cells))
        grids.append(MeetingGrid(meeting, weeks, columns, rows, totals))

    notes = []
    for member in members:
        response = responses.get(member.id)
        if response is None:
            continue
        comment = (response.comment or "").strip()
        cannot = set(response.cannot_roles or [])
        roles = [name for key, name in role_names.items() if key in cannot]
        if comment or roles:
            notes.append(Note(member, comment, roles))
    return AnswerGrid(poll, venues, members, grids, notes)
