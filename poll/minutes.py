"""A meeting's minutes: written on the meeting page or uploaded as a PDF/DOCX, then published
to the members with a mail.

Who writes them: the coordinator, and the members who hold the minute-taker's role at that
meeting. Roles have no "takes the minutes" property, so the role is found by the key the
founding document's roles use ("notes", poll/network_admin.default_roles and the demo) or,
for a network that named its own, by the name "Referent".

The text knows three things: paragraphs (blank lines between), bullet lines ("- "), and
**bold**; everything else is shown as typed, escaped. A file is kept in the database with its
type, which is read from its first bytes (never from its name): a PDF starts "%PDF-", a DOCX is
a ZIP archive holding word/document.xml.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from itertools import groupby

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from .db import db
from .feeds import absolute_url
from .filenames import network_stem
from .members import mail_language, personal_token
from .models import Meeting, MeetingMinutes, Member, Poll, Role, utcnow
from .notifications import (
    Composed,
    Delivery,
    Outcome,
    kind_of,
    mailable_members,
    member_poll_context,
    render_mail,
    require_active,
    send,
)
from .plan_view import MeetingView
from .text_checks import has_control

MINUTE_TAKER_KEY = "notes"
MINUTE_TAKER_NAME = "referent"
TEXT_MAX = 50_000
FILE_MAX = 10 * 1024 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTENSIONS = {PDF: "pdf", DOCX: "docx"}
FILE_NAME_MAX = 200


@dataclass
class Invalid(Exception):
    """A field of the form that cannot be used: its name and the message."""

    field: str
    message: str
    status: int = 400


def is_minute_taker(role: Role) -> bool:
    return role.key == MINUTE_TAKER_KEY or role.name.strip().casefold() == MINUTE_TAKER_NAME


def member_writes(view: MeetingView, member: Member) -> bool:
    return any(is_minute_taker(role) for role in view.roles_of(member))


def minutes_for(meeting: Meeting) -> MeetingMinutes | None:
    return db.session.scalar(select(MeetingMinutes).where(MeetingMinutes.meeting_id == meeting.id))


def published_minutes(meeting_ids: list[int]) -> dict[int, MeetingMinutes]:
    """The published minutes of these meetings, by meeting id."""
    if not meeting_ids:
        return {}
    rows = db.session.scalars(
        select(MeetingMinutes).where(
            MeetingMinutes.meeting_id.in_(meeting_ids), MeetingMinutes.published_at.is_not(None)
        )
    )
    return {m.meeting_id: m for m in rows}


def _minutes_row(meeting: Meeting) -> MeetingMinutes:
    minutes = minutes_for(meeting)
    if minutes is None:
        minutes = MeetingMinutes(meeting_id=meeting.id, text="")
        db.session.add(minutes)
    return minutes


def save_text(meeting: Meeting, text: str) -> MeetingMinutes:
    """Store the text (the caller commits); raises Invalid."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > TEXT_MAX:
        raise Invalid("minutes", _("Minutes: at most %(max)d characters.", max=TEXT_MAX))
    if has_control(text, multiline=True):
        raise Invalid("minutes", _("Minutes: remove the invisible control characters."))
    minutes = _minutes_row(meeting)
    minutes.text, minutes.updated_at = text, utcnow()
    return minutes


def too_large() -> Invalid:
    return Invalid(
        "minutes_file",
        _("Minutes file: at most %(mb)d MB. The file was not saved.", mb=FILE_MAX // 2**20),
        413,
    )


def file_type(data: bytes) -> str | None:
    """PDF or DOCX by the file's own bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return DOCX
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
    return None


def attach_file(meeting: Meeting, data: bytes, name: str) -> MeetingMinutes:
    """Keep the uploaded file, replacing any earlier one (the caller commits); raises Invalid."""
    if not data:
        raise Invalid("minutes_file", _("Minutes file: choose a PDF or Word (DOCX) file."))
    if len(data) > FILE_MAX:
        raise too_large()
    kind = file_type(data)
    if kind is None:
        raise Invalid(
            "minutes_file",
            _("Minutes file: only PDF and Word (DOCX) files can be used. The file was not saved."),
            415,
        )
    name = "".join(c for c in name if c.isprintable()).strip().replace("/", "_")[:FILE_NAME_MAX]
    minutes = _minutes_row(meeting)
    minutes.file_data, minutes.file_type, minutes.file_size = data, kind, len(data)
    minutes.file_name = name or f"referat.{EXTENSIONS[kind]}"
    minutes.updated_at = utcnow()
    return minutes


def remove_file(minutes: MeetingMinutes) -> None:
    minutes.file_data = minutes.file_type = minutes.file_name = minutes.file_size = None
    minutes.updated_at = utcnow()


def download_name(poll: Poll, meeting: Meeting, kind: str) -> str:
    return f"{network_stem(poll.network)}-{poll.year}-{meeting.key}-referat.{EXTENSIONS[kind]}"


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(line: str) -> Markup:
    return Markup(_BOLD.sub(r"<strong>\1</strong>", str(escape(line))))


def render_text(text: str) -> Markup:
    """Paragraphs, "- " bullet lists and **bold** as HTML; everything typed is escaped."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        for bullet, run in groupby(lines, key=lambda line: line.startswith("- ")):
            if bullet:
                items = "".join(f"<li>{_inline(line[2:].strip())}</li>" for line in run)
                parts.append(f"<ul>{items}</ul>")
            else:
                parts.append(f"<p>{Markup('<br>').join(_inline(line) for line in run)}</p>")
    return Markup("\n".join(parts))


# -- publishing ------------------------------------------------------------------------------


def compose_published(member: Member, poll: Poll, meeting: Meeting, link: str) -> Composed:
    subject = _l(
        "%(network)s: the minutes of %(meeting)s are ready",
        network=poll.network.name,
        meeting=meeting.name,
    )
    return render_mail(
        "minutes",
        subject,
        {**member_poll_context(member, poll), "meeting": meeting, "link": link},
        languages=(mail_language(member),),
    )


def publish(minutes: MeetingMinutes, poll: Poll, reply_to: str | None = None) -> Outcome:
    """Publish the minutes and tell every active member by mail, once: publishing again (the
    minutes are already out) sends nothing. Raises Invalid when there is nothing to publish."""
    if not minutes.text and minutes.file_type is None:
        raise Invalid("minutes", _("Minutes: write them or upload a file before publishing."))
    outcome = Outcome()
    if minutes.published_at is not None:
        return outcome
    require_active(poll.network)
    minutes.published_at = utcnow()
    db.session.commit()
    meeting = minutes.meeting
    members = [m for m in poll.network.members if m.active]
    with Delivery() as delivery:
        for member in mailable_members(poll, members, outcome):
            token = personal_token(member)
            if token is None:
                outcome.skipped.append((member.name, _("no personal link; make a new one")))
                continue
            link = absolute_url("meeting.member_page", token=token, year=poll.year, key=meeting.key)
            composed = compose_published(member, poll, meeting, link)
            outcome.logs.append(
                send(poll.network, member, kind_of("minutes", poll), composed, delivery, reply_to)
            )
    return outcome
