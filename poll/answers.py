"""A member's answers to a year poll.

`load_sheet` gathers everything the member page needs in a fixed, small number of queries;
`parse_submission` validates a whole posted form (every problem is reported, each naming its
field) before anything is written; `save` then writes only what changed, in one transaction.

Form fields: `a-<day id>-<venue id>` = yes | maybe | no (a cell that is not posted keeps what is
stored; a cell never answered has no row), `comment`, `cannot_roles` (role keys; only read when
`cannot_roles_shown` is posted, so a partial post cannot wipe them) and `shortcut`:
`all:<answer>`, `venue:<venue id>:<answer>`, `week:<Monday, ISO date>:<answer>` or
`blank:<answer>` (every cell that has no answer, neither posted nor stored), which sets those
cells before saving (the no-JavaScript path of the page's shortcut buttons).

What the page showed comes back with the post (`was_cells`, `was_comment`, `was_roles`), so a
save applies only what the member changed on that page: a second tab's newer answers survive a
stale tab's save, and where both changed the same thing the stored value stays and the member
is told (`SaveResult.conflicts`). A post without them (an old page) changes every posted value
that differs from what is stored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Executable, Select, Table, bindparam, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import MultiDict

from . import calendar_links, tallies
from .completeness import week_anchor
from .db import db, lock_for_write
from .i18n import long_date, long_dates
from .models import (
    Answer,
    CandidateDay,
    Meeting,
    Member,
    Network,
    Plan,
    PlanStatus,
    Poll,
    Response,
    Role,
    Venue,
    utcnow,
)
from .text_checks import has_control

CELL_FIELD = re.compile(r"a-([0-9]{1,12})-([0-9]{1,12})")
ANSWERS = (Answer.YES, Answer.MAYBE, Answer.NO)
ANSWER_OF = {a.value: a for a in Answer}  # a dict lookup, cheaper than Answer(value)
MAX_ERRORS = 20  # a forged post with thousands of bad fields gets a short page, not a huge one


def answer_labels() -> dict[Answer, str]:
    return {Answer.YES: _("Yes"), Answer.MAYBE: _("If need be"), Answer.NO: _("No")}


def cell_field(day_id: int, venue_id: int) -> str:
    return f"a-{day_id}-{venue_id}"


def monday(day: date) -> date:
    year, week, _weekday = day.isocalendar()
    return date.fromisocalendar(year, week, 1)


Cell = tuple[int, int]  # (day id, venue id)


@dataclass(frozen=True)
class Tally:
    """Other members who said yes / if need be to one day at one venue (names, sorted)."""

    yes: tuple[str, ...] = ()
    maybe: tuple[str, ...] = ()


@dataclass
class Week:
    monday: date
    days: list[CandidateDay]

    @property
    def key(self) -> str:
        return self.monday.isoformat()

    @property
    def anchor(self) -> str:
        return week_anchor(self.monday)


@dataclass
class MeetingGroup:
    meeting: Meeting
    weeks: list[Week]


@dataclass
class Sheet:
    """One member's view of one poll: plain lookups, so templates run no queries."""

    member: Member
    network: Network
    poll: Poll
    polls: list[Poll]
    venues: list[Venue]
    roles: list[Role]
    meetings: list[Meeting]
    days: list[CandidateDay]
    answers: dict[tuple[int, int], Answer]
    response: Response | None
    # Per day id, how many other members said yes (at some venue) and, not yes, if need be;
    # None: hidden by the poll, or not loaded
    others: dict[int, tuple[int, int]] | None
    today: date
    locked: bool = False  # the response was made sure of and locked for this save (lock_sheet)
    published_plan_id: int | None = None  # read with the response by load_sheet
    calendar_kept: bool = True  # False: load_sheet found no calendar data of the member

    @cached_property
    def day_labels(self) -> dict[int, str]:
        """Each day's long label, formatted only when a page or an error message names it."""
        return dict(
            zip([d.id for d in self.days], long_dates([d.day for d in self.days]), strict=True)
        )

    @property
    def closed_reason(self) -> str | None:
        """'closed' (the coordinator closed the poll), 'deadline' (passed) or None (open)."""
        if not self.poll.is_open:
            return "closed"
        if self.poll.deadline is not None and self.today > self.poll.deadline:
            return "deadline"
        return None

    @property
    def editable(self) -> bool:
        return self.closed_reason is None

    @cached_property
    def groups(self) -> list[MeetingGroup]:
        """Days by meeting, then by ISO week."""
        by_meeting: dict[int, list[CandidateDay]] = defaultdict(list)
        for day in self.days:
            by_meeting[day.meeting_id].append(day)
        groups = []
        for meeting in self.meetings:
            weeks: list[Week] = []
            for day in by_meeting.get(meeting.id, []):
                start = monday(day.day)
                if not weeks or weeks[-1].monday != start:
                    weeks.append(Week(start, []))
                weeks[-1].days.append(day)
            if weeks:
                groups.append(MeetingGroup(meeting, weeks))
        return groups

    def closed_message(self) -> str | None:
        if self.closed_reason == "closed":
            return _(
                "Answers: the poll for %(year)d is closed, so your answers can no longer be "
                "changed.",
                year=self.poll.year,
            )
        deadline = self.poll.deadline
        if self.closed_reason == "deadline" and deadline is not None:
            return _(
                "Answers: the deadline was %(date)s, so your answers can no longer be changed.",
                date=long_date(deadline),
            )
        return None


