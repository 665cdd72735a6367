"""What the coordinator sees of a poll: who answered, who is missing, and a day × venue heat map
(counts of Yes, If need be and No; poll.answer_grid has the names).

Everything comes from a handful of queries whatever the size of the poll: the answers are one
row per member (Response.answers), counted here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from math import ceil

from sqlalchemy import func, select

from . import completeness
from .days import iso_week
from .db import db
from .models import Answer, CandidateDay, Meeting, Member, Poll, Response, Venue

# Danish alphabetical order: æ, ø, å come after z (Python puts å before æ).
_DANISH = str.maketrans({"æ": "{", "ø": "|", "å": "}", "ä": "{", "ö": "|"})


def danish_key(text: str) -> str:
    return text.lower().replace("aa", "å").translate(_DANISH)


@dataclass
class Cell:
    venue: Venue
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
    day: CandidateDay
    cells: list[Cell]


@dataclass
class WeekGroup:
    week: int
    days: list[DayRow] = field(default_factory=list)


@dataclass
class MeetingBlock:
    meeting: Meeting
    weeks: list[WeekGroup] = field(default_factory=list)
    best: list[tuple[DayRow, Cell]] = field(default_factory=list)


@dataclass
class Comment:
    member: Member
    text: str
    cannot_roles: list[str]


@dataclass
class Overview:
    poll: Poll
    venues: list[Venue]
    members: list[Member]  # active members
    answered: list[Member]  # every day answered
    missing: list[Member]  # nothing answered
    meetings: list[MeetingBlock]
    comments: list[Comment]
    partly: list[Member] = field(default_factory=list)  # some days blank (poll.completeness)
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


def poll_overview(poll: Poll) -> Overview:
    network_id = poll.network_id
    venues = network_venues(network_id)
    members = active_members(network_id)
    responses = {
        r.member_id: r
        for r in db.session.scalars(select(Response).where(Response.poll_id == poll.id))
    }
    days = list(
        db.session.scalars(
            select(CandidateDay).where(CandidateDay.poll_id == poll.id).order_by(CandidateDay.day)
        )
    )
    by_state = completeness.tally_of(
        [d.day for d in days],
        [v.key for v in venues],
        {member_id: r.answers for member_id, r in responses.items()},
        members,
    )
    responding = [m for m in members if m.id in responses]
    comments = [
        Comment(m, responses[m.id].comment.strip(), list(responses[m.id].cannot_roles or []))
        for m in responding
        if (responses[m.id].comment or "").strip()
    ]

    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for m in responding:
        for iso_day, by_venue in responses[m.id].answers.items():
            for venue_key, value in by_venue.items():
                counts[(iso_day, venue_key)][value] += 1

    meetings = list(
        db.session.scalars(
            select(Meeting).where(Meeting.poll_id == poll.id).order_by(Meeting.position, Meeting.id)
        )
    )
    blocks = {m.id: MeetingBlock(m) for m in meetings}
    total = len(members)
    for day in days:
        cells = []
        for venue in venues:
            c = counts.get((day.day.isoformat(), venue.key), Counter())
            cell = Cell(venue, c[Answer.YES], c[Answer.MAYBE], c[Answer.NO])
            cell.level = _level(cell.can_come, total)
            cells.append(cell)
        block = blocks[day.meeting_id]
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
