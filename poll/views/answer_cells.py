"""The member page's answer rows as HTML, one string per day.

The cells are the bulk of the page (46 days × 2 venues × 3 choices at a typical poll), and
through Jinja each of them cost a dozen small calls and escapes: most of the page's CPU. Here
every translated or named part is escaped once per page and each cell is joined from those
parts; the markup is the same the template gave.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from markupsafe import Markup, escape

from ..models import CandidateDay, Venue


def day_rows(
    days: Iterable[CandidateDay],
    venues: list[Venue],
    shown: Mapping[tuple[int, int], str],
    *,
    editable: bool,
    choices: list[tuple[str, str]],
    labels: Mapping[str, str],
    no_answer: str,
    error_fields: Collection[str],
    day_labels: Mapping[int, str],
    tallies: Mapping[int, str] | None,
    no_tally: str,
) -> dict[int, Markup]:
    """Per day id, its `<tr>`: the day, a cell per venue with the radio buttons (editable) or
    the answer as text, and the others' counts (`tallies`; None: the poll hides them)."""
    names = [(venue.id, str(escape(venue.name))) for venue in venues]
    inputs = [
        (value, f'" value="{escape(value)}"', f">{escape(label)}</label>")
        for value, label in choices
    ]
    answers = {
        value: f'<span class="answer {escape(value)}">{escape(label)}</span>'
        for value, label in labels.items()
    }
    blank = f'<span class="answer none">{escape(no_answer)}</span>'
    rows: dict[int, Markup] = {}
    for day in days:
        parts = [f'<tr><th scope="row">{escape(day_labels[day.id])}</th>']
        for venue_id, venue_name in names:
            field = f"a-{day.id}-{venue_id}"
            current = shown.get((day.id, venue_id))
            parts.append('<td class="has-error">' if field in error_fields else "<td>")
            if editable:
                parts.append(f"<fieldset><legend>{venue_name}</legend>")
                for value, value_attr, label in inputs:
                    checked = " checked" if current == value else ""
                    parts.append(
                        f'<label><input type="radio" name="{field}{value_attr}{checked}{label}'
                    )
                parts.append("</fieldset>")
            else:
                parts.append(f'<span class="cell-venue">{venue_name}: </span>')
                parts.append(answers[current] if current else blank)
            parts.append("</td>")
        if tallies is not None:
            parts.append(f'<td class="tally">{escape(tallies.get(day.id, no_tally))}</td>')
        parts.append("</tr>")
        rows[day.id] = Markup("".join(parts))
    return rows
