"""What the accessibility statement (/tilgaengelighed) tells: who is responsible, whom to tell
about a barrier, where the installation's statement in Digitaliseringsstyrelsen's WAS tool is,
and when Mødeplan was last checked.

A Danish public body must publish such a statement for every website (lov om tilgængelighed af
offentlige organers websteder og mobilapplikationer); the page follows the headings of
Digitaliseringsstyrelsen's template. TESTED moves on when the checks in
tests/e2e/test_accessibility_browser.py and the keyboard test are run again for a release.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app

from .feeds import absolute_url

# When the automated sweep (axe-core, 1280 and 390 px, Danish and English) and the keyboard-only
# test last passed for every page; the statement says so.
TESTED = date(2026, 12, 3)


@dataclass(frozen=True)
class Statement:
    organisation: str  # "" when the installation has not said
    contact: str  # "" when neither the accessibility nor the privacy contact is set
    was_url: str  # "" until the installation has its statement in the WAS tool
    site_url: str
    tested: date


def statement() -> Statement:
    config = current_app.config
    return Statement(
        organisation=config["PRIVACY_CONTROLLER"],
        contact=config["ACCESSIBILITY_CONTACT"] or config["PRIVACY_CONTACT"],
        was_url=config["WAS_URL"],
        site_url=absolute_url("start.index"),
        tested=TESTED,
    )
