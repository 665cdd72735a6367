"""Load a plan-instance/1 document into the database as a network with a year poll.

The demo network and the benchmarks start from instance files; the candidate days are taken
exactly as the instance lists them.
"""

from datetime import date, datetime

from .db import db
from .members import add_member
from .models import (
    Answer,
    CandidateDay,
    CoordinatorAccount,
    Meeting,
    Network,
    Poll,
    Response,
    Role,
    RoleHistory,
    Venue,
)


def import_instance(
    instance: dict,
    *,
    slug: str,
    name: str,
    coordinator_email: str,
    addresses: dict[str, str] | None = None,
    deadline: date | None = None,
) -> Poll:
    addresses = addresses or {}
    start, end = (datetime.strptime(t, "%H:%M").time() for t in instance["meeting_hours"])
    network = Network(
        slug=slug, name=name, timezone=instance["timezone"], meeting_start=start, meeting_end=end
    )
    db.session.add(network)
    venues = {
        v["id"]: Venue(
            network=network,
            key=v["id"],
            name=v["name"],
            address=addresses.get(v["id"], ""),
            position=i,
        )
        for i, v in enumerate(instance["venues"])
    }
    coordinator = instance["coordinator"]
    roles = {
        r["id"]: Role(
            network=network,
            key=r["id"],
            name=r["name"],
            per_meeting=r["per_meeting"],
            within=r.get("within"),
            conflicts=r.get("conflicts", []),
            includes_coordinator=coordinator in r.get("always", []),
            position=i,
        )
        for i, r in enumerate(instance["roles"])
    }
    db.session.add_all([*venues.values(), *roles.values()])
    members = {}
    for p in instance["participants"]:
        members[p["id"]], _token = add_member(
            network,
            key=p["id"],
            name=p["name"],
            email=f"{p['id']}@example.dk",
            organisation=p.get("organisation", ""),
            cannot=p.get("cannot", []),
            is_coordinator=p["id"] == coordinator,
        )
    db.session.add(
        CoordinatorAccount(
            networks=[network],
            email=coordinator_email,
            name=members[coordinator].name,
            password_hash="!",
        )
    )
    for key, counts in instance["history"].items():
        for role_key, count in counts.items():
            db.session.add(RoleHistory(member=members[key], role=roles[role_key], count=count))

    rules = instance["rules"]
    poll = Poll(
        network=network,
        year=instance["year"],
        deadline=deadline,
        min_days_between=rules.get("min_days_between", 0),
        min_attendance=rules.get("min_attendance", 0),
    )
    db.session.add(poll)
    days: dict[str, CandidateDay] = {}
    for position, m in enumerate(instance["meetings"]):
        dates = [date.fromisoformat(d) for d in m["candidates"]]
        meeting = Meeting(
            poll=poll,
            key=m["id"],
            name=m["name"],
            position=position,
            window_start=min(dates),
            window_end=max(dates),
        )
        db.session.add(meeting)
        for day in dates:
            days[day.isoformat()] = CandidateDay(poll=poll, meeting=meeting, day=day)
    db.session.add_all(days.values())
    db.session.flush()
    db.session.add_all(
        Response(
            poll_id=poll.id,
            member_id=members[key].id,
            answers={
                iso: {venue: Answer(value).value for venue, value in by_venue.items()}
                for iso, by_venue in by_day.items()
            },
        )
        for key, by_day in instance["availability"].items()
    )
    db.session.flush()
    return poll
