"""A member's own calendar as a proposal for their answers (the reading is poll.busy's).

What is kept: per candidate day a flag, busy / partly / free in the network's meeting hours
(BusyFlag), and, only when the member asks for it, the connection (CalendarConnection) so a
refresh can read it again. The connection's source is encrypted at rest with Fernet under a
key derived (HKDF-SHA256) from the app's secret key; pages show a masked label only.

The proposal never writes answers: busy days are proposed as No, partly busy days are left
for the member to decide, free days stay as they are; cells already answered are only
proposed when the member asks. The member saves it through their normal save.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, bindparam, delete, exists, or_, select

from .busy import (
    CalDavSource,
    CalendarError,
    DayBusy,
    ErrorKind,
    IcsSource,
    Source,
    error_message,
)
from .busy import propose_for_network as _propose
from .db import db
from .models import (
    Answer,
    BusyFlag,
    CalendarConnection,
    CandidateDay,
    Member,
    Poll,
    Response,
    utcnow,
)

KEY_INFO = b"modeplan calendar connections v1"
MASKED_MAX = 300


def _fernet() -> Fernet:
    secret = current_app.config["SECRET_KEY"]
    material = secret.encode() if isinstance(secret, str) else bytes(secret)
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(material)
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(source: Source) -> str:
    if isinstance(source, IcsSource):
        plain = {"kind": "ics", "url": source.url}
    else:
        plain = {
            "kind": "caldav",
            "url": source.url,
            "username": source.username,
            "password": source.password,
        }
    return _fernet().encrypt(json.dumps(plain).encode()).decode("ascii")


def decrypt(secret: str) -> Source | None:
    """The stored source, or None when it cannot be read (the secret key was changed)."""
    try:
        plain = json.loads(_fernet().decrypt(secret.encode("ascii")))
    except (InvalidToken, ValueError):
        return None
    if plain.get("kind") == "ics":
        return IcsSource(plain["url"])
    return CalDavSource(plain["url"], plain["username"], plain["password"])


def mask_url(url: str) -> str:
    """Scheme and host, and the file name when it is short and plain:
    https://outlook.office365.com/…/calendar.ics."""
    parts = urlsplit(url.strip())
    segments = [s for s in parts.path.split("/") if s]
    last = segments[-1] if segments else ""
    if not segments:
        tail = "/"
    elif len(last) > 24 or _looks_secret(last):
        tail = "/…"
    elif len(segments) == 1:
        tail = f"/{last}"
    else:
        tail = f"/…/{last}"
    return f"{parts.scheme}://{parts.hostname or ''}{tail}"[:MASKED_MAX]


def _looks_secret(segment: str) -> bool:
    """Only a plain file name is shown ("calendar.ics"); a token is not."""
    return "." not in segment or sum(c.isdigit() for c in segment) >= 6


def mask_user(username: str) -> str:
    return f"{username[:1]}***" if username else ""


def masked(source: Source) -> str:
    if isinstance(source, IcsSource):
        return mask_url(source.url)
    return f"{mask_url(source.url)} · {mask_user(source.username)}"


# --- the connection -------------------------------------------------------------------------


def connection(member: Member) -> CalendarConnection | None:
    return db.session.scalar(
        select(CalendarConnection).where(CalendarConnection.member_id == member.id)
    )


def keep(member: Member, source: Source, now: datetime) -> CalendarConnection:
    """Keep (or replace) the member's connection; the caller commits."""
    kept = connection(member)
    if kept is None:
        kept = CalendarConnection(member_id=member.id)
        db.session.add(kept)
    kept.kind = "ics" if isinstance(source, IcsSource) else "caldav"
    kept.secret = encrypt(source)
    kept.masked = masked(source)
    kept.created_at = now
    kept.read_at = now
    kept.failure = ""
    return kept


