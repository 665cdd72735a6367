"""Creating and changing year polls without losing an answer by surprise.

`preview()` works out, without writing, what a set of rules gives: the candidate days per
meeting, the holidays and blackout days left out, and, for an existing poll, which days would be
added, moved to another meeting (answers kept) or removed, and how many members answered each
removed day. `apply_rules()` then writes exactly that preview in the caller's transaction,
so a day that the new rules give to another meeting moves there with its answers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from .days import SkippedDay, Window, candidate_days, holiday_name, iso_week, weeks_in_year
from .db import db, lock_for_write
from .i18n import long_date
from .models import CandidateDay, Meeting, Network, Poll, Response
from .network_admin import Refused

WEEKS = re.compile(r"^(?:uge|week|w\.?)?\s*(\d{1,2})\s*(?:(?:-|–|—|til|to)\s*(\d{1,2}))?$", re.I)
WEEK_ITEM = re.compile(r"^(\d{1,2})(?:-(\d{1,2}))?$")


def parse_weeks(text: str, year: int) -> tuple[int, int]:
    """'9–10' or 'uge 9' → (first, last) ISO weeks of `year`; ValueError with a sentence."""
    match = WEEKS.match(text.strip())
    if not match:
        raise ValueError(_("write one week like 9 or a range like 9–10"))
    first = int(match.group(1))
    last = int(match.group(2) or first)
    top = weeks_in_year(year)
    for week in (first, last):
        if not 1 <= week <= top:
            raise ValueError(
                _("%(year)d has weeks 1 to %(top)d, not %(week)d", year=year, top=top, week=week)
            )
    if last < first:
        raise ValueError(_("the last week comes before the first"))
    return first, last


def parse_week_list(text: str | None) -> list[int]:
    """'7, 42' or '27–32' → sorted week numbers; ValueError with a sentence."""
    weeks: set[int] = set()
    text = re.sub(r"\s*[-–—]\s*", "-", (text or "").lower().replace("uge", " "))
    for item in re.split(r"[,;\s]+", text):
        if not item:
            continue
        match = WEEK_ITEM.match(item)
        if not match:
            raise ValueError(_("'%(item)s' is not a week number", item=item))
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if not (1 <= first <= 53 and 1 <= last <= 53) or last < first:
            raise ValueError(_("'%(item)s' is not a week or range of weeks 1–53", item=item))
        weeks.update(range(first, last + 1))
    return sorted(weeks)


@dataclass
class MeetingDraft:
    key: str | None  # an existing meeting's key, or None for a new meeting
    name: str
    window: Window
    row: int = 0  # the form row, for messages


@dataclass
class PollRules:
    meetings: list[MeetingDraft]
    weekdays: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    blackout_weeks: list[int] = field(default_factory=list)
    deadline: date | None = None
    hide_answers: bool = False
    min_days_between: int = 28
    min_attendance: float = 0.5


@dataclass
class PreviewDay:
    day: date
    status: str = "kept"  # kept | new | moved | manual
    answers: int = 0


@dataclass
class MeetingPreview:
    key: str
    name: str
    window: Window
    row: int
    days: list[PreviewDay] = field(default_factory=list)
    holidays: list[SkippedDay] = field(default_factory=list)
    blackout: list[SkippedDay] = field(default_factory=list)
    excluded: list[date] = field(default_factory=list)

    def weeks(self) -> list[tuple[int, list[PreviewDay]]]:
        groups: list[tuple[int, list[PreviewDay]]] = []
        for d in self.days:
            week = iso_week(d.day)
            if not groups or groups[-1][0] != week:
                groups.append((week, []))
            groups[-1][1].append(d)
        return groups


@dataclass
class Removal:
    day: CandidateDay
    answers: int
    meeting_name: str


@dataclass
class Preview:
    meetings: list[MeetingPreview]
    to_add: list[tuple[str, date]] = field(default_factory=list)
    to_move: list[tuple[CandidateDay, str]] = field(default_factory=list)
    to_remove: list[Removal] = field(default_factory=list)
    removed_meetings: list[Meeting] = field(default_factory=list)

    @property
    def answered_removals(self) -> list[Removal]:
        return [r for r in self.to_remove if r.answers]

    @property
    def empty_meetings(self) -> list[MeetingPreview]:
        return [m for m in self.meetings if not m.days]

    def removal_token(self) -> str:
        """What the coordinator confirms: the answered days that would go."""
        return ",".join(sorted(r.day.day.isoformat() for r in self.answered_removals))

    def confirmed_by(self, token: str | None) -> bool:
        confirmed = set(filter(None, (token or "").split(",")))
        return {r.day.day.isoformat() for r in self.answered_removals} <= confirmed


def answer_counts(poll: Poll) -> dict[int, int]:
    """How many members answered each of the poll's days (one query)."""
    per_day = Counter(
        day
        for answers in db.session.scalars(
            select(Response.answers).where(Response.poll_id == poll.id)
        )
        for day in answers
    )
    return {d.id: per_day[d.day.isoformat()] for d in poll.days if per_day[d.day.isoformat()]}