# The page's statements, built once: building one and its cache key costs the app about a third
# of what running it does.
NETWORK_POLLS = select(Poll).where(Poll.network_id == bindparam("network")).order_by(Poll.year)
NETWORK_VENUES = (
    select(Venue).where(Venue.network_id == bindparam("network")).order_by(Venue.position, Venue.id)
)
NETWORK_ROLES = (
    select(Role).where(Role.network_id == bindparam("network")).order_by(Role.position, Role.id)
)
POLL_MEETINGS = (
    select(Meeting)
    .where(Meeting.poll_id == bindparam("poll"))
    .order_by(Meeting.position, Meeting.id)
)
POLL_DAYS = (
    select(CandidateDay).where(CandidateDay.poll_id == bindparam("poll")).order_by(CandidateDay.day)
)


def _own_response(fingerprinted: bool) -> Select:
    """The member's response (or None), the id of the poll's published plan (or None), on
    PostgreSQL a fingerprint of the poll's responses for the others' counts (else NULL), and
    whether the member keeps calendar data."""
    published = (
        select(Plan.id)
        .where(Plan.poll_id == bindparam("poll"), Plan.status == PlanStatus.PUBLISHED)
        .scalar_subquery()
    )
    return (
        select(
            Response,
            published,
            tallies.fingerprint() if fingerprinted else null(),
            calendar_links.calendar_kept(),
        )
        .select_from(Member)
        .outerjoin(
            Response, (Response.member_id == Member.id) & (Response.poll_id == bindparam("poll"))
        )
        .where(Member.id == bindparam("member"))
    )


OWN_RESPONSE = {"postgresql": _own_response(True), "sqlite": _own_response(False)}


def local_today(network: Network) -> date:
    return datetime.now(ZoneInfo(network.timezone or "Europe/Copenhagen")).date()


def network_polls(member: Member) -> list[Poll]:
    return list(db.session.scalars(NETWORK_POLLS, {"network": member.network_id}))


def current_poll(polls: list[Poll]) -> Poll | None:
    """The latest open poll, else the latest poll, else None."""
    open_polls = [p for p in polls if p.is_open]
    candidates = open_polls or polls
    return candidates[-1] if candidates else None


