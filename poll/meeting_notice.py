"""The meeting notice and the planning group's agenda reminder, sent by `remind --auto`.

For each meeting of a published plan whose day is `Network.notice_days` days ahead or less (and
not past), every active member gets the notice in their own language: date, time, venue with
address, the agenda with its standing items, the roles, a link to sign up on the meeting's page
(their personal link) and the meeting as an invitation (.ics). The meeting's guests (poll.guests)
get it too, with their own link. `notice_days + 7` days before (and only while the notice is not
yet due), the planning group is reminded to finish the agenda.

Each round goes out once: a MeetingNotice row (unique per meeting and kind) is committed
before the first mail, so a second run, or a second process at the same moment, sends nothing.
A mail that fails stays in the message log as FAILED, and `retry-mail` sends it later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from email.policy import SMTP
from email.utils import parseaddr

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .calendar import build_calendar
from .db import db
from .feeds import absolute_url
from .filenames import network_stem
from .guest_links import guest_token
from .mailer import build_message
from .members import mail_language, personal_token
from .models import (
    Guest,
    MeetingNotice,
    Member,
    MessageLog,
    MessageStatus,
    Network,
    Plan,
    PlanStatus,
    Poll,
    utcnow,
)
from .notifications import (
    GUEST_MARK,
    Composed,
    Delivery,
    Outcome,
    attempt_delivery,
    kind_of,
    mailable_members,
    network_reply_to,
    render_mail,
    send,
    sender_address,
    today_in,
)
from .plan_calendar import (
    PlannedEvent,
    calendar_event,
    invitation_calendar,
    location_of,
    organizer_of,
    published_events,
)
from .plan_view import MeetingView
from .signup import deadline

NOTICE, AGENDA_REMINDER = "notice", "agenda-reminder"
AGENDA_WEEK = 7
SIGNUP_ANCHOR = "tilmelding"


@dataclass
class Round:
    """One meeting's round of mails that went out now."""

    poll: Poll
    view: MeetingView
    kind: str
    outcome: Outcome


# -- composing -------------------------------------------------------------------------------


def _context(event: PlannedEvent, name: str, link: str | None, roles: list[str]) -> dict:
    view = event.view
    poll = event.poll
    return {
        **_common_for(poll),
        "name": name,
        "meeting": view.meeting.name,
        "day": view.day,
        "start": view.start.time(),
        "end": view.end.time(),
        "location": location_of(view.venue),
        "agenda": view.agenda_items,
        "roles": [(rv.role.name, [m.shown_name for m in rv.holders]) for rv in view.roles],
        "your_roles": roles,
        "link": link,
        "signup_deadline": deadline(poll.network, view),
    }


def _common_for(poll: Poll) -> dict:
    network = poll.network
    coordinator = network.coordinator
    return {
        "network": network,
        "poll": poll,
        "year": poll.year,
        "coordinator": coordinator.name if coordinator else network.name,
    }


def member_link(member: Member, event: PlannedEvent) -> str | None:
    """The member's own meeting page, at the sign-up."""
    token = personal_token(member)
    if token is None:
        return None
    url = absolute_url(
        "meeting.member_page", token=token, year=event.poll.year, key=event.view.meeting.key
    )
    return f"{url}#{SIGNUP_ANCHOR}"


def guest_link(guest: Guest, token: str) -> str:
    return absolute_url("guests.guest_page", token=token) + f"#{SIGNUP_ANCHOR}"


def _subject(event: PlannedEvent):
    return _l(
        "%(network)s: %(meeting)s on %(date)s – agenda and sign-up",
        network=event.poll.network.name,
        meeting=event.view.meeting.name,
        date=event.view.day.strftime("%d.%m.%Y"),
    )


def _ics_name(event: PlannedEvent) -> str:
    poll = event.poll
    return f"{network_stem(poll.network)}-{poll.year}-{event.view.meeting.key}.ics"


def compose_notice(member: Member, event: PlannedEvent, organizer: tuple[str, str]) -> Composed:
    data, mime = invitation_calendar(event, member, organizer, utcnow())
    roles = [r.name for r in event.view.roles_of(member)]
    return render_mail(
        "notice",
        _subject(event),
        _context(event, member.name, member_link(member, event), roles),
        [(_ics_name(event), mime, data)],
        languages=(mail_language(member),),
    )


