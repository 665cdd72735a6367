"""The demo network: the founding document's network (seed-2013.json) with a 2027 poll."""

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from .auth import set_password
from .db import db
from .instance_import import import_instance
from .members import personal_token, replace_token
from .models import Member, Network

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
    account = next(iter(network.coordinators), None)
    if account is None:
        raise RuntimeError(f"The demo network '{SLUG}' has lost its coordinator account.")
    password = secrets.token_urlsafe(9)
    set_password(account, password)
    links = [
        (member, personal_token(member) or replace_token(member)) for member in network.members
    ]
    db.session.commit()
    return DemoLogin(account.email, password, links)


def _create(seed: dict) -> Network:
    poll = import_instance(
        seed,
        slug=SLUG,
        name="Netværk for læring og formidling",
        coordinator_email=COORDINATOR_EMAIL,
        addresses=ADDRESSES,
        deadline=date(seed["year"] - 1, 12, 15),
    )
    return poll.network
