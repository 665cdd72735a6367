"""What the coordinator sees of a poll: who answered, who is missing, and a day × venue heat map
(counts of Yes, If need be and No; poll.answer_grid has the names).

Everything comes from a handful of queries whatever the size of the poll: the answers are one
row per member (Response.answers), counted here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import repeat
from math import ceil
from typing import NamedTuple

from sqlalchemy import bindparam, func, select

from . import completeness
from .days import iso_week
from .db import db
from .models import Answer, CandidateDay, Meeting, Member, Poll, Response, Venue

# Danish alphabetical order: æ, ø, å come after z (Python puts å before æ).
_DANISH = str.maketrans({"æ": "{", "ø": "|", "å": "}", "ä": "{", "ö": "|"})


_YES, _MAYBE, _NO = Answer.YES.value, Answer.MAYBE.value, Answer.NO.value  # plain str: fast ==


def danish_key(text: str) -> str:
    return text.lower().replace("aa", "å").translate(_DANISH)


class Person(NamedTuple):
    """An active member as the overview names them: three columns of a row, not an entity."""

    id: int
    name: str
    organisation: str


class Place(NamedTuple):
    """A venue as the overview names it."""

    key: str
    name: str


class Day(NamedTuple):
    id: int
    day: date
    manual: bool


class MeetingName(NamedTuple):
    id: int
    name: str


@dataclass
class Cell:
    venue: Place
    yes: int = 0
    maybe: int = 0
    no: int = 0
    level: int = 0  # 0..4, share of members who can come, for the colour
    best: bool = False

    @property
    def can_come(self) -> int:
        return self.yes + self.maybe


@dataclass
class DayRow:
    day: Day
    cells: list[Cell]


@dataclass
class WeekGroup:
    week: int
    days: list[DayRow] = field(default_factory=list)


@dataclass
class MeetingBlock:
    meeting: MeetingName
    weeks: list[WeekGroup] = field(default_factory=list)
    best: list[tuple[DayRow, Cell]] = field(default_factory=list)


@dataclass
class Comment:
    member: Person
    text: str


@dataclass
class Overview:
    poll: Poll
    venues: list[Place]
    members: list[Person]  # active members
    answered: list[Person]  # every day answered
    missing: list[Person]  # nothing answered
    meetings: list[MeetingBlock]
    comments: list[Comment]
    partly: list[Person] = field(default_factory=list)  # some days blank (poll.completeness)
    progress: dict[int, completeness.Progress] = field(default_factory=dict)  # by member id

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def answered_count(self) -> int:
        return len(self.answered)


def _level(can_come: int, members: int) -> int:
    if not can_come or not members:
        return 0
    return min(4, max(1, ceil(4 * can_come / members)))


def network_venues(network_id: int) -> list[Venue]:
    return list(
        db.session.scalars(
            select(Venue).where(Venue.network_id == network_id).order_by(Venue.position, Venue.id)
        )
    )


def active_members(network_id: int) -> list[Member]:
    """The network's active, not erased members in Danish alphabetical order."""
    return sorted(
        db.session.scalars(
            select(Member).where(
                Member.network_id == network_id,
                Member.active.is_(True),
                Member.erased_at.is_(None),
            )
        ),
        key=lambda m: (danish_key(m.name), m.id),
    )


# The page's statements, built once (building a statement and its cache key costs the app
# about a third of what running it does), and run as plain rows fetched all at once (iterating
# a result calls psycopg once a row): the page reads a few columns, and entities would cost
# more to build than the counting.
_VENUES = (
    select(Venue.key, Venue.name)
    .where(Venue.network_id == bindparam("network"))
    .order_by(Venue.position, Venue.id)
)
# The active members, each with their answers and comment if they have any.
_MEMBERS_ANSWERS = (
    select(
        Member.id,
        Member.name,
        Member.organisation,
        Response.id,
        Response.answers,
        Response.comment,
    )
    .outerjoin(
        Response, (Response.member_id == Member.id) & (Response.poll_id == bindparam("poll"))
    )
    .where(
        Member.network_id == bindparam("network"),
        Member.active.is_(True),
        Member.erased_at.is_(None),
    )
)
# The meetings in order, each with its days in date order (a meeting without days: one row).
_MEETING_DAYS = (
    select(Meeting.id, Meeting.name, CandidateDay.id, CandidateDay.day, CandidateDay.manual)
    .outerjoin(CandidateDay, CandidateDay.meeting_id == Meeting.id)
    .where(Meeting.poll_id == bindparam("poll"))
    .order_by(Meeting.position, Meeting.id, CandidateDay.day)
)


def poll_overview(poll: Poll) -> Overview:
    ids = {"network": poll.network_id, "poll": poll.id}
    connection = db.session.connection()
    venues = [Place(key, name) for key, name in connection.execute(_VENUES, ids).all()]
    members: list[Person] = []
    stored: dict[int, dict[str, dict[str, str]]] = {}  # answer documents by member id
    comments: list[Comment] = []
    rows = sorted(
        connection.execute(_MEMBERS_ANSWERS, ids).all(), key=lambda r: (danish_key(r[1]), r[0])
    )
    for member_id, name, organisation, response_id, answers, comment in rows:
        person = Person(member_id, name, organisation)
        members.append(person)
        if response_id is not None:
            stored[member_id] = answers
            if text := (comment or "").strip():
                comments.append(Comment(person, text))

    blocks: dict[int, MeetingBlock] = {}
    days: list[tuple[int, Day]] = []  # (meeting id, day), each meeting's days in date order
    for meeting_id, meeting_name, day_id, on, manual in connection.execute(
        _MEETING_DAYS, ids
    ).all():
        if meeting_id not in blocks:
            blocks[meeting_id] = MeetingBlock(MeetingName(meeting_id, meeting_name))
        if day_id is not None:
            days.append((meeting_id, Day(day_id, on, manual)))

    by_state = completeness.tally_of(
        [d.day for _m, d in days], [v.key for v in venues], stored, {p.id: p for p in members}
    )

    # Each cell counts one value per member: the day's answers of every member (those with
    # any), then their answers at each venue, looked up and counted in C (map, list.count).
    documents = list(stored.values())
    total = len(members)
    for meeting_id, day in days:
        answered = list(filter(None, map(dict.get, documents, repeat(day.day.isoformat()))))
        cells = []
        for venue in venues:
            values = list(map(dict.get, answered, repeat(venue.key)))
            cell = Cell(venue, values.count(_YES), values.count(_MAYBE), values.count(_NO))
            cell.level = _level(cell.can_come, total)
            cells.append(cell)
        block = blocks[meeting_id]
        week = iso_week(day.day)
        if not block.weeks or block.weeks[-1].week != week:
            block.weeks.append(WeekGroup(week))
        block.weeks[-1].days.append(DayRow(day, cells))

    for block in blocks.values():
        pairs = [(row, cell) for w in block.weeks for row in w.days for cell in row.cells]
        top = max(((c.can_come, c.yes) for _, c in pairs), default=(0, 0))
        if top[0]:
            block.best = [(r, c) for r, c in pairs if (c.can_come, c.yes) == top]
            for _, cell in block.best:
                cell.best = True
    return Overview(
        poll,
        venues,
        members,
        by_state.answered,
        by_state.missing,
        list(blocks.values()),
        comments,
        by_state.partly,
        by_state.progress,
    )


def active_member_count(network_id: int) -> int:
    return db.session.execute(
        select(func.count(Member.id)).where(
            Member.network_id == network_id, Member.active.is_(True)
        )
    ).scalar_one()
