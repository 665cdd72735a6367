"""The coordinator's edits of a network: settings, venues, members and roles.

Every function checks what it can before it changes anything and raises Refused with a sentence
for the coordinator (naming the field) when the change would break something. Nothing here
commits: the view commits once, so a refused or failed request leaves the database as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from flask_babel import gettext as _
from sqlalchemy import func, select

from .db import db, lock_for_write
from .keys import unique_key
from .members import MAIL_LANGUAGES, add_member, replace_token, set_mail_language
from .models import Member, Network, Plan, Poll, Response, Role, Venue

KEY_PATTERN = re.compile(r"^[a-z0-9_-]+$")
# The key of a row whose name has no letter a–z can spell (a name in another script).
MEMBER_FALLBACK, VENUE_FALLBACK, ROLE_FALLBACK = "medlem", "moedested", "rolle"


@dataclass
class Refused(Exception):
    """A change the coordinator asked for that cannot be made; `field` names the form field."""

    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


def _plan_results(network: Network) -> list[dict]:
    """The stored plans of the network: they name venues, members and roles by key."""
    return list(
        db.session.scalars(
            select(Plan.result)
            .join(Poll, Poll.id == Plan.poll_id)
            .where(Poll.network_id == network.id)
        )
    )


def _check_key_change(network: Network, old: str, new: str) -> None:
    if old != new and _plan_results(network):
        raise Refused(
            _(
                "Key: the network's plans refer to '%(key)s', so the key can no longer be changed.",
                key=old,
            ),
            "key",
        )


# -- network ---------------------------------------------------------------------------------


def update_network(
    network: Network,
    *,
    name: str,
    meeting_start: time,
    meeting_end: time,
    notice_days: int | None = None,
    signup_deadline_days: int | None = None,
) -> None:
    if meeting_end <= meeting_start:
        raise Refused(_("Meetings end: must be later than the start."), "meeting_end")
    notice = network.notice_days if notice_days is None else notice_days
    closes = network.signup_deadline_days if signup_deadline_days is None else signup_deadline_days
    if closes >= notice:
        raise Refused(
            _("Sign-up closes: must be fewer days before the meeting than the notice."),
            "signup_deadline_days",
        )
    network.name = name
    network.meeting_start = meeting_start
    network.meeting_end = meeting_end
    network.notice_days = notice
    network.signup_deadline_days = closes


# -- venues ----------------------------------------------------------------------------------


def _check_venue_key(network: Network, key: str, venue: Venue | None) -> None:
    clash = db.session.scalar(
        select(Venue.id).where(Venue.network_id == network.id, Venue.key == key)
    )
    if clash is not None and (venue is None or clash != venue.id):
        raise Refused(_("Key: another venue already has the key '%(key)s'.", key=key), "key")


def _venue_keys(network: Network) -> set[str]:
    return set(db.session.scalars(select(Venue.key).where(Venue.network_id == network.id)))


def add_venue(network: Network, *, name: str, address: str = "", key: str | None = None) -> Venue:
    """A new venue; its key is made from the name unless one is given (the seed, imports)."""
    if key is None:
        key = unique_key(name, _venue_keys(network), VENUE_FALLBACK)
    _check_venue_key(network, key, None)
    position = db.session.execute(
        select(func.coalesce(func.max(Venue.position), -1)).where(Venue.network_id == network.id)
    ).scalar_one()
    venue = Venue(network=network, key=key, name=name, address=address, position=position + 1)
    db.session.add(venue)
    return venue


def update_venue(venue: Venue, *, name: str, address: str = "", key: str | None = None) -> None:
    """Rename a venue; its key stays unless a new one is given."""
    key = venue.key if key is None else key
    _check_venue_key(venue.network, key, venue)
    _check_key_change(venue.network, venue.key, key)
    if key != venue.key:
        for response in _network_responses(venue.network_id, locked=True):
            response.rename_venue(venue.key, key)
    venue.key, venue.name, venue.address = key, name, address


def _network_responses(network_id: int, *, locked: bool = False) -> list[Response]:
    """The network's answer documents; `locked` to change them (saves meanwhile are kept)."""
    statement = (
        select(Response)
        .join(Poll, Poll.id == Response.poll_id)
        .where(Poll.network_id == network_id)
    )
    if locked:
        statement = lock_for_write(statement, of=Response)
    return list(db.session.scalars(statement))


def venue_answer_count(venue: Venue, *, locked: bool = False) -> int:
    return sum(
        venue.key in by_venue
        for response in _network_responses(venue.network_id, locked=locked)
        for by_venue in response.answers.values()
    )


def delete_venue(venue: Venue) -> None:
    """Delete a venue nobody has answered for; refuse when answers would be lost (counted under
    the lock, so an answer saved meanwhile is not lost either)."""
    answers = venue_answer_count(venue, locked=True)
    if answers:
        raise Refused(
            _(
                "%(venue)s cannot be deleted: %(count)d answers from members refer to it, "
                "and they would be lost.",
                venue=venue.name,
                count=answers,
            )
        )
    if any(
        m.get("venue") == venue.key for r in _plan_results(venue.network) for m in r["meetings"]
    ):
        raise Refused(
            _(
                "%(venue)s cannot be deleted: a plan places meetings there.",
                venue=venue.name,
            )
        )
    db.session.delete(venue)


