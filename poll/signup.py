"""Sign-up for a published meeting: "I'm coming" or "I'm not coming", with dietary needs.

Members answer on the meeting's page by their personal link, guests by theirs (poll.guests),
until the sign-up deadline: the meeting's day minus the network's `signup_deadline_days`
(that day included); after it the answer is shown and no longer changes. Meals are paid by
each participant, so the host library needs the list: the coordinator sees it on the
coordinator's meeting page and the hosts on theirs, with counts and as CSV.

The hosts of a meeting are its planning group (the role that includes the coordinator) and the
members whose organisation is the venue (they receive the guests at their library).

Dietary needs are personal data: they are erased with the member (poll.privacy.erasure), purged
with the year's answers (poll.privacy.retention) and part of the member's data export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .db import db
from .exports import csv_bytes
from .filenames import network_stem
from .i18n import long_date
from .models import Guest, Member, Network, Signup, utcnow
from .plan_view import MeetingView
from .text_checks import has_control, one_line

DIETARY_MAX_LENGTH = 200
COMING, NOT_COMING = "yes", "no"


class SignupRefused(Exception):
    """A sign-up that is not saved: the message names the field; `status` is 422 for bad input,
    409 when the deadline has passed."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def deadline(network: Network, view: MeetingView) -> date:
    """The last day members can change their answer."""
    return view.day - timedelta(days=network.signup_deadline_days)


def is_open(network: Network, view: MeetingView, today: date) -> bool:
    return today <= deadline(network, view)


def signup_of(view: MeetingView, *, member: Member | None = None, guest: Guest | None = None):
    query = select(Signup).where(Signup.meeting_id == view.meeting.id)
    if member is not None:
        query = query.where(Signup.member_id == member.id)
    elif guest is not None:
        query = query.where(Signup.guest_id == guest.id)
    else:
        return None
    return db.session.scalar(query)


def clean_dietary(raw: str) -> str:
    """The dietary needs as stored; raises SignupRefused naming the field."""
    if has_control(raw, multiline=True):
        raise SignupRefused(_("Dietary needs: remove the invisible control characters."))
    text = one_line(raw)
    if len(text) > DIETARY_MAX_LENGTH:
        raise SignupRefused(_("Dietary needs: at most %(max)d characters.", max=DIETARY_MAX_LENGTH))
    return text


def record(
    view: MeetingView,
    today: date,
    coming: str,
    dietary: str,
    *,
    member: Member | None = None,
    guest: Guest | None = None,
) -> Signup:
    """Save the answer of `member` or `guest` (not both) and commit; raises SignupRefused."""
    network = view.meeting.poll.network
    if not is_open(network, view, today):
        raise SignupRefused(
            _(
                "Sign-up closed on %(date)s. Write to the coordinator if your plans have changed.",
                date=long_date(deadline(network, view)),
            ),
            409,
        )
    if coming not in (COMING, NOT_COMING):
        raise SignupRefused(_("Are you coming?: choose “I'm coming” or “I'm not coming”."))
    needs = clean_dietary(dietary) if coming == COMING else ""
    for attempt in range(2):
        signup = signup_of(view, member=member, guest=guest)
        if signup is None:
            signup = Signup(
                meeting_id=view.meeting.id,
                member_id=member.id if member is not None else None,
                guest_id=guest.id if guest is not None else None,
                coming=False,
            )
            db.session.add(signup)
        signup.coming = coming == COMING
        signup.dietary = needs
        signup.updated_at = utcnow()
        try:
            db.session.commit()
            return signup
        except IntegrityError:  # the same person's other tab saved first: change that row
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def is_host(view: MeetingView, member: Member) -> bool:
    planning = any(member in rv.holders for rv in view.roles if rv.role.includes_coordinator)
    venue = view.venue.name.strip().casefold()
    return planning or (bool(venue) and member.organisation.strip().casefold() == venue)


@dataclass
class Row:
    name: str
    organisation: str
    guest: bool
    coming: bool | None  # None: no answer yet
    dietary: str
    roles: list[str]


@dataclass
class SignupList:
    rows: list[Row]

    @property
    def coming(self) -> int:
        return sum(1 for r in self.rows if r.coming is True)

    @property
    def not_coming(self) -> int:
        return sum(1 for r in self.rows if r.coming is False)

    @property
    def no_answer(self) -> int:
        return sum(1 for r in self.rows if r.coming is None)


def signup_list(view: MeetingView) -> SignupList:
    """Every active member and every guest of the meeting, coming first, then by name."""
    network = view.meeting.poll.network
    signups = list(db.session.scalars(select(Signup).where(Signup.meeting_id == view.meeting.id)))
    by_member = {s.member_id: s for s in signups if s.member_id is not None}
    by_guest = {s.guest_id: s for s in signups if s.guest_id is not None}
    rows = []
    for member in network.members:
        if not member.active:
            continue
        found = by_member.get(member.id)
        rows.append(
            Row(
                member.shown_name,
                member.organisation,
                False,
                None if found is None else found.coming,
                found.dietary if found is not None else "",
                [r.name for r in view.roles_of(member)],
            )
        )
    guests = db.session.scalars(
        select(Guest).where(Guest.meeting_id == view.meeting.id).order_by(Guest.name, Guest.id)
    )
    for guest in guests:
        found = by_guest.get(guest.id)
        rows.append(
            Row(
                guest.name,
                guest.organisation,
                True,
                None if found is None else found.coming,
                found.dietary if found is not None else "",
                [],
            )
        )
    order = {True: 0, None: 1, False: 2}
    rows.sort(key=lambda r: (order[r.coming], r.name.casefold()))
    return SignupList(rows)


def signup_csv(listing: SignupList) -> bytes:
    labels = {True: _("Coming"), False: _("Not coming"), None: _("No answer")}
    return csv_bytes(
        [_("Name"), _("Organisation"), _("Guest"), _("Answer"), _("Dietary needs"), _("Roles")],
        [
            [
                r.name,
                r.organisation,
                _("Yes") if r.guest else "",
                labels[r.coming],
                r.dietary,
                ", ".join(r.roles),
            ]
            for r in listing.rows
        ],
    )


def csv_filename(view: MeetingView) -> str:
    poll = view.meeting.poll
    return f"{network_stem(poll.network)}-{poll.year}-{view.meeting.key}-tilmeldinger.csv"
