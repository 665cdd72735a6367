"""Two "Udgiv" clicks at once, for two versions of one year: one published version remains, on
SQLite and PostgreSQL, and the database itself refuses a second one (issue #9)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from poll.db import db
from poll.models import Plan, PlanStatus
from tests.factories import log_in
from tests.planning.test_plan_page import pin_another_day, plans, solve


@pytest.fixture
def two_versions(app, planned):
    client, fx = planned
    assert solve(client)["status"] == "done"
    pin_another_day(app, client)
    assert solve(client)["status"] == "done"
    assert [p.version for p in plans(app)] == [1, 2]
    return fx


def test_two_publications_at_once_leave_one_published_version(app, two_versions):
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        log_in(client, two_versions)
    start = threading.Barrier(2, timeout=30)
    statuses: list[int] = []

    def click(client, version: int) -> None:
        start.wait()
        response = client.post("/tovholder/plan/2027/publish", data={"version": str(version)})
        statuses.append(response.status_code)

    for _round in range(3):
        threads = [
            threading.Thread(target=click, args=(client, version))
            for client, version in zip(clients, (1, 2), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        published = [p.version for p in plans(app) if p.status == PlanStatus.PUBLISHED]
        assert len(published) == 1
    assert statuses == [303] * 6


def test_the_database_refuses_a_second_published_version(app, two_versions):
    with app.app_context():
        db.session.execute(
            update(Plan).values(status=PlanStatus.PUBLISHED).where(Plan.version == 1)
        )
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(
                update(Plan).values(status=PlanStatus.PUBLISHED).where(Plan.version == 2)
            )
            db.session.flush()
        db.session.rollback()
        statuses = db.session.scalars(select(Plan.status).order_by(Plan.version)).all()
        assert statuses == [PlanStatus.PUBLISHED, PlanStatus.DRAFT]


def test_publishing_an_older_version_supersedes_the_published_one(app, two_versions):
    client = app.test_client()
    log_in(client, two_versions)
    assert client.post("/tovholder/plan/2027/publish", data={"version": "2"}).status_code == 303
    assert client.post("/tovholder/plan/2027/publish", data={"version": "1"}).status_code == 303
    assert [p.status for p in plans(app)] == [PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED]
    again = client.post(
        "/tovholder/plan/2027/publish", data={"version": "1"}, follow_redirects=True
    )
    assert "Version 1 er allerede udgivet" in again.get_data(as_text=True)
