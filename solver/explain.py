"""Sentences for a coordinator: why no plan exists, or what a plan had to give up."""

from __future__ import annotations

from solver.core import Family
from solver.dates import meeting_options
from solver.i18n import Text
from solver.instance import Instance
from solver.score import Plan, changes, maybe_holders, repeats

MAX_NAMES = 8  # beyond this many people, a sentence gives a count instead of names
KINDS = ("window", "floor", "staffing", "always", "pin", "spacing")  # order within a meeting


def infeasible(instance: Instance, families: list[Family], text: Text) -> list[str]:
    ordered = sorted(families, key=lambda f: (f.meeting, KINDS.index(f.kind), f))
    return [_rule(instance, family, text) for family in ordered]


def _rule(inst: Instance, family: Family, t: Text) -> str:
    meeting = inst.meetings[family.meeting]
    options = meeting_options(inst, meeting)
    name = meeting.name
    if family.kind == "window":
        if not options:
            return t.gettext("{meeting} has no candidate date or venue.", meeting=name)
        return t.gettext(
            "{meeting} must be held on one of its candidate dates ({first} to {last}) at {venues}.",
            meeting=name,
            first=t.date(meeting.candidates[0]),
            last=t.date(meeting.candidates[-1]),
            venues=t.names([inst.venue(v).name for v in meeting.venues]),
        )
    if family.kind == "floor":
        need, total = inst.attendance_floor(), len(inst.participants)
        best = max((len(o.can_come) for o in options), default=0)
        if best < need:
            return t.gettext(
                "At least {need} of the {total} members must be able to come to {meeting}, but on "
                "no candidate date and venue can more than {best} come.",
                need=need,
                total=total,
                meeting=name,
                best=best,
            )
        return t.gettext(
            "At least {need} of the {total} members must be able to come to {meeting}.",
            need=need,
            total=total,
            meeting=name,
        )
    if family.kind == "staffing":
        role = inst.role(family.role or "")
        best = max(
            (
                sum(1 for p in o.can_come if role.id not in inst.participant(p).cannot)
                for o in options
            ),
            default=0,
        )
        if best < role.per_meeting:
            return t.ngettext(
                "{meeting} needs {n} person with the role {role}, but on no candidate date can "
                "more than {best} who may hold it come.",
                "{meeting} needs {n} people with the role {role}, but on no candidate date can "
                "more than {best} who may hold it come.",
                role.per_meeting,
                meeting=name,
                role=role.name,
                best=best,
            )
        return t.ngettext(
            "{meeting} needs {n} person with the role {role}.",
            "{meeting} needs {n} people with the role {role}.",
            role.per_meeting,
            meeting=name,
            role=role.name,
        )
    if family.kind == "always":
        return _holder(inst, family, options, t, pinned=False)
    if family.kind == "pin":
        pin = inst.pins[family.pin or 0]
        if pin.role is not None:
            return _holder(inst, family, options, t, pinned=True)
        return _pin(inst, family, t)
    later = inst.meetings[family.meeting + 1]
    days = inst.rules.min_days_between
    if (
        meeting.candidates
        and later.candidates
        and ((later.candidates[0] - meeting.candidates[-1]).days < days)
    ):
        return t.gettext(
            "{later} must fall at least {days} days after {earlier}, but the latest candidate date "
            "of {earlier} is {last} and the earliest of {later} is {first}.",
            later=later.name,
            earlier=name,
            days=days,
            last=t.date(meeting.candidates[-1]),
            first=t.date(later.candidates[0]),
        )
    return t.gettext(
        "{later} must fall at least {days} days after {earlier}.",
        later=later.name,
        earlier=name,
        days=days,
    )


def _holder(inst: Instance, family: Family, options, t: Text, *, pinned: bool) -> str:
    meeting = inst.meetings[family.meeting]
    if pinned:
        pin = inst.pins[family.pin or 0]
        person, role = inst.participant(pin.participant or ""), inst.role(pin.role or "")
    else:
        person, role = inst.participant(family.person or ""), inst.role(family.role or "")
    values = {"person": person.name, "role": role.name, "meeting": meeting.name}
    if role.id in person.cannot:
        if pinned:
            return t.gettext(
                "{person} is pinned to the role {role} at {meeting} but may not hold that role.",
                **values,
            )
        return t.gettext("{person} always has the role {role} but may not hold it.", **values)
    if not any(person.id in o.can_come for o in options):
        if pinned:
            return t.gettext(
                "{person} is pinned to the role {role} at {meeting} but cannot come on any of its "
                "candidate dates.",
                **values,
            )
        return t.gettext(
            "{person} always has the role {role} but cannot come to {meeting} on any candidate "
            "date.",
            **values,
        )
    if pinned:
        return t.gettext("{person} is pinned to the role {role} at {meeting}.", **values)
    return t.gettext("{person} always has the role {role}, also at {meeting}.", **values)