def load_sheet(
    member: Member,
    poll: Poll,
    polls: list[Poll] | None = None,
    today: date | None = None,
    *,
    with_others: bool = True,
) -> Sheet:
    """Everything the page shows; `with_others=False` skips the other members' answers."""
    network = member.network
    if polls is None:
        polls = network_polls(member)
    of_network, of_poll = {"network": network.id}, {"poll": poll.id}
    venues = list(db.session.scalars(NETWORK_VENUES, of_network))
    roles = list(db.session.scalars(NETWORK_ROLES, of_network))
    meetings = list(db.session.scalars(POLL_MEETINGS, of_poll))
    days = list(db.session.scalars(POLL_DAYS, of_poll))
    with_others = with_others and not poll.hide_answers
    own = OWN_RESPONSE[db.session.get_bind().dialect.name]
    response, published_plan_id, version, calendar_kept = db.session.execute(
        own, {"poll": poll.id, "member": member.id}
    ).one()
    day_ids = {d.day.isoformat(): d.id for d in days}
    venue_ids = {v.key: v.id for v in venues}
    answers = {
        (day_ids[day], venue_ids[venue]): value
        for day, venue, value in (response.cells() if response else ())
        if day in day_ids and venue in venue_ids
    }
    sheet = Sheet(
        member=member,
        network=network,
        poll=poll,
        polls=polls,
        venues=venues,
        roles=roles,
        meetings=meetings,
        days=days,
        answers=answers,
        response=response,
        others=None,
        today=today or local_today(network),
        published_plan_id=published_plan_id,
        calendar_kept=calendar_kept,
    )
    if with_others:
        sheet.others = tallies.others_by_day(
            poll.id,
            member.id,
            response.answers if response is not None and member.active else None,
            version,
            day_ids,
            set(venue_ids),
        )
    return sheet


def lock_sheet(member: Member, poll: Poll, *, with_roles: bool = True) -> Sheet:
    """What a save needs, the member's response first: it is made sure of and locked in one
    statement (an upsert that returns the row), then the poll's days (read-locked, so a day
    the coordinator removes meanwhile takes no answer), the venues and, `with_roles`, the
    roles. Nothing else (meetings, other polls, other members, day labels) is read. A closed
    poll is not locked: `parse_submission` refuses it.

    The transaction stays open for `save`; on an error the caller rolls it back."""
    network = member.network
    today = local_today(network)
    if not poll.is_open or (poll.deadline is not None and today > poll.deadline):
        return load_sheet(member, poll, [poll], today, with_others=False)
    response = db.session.scalars(
        _upsert_response(db.session.get_bind().dialect.name),
        {"poll": poll.id, "member": member.id, "now": utcnow()},
        execution_options={"populate_existing": True},
    ).one()
    days = list(db.session.scalars(POLL_DAYS_FOR_SHARE, {"poll": poll.id}))
    of_network = {"network": network.id}
    venues = list(db.session.scalars(NETWORK_VENUES, of_network))
    roles = list(db.session.scalars(NETWORK_ROLES, of_network)) if with_roles else []
    day_ids = {d.day.isoformat(): d.id for d in days}
    venue_ids = {v.key: v.id for v in venues}
    answers = {  # response.cells() without its Answer(value) per cell
        (day_ids[day], venue_ids[venue]): ANSWER_OF[value]
        for day, by_venue in response.answers.items()
        if day in day_ids
        for venue, value in by_venue.items()
        if venue in venue_ids
    }
    return Sheet(
        member=member,
        network=network,
        poll=poll,
        polls=[poll],
        venues=venues,
        roles=roles,
        meetings=[],
        days=days,
        answers=answers,
        response=response,
        others=None,
        today=today,
        locked=True,
    )


# A save's statements, built once like the page's (building the upsert, its excluded columns
# above all, cost more app CPU than running it).
POLL_DAYS_FOR_SHARE = POLL_DAYS.with_for_update(read=True)
RESPONSES: Table = Response.metadata.tables[Response.__tablename__]
# The locked Response's UPDATE; it sets the columns its parameters name.
UPDATE_RESPONSE = update(RESPONSES).where(RESPONSES.c.id == bindparam("response"))


@cache
def _upsert_response(dialect: str) -> Executable:
    """The member's response made sure of and locked in one statement that returns it: a Core
    insert the ORM loads the Response from (as an ORM insert, insert(Response)...returning(
    Response), it cost about 0.3 ms more app CPU)."""
    insert = _insert_for(dialect, RESPONSES)
    upsert = (
        insert.values(
            poll_id=bindparam("poll"),
            member_id=bindparam("member"),
            answers={},
            updated_at=bindparam("now"),
        )
        .on_conflict_do_update(
            index_elements=["poll_id", "member_id"],
            set_={"updated_at": insert.excluded.updated_at},
        )
        .returning(*RESPONSES.c)
    )
    return select(Response).from_statement(upsert)