# -- members ---------------------------------------------------------------------------------


def _check_member_key(network: Network, key: str, member: Member | None) -> None:
    clash = db.session.scalar(
        select(Member.id).where(Member.network_id == network.id, Member.key == key)
    )
    if clash is not None and (member is None or clash != member.id):
        raise Refused(_("Key: another member already has the key '%(key)s'.", key=key), "key")


def _check_cannot(network: Network, cannot: list[str]) -> list[str]:
    known = {r.key for r in network.roles}
    unknown = [k for k in cannot if k not in known]
    if unknown:
        raise Refused(
            _("Roles this member cannot have: unknown role '%(key)s'.", key=unknown[0]), "cannot"
        )
    return [r.key for r in network.roles if r.key in set(cannot)]


def _move_coordinator_flag(member: Member) -> None:
    for other in member.network.members:
        if other is not member and other.is_coordinator:
            other.is_coordinator = False
    member.is_coordinator = True


def _member_keys(network: Network) -> set[str]:
    """Every member key of the network, erased members' too (their role history keeps it)."""
    return set(db.session.scalars(select(Member.key).where(Member.network_id == network.id)))


def create_member(
    network: Network,
    *,
    name: str,
    email: str,
    organisation: str = "",
    cannot: list[str] | None = None,
    is_coordinator: bool = False,
    active: bool = True,
    key: str | None = None,
    language: str = "da",
) -> tuple[Member, str]:
    """A new member and the token of their personal link (show it now: only its hash is kept).
    The key is made from the name unless one is given."""
    if key is None:
        key = unique_key(name, _member_keys(network), MEMBER_FALLBACK)
    _check_member_key(network, key, None)
    cannot = _check_cannot(network, cannot or [])
    _check_language(language)
    member, token = add_member(
        network,
        key=key,
        name=name,
        email=email,
        organisation=organisation,
        cannot=cannot,
        active=active,
        is_coordinator=False,
        language=language,
    )
    if is_coordinator:
        _move_coordinator_flag(member)
    return member, token


def update_member(
    member: Member,
    *,
    name: str,
    email: str,
    organisation: str,
    cannot: list[str],
    is_coordinator: bool,
    active: bool,
    key: str | None = None,
    language: str | None = None,
) -> None:
    """Change a member; the key stays when the name changes, unless a new one is given.
    `language` (of their mails) None leaves it as it is."""
    network = member.network
    key = member.key if key is None else key
    _check_member_key(network, key, member)
    _check_key_change(network, member.key, key)
    cannot = _check_cannot(network, cannot)
    if language is not None:
        _check_language(language)
        set_mail_language(member, language)
    if not active and (is_coordinator or member.is_coordinator) and member.active:
        raise Refused(
            _(
                "Active: the coordinator cannot be deactivated. "
                "Make another member coordinator first."
            ),
            "active",
        )
    member.key, member.name, member.email = key, name, email
    member.organisation, member.cannot, member.active = organisation, cannot, active
    if is_coordinator:
        _move_coordinator_flag(member)
    else:
        member.is_coordinator = False


def _check_language(language: str) -> None:
    if language not in MAIL_LANGUAGES:
        raise Refused(_("Language for e-mails: choose Dansk or English."), "language")


def set_active(member: Member, active: bool) -> None:
    if not active and member.is_coordinator:
        raise Refused(
            _(
                "%(name)s is the coordinator and cannot be deactivated. "
                "Make another member coordinator first.",
                name=member.name,
            )
        )
    member.active = active


def new_link(member: Member) -> str:
    """Replace the member's personal link: the old one stops working at once."""
    return replace_token(member)


# -- roles -----------------------------------------------------------------------------------


def within_cycle(parents: dict[str, str | None], start: str) -> list[str] | None:
    """The cycle of `within` links that `start` is on, or None."""
    seen: list[str] = []
    key: str | None = start
    while key is not None:
        if key in seen:
            return [*seen[seen.index(key) :], key]
        seen.append(key)
        key = parents.get(key)
    return None


