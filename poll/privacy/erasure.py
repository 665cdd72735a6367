"""Erasing a member's personal data, for good, at the coordinator's request.

What goes: name, e-mail, organisation, answers and comments of every poll, role opt-outs,
sign-ups to meetings with their dietary needs, pins, agenda proposals (one taken into an agenda
stays, without the proposer), the personal and calendar links, the addresses (and stored copies)
of the mails sent to them, and their name wherever a stored text repeats it (the plans'
explanations, the mail batches' lists of who was not mailed, the audit log).

What stays: the member's row, inactive and with an anonymous key, and through it the role
history, so that re-publishing a year still counts the roles they held. The stored plans
(plan-result/1, docs/spec/plan-format.md) keep their shape: the old key is replaced by the
anonymous one in every attendance and role list, which stay sorted as the solver writes them.
Pages, calendars and files then show "former member" (Member.shown_name).

An erased member is never planned again: planning takes active members only, so neither they
nor their history are in a later plan instance (the format only allows history for
participants); their counts do not change anyone else's fairness sums.
"""

import copy
import re
import secrets
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, func, or_, select, update

from .. import audit, calendar_links
from ..db import db, lock_for_write
from ..lost_links import email_digest
from ..models import (
    FORMER_MEMBER,
    AgendaProposal,
    AuditEvent,
    LostLinkRequest,
    MailJob,
    Member,
    MessageLog,
    MessageStatus,
    Pin,
    Plan,
    Poll,
    ProposalStatus,
    Response,
    RoleHistory,
    Signup,
    SolveJob,
    utcnow,
)
from ..network_admin import Refused
from ..tokens import hash_token

KEY_PREFIX = "former-"


@dataclass(frozen=True)
class Erasure:
    """What an erasure removes, and the role counts it keeps."""

    answers: int  # polls answered
    comments: int
    messages: int
    role_counts: int


def what_goes(member: Member) -> Erasure:
    responses = db.session.execute(
        select(
            func.count(Response.id), func.count(Response.id).filter(Response.comment != "")
        ).where(Response.member_id == member.id)
    ).one()
    messages = db.session.scalar(
        select(func.count(MessageLog.id)).where(MessageLog.member_id == member.id)
    )
    kept = db.session.scalar(
        select(func.coalesce(func.sum(RoleHistory.count), 0)).where(
            RoleHistory.member_id == member.id
        )
    )
    return Erasure(responses[0], responses[1], messages or 0, int(kept or 0))