def forget(member_ids: Iterable[int], poll_ids: Iterable[int] | None = None) -> None:
    """Remove the members' connections and flags (of these polls only, when given); the caller
    commits. For "Remove the connection", the erasure and the purge."""
    ids = list(member_ids)
    if poll_ids is None:
        db.session.execute(delete(CalendarConnection).where(CalendarConnection.member_id.in_(ids)))
        db.session.execute(delete(BusyFlag).where(BusyFlag.member_id.in_(ids)))
    else:
        db.session.execute(
            delete(BusyFlag).where(BusyFlag.member_id.in_(ids), BusyFlag.poll_id.in_(poll_ids))
        )


def purge(poll_ids: list[int], read_before: datetime) -> None:
    """The purge of old years: their flags, and the connections not read since `read_before`
    (only a year that is long over used them); the caller commits."""
    if poll_ids:
        db.session.execute(delete(BusyFlag).where(BusyFlag.poll_id.in_(poll_ids)))
    db.session.execute(
        delete(CalendarConnection).where(
            CalendarConnection.read_at.is_(None) | (CalendarConnection.read_at < read_before),
            CalendarConnection.created_at < read_before,
        )
    )


def export(member: Member) -> dict | None:
    """What "Download my data" says of the kept connection (masked) and when it was read."""
    kept = connection(member)
    rows = db.session.scalars(
        select(BusyFlag).where(BusyFlag.member_id == member.id).order_by(BusyFlag.day)
    ).all()
    if kept is None and not rows:
        return None
    return {
        "kept_connection": kept.masked if kept is not None else None,
        "connected_at": kept.created_at.isoformat(timespec="seconds") if kept else None,
        "days": [{"day": f.day.isoformat(), "calendar_says": f.state} for f in rows],
    }


# --- reading and the flags ------------------------------------------------------------------


def read(member: Member, poll: Poll, source: Source, now: datetime) -> dict[date, DayBusy]:
    """Read the calendar (CalendarError when it cannot be read) and store its flags for the
    poll's candidate days, replacing earlier ones; the caller commits."""
    found = _propose(source, poll)
    days = set(db.session.scalars(select(CandidateDay.day).where(CandidateDay.poll_id == poll.id)))
    flags = {day: DayBusy(state) for day, state in found.items() if day in days}
    forget([member.id], [poll.id])
    db.session.add_all(
        BusyFlag(member_id=member.id, poll_id=poll.id, day=day, state=state.value, read_at=now)
        for day, state in sorted(flags.items())
    )
    return flags


def refresh(member: Member, poll: Poll, now: datetime) -> CalendarError | None:
    """Read the kept connection again; the error when it failed (kept on the connection too).
    The caller commits."""
    kept = connection(member)
    if kept is None:
        return None
    source = decrypt(kept.secret)
    if source is None:
        kept.failure = ErrorKind.WRONG_PASSWORD.value
        return CalendarError(ErrorKind.WRONG_PASSWORD)
    try:
        read(member, poll, source, now)
    except CalendarError as error:
        kept.failure = str(error.kind)
        return error
    kept.read_at, kept.failure = now, ""
    return None


def refresh_kept(polls: Iterable[Poll], echo: Callable[[str], object]) -> None:
    """`remind --auto`: read every kept connection again for each open poll of its member's
    network and refresh the flags, one commit per member; a failure is kept on the connection
    and told by `echo` (without the source), the others go on."""
    for poll in polls:
        if not poll.is_open:
            continue
        members = db.session.scalars(
            select(Member)
            .join(CalendarConnection, CalendarConnection.member_id == Member.id)
            .where(Member.network_id == poll.network_id, Member.active.is_(True))
            .order_by(Member.id)
        ).all()
        read_ok = 0
        for member in members:
            error = refresh(member, poll, utcnow())
            db.session.commit()
            if error is None:
                read_ok += 1
            else:
                echo(
                    _(
                        "%(network)s %(year)d: the calendar of %(member)s could not be read:"
                        " %(reason)s",
                        network=poll.network.slug,
                        year=poll.year,
                        member=member.key,
                        reason=error_message(error),
                    )
                )
        if members:
            echo(
                _(
                    "%(network)s %(year)d: calendars read again: %(read)d of %(total)d",
                    network=poll.network.slug,
                    year=poll.year,
                    read=read_ok,
                    total=len(members),
                )
            )


