"""What a member reads when their calendar cannot be read: what went wrong, plainly."""

from flask_babel import gettext as _

from .core import CalendarError, ErrorKind
from .fetch import MAX_BYTES, TIMEOUT


def error_message(error: CalendarError) -> str:
    match error.kind:
        case ErrorKind.NOT_FOUND:
            return _(
                "Your calendar was not found at this address. Check the link, or share the "
                "calendar again and copy the new link."
            )
        case ErrorKind.NOT_CALENDAR:
            return _(
                "This address gives a web page or something else, not a calendar. Copy the "
                "calendar's own link (it often ends in .ics), not the address of the page "
                "where you see your calendar."
            )
        case ErrorKind.WRONG_PASSWORD:
            return _(
                "The calendar server did not accept the user name and password. Check them; "
                "many servers want an app password made for this, not your usual password."
            )
        case ErrorKind.TOO_LARGE:
            return _(
                "Your calendar is too large to read here (more than %(size)d MB).",
                size=MAX_BYTES // (1024 * 1024),
            )
        case ErrorKind.TIMEOUT:
            return _(
                "The calendar server did not answer within %(seconds)d seconds. Try again later.",
                seconds=int(TIMEOUT),
            )
        case ErrorKind.NOT_ALLOWED:
            return _(
                "This address cannot be read from here. Use a link to a calendar on the "
                "internet that starts with https:// or webcal://."
            )
        case ErrorKind.UNREACHABLE:
            return _(
                "The calendar server could not be reached. Check the address, or try again later."
            )
        case ErrorKind.BAD_URL:
            return _(
                "This is not a calendar address. Paste a link that starts with https:// or "
                "webcal://."
            )
    return _("Your calendar could not be read.")  # pragma: no cover - every kind is above
