"""How completely a member has answered a poll.

A poll asks every member about every candidate day at every venue (a cell). A day counts as
answered when every venue of it has an answer; the member page, the coordinator's overview and
the reminders all speak of days, so "42 of 76 days answered" means 42 whole days.

A member's state is one of:
  ANSWERED  every cell has an answer (also: the poll has no days and they saved)
  PARTLY    some cells have an answer, some do not
  NONE      no cell has an answer (or they never saved)
Reminders go to PARTLY and NONE.

`progress` and `states` are pure over plain data (ISO dates, venue keys, the answers as stored
in Response.answers); the functions below them read the database for one poll or network.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import Generic, TypeVar

from sqlalchemy import select

from .db import db
from .models import CandidateDay, Member, Poll, Response, Venue

StoredAnswers = Mapping[str, Mapping[str, str]]  # {ISO date: {venue key: answer}}


class State(StrEnum):
    ANSWERED = "answered"
    PARTLY = "partly"
    NONE = "none"


@dataclass(frozen=True)
class BlankDay:
    day: date
    venues: tuple[str, ...]  # the venue keys without an answer that day (all of them: none)
    partly: bool  # some venue of the day has an answer


@dataclass(frozen=True)
class Progress:
    total_days: int
    answered_days: int
    blank: tuple[BlankDay, ...]
    answered_cells: int
    total_cells: int
    saved: bool  # the member has saved at least once

    @property
    def state(self) -> State:
        if self.total_cells and self.answered_cells == self.total_cells:
            return State.ANSWERED
        if not self.total_cells:
            return State.ANSWERED if self.saved else State.NONE
        return State.PARTLY if self.answered_cells else State.NONE

    @property
    def blank_days(self) -> int:
        return len(self.blank)


def progress(
    days: Sequence[date], venues: Sequence[str], answers: StoredAnswers | None
) -> Progress:
    """One member's progress; `answers` None means they never saved."""
    return _progress(_keyed(days), tuple(venues), answers)


def _keyed(days: Iterable[date]) -> list[tuple[date, str]]:
    """The days in order with their keys in the answer documents, made once for many members."""
    return [(day, day.isoformat()) for day in sorted(days)]


_key = itemgetter(1)  # of a (day, key) pair


def _progress(
    days: Sequence[tuple[date, str]], venues: tuple[str, ...], answers: StoredAnswers | None
) -> Progress:
    stored = answers or {}
    every = len(venues)
    # The usual member answered every venue of every day: checked in C (map), no loop here.
    if all(map(frozenset(venues).issubset, map(stored.get, map(_key, days), repeat(())))):
        cells = len(days) * every
        return Progress(len(days), len(days), (), cells, cells, saved=answers is not None)
    blank: list[BlankDay] = []
    answered_cells = 0
    for day, key in days:
        by_venue = stored.get(key)
        missing = tuple([v for v in venues if v not in by_venue]) if by_venue else venues
        answered_cells += every - len(missing)
        if missing:
            blank.append(BlankDay(day, missing, len(missing) < every))
    return Progress(
        total_days=len(days),
        answered_days=len(days) - len(blank),
        blank=tuple(blank),
        answered_cells=answered_cells,
        total_cells=len(days) * len(venues),
        saved=answers is not None,
    )


def blank_by_week(done: Progress) -> list[tuple[date, list[BlankDay]]]:
    """The blank days grouped by ISO week: (the week's Monday, its blank days), in date order."""
    weeks: list[tuple[date, list[BlankDay]]] = []
    for blank in done.blank:
        year, week, _weekday = blank.day.isocalendar()
        start = date.fromisocalendar(year, week, 1)
        if not weeks or weeks[-1][0] != start:
            weeks.append((start, []))
        weeks[-1][1].append(blank)
    return weeks


def states(
    days: Sequence[date], venues: Sequence[str], responses: Mapping[int, StoredAnswers]
) -> dict[int, State]:
    """Each responding member's state (member id -> state); members left out answered nothing."""
    keyed, keys = _keyed(days), tuple(venues)
    return {member_id: _progress(keyed, keys, a).state for member_id, a in responses.items()}