def others_names(sheet: Sheet) -> dict[Cell, Tally] | None:
    """Who else said yes / if need be to each cell (names, sorted), or None when the poll hides
    it: the page's "who else" view, asked for on demand."""
    if sheet.poll.hide_answers:
        return None
    day_ids = {d.day.isoformat(): d.id for d in sheet.days}
    venue_ids = {v.key: v.id for v in sheet.venues}
    rows = db.session.execute(
        select(Response.answers, Member.name)
        .join(Member, Member.id == Response.member_id)
        .where(
            Response.poll_id == sheet.poll.id,
            Response.member_id != sheet.member.id,
            Member.active.is_(True),
        )
    )
    yes: dict[Cell, list[str]] = defaultdict(list)
    maybe: dict[Cell, list[str]] = defaultdict(list)
    for answers, name in rows:
        for day, by_venue in answers.items():
            day_id = day_ids.get(day)
            if day_id is None:
                continue
            for venue, value in by_venue.items():
                if value != Answer.NO and venue in venue_ids:
                    (yes if value == Answer.YES else maybe)[(day_id, venue_ids[venue])].append(name)
    return {
        cell: Tally(
            tuple(sorted(yes.get(cell, ()), key=str.casefold)),
            tuple(sorted(maybe.get(cell, ()), key=str.casefold)),
        )
        for cell in yes.keys() | maybe.keys()
    }


# --- a submission ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    field: str  # the form field's name ("comment", "cannot_roles", "a-12-3", "shortcut", "")
    message: str  # names the field in the user's language


class Invalid(Exception):
    """The submission is invalid: every problem found, and the HTTP status to answer with."""

    def __init__(self, errors: list[FieldError], status: int = 400):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors
        self.status = status


@dataclass(frozen=True)
class Shortcut:
    kind: str  # "all", "venue", "week" or "blank"
    target: str  # venue id or Monday's ISO date; "" for "all" and "blank"
    value: Answer


@dataclass(frozen=True)
class Shown:
    """What the page showed when it was rendered: the member's changes are measured from it."""

    cells: dict[Cell, Answer]  # a cell left out was blank
    comment: str | None = None  # None: not known, compare with what is stored
    cannot_roles: tuple[str, ...] | None = None


@dataclass
class Submission:
    answers: dict[Cell, Answer]  # posted cells, with any shortcut applied
    comment: str | None  # None: not posted, keep the stored one
    cannot_roles: list[str] | None  # None: not posted, keep the stored ones
    shortcut: Shortcut | None = None
    shown: Shown | None = None  # None: an old page; compare with what is stored
    shortcut_count: int = 0  # the cells the shortcut set


SHOWN_CELL = re.compile(r"([0-9]{1,12})\.([0-9]{1,12})=(yes|maybe|no)")


def encode_shown_cells(cells: Mapping[Cell, Answer | str]) -> str:
    """The hidden `was_cells` value: "<day id>.<venue id>=<answer>" for every marked cell."""
    return ",".join(f"{d}.{v}={Answer(a).value}" for (d, v), a in sorted(cells.items()))


def _parse_shown(form: MultiDict) -> Shown | None:
    """What the page showed, or None for a post without it; ValueError if it is malformed."""
    if "was_cells" not in form:
        return None
    cells: dict[Cell, Answer] = {}
    for part in filter(None, form.get("was_cells", "").split(",")):
        match = SHOWN_CELL.fullmatch(part)
        if match is None:
            raise ValueError(part)
        cells[(int(match[1]), int(match[2]))] = Answer(match[3])
    comment = form.get("was_comment")
    roles = form.get("was_roles")
    return Shown(
        cells,
        None if comment is None else _normalise_comment(comment),
        None if roles is None else tuple(sorted(filter(None, roles.split(",")))),
    )


