"""Mails to members: compose, send, log, retry.

Four messages, each in the member's own language (Member.language: Danish unless the member
chose English on their page or the coordinator on the member form; plain text and HTML;
templates/mail/): an invitation with the member's personal link, a reminder to those who have
not answered every day (poll.completeness), the published plan with a link to the member's page
and to each meeting's page and one invitation (.ics, METHOD:REQUEST, the member as attendee, the
coordinator as organiser) per meeting, and a change notice that says what a new published
version changed for that member.

Each template is written once, in English gettext msgids with the locale-aware date filters,
and rendered under force_locale in the member's language (see `render_mail`); the Danish comes from
the catalog like every other text of the app. Mails to coordinator accounts
(poll/account_mail.py), whose accounts have no language, hold Danish, then English.

Every mail to a member answers to a coordinator (Reply-To, `reply_address`): the coordinator
who clicked send (the batch's MailJob.reply_to), or, for what no coordinator sends (the
automatic reminder, the command line, a lost link), the network's coordinator
(`network_reply_to`): the member marked as coordinator, who signs the mails, else the first of
the network's coordinator accounts by e-mail. The From is MAIL_SENDER (poll.mailer).

Every message is written to the MessageLog, with its raw bytes, before it is handed to the
server, and its status is updated after: a send that fails (or a process that dies while sending)
leaves a FAILED row that `retry` can send again. Nothing composed is ever lost. The stored copy
holds no working link: the member's personal and calendar tokens are replaced by markers
(PERSONAL_MARK, FEED_MARK) before it is stored, and the member's current tokens are put back
into the copy that goes to the server, at the first send as at a retry (`_with_links`). A copy
of the database alone still reveals no working link (poll/tokens.py).

Nothing is sent for an archived network: every batch and retry raises NotSent
(`require_active`), and the automatic reminder says it is not due.

A batch (`send_invitations`, `send_reminders`, `send_plan`, `retry_failed`) reads the mail
settings once and sends over one SMTP connection (`Delivery`); poll/mail_jobs.py runs it
outside the request and reports its progress.

Transport: poll.mailer with MailSettings.from_env(os.environ, outbox_dir=<instance>/outbox);
without MAIL_HOST the messages are written to that folder (status WRITTEN), so the demo works
offline. Links use config BASE_URL (env MODEPLAN_BASE_URL), never the current request.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from email import message_from_bytes
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP, default
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.lists import format_list
from flask import current_app, render_template
from flask_babel import LazyString, force_locale, format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select

from .calendar import webcal_url
from .completeness import State, member_progress, to_remind
from .db import db
from .feeds import absolute_url, feed_token
from .filenames import network_stem
from .guest_links import guest_token
from .mailer import (
    DEFAULT_SENDER,
    DeliveryError,
    MailSettings,
    Postman,
    build_message,
    recipient,
)
from .members import MAIL_LANGUAGES, mail_language, personal_token
from .models import (
    Guest,
    Member,
    MessageLog,
    MessageStatus,
    Network,
    Plan,
    PlanStatus,
    Poll,
    utcnow,
)
from .plan_calendar import (
    PlannedEvent,
    invitation_calendar,
    location_of,
    organizer_of,
    published_events,
)
from .plan_view import MeetingView, meeting_views
from .planning import plan_versions, published_plan

KINDS = ("invitation", "reminder", "reminder-auto", "plan", "change")
DEFAULT_REMINDER_DAYS = 3
# What the stored copy of a mail holds where the member's working tokens were.
PERSONAL_MARK = "[personal-link]"
FEED_MARK = "[calendar-link]"
GUEST_MARK = "[guest-link]"


class NotSent(Exception):
    """A batch that must not go out at all (closed poll, no published plan); says why."""


# -- formatting, in the current locale -------------------------------------------------------

# A mail in more than one language (to a coordinator account) holds the Danish text, a
# divider, then the English text.
TEXT_DIVIDER = "\n\n---------- {language} ----------\n\n"


def day_month(day: date) -> str:
    """'1. marts' / '1 March'."""
    # Translators: a CLDR date pattern; Danish wants "d. MMMM".
    return format_date(day, _("d MMMM"))


def any_of(names: list[str]) -> str:
    """'Odense Bibliotek eller Vejle Bibliotek' / '… or …' (CLDR list patterns)."""
    return format_list(names, style="or", locale=get_locale()) if names else ""


def language_name(language: str) -> str:
    """The language's own name for itself: 'English', 'Dansk'."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


