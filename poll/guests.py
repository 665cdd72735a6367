"""Guests of one meeting: someone from outside the network who joins for a theme.

The coordinator adds a guest (name, e-mail, organisation) to one meeting of the published plan.
The guest gets the meeting notice with the members, or at once when it has already gone out
(poll.meeting_notice), and a link of their own (poll.guest_links) to that meeting's page alone,
where they sign up like the members do. Guests are no members: they take no roles and are not
in any plan. Removing a guest deletes them with their sign-up; their link stops working.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select

from .db import db
from .guest_links import new_guest_token
from .models import Guest, MessageLog, MessageStatus
from .plan_view import MeetingView
from .text_checks import has_control, is_email, one_line

NAME_MAX, ORGANISATION_MAX = 200, 200


class GuestRefused(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class GuestInput:
    name: str
    email: str
    organisation: str


def clean(name: str, email: str, organisation: str) -> GuestInput:
    """The guest's details as stored; raises GuestRefused naming the field."""
    for field, label, value in (
        ("name", _("Name"), name),
        ("email", _("E-mail"), email),
        ("organisation", _("Organisation"), organisation),
    ):
        if has_control(value):
            raise GuestRefused(
                _("%(field)s: remove the invisible control characters.", field=label), field
            )
    name, email, organisation = one_line(name), email.strip(), one_line(organisation)
    if not name:
        raise GuestRefused(_("Name: fill in the guest's name."), "name")
    if len(name) > NAME_MAX:
        raise GuestRefused(_("Name: at most %(max)d characters.", max=NAME_MAX), "name")
    if not is_email(email):
        raise GuestRefused(_("E-mail: write one e-mail address, like navn@bibliotek.dk."), "email")
    if len(organisation) > ORGANISATION_MAX:
        raise GuestRefused(
            _("Organisation: at most %(max)d characters.", max=ORGANISATION_MAX), "organisation"
        )
    return GuestInput(name, email, organisation)


def guests_of(view: MeetingView) -> list[Guest]:
    return list(
        db.session.scalars(
            select(Guest).where(Guest.meeting_id == view.meeting.id).order_by(Guest.name, Guest.id)
        )
    )


def add_guest(view: MeetingView, details: GuestInput) -> Guest:
    """A new guest of the meeting with their link (the caller commits)."""
    if any(g.email.casefold() == details.email.casefold() for g in guests_of(view)):
        raise GuestRefused(
            _("E-mail: %(email)s is already a guest of this meeting.", email=details.email),
            "email",
        )
    guest = Guest(
        meeting_id=view.meeting.id,
        name=details.name,
        email=details.email,
        organisation=details.organisation,
    )
    new_guest_token(guest)
    db.session.add(guest)
    return guest


def remove_guest(guest: Guest) -> None:
    """Delete the guest and their sign-up; a failed mail to them goes (it can no longer be
    sent), the others stay in the log without the address or the stored copy (the caller
    commits)."""
    db.session.execute(
        delete(MessageLog).where(
            MessageLog.guest_id == guest.id, MessageLog.status == MessageStatus.FAILED
        )
    )
    for log in db.session.scalars(select(MessageLog).where(MessageLog.guest_id == guest.id)):
        log.recipient, log.raw, log.error = "", b"", ""
    db.session.delete(guest)