def _normalise_comment(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_submission(sheet: Sheet, form: MultiDict) -> Submission:
    """The validated submission, or Invalid listing every problem (nothing is written)."""
    closed = sheet.closed_message()
    if closed is not None:
        raise Invalid([FieldError("", closed)], status=403)
    errors: list[FieldError] = []
    days = {d.id: d for d in sheet.days}
    venues = {v.id: v for v in sheet.venues}
    answers: dict[tuple[int, int], Answer] = {}
    # The page's own field names are looked up; only another spelling (a-07-1) is parsed.
    fields = {cell_field(d, v): (d, v) for d in days for v in venues}
    for name, values in form.lists():
        if not name.startswith("a-"):
            continue
        cell = fields.get(name)
        if cell is None:
            match = CELL_FIELD.fullmatch(name)
            cell = (int(match[1]), int(match[2])) if match else None
        if cell is None or cell[0] not in days or cell[1] not in venues:
            errors.append(
                FieldError(
                    name,
                    _(
                        'Answer field "%(field)s": there is no such day or venue in this poll.',
                        field=_shorten(name),
                    ),
                )
            )
            continue
        if len(values) != 1:
            errors.append(
                FieldError(
                    name,
                    _(
                        "Answer for %(day)s at %(venue)s: choose one answer.",
                        **_where(sheet, venues, cell),
                    ),
                )
            )
            continue
        answer = ANSWER_OF.get(values[0])
        if answer is not None:
            answers[cell] = answer
        else:
            labels = answer_labels()
            errors.append(
                FieldError(
                    name,
                    _(
                        "Answer for %(day)s at %(venue)s: choose %(yes)s, %(maybe)s or %(no)s.",
                        yes=labels[Answer.YES],
                        maybe=labels[Answer.MAYBE],
                        no=labels[Answer.NO],
                        **_where(sheet, venues, cell),
                    ),
                )
            )

    comment = form.get("comment")
    if comment is not None:
        comment = _normalise_comment(comment)
        limit = current_app.config["COMMENT_MAX_LENGTH"]
        if len(comment) > limit:
            errors.append(
                FieldError(
                    "comment",
                    _(
                        "Comment: at most %(max)d characters (you wrote %(count)d).",
                        max=limit,
                        count=len(comment),
                    ),
                )
            )
        elif has_control(comment, multiline=True):
            errors.append(
                FieldError("comment", _("Comment: remove the invisible control characters."))
            )

    cannot_roles = None
    if "cannot_roles_shown" in form or "cannot_roles" in form:
        known = [r.key for r in sheet.roles]
        posted = form.getlist("cannot_roles")
        for key in posted:
            if key not in known:
                errors.append(
                    FieldError(
                        "cannot_roles",
                        _(
                            'Roles I cannot take this year: "%(key)s" is not a role in this '
                            "network.",
                            key=_shorten(key),
                        ),
                    )
                )
        cannot_roles = [k for k in known if k in posted]  # the network's order, no duplicates

    shortcut = None
    if "shortcut" in form:
        shortcut = _parse_shortcut(form.get("shortcut", ""), sheet)
        if shortcut is None:
            errors.append(FieldError("shortcut", _("Shortcut: unknown action.")))

    shown = None
    try:
        shown = _parse_shown(form)
    except ValueError:
        errors.append(FieldError("", _("The page is out of date. Reload it and answer again.")))

    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors = [
            *errors[:MAX_ERRORS],
            FieldError("", _("… and %(count)d more problems of the same kinds.", count=more)),
        ]
    if errors:
        raise Invalid(errors)
    count = 0
    if shortcut is not None:
        for cell in shortcut_cells(sheet, shortcut):
            if shortcut.kind == "blank" and (cell in answers or cell in sheet.answers):
                continue  # "set the blank ones" never overwrites an answer
            answers[cell] = shortcut.value
            count += 1
    return Submission(answers, comment, cannot_roles, shortcut, shown, count)


def _where(sheet: Sheet, venues: Mapping[int, Venue], cell: Cell) -> dict[str, str]:
    """A cell's day and venue for an error message: the day labels are formatted only then."""
    return {"day": sheet.day_labels[cell[0]], "venue": venues[cell[1]].name}


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_shortcut(value: str, sheet: Sheet) -> Shortcut | None:
    parts = value.split(":")
    try:
        answer = Answer(parts[-1])
    except ValueError:
        return None
    if parts[0] in ("all", "blank") and len(parts) == 2:
        return Shortcut(parts[0], "", answer)
    if len(parts) != 3:
        return None
    if parts[0] == "venue" and any(str(v.id) == parts[1] for v in sheet.venues):
        return Shortcut("venue", parts[1], answer)
    if parts[0] == "week" and any(monday(d.day).isoformat() == parts[1] for d in sheet.days):
        return Shortcut("week", parts[1], answer)
    return None


def shortcut_cells(sheet: Sheet, shortcut: Shortcut) -> list[tuple[int, int]]:
    return [
        (day.id, venue.id)
        for day in sheet.days
        if shortcut.kind != "week" or monday(day.day).isoformat() == shortcut.target
        for venue in sheet.venues
        if shortcut.kind != "venue" or str(venue.id) == shortcut.target
    ]


def shortcut_message(sheet: Sheet, shortcut: Shortcut, count: int = 0) -> str:
    answer = answer_labels()[shortcut.value]
    if shortcut.kind == "blank":
        if not count:
            return _("There were no blank answers to set.")
        return ngettext(
            "%(num)d blank answer set to %(answer)s.",
            "%(num)d blank answers set to %(answer)s.",
            count,
            answer=answer,
        )
    if shortcut.kind == "week":
        week = date.fromisoformat(shortcut.target).isocalendar().week
        return _("All of week %(week)d set to %(answer)s.", week=week, answer=answer)
    if shortcut.kind == "venue":
        venue = next(v for v in sheet.venues if str(v.id) == shortcut.target)
        return _("Every day at %(venue)s set to %(answer)s.", venue=venue.name, answer=answer)
    return _("All days set to %(answer)s.", answer=answer)


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    changed: int  # answer cells inserted or updated
    saved_at: datetime
    conflicts: list[Cell]  # changed here and, differently, in another tab meanwhile: kept theirs
    comment_conflict: bool  # likewise the comment (theirs kept)
    roles_conflict: bool  # likewise the roles I cannot take (theirs kept)
    stored: dict[Cell, Answer]  # the conflicting cells as stored now (blank: left out)
    comment: str  # as stored now
    cannot_roles: list[str]  # as stored now
    answers: dict[str, dict[str, str]]  # every cell as stored now (Response.answers)

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts) or self.comment_conflict or self.roles_conflict


