"""The overview's heat map rows as HTML, one string per candidate day.

The cells are most of the page (46 days × 2 venues at a typical poll), and through Jinja each
cost a dozen small calls, formats and escapes. Here every translated or named part is escaped
once per page and each row is joined from those parts; the markup, whitespace included, is the
one the template gave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

from ..i18n import short_dates
from ..overview import MeetingBlock

# The template's indentation around a row's cells, kept so that the page stays the same.
_CELL = "\n                      {}\n                    "
_END = "\n                  </tr>"


def heat_rows(
    blocks: Iterable[MeetingBlock], labels: Mapping[str, str], added: str
) -> dict[int, Markup]:
    """Per candidate day id, its `<tr>`: the day and a cell per venue with the counts of Yes,
    If need be and No (`labels` "yes", "maybe", "no": "%(count)d …"; "best": the star's word)."""
    yes, maybe, no = (str(escape(labels[key])) for key in ("yes", "maybe", "no"))
    best = f' <strong class="best-mark">★ {escape(labels["best"])}</strong>'
    manual = f' <span class="muted">({escape(added)})</span>'
    day_rows = [row for block in blocks for week in block.weeks for row in week.days]
    rows: dict[int, Markup] = {}
    for row, label in zip(day_rows, short_dates([r.day.day for r in day_rows]), strict=True):
        day = row.day
        parts = [
            f'<tr>\n                    <th scope="row">{escape(label)}'
            f"{manual if day.manual else ''}</th>\n                    "
        ]
        for cell in row.cells:
            parts.append(
                _CELL.format(
                    f'<td class="heat heat-{cell.level}{" best" if cell.best else ""}">'
                    f'<span class="n-yes">{yes % {"count": cell.yes}}</span> '
                    f'<span class="n-maybe">{maybe % {"count": cell.maybe}}</span> '
                    f'<span class="n-no">{no % {"count": cell.no}}</span>'
                    f"{best if cell.best else ''}</td>"
                )
            )
        parts.append(_END)
        rows[day.id] = Markup("".join(parts))
    return rows
