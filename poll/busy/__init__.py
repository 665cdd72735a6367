"""Busy days from a member's own calendar (an ICS link or a CalDAV account).

Only the derived busy/partly/free flag per candidate day leaves this package: titles,
descriptions and attendees are read and dropped here."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models import Poll


class DayBusy(enum.StrEnum):
    BUSY = "busy"
    PARTLY = "partly"
    FREE = "free"


@dataclass(frozen=True)
class IcsSource:
    url: str  # https, or webcal:// (read as https)


@dataclass(frozen=True)
class CalDavSource:
    url: str
    username: str
    password: str


Source = IcsSource | CalDavSource


class ErrorKind(enum.StrEnum):
    NOT_FOUND = "not_found"
    NOT_CALENDAR = "not_calendar"
    WRONG_PASSWORD = "wrong_password"
    TOO_LARGE = "too_large"
    TIMEOUT = "timeout"
    NOT_ALLOWED = "not_allowed"
    UNREACHABLE = "unreachable"
    BAD_URL = "bad_url"


class CalendarError(Exception):
    def __init__(self, kind: ErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else str(kind))
        self.kind = kind


def error_message(error: CalendarError) -> str:
    raise NotImplementedError


def read_busy(
    source: Source,
    days: Sequence[date],
    start: time,
    end: time,
    tz: str,
    *,
    allow_local: bool,
) -> dict[date, DayBusy]:
    raise NotImplementedError


def propose_for_network(source: Source, poll: Poll) -> dict[date, DayBusy]:
    raise NotImplementedError