# -- composing -------------------------------------------------------------------------------


@dataclass
class Composed:
    kind: str
    subject: str
    text: str
    html: str
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


@dataclass
class Change:
    """One thing a new published version changed for a member."""

    kind: str  # moved | time | venue | role_added | role_removed | cancelled | added
    key: str
    meeting: str
    old_day: date | None = None
    new_day: date | None = None
    old_venue: str = ""
    new_venue: str = ""
    role: str = ""
    old_start: time | None = None
    old_end: time | None = None
    new_start: time | None = None
    new_end: time | None = None


def member_poll_context(member: Member, poll: Poll) -> dict:
    network = poll.network
    coordinator = network.coordinator
    return {
        "day_month": day_month,
        "any_of": any_of,
        "member": member,
        "network": network,
        "poll": poll,
        "year": poll.year,
        "coordinator": coordinator.name if coordinator else network.name,
        "venues": [v.name for v in network.venues],
    }


def render_mail(
    kind: str,
    subject: LazyString,
    context: dict,
    attachments=(),
    *,
    languages: Sequence[str] = MAIL_LANGUAGES,
    subject_after: LazyString | None = None,
) -> Composed:
    """Render mail/<kind>.txt and .html once per language of `languages` and join them: a
    member's mail has the member's language alone (`languages=(mail_language(member),)`), a
    coordinator account's Danish, then English.

    Subjects are lazy gettext strings, translated under each language and joined as
    "Danish / English": `subject` in the first language (it may name the network, as in
    "Testnetværk: mødeplanen for 2027"), `subject_after` (default: `subject`) in the others,
    so the network is not named twice. Outside a request (the CLI) force_locale overrides the
    default locale just as it overrides a visitor's choice inside one.
    """
    subjects: list[str] = []
    texts, sections = [], []
    for language in languages:
        with force_locale(language):
            first = not subjects
            subjects.append(str(subject if first or subject_after is None else subject_after))
            texts.append(render_template(f"mail/{kind}.txt", **context))
            html = render_template(f"mail/{kind}.html", **context)
            sections.append(
                {"lang": language, "name": language_name(language), "html": Markup(html)}
            )
    text = texts[0]
    for section, body in zip(sections[1:], texts[1:], strict=True):
        text += TEXT_DIVIDER.format(language=section["name"]) + body
    joined = " / ".join(subjects)
    return Composed(
        kind=kind,
        subject=joined,
        text=text,
        html=render_template("mail/_document.html", subject=joined, sections=sections),
        attachments=list(attachments),
    )


def delivery_reason(error: DeliveryError) -> str:
    """Why a mail did not go out, in the language of whoever triggered the send."""
    return _(error.message, **error.params)


def answer_link(member: Member, poll: Poll) -> str | None:
    token = personal_token(member)
    if token is None:
        return None
    return absolute_url("member.answer_year", token=token, year=poll.year)


def _poll_context(member: Member, poll: Poll, link: str) -> dict:
    meetings = [
        {
            "name": m.name,
            "start": m.window_start,
            "end": m.window_end,
            "weeks": _weeks(m.window_start, m.window_end),
        }
        for m in poll.meetings
    ]
    return {
        **member_poll_context(member, poll),
        "link": link,
        "meetings": meetings,
        "deadline": poll.deadline,
    }


def _weeks(start: date, end: date) -> str:
    first, last = start.isocalendar().week, end.isocalendar().week
    return str(first) if first == last else f"{first}–{last}"


def compose_invitation(member: Member, poll: Poll, link: str) -> Composed:
    subject = _l(
        "%(network)s: when can you come in %(year)d?", network=poll.network.name, year=poll.year
    )
    return render_mail(
        "invitation",
        subject,
        _poll_context(member, poll, link),
        languages=(mail_language(member),),
    )


def compose_reminder(member: Member, poll: Poll, link: str) -> Composed:
    subject = _l("Reminder: please answer for %(year)d", year=poll.year)
    done = member_progress(poll, member)
    partly = done if done.state == State.PARTLY else None
    return render_mail(
        "reminder",
        subject,
        {**_poll_context(member, poll, link), "partly": partly},
        languages=(mail_language(member),),
    )


