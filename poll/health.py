"""The health of a running instance, for a load balancer or a monitor: is the database
reachable, is its schema at the migrations' head, how many jobs wait or run. It reads no
personal data and answers whatever state the database is in."""

from __future__ import annotations

import logging
from functools import cache

from sqlalchemy import String, func, inspect, select, text, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .migrating import MIGRATIONS
from .models import JobStatus, MailJob, SolveJob

OK = "ok"
FAILED = "failed"
NOT_CHECKED = "not checked"
VERSION_TABLE = "alembic_version"
# Jobs in these states are history; any other state (queued, running, or one a later worker
# adds) is backlog.
ENDED = (JobStatus.DONE.value, JobStatus.FAILED.value)
JOB_KINDS: dict[str, type[SolveJob | MailJob]] = {"solve": SolveJob, "mail": MailJob}

log = logging.getLogger(__name__)


@cache
def migration_heads(directory: str = str(MIGRATIONS)) -> frozenset[str]:
    """The head revisions of the package's migrations, read from the files once per process:
    they change only with a new release. Alembic is imported here, not at start-up (see
    poll/migrating.py)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(directory).get_heads())


def check_health() -> dict:
    """{"status", "database", "migrations", "jobs"}: each check "ok" (jobs: the backlog per
    kind and state), "failed", or "not checked" after an earlier one failed; "status" is "ok"
    only if all are."""
    health: dict[str, str | dict[str, dict[str, int]]] = {
        "database": NOT_CHECKED,
        "migrations": NOT_CHECKED,
        "jobs": NOT_CHECKED,
    }
    checking = "database"
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            health["database"] = OK
            checking = "migrations"
            health["migrations"] = _migrations(conn)
            if health["migrations"] == OK:
                checking = "jobs"
                health["jobs"] = _backlog(conn)
    except SQLAlchemyError as error:
        log.warning("Health check of the %s failed: %s", checking, error)
        health[checking] = FAILED
    healthy = isinstance(health["jobs"], dict)  # only once every check before it passed
    return {"status": OK if healthy else FAILED, **health}


def _migrations(conn: Connection) -> str:
    # Read directly: alembic's MigrationContext would log two INFO lines on every check.
    current: frozenset[str] = frozenset()
    if inspect(conn).has_table(VERSION_TABLE):
        current = frozenset(conn.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    if current == migration_heads():
        return OK
    log.warning(
        "Health check: the database is at %s, the migrations' head is %s",
        ", ".join(sorted(current)) or "no revision",
        ", ".join(sorted(migration_heads())),
    )
    return FAILED


def _backlog(conn: Connection) -> dict[str, dict[str, int]]:
    """Per kind of job, the number of jobs in each state that has not ended."""
    backlog = {}
    for kind, model in JOB_KINDS.items():
        # The stored string, not the enum: a state this code does not know yet still counts.
        status = type_coerce(model.status, String)
        rows = conn.execute(
            select(status, func.count()).where(status.not_in(ENDED)).group_by(status)
        )
        backlog[kind] = {"queued": 0, "running": 0} | {state: n for state, n in rows}
    return backlog