def _forget_days(poll: Poll, days: list[date]) -> None:
    """Remove the days' answers with them (Response.answers is not a foreign key), reading the
    answers under a write lock so that a member's save committed meanwhile is kept."""
    if days:
        for response in db.session.scalars(
            lock_for_write(select(Response).where(Response.poll_id == poll.id))
        ):
            response.forget(days)


def _assign_keys(poll: Poll | None, drafts: list[MeetingDraft]) -> list[str]:
    existing = {m.key for m in poll.meetings} if poll else set()
    used: set[str] = set(existing)
    keys: list[str] = []
    for draft in drafts:
        if draft.key in existing and draft.key not in keys:
            keys.append(draft.key)
        else:
            keys.append("")
    number = 1
    for i, key in enumerate(keys):
        if not key:
            while f"m{number}" in used:
                number += 1
            keys[i] = f"m{number}"
            used.add(keys[i])
    return keys


def preview(poll: Poll | None, rules: PollRules) -> Preview:
    """What the rules give, compared with the poll's days now (None: a new poll). Writes nothing."""
    excluded = {date.fromisoformat(d) for d in poll.excluded_days} if poll else set()
    keys = _assign_keys(poll, rules.meetings)
    result = Preview(meetings=[])
    wanted: dict[date, str] = {}
    by_key: dict[str, MeetingPreview] = {}
    allowed = set(rules.weekdays)
    for draft, key in zip(rules.meetings, keys, strict=True):
        days, skipped = candidate_days(draft.window, rules.weekdays, rules.blackout_weeks, excluded)
        mp = MeetingPreview(key, draft.name, draft.window, draft.row)
        mp.holidays = [s for s in skipped if s.reason == "holiday"]
        mp.blackout = [s for s in skipped if s.reason == "blackout"]
        mp.excluded = sorted(
            d
            for d in excluded
            if draft.window.start <= d <= draft.window.end and d.weekday() in allowed
        )
        for day in days:
            wanted.setdefault(day, key)
        result.meetings.append(mp)
        by_key[key] = mp

    existing = {d.day: d for d in poll.days} if poll else {}
    counts = answer_counts(poll) if poll else {}
    kept_keys = set(keys)
    for day, row in sorted(existing.items()):
        current = row.meeting.key
        answers = counts.get(row.id, 0)
        if row.manual:
            if current in kept_keys:
                by_key[current].days.append(PreviewDay(day, "manual", answers))
            else:
                result.to_remove.append(Removal(row, answers, row.meeting.name))
        elif day in wanted:
            target = wanted[day]
            if target != current:
                result.to_move.append((row, target))
            by_key[target].days.append(
                PreviewDay(day, "moved" if target != current else "kept", answers)
            )
        else:
            result.to_remove.append(Removal(row, answers, row.meeting.name))
    for day, key in sorted(wanted.items()):
        if day not in existing:
            result.to_add.append((key, day))
            by_key[key].days.append(PreviewDay(day, "new"))
    for mp in result.meetings:
        mp.days.sort(key=lambda d: d.day)
    if poll:
        result.removed_meetings = [m for m in poll.meetings if m.key not in kept_keys]
    return result


def _settings(poll: Poll, rules: PollRules) -> None:
    poll.weekdays = sorted(rules.weekdays)
    poll.blackout_weeks = list(rules.blackout_weeks)
    poll.deadline = rules.deadline
    poll.hide_answers = rules.hide_answers
    poll.min_days_between = rules.min_days_between
    poll.min_attendance = rules.min_attendance


def rules_of(poll: Poll) -> PollRules:
    """The rules a saved poll was made from, as its form holds them."""
    return PollRules(
        meetings=[
            MeetingDraft(m.key, m.name, Window(m.window_start, m.window_end), number)
            for number, m in enumerate(poll.meetings, start=1)
        ],
        weekdays=list(poll.weekdays),
        blackout_weeks=list(poll.blackout_weeks),
        deadline=poll.deadline,
        hide_answers=poll.hide_answers,
        min_days_between=poll.min_days_between,
        min_attendance=poll.min_attendance,
    )


