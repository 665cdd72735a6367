"""Removing what a year poll collected once the year is long over: the members' answers and
comments, their proposals for the meetings' agendas, the sign-ups to its meetings (with dietary
needs), its meetings' guests and the mails of that year, MODEPLAN_PURGE_MONTHS months (or as
many as asked) after the year has ended. Plans, role history and minutes are kept: next years'
fairness needs the first two, and the minutes are the network's record, not a member's data.

A mail belongs to the year in its kind ("invitation/2027"), or, when it names none (a lost
link sent again), to the year it was written in, in the network's time zone.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from .. import audit, calendar_links
from ..db import db
from ..models import (
    AgendaProposal,
    Guest,
    MailJob,
    Meeting,
    MessageLog,
    Network,
    Poll,
    Response,
    Signup,
)


@dataclass
class YearPurge:
    """What one network's year has to remove."""

    network_id: int
    network: str  # the slug, as the command line names networks
    year: int
    answers: int = 0  # members' answers (with their comments and role opt-outs)
    comments: int = 0
    messages: int = 0
    proposals: int = 0  # agenda proposals
    signups: int = 0  # members' and guests' sign-ups to its meetings (with dietary needs)
    poll_id: int | None = None
    message_ids: list[int] = field(default_factory=list)


def last_purged_year(today: date, months: int) -> int:
    """The latest year that ended (on 1 January of the next) at least `months` months before
    `today`."""
    return (today.year * 12 + today.month - 1 - months) // 12 - 1


def find(today: date, months: int) -> list[YearPurge]:
    """What there is to remove, per network and year, by slug and year; nothing empty."""
    last = last_purged_year(today, months)
    found: dict[tuple[int, int], YearPurge] = {}
    networks = {n.id: n for n in db.session.scalars(select(Network))}

    def entry(network_id: int, year: int) -> YearPurge:
        key = (network_id, year)
        if key not in found:
            found[key] = YearPurge(network_id, networks[network_id].slug, year)
        return found[key]

    for poll_id, network_id, year in db.session.execute(
        select(Poll.id, Poll.network_id, Poll.year).where(Poll.year <= last)
    ):
        entry(network_id, year).poll_id = poll_id
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for poll_id, comment in db.session.execute(
        select(Response.poll_id, Response.comment).join(Poll).where(Poll.year <= last)
    ):
        counts[poll_id][0] += 1
        counts[poll_id][1] += bool(comment.strip())
    signups: dict[int, int] = defaultdict(int)
    for (poll_id,) in db.session.execute(
        select(Meeting.poll_id)
        .join(Signup, Signup.meeting_id == Meeting.id)
        .join(Poll, Poll.id == Meeting.poll_id)
        .where(Poll.year <= last)
    ):
        signups[poll_id] += 1
    proposals: dict[int, int] = defaultdict(int)
    for (poll_id,) in db.session.execute(
        select(Meeting.poll_id).join(AgendaProposal).join(Poll).where(Poll.year <= last)
    ):
        proposals[poll_id] += 1
    for item in found.values():
        if item.poll_id is not None:
            item.answers, item.comments = counts[item.poll_id]
            item.proposals = proposals[item.poll_id]
            item.signups = signups[item.poll_id]
    zones = {n.id: ZoneInfo(n.timezone) for n in networks.values()}
    for message_id, network_id, kind, created in db.session.execute(
        select(MessageLog.id, MessageLog.network_id, MessageLog.kind, MessageLog.created_at)
    ):
        year = _year_of(kind) or created.astimezone(zones[network_id]).year
        if year <= last:
            item = entry(network_id, year)
            item.messages += 1
            item.message_ids.append(message_id)
    return sorted(
        (i for i in found.values() if i.answers or i.messages or i.proposals or i.signups),
        key=lambda i: (i.network, i.year),
    )


def _year_of(kind: str) -> int | None:
    parts = kind.split("/")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def purge(found: list[YearPurge], describe: Callable[[YearPurge], str]) -> None:
    """Remove what `find` found and log it per network (`describe(item)` says what, without
    the network); the caller commits."""
    polls = [i.poll_id for i in found if i.poll_id is not None]
    if polls:
        db.session.execute(delete(Response).where(Response.poll_id.in_(polls)))
        meetings = select(Meeting.id).where(Meeting.poll_id.in_(polls))
        db.session.execute(delete(AgendaProposal).where(AgendaProposal.meeting_id.in_(meetings)))
        # Sign-ups (with dietary needs) and the meetings' guests are personal data of the year.
        db.session.execute(delete(Signup).where(Signup.meeting_id.in_(meetings)))
        db.session.execute(delete(Guest).where(Guest.meeting_id.in_(meetings)))
        # The batches of those years listed by name the members they did not mail.
        db.session.execute(update(MailJob).where(MailJob.poll_id.in_(polls)).values(skipped=[]))
    if found:
        # Busy flags of those years, and calendar connections not read since the newest of them.
        newest = datetime(max(i.year for i in found) + 1, 1, 1, tzinfo=UTC)
        calendar_links.purge(polls, read_before=newest)
    ids = [m for i in found for m in i.message_ids]
    for start in range(0, len(ids), 500):
        db.session.execute(delete(MessageLog).where(MessageLog.id.in_(ids[start : start + 500])))
    by_network: dict[int, list[YearPurge]] = defaultdict(list)
    for item in found:
        by_network[item.network_id].append(item)
    for network_id, items in by_network.items():
        detail = "; ".join(describe(i) for i in items)
        audit.record(audit.Action.PURGE, network_id, detail=detail, actor=audit.COMMAND_LINE)
