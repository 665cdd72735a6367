"""CSV exports for the coordinator: the members' answers and a plan, made for Danish Excel.

Danish Excel opens a double-clicked .csv with ';' as the separator (',' is the decimal comma) and
only reads UTF-8 when the file starts with a byte order mark, so both exports are ';'-separated
UTF-8 with BOM and CRLF line ends. The answers come in long form, one row per member, day and
venue, because that is what Excel's filters and pivot tables work on; comments repeat on each of
a member's rows so a filtered view never loses them. Cells that Excel would run as a formula get
a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from .db import db
from .models import Answer, Plan, Poll, Response
from .plan_view import meeting_views

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return (BOM + out.getvalue()).encode("utf-8")


def _answer_labels() -> dict[Answer, str]:
    return {Answer.YES: _("Yes"), Answer.MAYBE: _("If need be"), Answer.NO: _("No")}


def answers_csv(poll: Poll) -> bytes:
    """One row per member x candidate day x venue, with the member's comment and answer time.

    Members are the active ones plus anyone who answered this poll; an empty answer means the
    member did not mark that day at that venue.
    """
    network = poll.network
    zone = ZoneInfo(network.timezone)
    responses = {
        r.member_id: r
        for r in db.session.scalars(select(Response).where(Response.poll_id == poll.id))
    }
    members = [m for m in network.members if m.active or m.id in responses]
    labels = _answer_labels()
    header = [
        _("Member"),
        _("Organisation"),
        _("Meeting"),
        _("Date"),
        _("Weekday"),
        _("Week"),
        _("Venue"),
        _("Answer"),
        _("Comment"),
        _("Answered at"),
    ]
    rows = []
    for member in members:
        response = responses.get(member.id)
        answered = (
            response.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if response else ""
        )
        comment = response.comment if response else ""
        for day in poll.days:
            for venue in network.venues:
                value = response.answer(day.day, venue.key) if response else None
                rows.append(
                    [
                        member.shown_name,
                        member.organisation,
                        day.meeting.name,
                        day.day.isoformat(),
                        format_date(day.day, "EEEE"),
                        day.day.isocalendar().week,
                        venue.name,
                        labels[value] if value else "",
                        comment,
                        answered,
                    ]
                )
    return csv_bytes(header, rows)


def plan_csv(poll: Poll, plan: Plan) -> bytes:
    """One row per meeting: date, week, time, venue and address, and a column per role."""
    roles = poll.network.roles
    header = [
        _("Meeting"),
        _("Date"),
        _("Weekday"),
        _("Week"),
        _("Start"),
        _("End"),
        _("Venue"),
        _("Address"),
        *[role.name for role in roles],
    ]
    rows = []
    for view in meeting_views(poll, plan):
        holders = {rv.role.key: rv.holders for rv in view.roles}
        rows.append(
            [
                view.meeting.name,
                view.day.isoformat(),
                format_date(view.day, "EEEE"),
                view.day.isocalendar().week,
                view.start.strftime("%H:%M"),
                view.end.strftime("%H:%M"),
                view.venue.name,
                view.venue.address,
                *[", ".join(m.shown_name for m in holders.get(role.key, [])) for role in roles],
            ]
        )
    return csv_bytes(header, rows)
