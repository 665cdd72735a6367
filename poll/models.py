"""The data: networks, venues, members, roles, year polls, days, answers and history."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import Model


class UTCDateTime(TypeDecorator):
    """Instants are stored in UTC and come back tz-aware, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def stored_enum(cls: type[enum.StrEnum], name: str, length: int) -> Enum:
    """A string column holding the enum's values ("yes", not "YES"), with no database enum
    type, so adding a value needs no migration on PostgreSQL."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class Answer(enum.StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


DEFAULT_MEETING_START, DEFAULT_MEETING_END = time(10, 0), time(15, 0)


class Network(Model):
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(60), default="Europe/Copenhagen")
    meeting_start: Mapped[time] = mapped_column(Time, default=DEFAULT_MEETING_START)
    meeting_end: Mapped[time] = mapped_column(Time, default=DEFAULT_MEETING_END)
    feed_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while the network is archived: its members' links and feeds are refused and no mail
    # goes out for it, but nothing is deleted (poll.network_lifecycle).
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The meeting notice goes out this many days before each meeting (the planning group is
    # reminded a week earlier); members sign up until this many days before it (poll.signup).
    notice_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    signup_deadline_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")

    venues: Mapped[list[Venue]] = relationship(
        back_populates="network", order_by="Venue.position, Venue.id"
    )
    members: Mapped[list[Member]] = relationship(
        back_populates="network", order_by="Member.name, Member.id"
    )
    roles: Mapped[list[Role]] = relationship(
        back_populates="network", order_by="Role.position, Role.id"
    )
    polls: Mapped[list[Poll]] = relationship(back_populates="network", order_by="Poll.year")
    coordinators: Mapped[list[CoordinatorAccount]] = relationship(
        secondary="network_coordinators",
        back_populates="networks",
        order_by="CoordinatorAccount.email",
    )

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def coordinator(self) -> Member | None:
        return next((m for m in self.members if m.is_coordinator), None)


# Who coordinates which network: an account may coordinate several networks (it chooses one
# after login, poll.auth), a network has one or more coordinators, a site administrator may
# coordinate none.
network_coordinators = Table(
    "network_coordinators",
    Model.metadata,
    Column(
        "account_id",
        ForeignKey("coordinator_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("network_id", ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_network_coordinators_network_id", "network_id"),
)


class CoordinatorAccount(Model):
    __tablename__ = "coordinator_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # "!" = no usable password yet (set through a one-time link).
    password_hash: Mapped[str] = mapped_column(String(256))
    # Every login session carries this number; raising it ends all of them (logout, new password).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    networks: Mapped[list[Network]] = relationship(
        secondary=network_coordinators, back_populates="coordinators", order_by="Network.name"
    )

    @property
    def has_password(self) -> bool:
        return "$" in self.password_hash


class AccountToken(Model):
    """A one-time link for an account; only a SHA-256 of the token is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("coordinator_accounts.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(30))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[CoordinatorAccount] = relationship()


class LoginFailure(Model):
    """One failed login; recent rows per e-mail and per address throttle further attempts
    (poll.auth explains the scheme). The e-mail is stored normalised, known account or not."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LostLinkRequest(Model):
    """One "lost your link?" request that was accepted (a mail went out or would have); recent
    rows per address and per e-mail limit further requests (poll.lost_links). The e-mail is kept
    only as a keyed digest, so the table does not collect addresses of people who are no
    members."""

    __tablename__ = "lost_link_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PasswordResetRequest(Model):
    """One accepted "forgot your password?" request; recent rows per address and per e-mail
    limit further requests (poll.password_reset). Like LostLinkRequest, the e-mail is kept only
    as a keyed digest, so the table holds no addresses of people without an account."""

    __tablename__ = "password_reset_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Venue(Model):
    __tablename__ = "venues"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    network: Mapped[Network] = relationship(back_populates="venues")


FORMER_MEMBER = _l("former member")


class Member(Model):
    """A member of a network. After erasure (poll.privacy.erasure) the row stays, inactive and
    without anything about the person, so the role history it holds keeps counting."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("network_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    cannot: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_salt: Mapped[str] = mapped_column(String(32), default="", server_default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    feed_salt: Mapped[str | None] = mapped_column(String(32), nullable=True)
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The language of the member's mails: "da" or "en" (MAIL_LANGUAGES in poll/members.py).
    language: Mapped[str] = mapped_column(String(5), default="da", server_default="da")

    network: Mapped[Network] = relationship(back_populates="members")

    @property
    def shown_name(self) -> str:
        """The name for pages, plans, calendars and files: "former member" once erased."""
        return str(FORMER_MEMBER) if self.erased_at is not None else self.name


class Role(Model):
    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("network_id", "key"),
        CheckConstraint("per_meeting >= 0", name="per_meeting_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    per_meeting: Mapped[int] = mapped_column(Integer, default=1)
    within: Mapped[str | None] = mapped_column(String(40), nullable=True)
    conflicts: Mapped[list[str]] = mapped_column(JSON, default=list)
    includes_coordinator: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    network: Mapped[Network] = relationship(back_populates="roles")


class RoleHistory(Model):
    """How often a member held a role: imported counts (year is None) or a published year."""

    __tablename__ = "role_history"
    __table_args__ = (
        UniqueConstraint("member_id", "role_id", "year"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=0)

    member: Mapped[Member] = relationship()
    role: Mapped[Role] = relationship()


class Poll(Model):
    """A year poll: the meetings of one year, their windows and the members' answers."""

    __tablename__ = "polls"
    __table_args__ = (UniqueConstraint("network_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    blackout_weeks: Mapped[list[int]] = mapped_column(JSON, default=list)
    excluded_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    hide_answers: Mapped[bool] = mapped_column(Boolean, default=False)
    min_days_between: Mapped[int] = mapped_column(Integer, default=28)
    min_attendance: Mapped[float] = mapped_column(Float, default=0.5)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    network: Mapped[Network] = relationship(back_populates="polls")
    meetings: Mapped[list[Meeting]] = relationship(
        back_populates="poll", order_by="Meeting.position, Meeting.id"
    )
    days: Mapped[list[CandidateDay]] = relationship(
        back_populates="poll", order_by="CandidateDay.day"
    )


class Meeting(Model):
    """One meeting of a year poll and its window (a date range, often whole ISO weeks)."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("poll_id", "key"),
        CheckConstraint("window_start <= window_end", name="window_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    agenda: Mapped[str | None] = mapped_column(Text, nullable=True)

    poll: Mapped[Poll] = relationship(back_populates="meetings")
    days: Mapped[list[CandidateDay]] = relationship(
        back_populates="meeting", order_by="CandidateDay.day"
    )


class CandidateDay(Model):
    __tablename__ = "candidate_days"
    __table_args__ = (UniqueConstraint("poll_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)

    poll: Mapped[Poll] = relationship(back_populates="days")
    meeting: Mapped[Meeting] = relationship(back_populates="days")


class Response(Model):
    """A member's answers to a year poll, their comment and this year's role opt-outs; its
    existence means 'has answered'.

    `answers` is the member's part of a plan instance's availability (docs/spec/plan-format.md):
    {ISO date: {venue key: "yes" | "maybe" | "no"}}, a cell never marked left out. A whole poll
    is then one row per member (150 for a national network, where a row per cell made 90 000)
    and planning reads it as it stands. Removing a candidate day removes its date here
    (`forget`); changing a venue's key renames it here (`rename_venue`)."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("poll_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    answers: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    cannot_roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()

    def __init__(self, **fields):
        fields.setdefault("answers", {})
        super().__init__(**fields)

    def cells(self) -> Iterator[tuple[str, str, Answer]]:
        """(ISO date, venue key, answer) for every marked cell."""
        for day, by_venue in self.answers.items():
            for venue, value in by_venue.items():
                yield day, venue, Answer(value)

    def answer(self, day: date, venue: str) -> Answer | None:
        value = self.answers.get(day.isoformat(), {}).get(venue)
        return None if value is None else Answer(value)

    def record(self, changes: Mapping[tuple[date, str], Answer]) -> None:
        """Set these cells, (day, venue key) -> answer, keeping every other one."""
        answers = {day: dict(by_venue) for day, by_venue in self.answers.items()}
        for (day, venue), value in changes.items():
            answers.setdefault(day.isoformat(), {})[venue] = Answer(value).value
        self.answers = answers

    def forget(self, days: Iterable[date]) -> None:
        """Drop every cell of these days (the candidate days are being removed)."""
        gone = {d.isoformat() for d in days}
        if gone & self.answers.keys():
            self.answers = {d: v for d, v in self.answers.items() if d not in gone}

    def rename_venue(self, old: str, new: str) -> None:
        if any(old in by_venue for by_venue in self.answers.values()):
            self.answers = {
                day: {new if v == old else v: a for v, a in by_venue.items()}
                for day, by_venue in self.answers.items()
            }


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class Plan(Model):
    """One version of a year's plan: the solver's plan-result/1, kept unchanged once stored."""

    __tablename__ = "plans"
    __table_args__ = (
        UniqueConstraint("poll_id", "version"),
        # At most one published version per poll, whatever two publishers do at once.
        Index(
            "uq_plans_one_published",
            "poll_id",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[PlanStatus] = mapped_column(
        stored_enum(PlanStatus, "plan_status", 12),
        default=PlanStatus.DRAFT,
    )
    result: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    poll: Mapped[Poll] = relationship()


class Pin(Model):
    """A decision the solver must keep: a meeting's date and/or venue, or one role holder."""

    __tablename__ = "pins"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    day: Mapped[date | None] = mapped_column(Date, nullable=True)
    venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), nullable=True
    )
    role_id: Mapped[int | None] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), nullable=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )

    meeting: Mapped[Meeting] = relationship()
    venue: Mapped[Venue | None] = relationship()
    role: Mapped[Role | None] = relationship()
    member: Mapped[Member | None] = relationship()


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class SolveJob(Model):
    """A solve in progress or finished. `active_poll_id` is set only while it runs, and is
    unique, so the database itself refuses a second concurrent solve of the same poll."""

    __tablename__ = "solve_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    active_poll_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    status: Mapped[JobStatus] = mapped_column(
        stored_enum(JobStatus, "job_status", 12),
        default=JobStatus.QUEUED,
    )
    stages_done: Mapped[int] = mapped_column(Integer, default=0)
    stages_total: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    time_limit: Mapped[float | None] = mapped_column(Float, nullable=True)
    language: Mapped[str] = mapped_column(String(10), default="da", server_default="da")
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("plans.id", ondelete="SET NULL"), nullable=True
    )
    # the process that runs it (host:pid); None while it waits for a worker (poll/job_rows.py)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EventState(Model):
    """What calendars last saw of a meeting: its fingerprint and SEQUENCE, per stable UID."""

    __tablename__ = "event_states"
    __table_args__ = (UniqueConstraint("meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(200), default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class MessageStatus(enum.StrEnum):
    SENT = "sent"
    WRITTEN = "written"
    FAILED = "failed"


class MessageLog(Model):
    """Every message, sent or failed; the raw message is kept so a failure can be retried."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[MessageStatus] = mapped_column(stored_enum(MessageStatus, "message_status", 12))
    error: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    member: Mapped[Member | None] = relationship()
    # A mail to a meeting's guest (poll.guests) rather than to a member.
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="SET NULL"), nullable=True
    )
    guest: Mapped[Guest | None] = relationship()


class MailJob(Model):
    """A batch of mails being sent, or sent: what the coordinator clicked, progress and the
    outcome. `active_network_id` is set only while it runs, and is unique, so the database
    itself keeps it to one batch per network at a time, whichever process asks."""

    __tablename__ = "mail_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    poll_id: Mapped[int | None] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), nullable=True
    )
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
    active_network_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10), default="da")
    # The Reply-To of the batch's mails: the coordinator who clicked (None: the network's).
    reply_to: Mapped[str | None] = mapped_column(String(254), nullable=True)
    status: Mapped[JobStatus] = mapped_column(
        stored_enum(JobStatus, "job_status", 12),
        default=JobStatus.QUEUED,
    )
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    written: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")
    # the process that runs it (host:pid); None while it waits for a worker (poll/job_rows.py)
    worker: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    poll: Mapped[Poll | None] = relationship()


class AuditEvent(Model):
    """One coordinator's or administrator's action, kept for the network's coordinators to read
    (poll.audit). `actor` is the e-mail at the time, so the row outlives the account; `detail`
    never holds an erased member's name."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    network_id: Mapped[int | None] = mapped_column(
        ForeignKey("networks.id", ondelete="CASCADE"), nullable=True, index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("coordinator_accounts.id", ondelete="SET NULL"), nullable=True
    )
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(40))
    # The member acted on, shown by their current name (so an erased member reads as a former
    # member, and the log never keeps a name of its own).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    detail: Mapped[str] = mapped_column(Text, default="")

    member: Mapped[Member | None] = relationship()


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    TAKEN = "taken"
    DECLINED = "declined"


class AgendaProposal(Model):
    """A member's proposal for a meeting's agenda, and what the planning group made of it
    (poll/agenda_proposals.py). Personal data: erasure drops the proposer, purge the year."""

    __tablename__ = "agenda_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    # None once the proposer's personal data is erased (a proposal taken into the agenda stays).
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True, index=True
    )
    title: Mapped[str] = mapped_column(String(120))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProposalStatus] = mapped_column(
        stored_enum(ProposalStatus, "proposal_status", 12), default=ProposalStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    meeting: Mapped[Meeting] = relationship()
    member: Mapped[Member | None] = relationship()


class MeetingMinutes(Model):
    """A meeting's minutes (poll/minutes.py): text with simple formatting and/or one PDF or
    DOCX file, stored here with its checked type; members see them once published."""

    __tablename__ = "meeting_minutes"
    __table_args__ = (UniqueConstraint("meeting_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    file_data: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    file_type: Mapped[str | None] = mapped_column(String(100), nullable=True)
    file_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    meeting: Mapped[Meeting] = relationship()


class SwapStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the coordinator
    ASKING = "asking"  # a candidate has been asked by mail
    DONE = "done"  # a new version with the replacement is published
    NOBODY = "nobody"  # no candidate (left): the coordinator has the solver's explanation


class SwapRequest(Model):
    """A role holder's "I cannot after all" for one role at one published meeting (poll.swaps).
    `candidates` are the solver's (solver.swap), best first, as computed when asked; `asked` is
    the index of the candidate asked by mail, `declined` the member keys who said no."""

    __tablename__ = "swap_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    status: Mapped[SwapStatus] = mapped_column(
        stored_enum(SwapStatus, "swap_status", 12), default=SwapStatus.OPEN
    )
    candidates: Mapped[list[dict]] = mapped_column(JSON, default=list)
    explanations: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    asked: Mapped[int | None] = mapped_column(Integer, nullable=True)
    declined: Mapped[list[str]] = mapped_column(JSON, default=list)
    replacement_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    poll: Mapped[Poll] = relationship()
    meeting: Mapped[Meeting] = relationship()
    role: Mapped[Role] = relationship()
    member: Mapped[Member] = relationship(foreign_keys=[member_id])
    replacement: Mapped[Member | None] = relationship(foreign_keys=[replacement_id])


class MeetingNotice(Model):
    """A mail round for one meeting that went out: "notice" (to members and guests) or
    "agenda-reminder" (to the planning group). The row is written before the mails, and is
    unique, so no second run (or a second process at the same moment) sends it again
    (poll.meeting_notice); the mails themselves are in the message log."""

    __tablename__ = "meeting_notices"
    __table_args__ = (UniqueConstraint("meeting_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    day: Mapped[date] = mapped_column(Date)  # the meeting's day the round was about
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()


class Guest(Model):
    """Someone who is no member, invited to one meeting (poll.guests): their own link shows that
    meeting's page and nothing else; only a SHA-256 of the token is stored (poll.tokens)."""

    __tablename__ = "guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    token_salt: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the meeting notice went to them (at once if it had already gone to the members).
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    meeting: Mapped[Meeting] = relationship()


class Signup(Model):
    """A member's or a guest's answer to "are you coming?" for one meeting, with their dietary
    needs (personal data: erased and purged with the member's answers, poll.privacy)."""

    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("meeting_id", "member_id"),
        UniqueConstraint("guest_id"),
        CheckConstraint("(member_id IS NULL) <> (guest_id IS NULL)", name="member_or_guest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    guest_id: Mapped[int | None] = mapped_column(
        ForeignKey("guests.id", ondelete="CASCADE"), nullable=True
    )
    coming: Mapped[bool] = mapped_column(Boolean)
    dietary: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    meeting: Mapped[Meeting] = relationship()
    member: Mapped[Member | None] = relationship()
    guest: Mapped[Guest | None] = relationship()


class CalendarConnection(Model):
    """A calendar a member chose to keep connected (poll.calendar_links), so a refresh can read
    it again. The source (an ICS link, or a CalDAV server, user and password) is stored only
    encrypted, with a key derived from the secret key; `masked` is what pages show of it."""

    __tablename__ = "calendar_connections"
    __table_args__ = (UniqueConstraint("member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # "ics" or "caldav"
    secret: Mapped[str] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The last refresh's failure (an error kind of poll.busy), "" when it read the calendar.
    failure: Mapped[str] = mapped_column(String(40), default="", server_default="")


class BusyFlag(Model):
    """What a member's calendar says of one candidate day: "busy", "partly" or "free" in the
    network's meeting hours. Only this is kept of a calendar: no titles, places or people."""

    __tablename__ = "busy_flags"
    __table_args__ = (UniqueConstraint("member_id", "poll_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(8))
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
