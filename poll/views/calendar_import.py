""" "Get it from my calendar" on the member page: the member's own calendar proposes answers.

GET  /m/<token>/<year>/kalender            the forms (an ICS link, or CalDAV server, user and
                                           password; "keep the connection") and, once read, the
                                           proposal per ISO week; `ogsaa=1` proposes for answered
                                           cells too. The proposal's form posts to the member's
                                           normal save (member.answer_year) with only its cells.
POST /m/<token>/<year>/kalender            read the calendar (`kind` ics or caldav), store the
                                           flags (and the connection when `keep`), back to the
                                           proposal; a failure shows its message on the field
                                           with 422, the link kept in the field, nothing stored
POST /m/<token>/<year>/kalender/hent-igen  read the kept connection again
POST /m/<token>/<year>/kalender/fjern      remove the kept connection (if any) and the flags
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import calendar_links
from ..answers import Sheet, answer_labels, encode_shown_cells, load_sheet, monday
from ..busy import CalDavSource, CalendarError, DayBusy, ErrorKind, IcsSource, Source, error_message
from ..db import db
from ..models import Member, Poll, utcnow
from .scope import link_member, member_poll

bp = Blueprint("calendar_import", __name__)

MESSAGE_KEY = "calendar_message"
PROPOSAL_ID = "forslag"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class Summary:
    """What the member page's "Get it from my calendar" block shows."""

    masked: str | None  # the kept connection, masked
    failure: str | None  # why its last refresh failed
    blank_busy: int  # busy days proposed as No where the member has a blank cell
    read: bool  # the calendar was read for this poll


@bp.app_template_global()
def calendar_summary(sheet: Sheet) -> Summary:
    state = (
        calendar_links.page_state(sheet.member, sheet.poll)
        if sheet.calendar_kept
        else calendar_links.NO_CALENDAR
    )
    return Summary(
        masked=state.masked,
        failure=_failure(state.failure) if state.failure else None,
        blank_busy=calendar_links.blank_busy_days(
            state.flags, sheet.response, {v.key for v in sheet.venues}
        ),
        read=bool(state.flags),
    )


@bp.app_template_global()
def kept_calendar(member: Member) -> str | None:
    """The member's kept calendar connection, masked, for "Your data"."""
    kept = calendar_links.connection(member)
    return kept.masked if kept is not None else None


def _failure(kind: str) -> str:
    try:
        return error_message(CalendarError(ErrorKind(kind)))
    except ValueError:
        return _("Your calendar could not be read.")


@bp.get("/m/<token>/<int:year>/kalender")
def page(token: str, year: int):
    member = link_member(token)
    poll = member_poll(member, year)
    return _render(token, member, poll, answered_too=request.args.get("ogsaa") == "1")


@bp.post("/m/<token>/<int:year>/kalender")
def connect(token: str, year: int):
    member = link_member(token)
    poll = member_poll(member, year)
    _refuse_closed(member, poll)
    source, errors = _parse_source(request.form)
    if source is not None:
        try:
            found = calendar_links.read(member, poll, source, utcnow())
        except CalendarError as error:
            db.session.rollback()
            errors = [FieldError(_error_field(source, error), error_message(error))]
        else:
            if request.form.get("keep") == "1":
                calendar_links.keep(member, source, utcnow())
            db.session.commit()
            session[MESSAGE_KEY] = _read_message(found)
            return redirect(url_for(".page", token=token, year=year, _anchor=PROPOSAL_ID), code=303)
    return _render(token, member, poll, errors=errors, form=request.form), 422


@bp.post("/m/<token>/<int:year>/kalender/hent-igen")
def refresh(token: str, year: int):
    member = link_member(token)
    poll = member_poll(member, year)
    _refuse_closed(member, poll)
    if calendar_links.connection(member) is None:
        abort(409, _("There is no kept calendar connection to read again."))
    error = calendar_links.refresh(member, poll, utcnow())
    db.session.commit()
    if error is not None:
        errors = [FieldError("refresh", error_message(error))]
        return _render(token, member, poll, errors=errors), 422
    session[MESSAGE_KEY] = _read_message(calendar_links.flags(member, poll))
    return redirect(url_for(".page", token=token, year=year, _anchor=PROPOSAL_ID), code=303)


@bp.post("/m/<token>/<int:year>/kalender/fjern")
def remove(token: str, year: int):
    member = link_member(token)
    member_poll(member, year)
    if calendar_links.connection(member) is not None:
        message = _(
            "The calendar connection is removed, and so is what was read from your calendar."
        )
    else:
        message = _("What was read from your calendar is removed.")
    calendar_links.forget([member.id])
    db.session.commit()
    session[MESSAGE_KEY] = message
    return redirect(url_for(".page", token=token, year=year), code=303)


def _refuse_closed(member: Member, poll: Poll) -> None:
    closed = load_sheet(member, poll, [poll], with_others=False).closed_message()
    if closed is not None:
        abort(403, closed)


