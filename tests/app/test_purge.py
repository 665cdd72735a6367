"""`flask purge`: a poll's answers, comments and mails go MODEPLAN_PURGE_MONTHS (or
--older-than) months after its year has ended; plans and role history stay; --dry-run; quiet
when there is nothing to do; bad flags exit 2 in Danish. Both engines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from poll.days import week_window
from poll.db import db
from poll.models import (
    AuditEvent,
    MailJob,
    MessageLog,
    MessageStatus,
    Network,
    Plan,
    PlanStatus,
    Poll,
    Response,
    RoleHistory,
)
from poll.poll_admin import MeetingDraft, PollRules, create_poll
from poll.privacy.retention import last_purged_year
from tests.factories import make_network, record_answers

OLD = date.today().year - 3  # ended more than 24 months ago, whatever today is
LAST = date.today().year - 1  # ended less than 24 months ago


def _answer(poll: Poll, keys: tuple[str, ...], comment_from: str) -> None:
    cells = [(d.day, v.key, "yes") for d in poll.days for v in poll.network.venues]
    for member in poll.network.members:
        if member.key in keys:
            comment = "kan ikke i uge 10" if member.key == comment_from else ""
            record_answers(poll.id, member.id, cells, comment=comment)


def _mail(network: Network, kind: str, at: datetime | None = None) -> None:
    member = network.members[0]
    db.session.add(
        MessageLog(
            network_id=network.id,
            member_id=member.id,
            kind=kind,
            recipient=member.email,
            subject="s",
            raw=b"raw",
            status=MessageStatus.SENT,
            **({"created_at": at} if at else {}),
        )
    )


@pytest.fixture
def years(app) -> None:
    """Testnetværk with a poll from three years ago (three answers, one comment, four mails, a
    published plan, role history, a mail batch that skipped someone) and one from last year
    (two answers, two mails); Andet netværk with an old poll of one answer."""
    with app.app_context():
        fx = make_network(("sara", "henrik", "maria"), year=OLD)
        old = db.session.get(Poll, fx.poll_id)
        network = old.network
        last = create_poll(
            network, LAST, PollRules([MeetingDraft(None, "Møde 1", week_window(LAST, 9, 10))])
        )
        _answer(old, ("sara", "henrik", "maria"), comment_from="henrik")
        _answer(last, ("sara", "henrik"), comment_from="sara")
        _mail(network, f"invitation/{OLD}")
        _mail(network, f"reminder/{OLD}")
        _mail(network, f"reminder-auto/{OLD}/{OLD}-02-20")
        _mail(network, "lost-link", at=datetime(OLD, 6, 1, 12, tzinfo=UTC))
        _mail(network, f"invitation/{LAST}")
        _mail(network, "lost-link")
        db.session.add(
            Plan(
                poll_id=old.id,
                version=1,
                status=PlanStatus.PUBLISHED,
                result={"format": "plan-result/1", "status": "optimal", "meetings": []},
            )
        )
        db.session.add(
            RoleHistory(member=network.members[1], role=network.roles[2], year=OLD, count=2)
        )
        db.session.add(
            MailJob(
                network_id=network.id, poll_id=old.id, kind="invitation", skipped=[["Maria", "x"]]
            )
        )
        other = make_network(("ole",), year=OLD, slug="andet")
        _answer(db.session.get(Poll, other.poll_id), ("ole",), comment_from="")
        db.session.commit()


def _counts() -> dict[str, int]:
    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    old_polls = select(Poll.id).where(Poll.year == OLD)
    return {
        "old answers": count(Response, Response.poll_id.in_(old_polls)),
        "last answers": count(Response, Response.poll_id.not_in(old_polls)),
        "mails": count(MessageLog),
        "plans": count(Plan),
        "history": count(RoleHistory),
    }


BEFORE = {"old answers": 4, "last answers": 2, "mails": 6, "plans": 1, "history": 1}


def test_dry_run_prints_what_would_go_and_removes_nothing(app, runner, years):
    done = runner.invoke(args=["purge", "--dry-run"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        f"andet {OLD}: svar 1, kommentarer 0, beskeder 0",
        f"test {OLD}: svar 3, kommentarer 1, beskeder 4",
        "--dry-run: intet er fjernet. Der ville blive fjernet svar 4, kommentarer 1, beskeder 4.",
    ]
    with app.app_context():
        assert _counts() == BEFORE
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_purge_removes_the_old_years_answers_and_mails_keeps_plans_and_history_then_is_quiet(
    app, runner, years
):
    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines() == [
        f"andet {OLD}: svar 1, kommentarer 0, beskeder 0",
        f"test {OLD}: svar 3, kommentarer 1, beskeder 4",
        "Fjernede svar 4, kommentarer 1, beskeder 4 fra afstemninger, hvis år sluttede for 24"
        " måneder siden eller mere; planer og rollehistorik er bevaret.",
    ]
    with app.app_context():
        assert _counts() == {**BEFORE, "old answers": 0, "mails": 2}
        kinds = set(db.session.scalars(select(MessageLog.kind)))
        assert kinds == {f"invitation/{LAST}", "lost-link"}
        assert db.session.scalar(select(MailJob.skipped)) == []
        events = {
            e.network_id: (e.action, e.actor, e.detail)
            for e in db.session.scalars(select(AuditEvent))
        }
        test = db.session.scalar(select(Network.id).where(Network.slug == "test"))
        assert events[test] == (
            "purge",
            "command line",
            f"{OLD}: svar 3, kommentarer 1, beskeder 4",
        )
        assert len(events) == 2
    again = runner.invoke(args=["purge"])
    assert again.exit_code == 0
    assert again.output == ""


def test_older_than_and_the_setting_choose_the_years(app, runner, years):
    quiet = runner.invoke(args=["purge", "--older-than", "1200"])
    assert (quiet.exit_code, quiet.output) == (0, "")
    app.config["PURGE_MONTHS"] = 1200
    assert runner.invoke(args=["purge"]).output == ""
    with app.app_context():
        assert _counts() == BEFORE
    english = runner.invoke(args=["purge", "--older-than", "24", "--dry-run", "--lang", "en"])
    assert f"test {OLD}: answers 3, comments 1, messages 4" in english.output


@pytest.mark.parametrize(
    ("today", "months", "last"),
    [
        (date(2026, 12, 3), 24, 2023),  # 2024 ended 23 months before
        (date(2027, 1, 1), 24, 2024),  # 2024 ended exactly 24 months before
        (date(2026, 12, 31), 24, 2023),
        (date(2026, 2, 1), 1, 2025),
        (date(2026, 1, 31), 1, 2024),
    ],
)
def test_a_year_counts_as_ended_on_the_first_of_january_after_it(today, months, last):
    assert last_purged_year(today, months) == last


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "abc"], "--older-than: angiv et helt antal måneder, 1 eller flere"),
        (["--older-than", "0"], "--older-than: angiv et helt antal måneder, 1 eller flere"),
        (["--older-than", "-3"], "(ikke '-3')"),
        (["--older-than", "٣"], "--older-than: angiv et helt antal måneder"),
        (["--olderthan", "5"], "Der er ingen indstilling, der hedder --olderthan."),
        (["--older-than"], "--older-than er brugt forkert"),
        (["--dry-run=ja"], "--dry-run er brugt forkert"),
    ],
)
def test_bad_flags_exit_2_in_danish_naming_the_flag_and_remove_nothing(
    app, runner, years, args, message
):
    done = runner.invoke(args=["purge", *args])
    assert done.exit_code == 2, done.output
    assert message in done.output
    assert "Traceback" not in done.output
    with app.app_context():
        assert _counts() == BEFORE
