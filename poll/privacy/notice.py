"""What the privacy page (/privatliv) tells: the installation's controller and contact, how
long answers are kept, and who coordinates each network."""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..db import db
from ..models import CoordinatorAccount, Network


@dataclass(frozen=True)
class Controller:
    name: str  # "" when the installation has not said
    contact: str
    purge_months: int


def controller() -> Controller:
    config = current_app.config
    return Controller(
        config["PRIVACY_CONTROLLER"], config["PRIVACY_CONTACT"], config["PURGE_MONTHS"]
    )


def network_coordinators() -> list[tuple[Network, list[CoordinatorAccount]]]:
    """Every network with the accounts that coordinate it, by name. The one place this package
    reads which accounts coordinate which network."""
    networks = db.session.scalars(
        select(Network)
        .options(selectinload(Network.coordinators))
        .order_by(Network.name, Network.id)
    )
    return [
        (network, sorted(network.coordinators, key=lambda a: (a.name, a.id)))
        for network in networks
    ]
