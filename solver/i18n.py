"""User-facing text: a gettext catalog (English msgids, Danish in solver/locale) plus Babel for
lists and dates, so no sentence is ever glued together from pieces."""

from __future__ import annotations

import datetime as dt
import gettext
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from babel.dates import format_date
from babel.lists import format_list

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("da", "en")
DOMAIN = "solver"


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language])


class Text:
    def __init__(self, language: str) -> None:
        self.language = language
        self._t = _catalog(language)

    def gettext(self, message: str, **values: object) -> str:
        return self._t.gettext(message).format(**values)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self._t.ngettext(singular, plural, n).format(n=n, **values)

    def names(self, items: Sequence[str]) -> str:
        return format_list(list(items), locale=self.language)

    def date(self, day: dt.date) -> str:
        return format_date(day, format="long", locale=self.language)


# Updating the catalog after changing a message (from the repository root):
#   pybabel extract -k gettext -k ngettext:1,2 --no-default-keywords --omit-header \
#       --sort-by-file -o solver/locale/solver.pot solver
#   pybabel update -i solver/locale/solver.pot -d solver/locale -D solver
#   (translate the new entries in solver/locale/da/LC_MESSAGES/solver.po)
#   pybabel compile -d solver/locale -D solver