def flags(member: Member, poll: Poll) -> dict[date, DayBusy]:
    return {
        day: DayBusy(state)
        for day, state in db.session.execute(
            select(BusyFlag.day, BusyFlag.state).where(
                BusyFlag.member_id == member.id, BusyFlag.poll_id == poll.id
            )
        )
    }


def read_at(member: Member, poll: Poll) -> datetime | None:
    return db.session.scalar(
        select(BusyFlag.read_at)
        .where(BusyFlag.member_id == member.id, BusyFlag.poll_id == poll.id)
        .limit(1)
    )


# --- the proposal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposedCell:
    venue_id: int
    current: Answer | None  # the member's answer now
    proposed: Answer | None  # No for a busy day; None: the member decides (partly) or as it is
    editable: bool  # the page offers a choice for this cell


@dataclass(frozen=True)
class ProposedDay:
    day: CandidateDay
    state: DayBusy | None  # None: the calendar said nothing of this day
    cells: list[ProposedCell]


def propose(
    days: list[CandidateDay],
    venue_ids: list[int],
    answers: dict[tuple[int, int], Answer],
    found: dict[date, DayBusy],
    *,
    answered_too: bool,
) -> list[ProposedDay]:
    """Each day with what the calendar proposes per cell: busy days No, partly busy days a
    choice for the member, free days as they are; answered cells only with `answered_too`."""
    out = []
    for day in days:
        state = found.get(day.day)
        cells = []
        for venue_id in venue_ids:
            current = answers.get((day.id, venue_id))
            open_ = state in (DayBusy.BUSY, DayBusy.PARTLY) and (current is None or answered_too)
            proposed = Answer.NO if open_ and state == DayBusy.BUSY else None
            cells.append(ProposedCell(venue_id, current, proposed, open_))
        out.append(ProposedDay(day, state, cells))
    return out


@dataclass(frozen=True)
class PageState:
    """The member page's calendar block: the kept connection, masked, its last failure (an error
    kind, "" when it was read) and what it said of this poll's days."""

    masked: str | None
    failure: str
    flags: dict[date, DayBusy]


PAGE_STATE = (  # built once: every member page asks it
    select(CalendarConnection.masked, CalendarConnection.failure, BusyFlag.day, BusyFlag.state)
    .select_from(Member)
    .outerjoin(CalendarConnection, CalendarConnection.member_id == Member.id)
    .outerjoin(
        BusyFlag, (BusyFlag.member_id == Member.id) & (BusyFlag.poll_id == bindparam("poll"))
    )
    .where(Member.id == bindparam("member"))
)


NO_CALENDAR = PageState(None, "", {})


def calendar_kept() -> ColumnElement[bool]:
    """A column for a statement on Member, the poll bound as `poll`: whether the member keeps a
    calendar connection or flags for the poll. Most members keep neither, and their page then
    needs no statement for its calendar block (NO_CALENDAR)."""
    return or_(
        exists().where(CalendarConnection.member_id == Member.id),
        exists().where(BusyFlag.member_id == Member.id, BusyFlag.poll_id == bindparam("poll")),
    )


def page_state(member: Member, poll: Poll) -> PageState:
    """In one statement, as the member page sends one per thing it shows
    (tests/app/test_page_statements.py)."""
    rows = db.session.execute(PAGE_STATE, {"member": member.id, "poll": poll.id}).all()
    masked, failure = (rows[0][0], rows[0][1] or "") if rows else (None, "")
    return PageState(masked, failure, {day: DayBusy(state) for *_, day, state in rows if day})


def blank_busy_days(found: dict[date, DayBusy], response: Response | None, venues: set[str]) -> int:
    """How many busy days the calendar proposes No for where the member has a blank cell."""
    if not found:
        return 0
    answered: dict[str, set[str]] = defaultdict(set)
    for day, venue, _value in response.cells() if response is not None else ():
        answered[day].add(venue)
    return sum(
        1
        for d, state in found.items()
        if state == DayBusy.BUSY and not venues <= answered[d.isoformat()]
    )