def compose_guest_notice(
    guest: Guest, token: str, event: PlannedEvent, organizer: tuple[str, str]
) -> Composed:
    data = build_calendar(
        [calendar_event(event)],
        name=f"{event.view.meeting.name} – {event.poll.network.name}",
        stamp=utcnow(),
        method="REQUEST",
        organizer=organizer,
        attendee=(guest.name, guest.email),
    )
    mime = "text/calendar; method=REQUEST; charset=UTF-8"
    context = {**_context(event, guest.name, guest_link(guest, token), []), "guest": True}
    return render_mail(
        "notice", _subject(event), context, [(_ics_name(event), mime, data)], languages=("da",)
    )


def compose_agenda_reminder(member: Member, event: PlannedEvent) -> Composed:
    subject = _l(
        "%(network)s: please finish the agenda for %(meeting)s",
        network=event.poll.network.name,
        meeting=event.view.meeting.name,
    )
    token = personal_token(member)
    link = (
        absolute_url(
            "meeting.member_page",
            token=token,
            year=event.poll.year,
            key=event.view.meeting.key,
        )
        if token
        else None
    )
    context = {
        **_context(event, member.name, link, []),
        "notice_day": event.view.day - timedelta(days=event.poll.network.notice_days),
    }
    return render_mail("agenda_reminder", subject, context, languages=(mail_language(member),))


# -- sending ---------------------------------------------------------------------------------


def send_to_guest(
    guest: Guest, event: PlannedEvent, delivery: Delivery, organizer: tuple[str, str]
) -> MessageLog:
    """Log the guest's notice (their link replaced by a marker in the stored copy), deliver it
    and note that the guest has had it; commits."""
    network = event.poll.network
    token = guest_token(guest)
    log = MessageLog(
        network_id=network.id,
        member_id=None,
        guest_id=guest.id,
        kind=kind_of(NOTICE, event.poll),
        recipient=guest.email[:254],
        subject="",
        raw=b"",
        status=MessageStatus.FAILED,
        error=_("Not sent yet: sending was interrupted."),
        attempts=1,
    )
    if token is None:
        log.error = _(
            "The link could not be put into the message: %(reason)s",
            reason=_("the guest's link cannot be made again; remove the guest and add them anew"),
        )
        db.session.add(log)
        db.session.commit()
        return log
    composed = compose_guest_notice(guest, token, event, organizer)
    log.subject = composed.subject[:300]
    try:
        message = build_message(
            sender=sender_address(),
            to=(guest.name, guest.email),
            subject=composed.subject,
            text=composed.text.replace(token, GUEST_MARK),
            html=composed.html.replace(token, GUEST_MARK),
            attachments=composed.attachments,
            reply_to=network_reply_to(network),
        )
    except (ValueError, TypeError) as error:
        log.error = _(
            "The message could not be built (check the e-mail address): %(error)s",
            error=str(error),
        )
        db.session.add(log)
        db.session.commit()
        return log
    log.raw = message.as_bytes(policy=SMTP)
    guest.notified_at = utcnow()
    db.session.add(log)
    db.session.commit()
    attempt_delivery(log, message, delivery)
    db.session.commit()
    return log


def notice_sent(view: MeetingView) -> bool:
    return (
        db.session.scalar(
            select(MeetingNotice.id).where(
                MeetingNotice.meeting_id == view.meeting.id, MeetingNotice.kind == NOTICE
            )
        )
        is not None
    )


def _claim(view: MeetingView, kind: str) -> bool:
    """Write the round's row; False when it already exists (sent before, or right now)."""
    db.session.add(MeetingNotice(meeting_id=view.meeting.id, kind=kind, day=view.day))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _organizer(network: Network) -> tuple[str, str]:
    return organizer_of(network, parseaddr(sender_address())[1])


def _send_notice(event: PlannedEvent) -> Outcome:
    poll = event.poll
    network = poll.network
    organizer = _organizer(network)
    outcome = Outcome()
    members = mailable_members(poll, [m for m in network.members if m.active], outcome)
    guests = db.session.scalars(
        select(Guest).where(Guest.meeting_id == event.view.meeting.id).order_by(Guest.id)
    )
    with Delivery() as delivery:
        for member in members:
            if personal_token(member) is None:
                outcome.skipped.append((member.name, _("no personal link; make a new one")))
                continue
            composed = compose_notice(member, event, organizer)
            outcome.logs.append(send(network, member, kind_of(NOTICE, poll), composed, delivery))
        for guest in guests:
            outcome.logs.append(send_to_guest(guest, event, delivery, organizer))
    return outcome