def create_poll(network: Network, year: int, rules: PollRules) -> Poll:
    """A new poll from rules (the caller has checked that `year` is free)."""
    poll = Poll(network=network, year=year, excluded_days=[])
    _settings(poll, rules)
    db.session.add(poll)
    db.session.flush()
    apply_rules(poll, rules, preview(poll, rules))
    return poll


def apply_rules(poll: Poll, rules: PollRules, plan: Preview) -> None:
    """Write a preview made from these rules: settings, meetings, then the days."""
    _settings(poll, rules)
    meetings = {m.key: m for m in poll.meetings}
    for position, (draft, mp) in enumerate(zip(rules.meetings, plan.meetings, strict=True)):
        meeting = meetings.get(mp.key)
        if meeting is None:
            meeting = Meeting(poll=poll, key=mp.key)
            db.session.add(meeting)
            meetings[mp.key] = meeting
        meeting.name = draft.name
        meeting.position = position
        meeting.window_start, meeting.window_end = draft.window.start, draft.window.end
    _forget_days(poll, [removal.day.day for removal in plan.to_remove])
    for removal in plan.to_remove:
        db.session.delete(removal.day)
    db.session.flush()
    for row, key in plan.to_move:
        row.meeting = meetings[key]
    db.session.flush()
    for meeting in plan.removed_meetings:
        db.session.expire(meeting, ["days"])
        db.session.delete(meeting)
    db.session.flush()
    for key, day in plan.to_add:
        db.session.add(CandidateDay(poll=poll, meeting=meetings[key], day=day))
    db.session.flush()
    db.session.expire(poll, ["days", "meetings"])


# -- single days -----------------------------------------------------------------------------


def nearest_meeting(poll: Poll, day: date) -> Meeting | None:
    def distance(m: Meeting) -> int:
        if m.window_start <= day <= m.window_end:
            return 0
        return min(abs((m.window_start - day).days), abs((day - m.window_end).days))

    return min(poll.meetings, key=distance, default=None)


def add_manual_day(poll: Poll, day: date, meeting_key: str | None) -> tuple[CandidateDay, list]:
    """Add one day by hand; returns it and notes (holiday, weekday or blackout) to show."""
    if day.year != poll.year:
        raise Refused(_("Day: choose a day in %(year)d.", year=poll.year), "day")
    for row in poll.days:
        if row.day == day:
            raise Refused(
                _(
                    "Day: this day is already a candidate day of %(meeting)s.",
                    meeting=row.meeting.name,
                ),
                "day",
            )
    if meeting_key:
        meeting = next((m for m in poll.meetings if m.key == meeting_key), None)
        if meeting is None:
            raise Refused(_("Meeting: choose one of the poll's meetings."), "meeting")
    else:
        meeting = nearest_meeting(poll, day)
        if meeting is None:
            raise Refused(_("Meeting: the poll has no meetings yet."), "meeting")
    notes = []
    if name := holiday_name(day):
        notes.append(_("Note: %(name)s is a holiday.", name=name))
    if day.weekday() not in poll.weekdays:
        notes.append(_("Note: the poll's rules do not allow this weekday."))
    if iso_week(day) in poll.blackout_weeks:
        notes.append(_("Note: week %(week)d is a blackout week.", week=iso_week(day)))
    iso = day.isoformat()
    if iso in poll.excluded_days:
        poll.excluded_days = [d for d in poll.excluded_days if d != iso]
    row = CandidateDay(poll=poll, meeting=meeting, day=day, manual=True)
    db.session.add(row)
    db.session.flush()
    return row, notes


def remove_day(poll: Poll, row: CandidateDay) -> None:
    """Remove one day (its answers go with it); the rules will not bring it back."""
    iso = row.day.isoformat()
    if iso not in poll.excluded_days:
        poll.excluded_days = sorted([*poll.excluded_days, iso])
    _forget_days(poll, [row.day])
    db.session.delete(row)
    db.session.flush()
    db.session.expire(poll, ["days"])


def past_deadline(deadline: date | None, today: date, current: date | None = None) -> str | None:
    """Why `deadline` is refused: a day before `today`, unless it is the poll's `current`
    deadline left as it was (a poll whose deadline passed can still be edited). None if fine."""
    if deadline is None or deadline >= today or deadline == current:
        return None
    return _(
        "Deadline: %(date)s has passed. Choose today or a later day, or leave the field blank.",
        date=long_date(deadline),
    )


def set_deadline(poll: Poll, deadline: date | None) -> None:
    poll.deadline = deadline


def set_open(poll: Poll, is_open: bool) -> None:
    poll.is_open = is_open
