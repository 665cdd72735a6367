"""Publishing a plan version: its status, the year's role history, what calendars see."""

from collections import defaultdict

from sqlalchemy import select

from .db import db, lock_for_write
from .models import Plan, PlanStatus, Poll, RoleHistory, utcnow
from .plan_calendar import sync_events


def publish(plan: Plan, *, close_poll: bool = False) -> bool:
    """Publish this version and record its roles as the year's history for next year's fairness;
    False if it was published already (perhaps by a click a moment ago). `close_poll`: the poll
    takes no more answers (the coordinator's "close the poll" box when publishing).

    Publications of one poll are serialised by a lock on its row, and the database refuses a
    second published version (a partial unique index), so two clicks at once leave one."""
    poll = db.session.scalars(lock_for_write(select(Poll).where(Poll.id == plan.poll_id))).one()
    versions = list(
        db.session.scalars(
            select(Plan).where(Plan.poll_id == poll.id).execution_options(populate_existing=True)
        )
    )
    if plan.status == PlanStatus.PUBLISHED:
        return False
    for other in versions:
        if other.status == PlanStatus.PUBLISHED:
            other.status = PlanStatus.SUPERSEDED
    db.session.flush()  # the old one first, or the index would see two published for a moment
    plan.status = PlanStatus.PUBLISHED
    plan.published_at = utcnow()
    if close_poll:
        poll.is_open = False
    _record_history(poll, plan.result)
    # Calendars must see a higher SEQUENCE for every meeting this publication moves or drops.
    sync_events(poll, plan)
    return True


def _record_history(poll: Poll, result: dict) -> None:
    network = poll.network
    members = {m.key: m for m in network.members}
    roles = {r.key: r for r in network.roles}
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for meeting in result["meetings"]:
        for role_key, holders in meeting["roles"].items():
            for key in holders:
                if key in members and role_key in roles:
                    counts[(members[key].id, roles[role_key].id)] += 1
    existing = {
        (row.member_id, row.role_id): row
        for row in db.session.scalars(
            select(RoleHistory).where(
                RoleHistory.year == poll.year,
                RoleHistory.role_id.in_([r.id for r in roles.values()]),
            )
        )
    }
    for key, stale in existing.items():
        if key not in counts:
            db.session.delete(stale)
    for (member_id, role_id), count in counts.items():
        row = existing.get((member_id, role_id))
        if row is None:
            db.session.add(
                RoleHistory(member_id=member_id, role_id=role_id, year=poll.year, count=count)
            )
        else:
            row.count = count