def _read_message(found: dict[date, DayBusy]) -> str:
    busy = sum(1 for s in found.values() if s == DayBusy.BUSY)
    partly = sum(1 for s in found.values() if s == DayBusy.PARTLY)
    return _(
        "Your calendar was read: %(busy)s, %(partly)s. Nothing is saved until you save below.",
        busy=ngettext("%(num)d busy day", "%(num)d busy days", busy),
        partly=ngettext("%(num)d partly busy day", "%(num)d partly busy days", partly),
    )


def _schemes() -> tuple[str, ...]:
    """https and webcal; http too in debug and testing (a calendar served on this machine)."""
    if current_app.debug or current_app.testing:
        return ("https://", "webcal://", "http://")
    return ("https://", "webcal://")


def _parse_source(form: MultiDict) -> tuple[Source | None, list[FieldError]]:
    kind = form.get("kind", "")
    if kind == "ics":
        url = form.get("ics_url", "").strip()
        error = _check_url(url, "ics_url", _("Calendar link"))
        return (None, [error]) if error else (IcsSource(url), [])
    if kind == "caldav":
        url = form.get("caldav_url", "").strip()
        username = form.get("caldav_user", "").strip()
        password = form.get("caldav_password", "")
        errors = []
        error = _check_url(url, "caldav_url", _("Calendar server"))
        if error:
            errors.append(error)
        if not username:
            errors.append(FieldError("caldav_user", _("User name: write your user name.")))
        elif len(username) > 254:
            errors.append(FieldError("caldav_user", _("User name: at most 254 characters.")))
        if not password:
            errors.append(FieldError("caldav_password", _("App password: write the app password.")))
        elif len(password) > 500:
            errors.append(FieldError("caldav_password", _("App password: at most 500 characters.")))
        return (None, errors) if errors else (CalDavSource(url, username, password), [])
    return None, [FieldError("kind", _("Choose a calendar link or a calendar server."))]


def _check_url(url: str, field: str, label: str) -> FieldError | None:
    if not url:
        return FieldError(field, _("%(field)s: paste the address.", field=label))
    if len(url) > 2000:
        return FieldError(field, _("%(field)s: at most 2000 characters.", field=label))
    if not url.lower().startswith(_schemes()) or any(c.isspace() for c in url):
        return FieldError(
            field,
            _(
                "%(field)s: the address must begin with https:// or webcal://.",
                field=label,
            ),
        )
    return None


def _error_field(source: Source, error: CalendarError) -> str:
    if isinstance(source, IcsSource):
        return "ics_url"
    if error.kind == ErrorKind.WRONG_PASSWORD:
        return "caldav_password"
    return "caldav_url"


@dataclass(frozen=True)
class ProposalWeek:
    monday: date
    days: list[calendar_links.ProposedDay]


def _render(
    token: str,
    member: Member,
    poll: Poll,
    *,
    errors: list[FieldError] | None = None,
    form: MultiDict | None = None,
    answered_too: bool = False,
):
    sheet = load_sheet(member, poll, with_others=False)
    found = calendar_links.flags(member, poll)
    proposal = calendar_links.propose(
        sheet.days,
        [v.id for v in sheet.venues],
        sheet.answers,
        found,
        answered_too=answered_too,
    )
    weeks: list[ProposalWeek] = []
    for day in proposal:
        start = monday(day.day.day)
        if not weeks or weeks[-1].monday != start:
            weeks.append(ProposalWeek(start, []))
        weeks[-1].days.append(day)
    kept = calendar_links.connection(member)
    read_at = calendar_links.read_at(member, poll)
    errors = errors or []
    form = form or MultiDict()
    return render_template(
        "member/calendar.html",
        token=token,
        member=member,
        network=sheet.network,
        poll=poll,
        sheet=sheet,
        weeks=weeks if found else [],
        venues=sheet.venues,
        labels=answer_labels(),
        states={
            DayBusy.BUSY: _("Busy"),
            DayBusy.PARTLY: _("Partly busy"),
            DayBusy.FREE: _("Free"),
        },
        busy=DayBusy,
        offered=sum(1 for d in proposal for c in d.cells if c.editable),
        answered_too=answered_too,
        was_cells=encode_shown_cells(sheet.answers),
        kept=kept,
        failure=_failure(kept.failure) if kept is not None and kept.failure else None,
        read_at=format_datetime(read_at, _("d MMMM y 'at' HH:mm")) if read_at else None,
        message=session.pop(MESSAGE_KEY, None),
        errors=errors,
        error_for={e.field: e.message for e in errors},
        kind=form.get("kind", "ics"),
        ics_url=form.get("ics_url", ""),
        caldav_url=form.get("caldav_url", ""),
        caldav_user=form.get("caldav_user", ""),
        keep_checked=form.get("keep") == "1",
        proposal_id=PROPOSAL_ID,
    )
