"""Keys made from names: the short ids by which plans, pins, role history and the plan-year
exchange format (docs/spec/plan-format.md, `[a-z0-9_-]+`) name members, venues and roles.

A coordinator never types one. A new row gets its key from its name once; renaming the row
later keeps the key, because stored plans and answers refer to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

MAX_LENGTH = 40  # the key columns are String(40)

# Letters that NFKD does not take apart, spelt as Danish writes them without æøå.
_SPELLED = str.maketrans(
    {
        "æ": "ae",
        "Æ": "Ae",
        "ø": "oe",
        "Ø": "Oe",
        "å": "aa",
        "Å": "Aa",
        "ß": "ss",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
        "ð": "d",
        "Ð": "D",
        "œ": "oe",
        "Œ": "Oe",
    }
)
_OTHER = re.compile(r"[^a-z0-9]+")


def key_from_name(name: str) -> str:
    """The name in small letters a–z and digits, every other run of characters one "-";
    at most MAX_LENGTH characters; "" when nothing of the name is left."""
    spelled = unicodedata.normalize("NFKD", name.translate(_SPELLED))
    plain = spelled.encode("ascii", "ignore").decode("ascii").lower()
    return _OTHER.sub("-", plain).strip("-")[:MAX_LENGTH].rstrip("-")


def unique_key(name: str, taken: Container[str], fallback: str) -> str:
    """The key for a new row named `name`, not in `taken`: the name's key, or `fallback` when
    the name has no letter or digit a–z can spell, then -2, -3 … until it is free."""
    base = key_from_name(name) or fallback
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1
