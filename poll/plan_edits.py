"""The coordinator's adjustments to a plan: pins and hand-picked role holders, validated."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from .db import db
from .models import Answer, Meeting, Member, Pin, Plan, Poll, Response


class EditError(Exception):
    """Refused, with a message for the coordinator that names what is wrong."""


def pin_date_venue(poll: Poll, meeting: Meeting, day: date | None, venue_key: str) -> Pin:
    if day is None and not venue_key:
        raise EditError(_("Pin: choose a date, a venue or both."))
    if day is not None and day not in {d.day for d in meeting.days}:
        raise EditError(
            _("Date: %(day)s is not a candidate day of %(meeting)s.", day=day, meeting=meeting.name)
        )
    venue = None
    if venue_key:
        venue = next((v for v in poll.network.venues if v.key == venue_key), None)
        if venue is None:
            raise EditError(_("Venue: '%(key)s' is not a venue of the network.", key=venue_key))
    for old in _pins(meeting):
        if old.role_id is None:
            db.session.delete(old)
    pin = Pin(meeting_id=meeting.id, day=day, venue_id=venue.id if venue else None)
    db.session.add(pin)
    return pin


def pin_role(poll: Poll, meeting: Meeting, role_key: str, member_key: str) -> Pin:
    role = next((r for r in poll.network.roles if r.key == role_key), None)
    if role is None:
        raise EditError(_("Role: '%(key)s' is not a role of the network.", key=role_key))
    member = _member(poll, member_key)
    if role_key in may_not_hold(poll, member):
        raise EditError(
            _("%(name)s may not hold the role %(role)s.", name=member.name, role=role.name)
        )
    pinned = [p for p in _pins(meeting) if p.role_id == role.id]
    if any(p.member_id == member.id for p in pinned):
        raise EditError(
            _("%(name)s is already pinned as %(role)s.", name=member.name, role=role.name)
        )
    if len(pinned) >= role.per_meeting:
        raise EditError(
            _(
                "%(role)s: %(meeting)s already has %(count)d pinned holders.",
                role=role.name,
                meeting=meeting.name,
                count=len(pinned),
            )
        )
    pin = Pin(meeting_id=meeting.id, role_id=role.id, member_id=member.id)
    db.session.add(pin)
    return pin


def replacement_pin(
    poll: Poll, plan: Plan, meeting: Meeting, role_key: str, old_key: str, new_key: str
) -> Pin:
    """Pin `new_key` in the role `old_key` holds in `plan`, if the new holder can come and may
    hold it; the following re-plan keeps the pin and changes as little else as it can."""
    entry = next((m for m in plan.result["meetings"] if m["id"] == meeting.key), None)
    if entry is None or old_key not in entry["roles"].get(role_key, []):
        raise EditError(_("Role: the plan does not give that role to that member."))
    new = _member(poll, new_key)
    if new.key == old_key:
        raise EditError(_("Replacement: choose another member."))
    venue = next(v for v in poll.network.venues if v.key == entry["venue"])
    answer = _answer(new, poll, date.fromisoformat(entry["date"]), venue.key)
    if answer not in (Answer.YES, Answer.MAYBE):
        raise EditError(
            _(
                "%(name)s cannot come to %(meeting)s on that day at %(venue)s.",
                name=new.name,
                meeting=meeting.name,
                venue=venue.name,
            )
        )
    old = _member(poll, old_key)
    for pin in _pins(meeting):
        if pin.member_id == old.id and pin.role is not None and pin.role.key == role_key:
            db.session.delete(pin)
    db.session.flush()
    return pin_role(poll, meeting, role_key, new.key)


def replacement_choices(poll: Poll, plan: Plan) -> dict[tuple[str, str], list[Member]]:
    """Per (meeting key, role key) of `plan`, the members `replacement_pin` would accept as a
    new holder: active and not erased, allowed the role (`may_not_hold`), answered Yes or If
    need be for the meeting's day and venue, and not holding that role there already. Sorted
    by name; one query for the answers."""
    responses = {
        r.member_id: r
        for r in db.session.scalars(select(Response).where(Response.poll_id == poll.id))
    }
    members = sorted(
        (m for m in poll.network.members if m.active and m.erased_at is None),
        key=lambda m: m.name.casefold(),
    )
    not_allowed = {
        m.id: set(m.cannot) | set(responses[m.id].cannot_roles if m.id in responses else [])
        for m in members
    }
    choices: dict[tuple[str, str], list[Member]] = {}
    for entry in plan.result["meetings"]:
        day = date.fromisoformat(entry["date"])
        can_come = [
            m
            for m in members
            if m.id in responses
            and responses[m.id].answer(day, entry["venue"]) in (Answer.YES, Answer.MAYBE)
        ]
        for role in poll.network.roles:
            holders = set(entry["roles"].get(role.key, []))
            choices[(entry["id"], role.key)] = [
                m for m in can_come if m.key not in holders and role.key not in not_allowed[m.id]
            ]
    return choices


def unpin(pin: Pin) -> None:
    db.session.delete(pin)


def may_not_hold(poll: Poll, member: Member) -> set[str]:
    opt_outs = db.session.scalar(
        select(Response.cannot_roles).where(
            Response.poll_id == poll.id, Response.member_id == member.id
        )
    )
    return set(member.cannot) | set(opt_outs or [])


def _member(poll: Poll, key: str) -> Member:
    member = next((m for m in poll.network.members if m.key == key and m.active), None)
    if member is None:
        raise EditError(_("Member: '%(key)s' is not an active member.", key=key))
    return member


def _pins(meeting: Meeting) -> list[Pin]:
    return list(db.session.scalars(select(Pin).where(Pin.meeting_id == meeting.id)))


def _answer(member: Member, poll: Poll, day: date, venue: str) -> Answer | None:
    response = db.session.scalar(
        select(Response).where(Response.poll_id == poll.id, Response.member_id == member.id)
    )
    return response.answer(day, venue) if response else None
