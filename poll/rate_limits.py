"""Sliding-window limits over a table of recorded requests (lost links, password resets)."""

import math
from datetime import datetime, timedelta

from sqlalchemy import select

from .db import db


def seconds_until_free(at, condition, limit: int, window: timedelta, now: datetime) -> int:
    """Seconds until the oldest of the `limit` most recent requests matching `condition` (times
    in the column `at`) leaves the window; 0 when fewer than `limit` are in it."""
    recent = db.session.scalars(
        select(at).where(condition, at > now - window).order_by(at.desc()).limit(limit)
    ).all()
    if len(recent) < limit:
        return 0
    return max(1, math.ceil((recent[-1] + window - now).total_seconds()))
