"""Fixtures of the member-page tests (test_member_page.py, test_member_tabs.py); modules with a
network of their own define their own `fx`."""

import pytest
from sqlalchemy import select

from poll.db import db
from poll.models import CandidateDay, Venue
from tests.factories import make_network


@pytest.fixture
def fx(app):
    with app.app_context():
        return make_network()


@pytest.fixture
def grid(app, fx):
    """Plain ids: days by date, venues by key, of the test poll."""
    with app.app_context():
        days = {
            d.day: d.id
            for d in db.session.scalars(
                select(CandidateDay).where(CandidateDay.poll_id == fx.poll_id)
            )
        }
        venues = {
            v.key: v.id
            for v in db.session.scalars(select(Venue).where(Venue.network_id == fx.network_id))
        }
    return {"days": days, "venues": venues}