def _pin(inst: Instance, family: Family, t: Text) -> str:
    meeting = inst.meetings[family.meeting]
    pin = inst.pins[family.pin or 0]
    if pin.date is not None and pin.date not in meeting.candidates:
        return t.gettext(
            "{meeting} is pinned to {date}, which is not one of its candidate dates.",
            meeting=meeting.name,
            date=t.date(pin.date),
        )
    if pin.venue is not None and pin.venue not in meeting.venues:
        return t.gettext(
            "{meeting} is pinned to {venue}, which is not one of its venues.",
            meeting=meeting.name,
            venue=inst.venue(pin.venue).name,
        )
    if pin.date is not None and pin.venue is not None:
        return t.gettext(
            "{meeting} is pinned to {date} at {venue}.",
            meeting=meeting.name,
            date=t.date(pin.date),
            venue=inst.venue(pin.venue).name,
        )
    if pin.date is not None:
        return t.gettext(
            "{meeting} is pinned to {date}.", meeting=meeting.name, date=t.date(pin.date)
        )
    return t.gettext(
        "{meeting} is pinned to {venue}.",
        meeting=meeting.name,
        venue=inst.venue(pin.venue or "").name,
    )


def given_up(instance: Instance, plan: Plan, text: Text) -> list[str]:
    """What the plan could not give: absences, repeated roles, "maybe" holders, changes."""
    t, inst = text, instance
    names = {p.id: p.name for p in inst.participants}
    out = []
    for meeting, option in zip(inst.meetings, plan.options, strict=True):
        away = [p.id for p in inst.participants if p.id not in option.can_come]
        if not away:
            continue
        values = {
            "meeting": meeting.name,
            "date": t.date(option.date),
            "venue": inst.venue(option.venue).name,
        }
        if len(away) > MAX_NAMES:
            out.append(
                t.gettext(
                    "{meeting} ({date}, {venue}): {count} of the {total} members cannot come.",
                    count=len(away),
                    total=len(inst.participants),
                    **values,
                )
            )
        else:
            out.append(
                t.gettext(
                    "{meeting} ({date}, {venue}): {names} cannot come.",
                    names=t.names([names[p] for p in away]),
                    **values,
                )
            )
    for p, rid, k in repeats(inst, plan):
        out.append(
            t.gettext(
                "{person} has the role {role} at both {first} and {second}.",
                person=names[p],
                role=inst.role(rid).name,
                first=inst.meetings[k].name,
                second=inst.meetings[k + 1].name,
            )
        )
    for p, rid, k in maybe_holders(inst, plan):
        out.append(
            t.gettext(
                "{person} has the role {role} at {meeting} but answered only “if need be”.",
                person=names[p],
                role=inst.role(rid).name,
                meeting=inst.meetings[k].name,
            )
        )
    previous = {prev.id: prev for prev in inst.previous or ()}
    for k, what, person in changes(inst, plan):
        meeting, option = inst.meetings[k], plan.options[k]
        prev = previous[meeting.id]
        if what == "date":
            out.append(
                t.gettext(
                    "{meeting} moved from {old} to {new}.",
                    meeting=meeting.name,
                    old=t.date(prev.date),
                    new=t.date(option.date),
                )
            )
        elif what == "venue":
            old = next((v.name for v in inst.venues if v.id == prev.venue), prev.venue)
            out.append(
                t.gettext(
                    "{meeting} moved from {old} to {new}.",
                    meeting=meeting.name,
                    old=old,
                    new=inst.venue(option.venue).name,
                )
            )
        else:
            out.append(
                t.gettext(
                    "{meeting}: {person} no longer has the role {role}.",
                    meeting=meeting.name,
                    person=names.get(person or "", person),
                    role=inst.role(what).name,
                )
            )
    return out