def _merge(posted: object, shown: object, stored: object) -> tuple[bool, bool]:
    """(write the posted value?, is it a conflict?) for one value of a save.

    The member changed it when it differs from what their page showed; it is written unless
    someone else changed it too, to something else, since that page was rendered."""
    if posted in (shown, stored):
        return False, False
    if stored == shown:
        return True, False
    return False, True


def _insert(model):
    return _insert_for(db.session.get_bind().dialect.name, model)


def _insert_for(dialect: str, target):
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise RuntimeError(f"no upsert for {dialect}")  # pragma: no cover


def _lock_response(
    poll_id: int, member_id: int, submission: Submission, now: datetime
) -> tuple[Response, set[int]]:
    """The member's response, made sure of and locked, and which posted days still exist."""
    db.session.execute(
        _insert(Response)
        .values(poll_id=poll_id, member_id=member_id, answers={}, updated_at=now)
        .on_conflict_do_nothing(index_elements=["poll_id", "member_id"])
    )
    response = db.session.scalars(
        lock_for_write(
            select(Response).where(Response.poll_id == poll_id, Response.member_id == member_id)
        )
    ).one()
    # A day the coordinator removed meanwhile takes no answer (PostgreSQL: the removal's
    # row lock makes this wait for it; SQLite: the write lock is held already).
    live_days = (
        set(
            db.session.scalars(
                select(CandidateDay.id)
                .where(
                    CandidateDay.poll_id == poll_id,
                    CandidateDay.id.in_({day_id for day_id, _venue in submission.answers}),
                )
                .with_for_update(read=True)
            )
        )
        if submission.answers
        else set()
    )
    return response, live_days


