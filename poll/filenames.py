"""Names of downloaded and attached files, made from the network's name (not its short name,
which a person never chose for a file): 'Netværk for læring' → 'netvaerk-for-laering'."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Network

# Danish letters a file name spells out rather than drops
_SPELLED = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "Ae", "Ø": "Oe", "Å": "Aa"})
_NOT_SAFE = re.compile(r"[^a-z0-9]+")
MAX_STEM = 60


def safe_name(text: str, fallback: str = "moeder") -> str:
    """Lower-case letters a–z, digits and single hyphens; `fallback` when nothing is left."""
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_SPELLED))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    stem = _NOT_SAFE.sub("-", ascii_text.lower()).strip("-")[:MAX_STEM].rstrip("-")
    return stem or fallback


def network_stem(network: Network) -> str:
    """The start of every file name of the network: its name made safe (its short name if
    the name has no letter or digit to keep)."""
    return safe_name(network.name, fallback=network.slug)