def _meeting_item(event: PlannedEvent, member: Member, token: str | None) -> dict:
    view = event.view
    url = None
    if token is not None and not event.cancelled:
        url = absolute_url(
            "meeting.member_page", token=token, year=event.poll.year, key=view.meeting.key
        )
    return {
        "url": url,
        "name": view.meeting.name,
        "day": view.day,
        "start": view.start.time(),
        "end": view.end.time(),
        "venue": view.venue.name,
        "location": location_of(view.venue),
        "roles": [r.name for r in view.roles_of(member)],
        "agenda": view.agenda_items,
        "cancelled": event.cancelled,
    }


def _plan_context(member: Member, poll: Poll, events: list[PlannedEvent]) -> dict:
    feed = absolute_url("feeds.feed", token=feed_token(member))
    # The member's page and each meeting's page are reached by the personal link; a member whose
    # link cannot be derived (made before links could be) gets the plan without them.
    token = personal_token(member)
    return {
        **member_poll_context(member, poll),
        "meetings": [_meeting_item(e, member, token) for e in events if not e.cancelled],
        "feed_url": feed,
        "webcal_url": webcal_url(feed),
        "link": answer_link(member, poll),
    }


def _attachments(
    events: list[PlannedEvent], member: Member, organizer: tuple[str, str]
) -> list[tuple[str, str, bytes]]:
    files = []
    stamp = utcnow()
    for event in events:
        data, mime = invitation_calendar(event, member, organizer, stamp)
        view = event.view
        name = f"{network_stem(event.poll.network)}-{event.poll.year}-{view.meeting.key}.ics"
        files.append((name, mime, data))
    return files


def compose_plan(
    member: Member, poll: Poll, events: list[PlannedEvent], organizer: tuple[str, str]
) -> Composed:
    subject = _l(
        "%(network)s: the meeting plan for %(year)d", network=poll.network.name, year=poll.year
    )
    current = [e for e in events if not e.cancelled]
    return render_mail(
        "plan",
        subject,
        _plan_context(member, poll, events),
        _attachments(current, member, organizer),
        languages=(mail_language(member),),
    )


def member_changes(poll: Poll, previous: Plan, plan: Plan, member: Member) -> list[Change]:
    """What `plan` changed against `previous` for `member`, in meeting order."""
    old = {v.meeting.key: v for v in meeting_views(poll, previous)}
    new = {v.meeting.key: v for v in meeting_views(poll, plan)}
    changes: list[Change] = []
    for meeting in poll.meetings:
        before, after = old.get(meeting.key), new.get(meeting.key)
        if after is None:
            if before is not None:
                changes.append(
                    Change(
                        "cancelled",
                        meeting.key,
                        meeting.name,
                        old_day=before.day,
                        old_venue=before.venue.name,
                    )
                )
            continue
        if before is None:
            changes.append(
                Change(
                    "added",
                    meeting.key,
                    meeting.name,
                    new_day=after.day,
                    new_venue=after.venue.name,
                )
            )
            continue
        changes += _view_changes(before, after, member)
    return changes


def _view_changes(before: MeetingView, after: MeetingView, member: Member) -> list[Change]:
    key, name = after.meeting.key, after.meeting.name
    changes = []
    if before.day != after.day:
        changes.append(Change("moved", key, name, old_day=before.day, new_day=after.day))
    elif (before.start.time(), before.end.time()) != (after.start.time(), after.end.time()):
        changes.append(
            Change(
                "time",
                key,
                name,
                new_day=after.day,
                old_start=before.start.time(),
                old_end=before.end.time(),
                new_start=after.start.time(),
                new_end=after.end.time(),
            )
        )
    if before.venue.id != after.venue.id:
        changes.append(
            Change("venue", key, name, old_venue=before.venue.name, new_venue=after.venue.name)
        )
    had = {r.key: r for r in before.roles_of(member)}
    has = {r.key: r for r in after.roles_of(member)}
    changes += [
        Change("role_added", key, name, role=r.name) for k, r in has.items() if k not in had
    ]
    changes += [
        Change("role_removed", key, name, role=r.name) for k, r in had.items() if k not in has
    ]
    return changes


def compose_change(
    member: Member,
    poll: Poll,
    events: list[PlannedEvent],
    changes: list[Change],
    organizer: tuple[str, str],
) -> Composed:
    subject = _l(
        "%(network)s: the meeting plan for %(year)d has changed",
        network=poll.network.name,
        year=poll.year,
    )
    touched = {c.key for c in changes}
    affected = [e for e in events if e.view.meeting.key in touched]
    context = {**_plan_context(member, poll, events), "changes": changes}
    return render_mail(
        "change",
        subject,
        context,
        _attachments(affected, member, organizer),
        languages=(mail_language(member),),
    )