def check_role(
    network: Network,
    role: Role | None,
    *,
    key: str,
    per_meeting: int,
    within: str | None,
    conflicts: list[str],
    includes_coordinator: bool,
) -> list[str]:
    """Validate a role against the network's other roles; returns the conflicts, ordered."""
    others = {r.key: r for r in network.roles if r is not role}
    if key in others:
        raise Refused(_("Key: another role already has the key '%(key)s'.", key=key), "key")
    if per_meeting < 0:
        raise Refused(_("Holders per meeting: a whole number from 0 to 50."), "per_meeting")
    if within is not None:
        if within == key:
            raise Refused(_("Holders must also hold: a role cannot be within itself."), "within")
        if within not in others:
            raise Refused(_("Holders must also hold: choose one of the other roles."), "within")
        parents = {k: r.within for k, r in others.items()}
        parents[key] = within
        cycle = within_cycle(parents, key)
        if cycle:
            names = " → ".join(others[k].name if k in others else k for k in cycle)
            raise Refused(
                _(
                    "Holders must also hold: this would make a circle (%(cycle)s).",
                    cycle=names,
                ),
                "within",
            )
        if within in conflicts:
            raise Refused(
                _(
                    "Cannot be combined with: %(role)s is the role its holders must also hold.",
                    role=others[within].name,
                ),
                "conflicts",
            )
        parent = others[within]
        if key in parent.conflicts:
            raise Refused(
                _(
                    "Holders must also hold: %(role)s cannot be combined with this role.",
                    role=parent.name,
                ),
                "within",
            )
        if parent.per_meeting < per_meeting:
            raise Refused(
                _(
                    "Holders per meeting: at most %(count)d, the number of holders of %(role)s.",
                    count=parent.per_meeting,
                    role=parent.name,
                ),
                "per_meeting",
            )
    unknown = [k for k in conflicts if k not in others]
    if unknown:
        raise Refused(
            _("Cannot be combined with: unknown role '%(key)s'.", key=unknown[0]), "conflicts"
        )
    children = [r for r in others.values() if r.within == (role.key if role else key)]
    for child in children:
        if child.per_meeting > per_meeting:
            raise Refused(
                _(
                    "Holders per meeting: %(role)s needs %(count)d of them, so at least %(count)d.",
                    role=child.name,
                    count=child.per_meeting,
                ),
                "per_meeting",
            )
    if includes_coordinator and per_meeting < 1:
        raise Refused(
            _("Holders per meeting: at least 1 when the coordinator always holds the role."),
            "per_meeting",
        )
    return [k for k in others if k in set(conflicts)]


def add_role(
    network: Network,
    *,
    name: str,
    per_meeting: int,
    within: str | None,
    conflicts: list[str],
    includes_coordinator: bool,
    key: str | None = None,
) -> Role:
    """A new role; its key is made from the name unless one is given."""
    if key is None:
        key = unique_key(name, {r.key for r in network.roles}, ROLE_FALLBACK)
    conflicts = check_role(
        network,
        None,
        key=key,
        per_meeting=per_meeting,
        within=within,
        conflicts=conflicts,
        includes_coordinator=includes_coordinator,
    )
    position = max((r.position for r in network.roles), default=-1) + 1
    role = Role(
        network=network,
        key=key,
        name=name,
        per_meeting=per_meeting,
        within=within,
        conflicts=conflicts,
        includes_coordinator=includes_coordinator,
        position=position,
    )
    db.session.add(role)
    return role


def update_role(
    role: Role,
    *,
    name: str,
    per_meeting: int,
    within: str | None,
    conflicts: list[str],
    includes_coordinator: bool,
) -> None:
    """Change a role (its key stays: members' answers and plans refer to it)."""
    conflicts = check_role(
        role.network,
        role,
        key=role.key,
        per_meeting=per_meeting,
        within=within,
        conflicts=conflicts,
        includes_coordinator=includes_coordinator,
    )
    role.name, role.per_meeting, role.within = name, per_meeting, within
    role.conflicts, role.includes_coordinator = conflicts, includes_coordinator


def delete_role(role: Role) -> None:
    """Delete a role no other role is within; drop it from conflicts and members' opt-outs."""
    network = role.network
    children = [r.name for r in network.roles if r.within == role.key and r is not role]
    if children:
        raise Refused(
            _(
                "%(role)s cannot be deleted: %(children)s must be within it. "
                "Change those roles first.",
                role=role.name,
                children=", ".join(children),
            )
        )
    if any(role.key in m.get("roles", {}) for r in _plan_results(network) for m in r["meetings"]):
        raise Refused(
            _(
                "%(role)s cannot be deleted: the network's plans refer to it. "
                "Set its holders per meeting to 0 instead.",
                role=role.name,
            )
        )
    for other in network.roles:
        if role.key in other.conflicts:
            other.conflicts = [k for k in other.conflicts if k != role.key]
    for member in network.members:
        if role.key in member.cannot:
            member.cannot = [k for k in member.cannot if k != role.key]
    db.session.delete(role)


def default_roles(network: Network) -> list[Role]:
    """The roles from the founding document, as plan-format.md spells them."""
    roles = [
        Role(key="planning", name="Planlægningsgruppe", per_meeting=3, includes_coordinator=True),
        Role(key="leader", name="Mødeleder", per_meeting=1, within="planning"),
        Role(key="notes", name="Referent", per_meeting=1, conflicts=["planning"]),
        Role(key="presenter", name="Oplægsholder", per_meeting=1),
    ]
    for position, role in enumerate(roles):
        role.network = network
        role.position = position
        db.session.add(role)
    return roles


def default_venues(network: Network) -> list[Venue]:
    venues = [
        Venue(key="odense", name="Odense Bibliotek", address="Østre Stationsvej 15, 5000 Odense C"),
        Venue(key="vejle", name="Vejle Bibliotek", address="Willy Sørensens Plads 1, 7100 Vejle"),
    ]
    for position, venue in enumerate(venues):
        venue.network = network
        venue.position = position
        db.session.add(venue)
    return venues