def erase(member: Member) -> Erasure:
    """Erase the member and log it without the name, in the caller's transaction (the caller
    commits). Refused for the network's coordinator, while a planning runs, or twice."""
    member = db.session.scalars(lock_for_write(select(Member).where(Member.id == member.id))).one()
    if member.erased_at is not None:
        raise Refused(_("This member's personal data is already erased."))
    if member.is_coordinator:
        raise Refused(
            _(
                "%(name)s is the coordinator: make another member coordinator first.",
                name=member.name,
            )
        )
    polls = select(Poll.id).where(Poll.network_id == member.network_id)
    if db.session.scalar(select(exists().where(SolveJob.active_poll_id.in_(polls)))):
        raise Refused(
            _(
                "A planning is running. Erase the member when it has finished, so that it"
                " cannot place them in a new plan."
            )
        )
    gone = what_goes(member)
    new_key = _anonymous_key(member.network_id)
    scrub = _Scrub(member, new_key)

    for plan in db.session.scalars(select(Plan).where(Plan.poll_id.in_(polls))):
        plan.result = scrub.result(plan.result, _plan_language(plan))
    for job in db.session.scalars(
        select(SolveJob).where(SolveJob.poll_id.in_(polls), SolveJob.result.is_not(None))
    ):
        job.result = scrub.result(job.result or {}, job.language)
    for batch in db.session.scalars(select(MailJob).where(MailJob.network_id == member.network_id)):
        if any(entry[0] == member.name for entry in batch.skipped):
            batch.skipped = [
                [scrub.former(), reason] if name == member.name else [name, reason]
                for name, reason in batch.skipped
            ]
    if scrub.words:
        mentions = or_(*(AuditEvent.detail.contains(w, autoescape=True) for w in scrub.words))
        for event in db.session.scalars(
            select(AuditEvent).where(AuditEvent.network_id == member.network_id, mentions)
        ):
            event.detail = scrub.text(event.detail, scrub.former())

    db.session.execute(delete(Response).where(Response.member_id == member.id))
    db.session.execute(delete(Pin).where(Pin.member_id == member.id))
    db.session.execute(
        delete(AgendaProposal).where(
            AgendaProposal.member_id == member.id, AgendaProposal.status != ProposalStatus.TAKEN
        )
    )
    db.session.execute(
        update(AgendaProposal).where(AgendaProposal.member_id == member.id).values(member_id=None)
    )
    db.session.execute(delete(Signup).where(Signup.member_id == member.id))
    calendar_links.forget([member.id])  # the kept calendar connection and its busy flags
    # A failed mail to them can never be sent again: it goes; the others keep their row, as a
    # record that a mail went out, without the address or the stored copy.
    db.session.execute(
        delete(MessageLog).where(
            MessageLog.member_id == member.id, MessageLog.status == MessageStatus.FAILED
        )
    )
    for log in db.session.scalars(select(MessageLog).where(MessageLog.member_id == member.id)):
        log.recipient, log.raw, log.error = "", b"", ""
    if member.email:
        db.session.execute(
            delete(LostLinkRequest).where(
                LostLinkRequest.email_digest == email_digest(member.email.strip().lower())
            )
        )

    member.key, member.name, member.email, member.organisation = new_key, "", "", ""
    member.cannot, member.is_coordinator, member.active = [], False, False
    member.language = "da"  # a choice the person made: back to the default
    # Nobody knows a token with this hash, and no salt derives one: the links are dead.
    member.token_salt, member.token_hash = "", hash_token(secrets.token_urlsafe(32))
    member.feed_salt, member.feed_token_hash = None, None
    member.erased_at = utcnow()
    audit.record(audit.Action.ERASE_MEMBER, member.network_id, detail=new_key)
    return gone


def _anonymous_key(network_id: int) -> str:
    while True:
        key = KEY_PREFIX + secrets.token_hex(4)
        taken = select(Member.id).where(Member.network_id == network_id, Member.key == key)
        if db.session.scalar(taken) is None:
            return key


def _plan_language(plan: Plan) -> str | None:
    """The language the solve that stored the plan wrote its sentences in, if known."""
    return db.session.scalar(select(SolveJob.language).where(SolveJob.plan_id == plan.id).limit(1))


class _Scrub:
    """The member's name, e-mail and key taken out of stored documents and texts."""

    def __init__(self, member: Member, new_key: str) -> None:
        self.old_key, self.new_key = member.key, new_key
        self.words = [w for w in (member.name.strip(), member.email.strip()) if w]
        self.pattern = (
            re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in self.words), re.IGNORECASE)
            if self.words
            else None
        )

    @staticmethod
    def former(language: str | None = None) -> str:
        if language is None:
            return str(FORMER_MEMBER)
        with force_locale(language):
            return str(FORMER_MEMBER)

    def text(self, text: str, replacement: str) -> str:
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(replacement, text)

    def result(self, result: dict, language: str | None) -> dict:
        """The plan-result/1 document with the new key for the old and without the name."""
        doc = copy.deepcopy(result)
        for meeting in doc.get("meetings") or []:
            for group in ("attendance", "roles"):
                lists = meeting.get(group) or {}
                for label, people in lists.items():
                    if self.old_key in people:
                        lists[label] = sorted(
                            self.new_key if p == self.old_key else p for p in people
                        )
        if isinstance(doc.get("explanation"), list):
            former = self.former(language)
            doc["explanation"] = [self.text(s, former) for s in doc["explanation"]]
        if isinstance(doc.get("explanations"), dict):
            doc["explanations"] = {
                lang: [self.text(s, self.former(lang)) for s in sentences]
                for lang, sentences in doc["explanations"].items()
                if isinstance(sentences, list)
            }
        return doc