def save(sheet: Sheet, submission: Submission) -> SaveResult:
    """Write the member's changes into their Response (its existence = 'has answered'), then
    commit: all of it or, on any error, none of it.

    The row is made sure of first, then read under a write lock, and every change is measured
    against that row, never against the sheet read before it: two saves at the same moment
    (two tabs), a day's removal or a venue's new key cannot undo one another."""
    member_id, poll_id = sheet.member.id, sheet.poll.id
    iso_dates = {d.id: d.day.isoformat() for d in sheet.days}
    venues = {v.id: v.key for v in sheet.venues}
    shown = submission.shown
    now = utcnow()
    try:
        if sheet.locked and sheet.response is not None:
            # lock_sheet made sure of the row, locked it and read the live days after it.
            response = sheet.response
            live_days = set(iso_dates)
        else:
            response, live_days = _lock_response(poll_id, member_id, submission, now)
        answers = response.answers
        changed: dict[tuple[str, str], Answer] = {}
        conflicts: list[Cell] = []
        stored: dict[Cell, Answer] = {}
        for cell, value in submission.answers.items():
            if cell[0] not in live_days:
                continue
            day, venue = iso_dates[cell[0]], venues[cell[1]]
            current = answers.get(day, {}).get(venue)  # "yes" == Answer.YES: no conversion
            before = current if shown is None else shown.cells.get(cell)
            write, conflict = _merge(value, before, current)
            if write:
                changed[(day, venue)] = value
            elif conflict:
                conflicts.append(cell)
                if current is not None:
                    stored[cell] = Answer(current)
        # What is written goes out in one UPDATE of the locked row; the Response is kept as
        # stored (set_committed_value), without the ORM's unit of work (its flush cost more
        # app CPU than the rest of the save).
        written: dict[str, object] = {"updated_at": now}
        if changed:
            answers = {day: dict(by_venue) for day, by_venue in answers.items()}
            for (day, venue), value in changed.items():
                answers.setdefault(day, {})[venue] = value.value
            written["answers"] = answers
        comment_conflict = roles_conflict = False
        if submission.comment is not None:
            shown_comment = shown.comment if shown is not None else None
            write, comment_conflict = _merge(
                submission.comment,
                response.comment if shown_comment is None else shown_comment,
                response.comment,
            )
            if write:
                written["comment"] = submission.comment
        if submission.cannot_roles is not None:
            stored_roles = tuple(sorted(response.cannot_roles))
            shown_roles = shown.cannot_roles if shown is not None else None
            write, roles_conflict = _merge(
                tuple(sorted(submission.cannot_roles)),
                stored_roles if shown_roles is None else shown_roles,
                stored_roles,
            )
            if write:
                written["cannot_roles"] = submission.cannot_roles
        db.session.execute(UPDATE_RESPONSE, {"response": response.id, **written})
        for column, new in written.items():
            set_committed_value(response, column, new)
        result = SaveResult(
            changed=len(changed),
            saved_at=now,
            conflicts=conflicts,
            comment_conflict=comment_conflict,
            roles_conflict=roles_conflict,
            stored=stored,
            comment=response.comment,
            cannot_roles=list(response.cannot_roles),
            answers=response.answers,
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def shown_after(submission: Submission, result: SaveResult) -> dict[Cell, Answer]:
    """What the page shows after a save by script: what it posted, but the conflicting cells as
    they are stored now (the script sets those). The next save is measured from this."""
    cells = dict(submission.answers)
    for cell in result.conflicts:
        if cell in result.stored:
            cells[cell] = result.stored[cell]
        else:
            cells.pop(cell, None)
    if submission.shown is not None:
        for cell, value in submission.shown.cells.items():
            cells.setdefault(cell, value)
    return cells


def conflict_message(sheet: Sheet, result: SaveResult) -> str:
    """What was not saved because another window changed it meanwhile, naming each thing."""
    labels = answer_labels()
    venues = {v.id: v.name for v in sheet.venues}
    parts = [
        _(
            "%(day)s at %(venue)s (now %(answer)s)",
            day=sheet.day_labels[day_id],
            venue=venues[venue_id],
            answer=labels[result.stored[(day_id, venue_id)]]
            if (day_id, venue_id) in result.stored
            else _("no answer"),
        )
        for day_id, venue_id in sorted(result.conflicts)
    ]
    if result.comment_conflict:
        parts.append(_("the comment"))
    if result.roles_conflict:
        parts.append(_("the roles you cannot take"))
    return _(
        "Changed in another window meanwhile, so your change was not saved: %(what)s. The page "
        "now shows what is saved; change it again if you want.",
        what="; ".join(parts),
    )
