"""Checks every piece of typed-in text passes, shared by the forms, the CSV import and the mailer.

Control characters (NUL, escape, line breaks...) are invisible on a page, break mail headers and
are refused by PostgreSQL (NUL), so text fields refuse them: one-line fields (names, e-mails,
keys, addresses) every one of them, multi-line fields (agenda, comment) all but line breaks and
tab. Pure module: no Flask.
"""

from __future__ import annotations

import re
from email.policy import default

# C0 controls, DEL, C1 controls and the Unicode line and paragraph separators.
_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")

EMAIL_MAX_LENGTH = 254
# An ASCII dot-atom before the @ (what every mail server takes), a domain of letters, digits
# and hyphens (æøå allowed) with at least one dot. Deliberately no quoted local parts, comments,
# commas or spaces: 'a,b@example.dk' is two addresses to a mail program.
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?"
_EMAIL = re.compile(rf"{_LOCAL}@{_LABEL}(?:\.{_LABEL})+")


def has_control(value: str, *, multiline: bool = False) -> bool:
    """Whether `value` holds a control character not allowed in such a field."""
    return bool((_MULTI_LINE if multiline else _ONE_LINE).search(value))


def one_line(value: str) -> str:
    """`value` with every run of whitespace and control characters turned into one space."""
    return _SPACES.sub(" ", value).strip()


def is_email(value: str) -> bool:
    """Whether `value` is exactly one plain e-mail address that a mail can be sent to."""
    if len(value) > EMAIL_MAX_LENGTH or not _EMAIL.fullmatch(value):
        return False
    local, _, domain = value.rpartition("@")
    if len(local) > 64 or any(len(label) > 63 for label in domain.split(".")):
        return False
    try:
        header = default.header_factory("To", value)
    except ValueError:
        return False
    return (
        not header.defects and len(header.addresses) == 1 and header.addresses[0].addr_spec == value
    )
