"""The demo network: the founding document's network (seed-2013.json) with a 2027 poll."""

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import delete, select

from .auth import set_password
from .days import Window
from .db import db
from .members import add_member, personal_token
from .models import (
    Answer,
    Availability,
    CoordinatorAccount,
    Member,
    Network,
    Poll,
    Response,
    Role,
    RoleHistory,
    Venue,
)
from .polls import MeetingSpec, create_poll

SEED = Path(__file__).parent / "demo" / "seed-2013.json"
SLUG = "benchmark"
COORDINATOR_EMAIL = "tovholder@example.dk"
ADDRESSES = {
    "odense": "Østre Stationsvej 15, 5000 Odense C",
    "vejle": "Willy Sørensens Plads 1, 7100 Vejle",
}


@dataclass
class DemoLogin:
    email: str
    password: str
    links: list[tuple[Member, str]]


def init_demo() -> DemoLogin:
    """Create the demo network if missing; hand out a fresh coordinator password."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    network = db.session.scalar(select(Network).where(Network.slug == SLUG))
    if network is None:
        network = _create(seed)
    account = db.session.scalar(
        select(CoordinatorAccount).where(CoordinatorAccount.network_id == network.id)
    )
    password = secrets.token_urlsafe(9)
    set_password(account, password)
    links = [(member, personal_token(member)) for member in network.members]
    db.session.commit()
    return DemoLogin(account.email, password, links)


def _create(seed: dict) -> Network:
    network = Network(slug=SLUG, name="Netværk for læring og formidling")
    db.session.add(network)
    venues = {}
    for position, v in enumerate(seed["venues"]):
        venues[v["id"]] = Venue(
            network=network,
            key=v["id"],
            name=v["name"],
            address=ADDRESSES.get(v["id"], ""),
            position=position,
        )
    roles = {}
    for position, r in enumerate(seed["roles"]):
        roles[r["id"]] = Role(
            network=network,
            key=r["id"],
            name=r["name"],
            per_meeting=r["per_meeting"],
            within=r.get("within"),
            conflicts=r.get("conflicts", []),
            includes_coordinator=seed["coordinator"] in r.get("always", []),
            position=position,
        )
    db.session.add_all([*venues.values(), *roles.values()])
    members = {}
    for p in seed["participants"]:
        members[p["id"]], _token = add_member(
            network,
            key=p["id"],
            name=p["name"],
            email=f"{p['id']}@example.dk",
            organisation=p.get("organisation", ""),
            cannot=p.get("cannot", []),
            is_coordinator=p["id"] == seed["coordinator"],
        )
    coordinator = members[seed["coordinator"]]
    db.session.add(
        CoordinatorAccount(
            network=network, email=COORDINATOR_EMAIL, name=coordinator.name, password_hash="!"
        )
    )
    for key, counts in seed["history"].items():
        for role_key, count in counts.items():
            db.session.add(RoleHistory(member=members[key], role=roles[role_key], count=count))
    db.session.flush()

    specs = []
    for m in seed["meetings"]:
        days = [date.fromisoformat(d) for d in m["candidates"]]
        specs.append(MeetingSpec(m["id"], m["name"], Window(min(days), max(days))))
    poll = create_poll(
        network,
        seed["year"],
        specs,
        deadline=date(seed["year"] - 1, 12, 15),
        min_days_between=seed["rules"]["min_days_between"],
        min_attendance=seed["rules"]["min_attendance"],
    )
    _load_answers(poll, seed, members, venues)
    return network


def _load_answers(poll: Poll, seed: dict, members: dict, venues: dict) -> None:
    days = {d.day.isoformat(): d for d in poll.days}
    db.session.execute(
        delete(Availability).where(Availability.day_id.in_([d.id for d in days.values()]))
    )
    for key, by_day in seed["availability"].items():
        for iso, by_venue in by_day.items():
            for venue_key, value in by_venue.items():
                db.session.add(
                    Availability(
                        member_id=members[key].id,
                        day_id=days[iso].id,
                        venue_id=venues[venue_key].id,
                        value=Answer(value),
                    )
                )
        db.session.add(Response(poll_id=poll.id, member_id=members[key].id))
    db.session.flush()
