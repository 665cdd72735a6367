import json

from sqlalchemy import select

from poll.db import db
from poll.demo import SEED, init_demo
from poll.models import Answer, Member, Pin, Plan, Poll, Role, RoleHistory
from poll.planning import active_member_keys, build_instance, history_before, store_plan
from poll.publishing import publish
from tests.factories import make_network, record_answers


def _demo_poll() -> Poll:
    init_demo()
    return db.session.scalar(select(Poll).where(Poll.year == 2027))


def test_demo_poll_gives_back_the_seed_instance(app):
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    with app.app_context():
        instance = build_instance(_demo_poll())
    assert instance == seed


def test_pins_history_opt_outs_and_inactive_members(app):
    with app.app_context():
        fx = make_network(("sara", "henrik", "maria", "berit"))
        poll = db.session.get(Poll, fx.poll_id)
        roles = {r.key: r for r in poll.network.roles}
        members = {m.key: m for m in poll.network.members}
        m1 = poll.meetings[0]
        day = m1.days[0]
        iso = day.day.isoformat()
        venue = poll.network.venues[1]
        record_answers(
            poll.id,
            members["henrik"].id,
            [(day.day, venue.key, Answer.MAYBE)],
            cannot_roles=["notes", "unknown"],
        )
        db.session.add(Pin(meeting_id=m1.id, day=day.day, venue_id=venue.id))
        db.session.add(
            Pin(meeting_id=m1.id, role_id=roles["notes"].id, member_id=members["maria"].id)
        )
        db.session.add_all(
            [
                RoleHistory(member_id=members["maria"].id, role_id=roles["notes"].id, count=2),
                RoleHistory(
                    member_id=members["maria"].id, role_id=roles["notes"].id, year=2026, count=1
                ),
                # The plan's own year and later years are not history yet.
                RoleHistory(
                    member_id=members["maria"].id, role_id=roles["notes"].id, year=2027, count=5
                ),
            ]
        )
        members["berit"].active = False
        members["henrik"].cannot = ["presenter"]
        db.session.commit()
        instance = build_instance(poll)

    assert [p["id"] for p in instance["participants"]] == ["sara", "henrik", "maria"]
    henrik = next(p for p in instance["participants"] if p["id"] == "henrik")
    assert henrik["cannot"] == ["notes", "presenter"]
    assert instance["coordinator"] == "sara"
    assert instance["roles"][0] == {
        "id": "planning",
        "name": "Planlægningsgruppe",
        "per_meeting": 3,
        "always": ["sara"],
    }
    assert instance["availability"] == {"henrik": {iso: {"vejle": "maybe"}}}
    assert instance["history"] == {"maria": {"notes": 3}}
    assert instance["pins"] == [
        {"meeting": "m1", "date": iso, "venue": "vejle"},
        {"meeting": "m1", "role": "notes", "participant": "maria"},
    ]
    assert instance["meetings"][0]["candidates"][0] == "2027-03-01"
    assert instance["rules"] == {"min_days_between": 28, "min_attendance": 0.5}


def _result(poll: Poll, day: str, holders: dict) -> dict:
    return {
        "format": "plan-result/1",
        "status": "optimal",
        "meetings": [
            {
                "id": m.key,
                "date": day if i == 0 else m.days[0].day.isoformat(),
                "venue": "odense",
                "start": "10:00",
                "end": "15:00",
                "attendance": {"yes": [], "maybe": [], "no": [], "no_answer": []},
                "roles": holders,
            }
            for i, m in enumerate(poll.meetings)
        ],
        "score": {},
        "solve_seconds": 0.0,
        "explanation": [],
    }


def test_previous_is_the_latest_version_and_publish_records_history_once(app):
    with app.app_context():
        fx = make_network(("sara", "henrik", "maria"))
        poll = db.session.get(Poll, fx.poll_id)
        holders = {
            "planning": ["sara", "henrik", "maria"],
            "leader": ["henrik"],
            "notes": [],
            "presenter": ["maria"],
        }
        first = db.session.get(Plan, store_plan(poll, _result(poll, "2027-03-01", holders)))
        second = db.session.get(Plan, store_plan(poll, _result(poll, "2027-03-02", holders)))
        db.session.commit()
        assert (first.version, second.version) == (1, 2)
        assert build_instance(poll)["previous"]["meetings"][0]["date"] == "2027-03-02"
        assert build_instance(poll, with_previous=False)["previous"] is None

        publish(first)
        publish(second)  # re-publishing replaces the year's history instead of adding to it
        db.session.commit()
        statuses = [p.status.value for p in db.session.scalars(select(Plan).order_by(Plan.version))]
        assert statuses == ["superseded", "published"]
        leader = db.session.scalar(select(Role).where(Role.key == "leader"))
        henrik = db.session.scalar(select(Member).where(Member.key == "henrik"))
        row = db.session.scalar(
            select(RoleHistory).where(
                RoleHistory.member_id == henrik.id, RoleHistory.role_id == leader.id
            )
        )
        assert (row.year, row.count) == (2027, 2)  # two meetings led in 2027
        # Next year's instance counts it as history.
        next_poll = Poll(network_id=poll.network_id, year=2028)
        db.session.add(next_poll)
        db.session.flush()
        assert history_before(next_poll, active_member_keys(next_poll))["henrik"]["leader"] == 2
