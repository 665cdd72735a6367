"""Small builders for test data, through the same services the app uses."""

from dataclasses import dataclass, field

from poll.auth import set_password
from poll.days import week_window
from poll.db import db
from poll.members import add_member
from poll.models import CoordinatorAccount, Network
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
    account = CoordinatorAccount(network=network, email=f"tovholder@{slug}.dk", name="Tovholder")
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


def log_in(client, fixture: Fixture) -> None:
    response = client.post(
        "/tovholder/login",
        data={"email": fixture.email, "password": PASSWORD},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)