def _send_agenda_reminder(event: PlannedEvent) -> Outcome:
    poll = event.poll
    planners = [
        m for rv in event.view.roles if rv.role.includes_coordinator for m in rv.holders if m.active
    ]
    outcome = Outcome()
    with Delivery() as delivery:
        for member in mailable_members(poll, planners, outcome):
            outcome.logs.append(
                send(
                    poll.network,
                    member,
                    kind_of(AGENDA_REMINDER, poll),
                    compose_agenda_reminder(member, event),
                    delivery,
                )
            )
    return outcome


def notify_guest_now(guest: Guest) -> MessageLog | None:
    """Send a new guest the notice at once when the members already had it; else None (they
    get it with the members)."""
    poll = guest.meeting.poll
    event = next((e for e in published_events(poll) if e.view.meeting.id == guest.meeting_id), None)
    if event is None or event.cancelled or not notice_sent(event.view):
        return None
    db.session.commit()  # the event state the .ics SEQUENCE comes from
    with Delivery() as delivery:
        return send_to_guest(guest, event, delivery, _organizer(poll.network))


def due_rounds(poll: Poll, today: date) -> list[tuple[PlannedEvent, str]]:
    """The rounds of `poll` that are due on `today` and not yet sent."""
    network = poll.network
    due = []
    for event in published_events(poll):
        if event.cancelled:
            continue
        ahead = (event.view.day - today).days
        if ahead < 0:
            continue
        if ahead <= network.notice_days:
            kind = NOTICE
        elif ahead <= network.notice_days + AGENDA_WEEK:
            kind = AGENDA_REMINDER
        else:
            continue
        sent = db.session.scalar(
            select(MeetingNotice.id).where(
                MeetingNotice.meeting_id == event.view.meeting.id, MeetingNotice.kind == kind
            )
        )
        if sent is None:
            due.append((event, kind))
    return due


def send_due(poll: Poll, today: date) -> list[Round]:
    """Send every round of `poll` due on `today`, each once."""
    if poll.network.archived:
        return []
    rounds = []
    events = due_rounds(poll, today)
    db.session.commit()  # the event states the invitations' SEQUENCE comes from
    for event, kind in events:
        if not _claim(event.view, kind):
            continue
        send_round = _send_notice if kind == NOTICE else _send_agenda_reminder
        rounds.append(Round(poll, event.view, kind, send_round(event)))
    return rounds


def published_polls(network_slug: str | None, year: int | None) -> list[Poll]:
    query = (
        select(Poll)
        .join(Network, Network.id == Poll.network_id)
        .join(Plan, Plan.poll_id == Poll.id)
        .where(Plan.status == PlanStatus.PUBLISHED, Network.archived_at.is_(None))
    )
    if network_slug is not None:
        query = query.where(Network.slug == network_slug)
    if year is not None:
        query = query.where(Poll.year == year)
    return list(db.session.scalars(query.order_by(Poll.network_id, Poll.year)))


def run_auto(
    network_slug: str | None, year: int | None, today: date | None, echo: Callable[[str], None]
) -> bool:
    """`remind --auto`'s part for meetings: send what is due, say what went out; True when
    every mail went out."""
    all_sent = True
    for poll in published_polls(network_slug, year):
        day = today or today_in(poll.network)
        for done in send_due(poll, day):
            what = _("meeting notice") if done.kind == NOTICE else _("agenda reminder")
            for log in done.outcome.logs:
                status = log.status.value if log.status != "failed" else f"FAILED: {log.error}"
                echo(f"  {log.recipient}: {status}")
            for name, reason in done.outcome.skipped:
                echo(f"  {name}: " + _("not sent (%(reason)s)", reason=reason))
            echo(
                _(
                    "%(network)s %(year)d %(meeting)s: %(what)s: %(sent)d sent, %(failed)d"
                    " failed, %(skipped)d not sent.",
                    network=poll.network.slug,
                    year=poll.year,
                    meeting=done.view.meeting.key,
                    what=what,
                    sent=done.outcome.sent,
                    failed=done.outcome.failed,
                    skipped=len(done.outcome.skipped),
                )
            )
            all_sent = all_sent and done.outcome.failed == 0
    return all_sent