# -- sending and the log ---------------------------------------------------------------------


def mail_settings() -> MailSettings:
    """Read per send, so fixing the environment and retrying needs no restart.

    Raises ValueError for a bad MAIL_* setting; config MAIL_OUTBOX overrides the outbox folder.
    """
    outbox = current_app.config.get("MAIL_OUTBOX") or Path(current_app.instance_path) / "outbox"
    return MailSettings.from_env(
        os.environ, outbox_dir=Path(outbox), base_url=current_app.config.get("BASE_URL")
    )


def sender_address() -> str:
    try:
        return mail_settings().sender
    except ValueError:
        return DEFAULT_SENDER


def reply_address(name: str, email: str) -> str | None:
    """'Sara <sara@example.dk>' for a Reply-To, or None when `email` is no usable address."""
    try:
        return str(recipient(name, email))
    except ValueError:
        return None


def network_reply_to(network: Network) -> str | None:
    """Whom a mail answers to when no coordinator sent it (the automatic reminder, the command
    line, a lost link): the member marked as coordinator, who signs the network's mails, else
    the first of the network's coordinator accounts by e-mail; None when there is neither."""
    member = network.coordinator
    if member is not None and member.email and (found := reply_address(member.name, member.email)):
        return found
    for account in network.coordinators:
        if found := reply_address(account.name, account.email):
            return found
    return None


class MissingLink(Exception):
    """The member's link cannot be put into the message; says why."""


def _tokens(member: Member) -> dict[str, str]:
    """The member's working tokens as they stand, by the marker that stands in for them."""
    tokens = {}
    if (token := personal_token(member)) is not None:
        tokens[PERSONAL_MARK] = token
    if member.feed_salt and member.feed_token_hash:
        tokens[FEED_MARK] = feed_token(member)
    return tokens


def _redact(composed: Composed, member: Member) -> Composed:
    """`composed` with the member's tokens replaced by markers, for the stored copy."""
    text, html, attachments = composed.text, composed.html, composed.attachments
    for mark, token in _tokens(member).items():
        text, html = text.replace(token, mark), html.replace(token, mark)
        attachments = [
            (name, mime, data.replace(token.encode(), mark.encode()))
            for name, mime, data in attachments
        ]
    return replace(composed, text=text, html=html, attachments=attachments)


def _with_links(
    message: EmailMessage, member: Member | None, guest: Guest | None = None
) -> EmailMessage:
    """A copy of the stored `message` with the member's (or the guest's) current tokens where
    the markers are; `message` itself stays as it is. A link made since the message was
    composed is the one that goes out, since the old one no longer works."""
    parts = [p for p in message.walk() if p.get_content_maintype() == "text"]
    marks = (PERSONAL_MARK, FEED_MARK, GUEST_MARK)
    needed = {m for m in marks for p in parts if m in p.get_content()}
    if not needed:
        return message
    tokens = {}
    if GUEST_MARK in needed:
        found = guest_token(guest) if guest is not None else None
        if found is None:
            raise MissingLink(_("the guest no longer exists"))
        tokens[GUEST_MARK] = found
        needed.discard(GUEST_MARK)
    if needed and member is None:
        raise MissingLink(_("the member no longer exists"))
    if PERSONAL_MARK in needed and member is not None:
        token = personal_token(member)
        if token is None:
            raise MissingLink(_("no personal link; make a new one"))
        tokens[PERSONAL_MARK] = token
    if FEED_MARK in needed and member is not None:
        tokens[FEED_MARK] = feed_token(member)
        db.session.commit()  # a calendar link the mail shows must work
    copy = message_from_bytes(message.as_bytes(policy=SMTP), policy=default)
    assert isinstance(copy, EmailMessage)
    for part in copy.walk():
        if part.get_content_maintype() != "text":
            continue
        content = original = part.get_content()
        for mark, token in tokens.items():
            content = content.replace(mark, token)
        if content != original:
            params = {k: v for k, v in (part.get_params() or [])[1:] if k != "charset"}
            MIMEPart.set_content(  # EmailMessage's would add a MIME-Version header to the part
                part,
                content,
                subtype=part.get_content_subtype(),
                cte="quoted-printable",
                disposition=part.get_content_disposition(),
                filename=part.get_filename(),
                params=params,
            )
    return copy