M = TypeVar("M")  # a Member, or a row that names one (the overview's)


@dataclass
class Tally(Generic[M]):
    """Active members of a poll by state."""

    answered: list[M] = field(default_factory=list)
    partly: list[M] = field(default_factory=list)
    missing: list[M] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.answered) + len(self.partly) + len(self.missing)

    to_remind: list[M] = field(default_factory=list)  # partly and missing, in order
    progress: dict[int, Progress] = field(default_factory=dict)  # by member id


def poll_cells(poll: Poll) -> tuple[list[date], list[str]]:
    """The poll's candidate days and its network's venue keys."""
    days = list(db.session.scalars(select(CandidateDay.day).where(CandidateDay.poll_id == poll.id)))
    venues = list(db.session.scalars(select(Venue.key).where(Venue.network_id == poll.network_id)))
    return days, venues


def tally(poll: Poll, members: Iterable[Member]) -> Tally[Member]:
    """`members` (in their order) by their state for `poll`."""
    days, venues = poll_cells(poll)
    stored = dict(
        db.session.execute(
            select(Response.member_id, Response.answers).where(Response.poll_id == poll.id)
        ).all()
    )
    return tally_of(days, venues, stored, {m.id: m for m in members})


def tally_of(
    days: Sequence[date],
    venues: Sequence[str],
    stored: Mapping[int, StoredAnswers],
    members: Mapping[int, M],
) -> Tally[M]:
    """`members` (by id, in their order) by their state, from answers already loaded."""
    result: Tally[M] = Tally()
    keyed, keys = _keyed(days), tuple(venues)
    for member_id, member in members.items():
        result.progress[member_id] = done = _progress(keyed, keys, stored.get(member_id))
        state = done.state
        if state == State.ANSWERED:
            result.answered.append(member)
        else:
            (result.partly if state == State.PARTLY else result.missing).append(member)
            result.to_remind.append(member)
    return result


def member_progress(poll: Poll, member: Member) -> Progress:
    days, venues = poll_cells(poll)
    answers = db.session.scalar(
        select(Response.answers).where(Response.poll_id == poll.id, Response.member_id == member.id)
    )
    return progress(days, venues, answers)


def to_remind(poll: Poll) -> list[Member]:
    """Active members who have not answered every day of `poll`: the reminders' recipients."""
    return tally(poll, [m for m in poll.network.members if m.active]).to_remind


def network_counts(network_id: int) -> dict[int, Counter[State]]:
    """Active members by state, per poll of the network (poll id -> counts; three queries)."""
    polls = list(db.session.scalars(select(Poll.id).where(Poll.network_id == network_id)))
    venues = list(db.session.scalars(select(Venue.key).where(Venue.network_id == network_id)))
    members = set(
        db.session.scalars(
            select(Member.id).where(Member.network_id == network_id, Member.active.is_(True))
        )
    )
    days: dict[int, list[date]] = defaultdict(list)
    for poll_id, day in db.session.execute(
        select(CandidateDay.poll_id, CandidateDay.day).where(CandidateDay.poll_id.in_(polls))
    ):
        days[poll_id].append(day)
    counts: dict[int, Counter[State]] = {p: Counter() for p in polls}
    seen: dict[int, set[int]] = defaultdict(set)
    for poll_id, member_id, answers in db.session.execute(
        select(Response.poll_id, Response.member_id, Response.answers).where(
            Response.poll_id.in_(polls)
        )
    ):
        if member_id in members:
            counts[poll_id][progress(days[poll_id], venues, answers).state] += 1
            seen[poll_id].add(member_id)
    for poll_id in polls:
        counts[poll_id][State.NONE] += len(members) - len(seen[poll_id])
    return counts


def week_anchor(day: date) -> str:
    """The member page's id of the week of `day`: "uge-2027-9"."""
    year, week, _weekday = day.isocalendar()
    return f"uge-{year}-{week}"
