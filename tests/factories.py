"""Small builders for test data, through the same services the app uses."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import event, insert, select

from poll.auth import set_password
from poll.days import week_window
from poll.db import db
from poll.members import add_member
from poll.models import Answer, CoordinatorAccount, Network, Response
from poll.network_admin import default_roles, default_venues
from poll.poll_admin import MeetingDraft, PollRules, create_poll

PASSWORD = "korrekt hest batteri"


@dataclass
class Fixture:
    """Plain values (no ORM objects), so they stay valid outside the app context."""

    network_id: int
    poll_id: int
    year: int
    email: str
    member_ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)


def make_network(
    member_keys=("sara", "henrik", "maria"), year: int = 2027, slug: str = "test"
) -> Fixture:
    """A network with the default venues and roles, members (the first coordinates) and a poll
    with two meetings: weeks 9-10 and week 23 of `year`. Call inside an app context."""
    network = Network(slug=slug, name="Testnetværk")
    db.session.add(network)
    default_venues(network)
    default_roles(network)
    members, tokens = {}, {}
    for i, key in enumerate(member_keys):
        members[key], tokens[key] = add_member(
            network,
            key=key,
            name=key.capitalize(),
            email=f"{key}@example.dk",
            is_coordinator=i == 0,
        )
    account = CoordinatorAccount(networks=[network], email=f"tovholder@{slug}.dk", name="Tovholder")
    set_password(account, PASSWORD)
    db.session.add(account)
    db.session.flush()
    poll = create_poll(
        network,
        year,
        PollRules(
            [
                MeetingDraft(None, "Møde 1", week_window(year, 9, 10)),
                MeetingDraft(None, "Møde 2", week_window(year, 23, 23)),
            ]
        ),
    )
    db.session.commit()
    return Fixture(
        network.id, poll.id, year, account.email, {k: m.id for k, m in members.items()}, tokens
    )


def record_answers(
    poll_id: int, member_id: int, cells: Iterable[tuple[date, str, Answer]], **fields
) -> Response:
    """Give a member these answers, (day, venue key, answer), as a save would: their Response is
    made if missing, other cells are kept; `fields` sets its comment or opt-outs. No commit."""
    response = db.session.scalar(
        select(Response).where(Response.poll_id == poll_id, Response.member_id == member_id)
    )
    if response is None:
        response = Response(poll_id=poll_id, member_id=member_id, answers={})
        db.session.add(response)
    response.record({(day, venue): value for day, venue, value in cells})
    for name, value in fields.items():
        setattr(response, name, value)
    return response


def log_in(client, fixture: Fixture) -> None:
    response = client.post(
        "/tovholder/login",
        data={"email": fixture.email, "password": PASSWORD},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)


@dataclass
class FullNetwork:
    network_id: int
    poll_id: int
    email: str
    day_ids: list[int]
    venue_ids: list[int]


CYCLE = (Answer.YES, Answer.MAYBE, Answer.NO)


def make_full_network(members: int = 60) -> FullNetwork:
    """The size the issue's speed targets name: `members` members who all answered the 46
    candidate days of ISO weeks 9–18 of 2027 (Easter left out) at the two default venues,
    answers cycling through CYCLE. Call inside an app context."""
    network = Network(slug="stor", name="Stort netværk")
    db.session.add(network)
    default_venues(network)
    default_roles(network)
    people = [
        add_member(network, key=f"m{i:02d}", name=f"Medlem {i:02d}", email=f"m{i}@example.dk")[0]
        for i in range(members)
    ]
    account = CoordinatorAccount(networks=[network], email="stor@example.dk", name="Tovholder")
    set_password(account, PASSWORD)
    db.session.add(account)
    db.session.flush()
    poll = create_poll(
        network,
        2027,
        PollRules(
            [
                MeetingDraft(None, "Møde 1", week_window(2027, 9, 13)),
                MeetingDraft(None, "Møde 2", week_window(2027, 14, 18)),
            ]
        ),
    )
    days = [d.day.isoformat() for d in poll.days]
    venue_keys = [v.key for v in network.venues]
    db.session.execute(
        insert(Response),
        [
            {
                "poll_id": poll.id,
                "member_id": m.id,
                "comment": "ok",
                "answers": {
                    day: {v: CYCLE[(i + j + k) % 3].value for k, v in enumerate(venue_keys)}
                    for j, day in enumerate(days)
                },
            }
            for i, m in enumerate(people)
        ],
    )
    db.session.commit()
    day_ids, venue_ids = [d.id for d in poll.days], [v.id for v in network.venues]
    return FullNetwork(network.id, poll.id, account.email, day_ids, venue_ids)


@contextmanager
def counting_queries(app) -> Iterator[list[str]]:
    """The SQL statements the app sends inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