class Delivery:
    """One batch's way to the server: the settings read once, one SMTP connection."""

    def __init__(self) -> None:
        self.problem = ""
        try:
            self.settings: MailSettings | None = mail_settings()
        except ValueError as error:
            self.settings = None
            self.problem = _("Mail settings: %(error)s", error=str(error))
        self.postman = Postman(self.settings) if self.settings is not None else None

    def __enter__(self) -> Delivery:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.postman is not None:
            self.postman.close()


def attempt_delivery(log: MessageLog, message: EmailMessage, delivery: Delivery) -> None:
    """One delivery attempt; the log row says how it went (the caller commits)."""
    if delivery.settings is None or delivery.postman is None:
        log.status, log.error = MessageStatus.FAILED, delivery.problem
        return
    try:
        if message["From"] != delivery.settings.sender:
            # A sender the server refused can be fixed in the environment and then retried.
            del message["From"]
            message["From"] = delivery.settings.sender
            log.raw = message.as_bytes(policy=SMTP)
        where = delivery.postman.deliver(_with_links(message, log.member, log.guest))
    except MissingLink as reason:
        log.status = MessageStatus.FAILED
        log.error = _("The link could not be put into the message: %(reason)s", reason=reason)
    except DeliveryError as error:
        log.status, log.error = MessageStatus.FAILED, delivery_reason(error)
    except Exception as error:  # never lose the message over an unexpected error
        current_app.logger.exception("Sending message %s failed", log.id)
        log.status, log.error = MessageStatus.FAILED, f"{type(error).__name__}: {error}"
    else:
        log.status = MessageStatus.SENT if where == "smtp" else MessageStatus.WRITTEN
        log.error = ""
        log.sent_at = utcnow()


