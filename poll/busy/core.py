"""The types every part of poll.busy shares (re-exported by the package)."""

import enum
from dataclasses import dataclass


class DayBusy(enum.StrEnum):
    BUSY = "busy"  # busy time covers the whole meeting window (or an all-day event)
    PARTLY = "partly"  # busy time overlaps part of the window: the member decides
    FREE = "free"


@dataclass(frozen=True)
class IcsSource:
    url: str  # https, or webcal:// (read as https)


@dataclass(frozen=True)
class CalDavSource:
    url: str
    username: str
    password: str

    def __repr__(self) -> str:  # never the password in a log or traceback
        return f"CalDavSource(url={self.url!r}, username={self.username!r})"


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
    """Reading the calendar failed; `kind` says how (error_message words it for the member).
    The detail is for logs and never holds a password."""

    def __init__(self, kind: ErrorKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else str(kind))
        self.kind = kind
