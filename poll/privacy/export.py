"""Everything stored about a member, as one document they can download from their own page.

The keys are English and stable (the file is meant for programs as much as for people); the
values are as stored. Only this member's data is in it: of a published plan, the meetings where
they hold a role and which roles, never who else does. Links are stored only as hashes, so the
file says whether one exists, never what it is.
"""

from datetime import date, datetime

from sqlalchemy import select

from .. import calendar_links
from ..db import db
from ..filenames import network_stem
from ..models import Meeting, Member, MessageLog, Poll, Response, Role, RoleHistory, Signup
from ..plan_view import meeting_views
from ..planning import published_plan

FORMAT = "modeplan-member-data/1"


def member_data(member: Member, now: datetime) -> dict:
    network = member.network
    polls = list(
        db.session.scalars(select(Poll).where(Poll.network_id == network.id).order_by(Poll.year))
    )
    roles = {r.key: r.name for r in network.roles}
    return {
        "format": FORMAT,
        "exported_at": now.isoformat(timespec="seconds"),
        "member": {
            "name": member.name,
            "email": member.email,
            "organisation": member.organisation,
            "key": member.key,
            "active": member.active,
            "coordinator": member.is_coordinator,
            "mail_language": member.language,
            "never_these_roles": [roles.get(k, k) for k in member.cannot],
            "added_at": member.created_at.isoformat(timespec="seconds"),
            "personal_link_exists": bool(member.token_hash),
            "calendar_link_exists": bool(member.feed_token_hash),
        },
        "network": {"name": network.name, "slug": network.slug},
        "answers": _answers(member, polls, roles),
        "roles_in_published_plans": _planned_roles(member, polls),
        "role_history": _history(member),
        "meeting_signups": _signups(member),
        "messages": _messages(member),
        "calendar": calendar_links.export(member),
    }


def filename(member: Member, today: date) -> str:
    return f"mine-oplysninger-{network_stem(member.network)}-{today.isoformat()}.json"


def _answers(member: Member, polls: list[Poll], roles: dict[str, str]) -> list[dict]:
    responses = {
        r.poll_id: r
        for r in db.session.scalars(select(Response).where(Response.member_id == member.id))
    }
    venues = {v.key: v.name for v in member.network.venues}
    out = []
    for poll in polls:
        response = responses.get(poll.id)
        if response is None:
            continue
        meetings = {d.day.isoformat(): d.meeting.name for d in poll.days}
        out.append(
            {
                "year": poll.year,
                "saved_at": response.updated_at.isoformat(timespec="seconds"),
                "comment": response.comment,
                "roles_i_cannot_take_this_year": [roles.get(k, k) for k in response.cannot_roles],
                "days": [
                    {
                        "date": day,
                        "meeting": meetings.get(day),
                        "venue": venues.get(venue, venue),
                        "answer": answer.value,
                    }
                    for day, venue, answer in sorted(response.cells())
                ],
            }
        )
    return out


def _planned_roles(member: Member, polls: list[Poll]) -> list[dict]:
    out = []
    for poll in polls:
        plan = published_plan(poll)
        if plan is None:
            continue
        for view in meeting_views(poll, plan):
            held = view.roles_of(member)
            if held:
                out.append(
                    {
                        "year": poll.year,
                        "meeting": view.meeting.name,
                        "date": view.day.isoformat(),
                        "venue": view.venue.name,
                        "roles": [role.name for role in held],
                    }
                )
    return out


def _history(member: Member) -> list[dict]:
    rows = db.session.execute(
        select(RoleHistory.year, Role.name, RoleHistory.count)
        .join(Role, Role.id == RoleHistory.role_id)
        .where(RoleHistory.member_id == member.id)
        .order_by(RoleHistory.year.nulls_first(), Role.position, Role.id)
    )
    return [{"year": year, "role": role, "count": count} for year, role, count in rows]


def _messages(member: Member) -> list[dict]:
    logs = db.session.scalars(
        select(MessageLog).where(MessageLog.member_id == member.id).order_by(MessageLog.id)
    )
    return [
        {
            "kind": log.kind,
            "subject": log.subject,
            "to": log.recipient,
            "status": log.status.value,
            "attempts": log.attempts,
            "created_at": log.created_at.isoformat(timespec="seconds"),
            "sent_at": log.sent_at.isoformat(timespec="seconds") if log.sent_at else None,
        }
        for log in logs
    ]


def _signups(member: Member) -> list[dict]:
    rows = db.session.execute(
        select(Poll.year, Meeting.name, Signup.coming, Signup.dietary, Signup.updated_at)
        .join(Meeting, Meeting.id == Signup.meeting_id)
        .join(Poll, Poll.id == Meeting.poll_id)
        .where(Signup.member_id == member.id)
        .order_by(Poll.year, Meeting.position, Meeting.id)
    )
    return [
        {
            "year": year,
            "meeting": meeting,
            "coming": coming,
            "dietary_needs": dietary,
            "saved_at": saved.isoformat(timespec="seconds"),
        }
        for year, meeting, coming, dietary, saved in rows
    ]