def send(
    network: Network,
    member: Member,
    kind: str,
    composed: Composed,
    delivery: Delivery,
    reply_to: str | None = None,
) -> MessageLog:
    """Log the message, then deliver it; commits twice so a crash in between loses nothing.
    Answers go to `reply_to`, by default the network's coordinator (`network_reply_to`)."""
    log = MessageLog(
        network_id=network.id,
        member_id=member.id,
        kind=kind,
        recipient=member.email[:254],
        subject=composed.subject[:300],
        raw=b"",
        status=MessageStatus.FAILED,
        error=_("Not sent yet: sending was interrupted."),
        attempts=1,
    )
    stored = _redact(composed, member)
    try:
        message = build_message(
            sender=sender_address(),
            to=(member.name, member.email),
            subject=stored.subject,
            text=stored.text,
            html=stored.html,
            attachments=stored.attachments,
            reply_to=reply_to or network_reply_to(network),
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
    db.session.add(log)
    db.session.commit()
    attempt_delivery(log, message, delivery)
    db.session.commit()
    return log


def retry(log: MessageLog, delivery: Delivery | None = None) -> MessageLog:
    """Send a failed message again, as it was composed, with the member's current links;
    raises NotSent when its network is archived."""
    if log.status != MessageStatus.FAILED:
        return log
    network = db.session.get(Network, log.network_id)
    if network is not None:
        require_active(network)
    log.attempts += 1
    if not log.raw:
        log.error = _("This message could not be built; send it again from the messages page.")
        db.session.commit()
        return log
    message = message_from_bytes(log.raw, policy=default)
    assert isinstance(message, EmailMessage)
    if delivery is None:
        with Delivery() as delivery:
            attempt_delivery(log, message, delivery)
    else:
        attempt_delivery(log, message, delivery)
    db.session.commit()
    return log


def failed_messages(network_id: int) -> list[MessageLog]:
    return list(
        db.session.scalars(
            select(MessageLog)
            .where(
                MessageLog.network_id == network_id,
                MessageLog.status == MessageStatus.FAILED,
            )
            .order_by(MessageLog.id)
        )
    )


def failed_count(network_id: int) -> int:
    return db.session.execute(
        select(func.count(MessageLog.id)).where(
            MessageLog.network_id == network_id, MessageLog.status == MessageStatus.FAILED
        )
    ).scalar_one()


def retry_failed(network_id: int, progress: Progress | None = None) -> Outcome:
    network = db.session.get(Network, network_id)
    if network is not None:
        require_active(network)
    outcome = Outcome()
    failed = failed_messages(network_id)
    if progress:
        progress(outcome, len(failed))
    with Delivery() as delivery:
        for log in failed:
            outcome.logs.append(retry(log, delivery))
            if progress:
                progress(outcome, len(failed))
    return outcome


# -- batches ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    logs: list[MessageLog] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)

    @property
    def sent(self) -> int:
        return sum(1 for log in self.logs if log.status != MessageStatus.FAILED)

    @property
    def failed(self) -> int:
        return sum(1 for log in self.logs if log.status == MessageStatus.FAILED)

    @property
    def written(self) -> int:
        return sum(1 for log in self.logs if log.status == MessageStatus.WRITTEN)


# Called after each member of a batch with the outcome so far and the number of recipients.
Progress = Callable[[Outcome, int], None]


def kind_of(kind: str, poll: Poll) -> str:
    return f"{kind}/{poll.year}"


def mailable_members(poll: Poll, members: list[Member], outcome: Outcome) -> list[Member]:
    result = []
    for member in members:
        if not member.email or "@" not in parseaddr(member.email)[1]:
            outcome.skipped.append((member.name, _("no e-mail address")))
        else:
            result.append(member)
    return result


def require_active(network: Network) -> None:
    """Raises NotSent when `network` is archived: no mail goes out for it."""
    if network.archived:
        raise NotSent(
            _("The network %(name)s is archived: no mail is sent for it.", name=network.name)
        )


def require_open(poll: Poll) -> None:
    """Raises NotSent unless invitations and reminders may go out for `poll`."""
    require_active(poll.network)
    if not poll.is_open:
        raise NotSent(_("The poll for %(year)d is closed.", year=poll.year))


def require_unplanned(poll: Poll) -> None:
    """Raises NotSent when `poll` has a published plan: its year is planned, so nobody is
    invited to answer for it any more."""
    if published_plan(poll) is not None:
        raise NotSent(
            _(
                "Invitation: the plan for %(year)d is published, so invitations for that year"
                " can no longer be sent.",
                year=poll.year,
            )
        )


def _ask(
    poll: Poll,
    kind: str,
    members: list[Member],
    progress: Progress | None,
    reply_to: str | None = None,
) -> Outcome:
    """Invitations or reminders (`kind`, as logged) to `members`, answering to `reply_to`."""
    compose = compose_reminder if kind.startswith("reminder") else compose_invitation
    outcome = Outcome()
    recipients = mailable_members(poll, members, outcome)
    if progress:
        progress(outcome, len(recipients))
    with Delivery() as delivery:
        for member in recipients:
            link = answer_link(member, poll)
            if link is None:
                outcome.skipped.append((member.name, _("no personal link; make a new one")))
            else:
                composed = compose(member, poll, link)
                outcome.logs.append(send(poll.network, member, kind, composed, delivery, reply_to))
            if progress:
                progress(outcome, len(recipients))
    return outcome


def send_invitations(
    poll: Poll,
    members: list[Member] | None = None,
    progress: Progress | None = None,
    reply_to: str | None = None,
) -> Outcome:
    require_open(poll)
    require_unplanned(poll)
    chosen = members if members is not None else [m for m in poll.network.members if m.active]
    return _ask(poll, kind_of("invitation", poll), chosen, progress, reply_to)


def non_respondents(poll: Poll) -> list[Member]:
    """Active members who have not answered every day of the poll: those who have not answered
    at all and those who left some days blank."""
    return to_remind(poll)


def send_reminders(
    poll: Poll,
    *,
    auto_day: date | None = None,
    progress: Progress | None = None,
    reply_to: str | None = None,
) -> Outcome:
    """Remind the active members who have not answered every day; `auto_day` marks the automatic
    reminder of that day (see `auto_reminder_due`), which answers to the network's
    coordinator (`network_reply_to`)."""
    require_open(poll)
    kind = kind_of("reminder", poll) if auto_day is None else auto_kind(poll, auto_day)
    return _ask(poll, kind, non_respondents(poll), progress, reply_to)


def reminder_days() -> int:
    raw = current_app.config.get("REMINDER_DAYS", DEFAULT_REMINDER_DAYS)
    try:
        days = int(raw)
    except (TypeError, ValueError):
        raise NotSent(
            _("MODEPLAN_REMINDER_DAYS must be a whole number, not %(value)r", value=raw)
        ) from None
    if days < 0:
        raise NotSent(_("MODEPLAN_REMINDER_DAYS must be 0 or more, not %(value)d", value=days))
    return days


def today_in(network: Network) -> date:
    return datetime.now(ZoneInfo(network.timezone)).date()


def auto_reminder_due(poll: Poll, today: date) -> str | None:
    """None when the automatic reminder should go out today, else the reason it should not."""
    days = reminder_days()
    if poll.network.archived:
        return _("the network is archived")
    if not poll.is_open:
        return _("the poll for %(year)d is closed", year=poll.year)
    if poll.deadline is None:
        return _("the poll for %(year)d has no deadline", year=poll.year)
    due = poll.deadline - timedelta(days=days)
    if today != due:
        return _(
            "reminders go out %(days)d days before the deadline %(deadline)s, that is on"
            " %(due)s, not today (%(today)s)",
            days=days,
            deadline=poll.deadline.isoformat(),
            due=due.isoformat(),
            today=today.isoformat(),
        )
    if _auto_sent_on(poll, today):
        return _("the automatic reminder for %(year)d was already sent today", year=poll.year)
    return None


def auto_kind(poll: Poll, day: date) -> str:
    """The log kind of the automatic reminder of `poll` on `day`: "reminder-auto/2027/2026-12-12".

    The day is part of it, so "already sent?" is a question about the log, not about the clock
    (a moved deadline gives a new day and a new reminder; a second cron run the same day none).
    """
    return f"{kind_of('reminder-auto', poll)}/{day.isoformat()}"


def _auto_sent_on(poll: Poll, day: date) -> bool:
    count = db.session.scalar(
        select(func.count(MessageLog.id)).where(
            MessageLog.network_id == poll.network_id, MessageLog.kind == auto_kind(poll, day)
        )
    )
    return bool(count)


def previous_published(poll: Poll, plan: Plan) -> Plan | None:
    """The version published before `plan` (now superseded), if any."""
    earlier = [
        (p.published_at, p)
        for p in plan_versions(poll)
        if p.id != plan.id
        and p.status == PlanStatus.SUPERSEDED
        and p.published_at is not None
        and (plan.published_at is None or p.published_at <= plan.published_at)
    ]
    return max(earlier, key=lambda e: e[0])[1] if earlier else None


def plan_to_send(poll: Poll, as_changes: bool | None) -> tuple[Plan, Plan | None]:
    """The published plan and, when change notices are to go out, the version before it;
    raises NotSent with the reason when there is nothing to send."""
    require_active(poll.network)
    plan = published_plan(poll)
    if plan is None:
        raise NotSent(_("The plan for %(year)d is not published yet.", year=poll.year))
    previous = previous_published(poll, plan)
    if as_changes and previous is None:
        raise NotSent(
            _("There is no earlier published plan for %(year)d to compare with.", year=poll.year)
        )
    return plan, previous if as_changes is not False else None


def send_plan(
    poll: Poll,
    *,
    as_changes: bool | None = None,
    progress: Progress | None = None,
    reply_to: str | None = None,
) -> Outcome:
    """Mail the published plan. After an earlier published version (or with as_changes=True)
    each member gets a change notice saying what changed for them, and members for whom
    nothing changed get nothing; otherwise everyone gets the whole plan."""
    plan, previous = plan_to_send(poll, as_changes)
    events = published_events(poll)
    db.session.commit()  # the EventState rows the attachments' SEQUENCE comes from
    organizer = organizer_of(poll.network, parseaddr(sender_address())[1])
    outcome = Outcome()
    recipients = mailable_members(poll, [m for m in poll.network.members if m.active], outcome)
    if progress:
        progress(outcome, len(recipients))
    with Delivery() as delivery:
        for member in recipients:
            if previous is not None:
                changes = member_changes(poll, previous, plan, member)
                composed = (
                    compose_change(member, poll, events, changes, organizer) if changes else None
                )
                kind = "change"
            else:
                composed = compose_plan(member, poll, events, organizer)
                kind = "plan"
            if composed is None:
                outcome.skipped.append((member.name, _("nothing changed for this member")))
            else:
                db.session.commit()  # a feed token made while composing
                outcome.logs.append(
                    send(poll.network, member, kind_of(kind, poll), composed, delivery, reply_to)
                )
            if progress:
                progress(outcome, len(recipients))
    return outcome
