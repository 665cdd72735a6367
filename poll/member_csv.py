"""Importing members from a CSV file, as Danish Excel saves it.

The file is read and every row checked before anything is written: a file with any error
imports nothing, and the report names each row (as Excel numbers them, the header being row 1),
the column and the problem. Excel writes `;` between columns in Danish and often a UTF-8 BOM.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from .keys import unique_key
from .members import add_member
from .models import Member, Network
from .network_admin import KEY_PATTERN, MEMBER_FALLBACK
from .text_checks import has_control, is_email

MAX_ROWS = 500

# Accepted column headings (lower case, spaces collapsed) for each field.
COLUMNS = {
    "key": {"id", "key", "nøgle", "noegle", "kode"},
    "name": {"name", "navn"},
    "email": {"email", "e-mail", "mail", "e-mailadresse", "emailadresse"},
    "organisation": {"organisation", "organization", "organisering", "bibliotek", "arbejdsplads"},
    "cannot": {"cannot", "kan ikke", "kan_ikke", "kan-ikke", "kanikke"},
}
REQUIRED = ("name", "email")  # an id is made from the name when the file gives none
# Excel writes a line break typed with Alt+Enter into the cell; in these it becomes a space.
SPACED = ("name", "organisation")
SEPARATORS = (";", ",", "\t")
LIST_SPLIT = re.compile(r"[;,|\s]+")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class MemberRow:
    row: int
    key: str
    name: str
    email: str
    organisation: str = ""
    cannot: list[str] = field(default_factory=list)


@dataclass
class CsvReport:
    rows: list[MemberRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    problem: str | None = None  # the file as a whole cannot be used
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.errors and bool(self.rows)


def _label(name: str) -> str:
    return {
        "key": _("id"),
        "name": _("name"),
        "email": _("e-mail"),
        "organisation": _("organisation"),
        "cannot": _("cannot"),
    }[name]


def _columns_help() -> str:
    return _(
        "The first row must name the columns: name and email, and optionally organisation "
        "and cannot."
    )


def _decode(data: bytes) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 ("Unicode text" in Excel)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _separator(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in SEPARATORS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ";"


def _heading(raw: str) -> str:
    return " ".join(raw.replace("\ufeff", "").strip().lower().split())


def read_members_csv(data: bytes, network: Network) -> CsvReport:
    """Check a CSV file of new members against the network; write nothing."""
    report = CsvReport()
    text = _decode(data)
    if text is None:
        report.problem = _(
            "The file is not UTF-8 text. In Excel, save it as 'CSV UTF-8 (comma delimited)' "
            "and upload it again."
        )
        return report
    if not text.strip():
        report.problem = _("The file is empty.")
        return report
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text)))
    except csv.Error as error:
        report.problem = _(
            "The file could not be read as a spreadsheet: %(error)s.", error=str(error)
        )
        return report

    header_index = next((i for i, r in enumerate(records) if any(c.strip() for c in r)), None)
    if header_index is None:
        report.problem = _("The file is empty.")
        return report
    header = [_heading(c) for c in records[header_index]]
    positions: dict[str, int] = {}
    for index, heading in enumerate(header):
        name = next((n for n, aliases in COLUMNS.items() if heading in aliases), None)
        if name is None:
            if heading:
                report.ignored_columns.append(records[header_index][index].strip())
            continue
        if name in positions:
            report.problem = _(
                "The column '%(column)s' appears twice in the first row.", column=heading
            )
            return report
        positions[name] = index
    if not positions:
        report.problem = _(
            "The first row does not name any known column. %(help)s", help=_columns_help()
        )
        return report
    missing = [_label(n) for n in REQUIRED if n not in positions]
    if missing:
        report.problem = _(
            "The file lacks the column(s): %(columns)s. %(help)s",
            columns=", ".join(missing),
            help=_columns_help(),
        )
        return report

    body = [
        (number, record)
        for number, record in enumerate(records[header_index + 1 :], start=header_index + 2)
        if any(c.strip() for c in record)
    ]
    if not body:
        report.problem = _("The file has a header row but no members below it.")
        return report
    if len(body) > MAX_ROWS:
        report.problem = _(
            "The file has %(count)d members; at most %(max)d can be imported at a time. "
            "Split it into smaller files.",
            count=len(body),
            max=MAX_ROWS,
        )
        return report

    roles = {r.key: r.key for r in network.roles}
    roles.update({r.name.lower(): r.key for r in network.roles})
    existing = {m.key: m for m in network.members}
    seen: dict[str, int] = {}
    for number, record in body:
        _check_row(report, number, record, header, positions, roles, existing, seen)
    taken = existing.keys() | seen.keys()
    for row in report.rows:
        if not row.key:
            row.key = unique_key(row.name, taken, MEMBER_FALLBACK)
            taken.add(row.key)
    return report


def _check_row(report, number, record, header, positions, roles, existing, seen) -> None:
    def error(name: str, message: str) -> None:
        report.errors.append(RowError(number, _label(name) if name else "", message))

    def raw(name: str) -> str:
        index = positions.get(name)
        return record[index] if index is not None and index < len(record) else ""

    def value(name: str) -> str:
        text = raw(name)
        return " ".join(text.split()) if name in SPACED else text.strip()

    def unreadable(name: str) -> bool:
        """A control character is left (NUL, escape; a line break in an id or e-mail): refuse."""
        if not has_control(value(name)):
            return False
        error(
            name,
            _(
                "Row %(row)d: %(column)s holds invisible control characters (such as line "
                "breaks); remove them.",
                row=number,
                column=_label(name),
            ),
        )
        return True

    count = len(report.errors)
    if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
        error(
            "",
            _(
                "Row %(row)d: more values than columns. A name with a ; or , in it must be "
                "in quotes.",
                row=number,
            ),
        )
    key = value("key").lower()
    if unreadable("key"):
        pass
    elif not key:
        pass  # made from the name once every row is read
    elif len(key) > 40 or not KEY_PATTERN.match(key):
        error(
            "key",
            _(
                "Row %(row)d: id '%(value)s' may only hold small letters a–z, digits, - and _ "
                "(at most 40).",
                row=number,
                value=key,
            ),
        )
    elif key in seen:
        error(
            "key",
            _(
                "Row %(row)d: id '%(value)s' is also used in row %(other)d.",
                row=number,
                value=key,
                other=seen[key],
            ),
        )
    elif key in existing:
        error(
            "key",
            _(
                "Row %(row)d: id '%(value)s' already belongs to the member %(name)s.",
                row=number,
                value=key,
                name=existing[key].shown_name,
            ),
        )
    if key:
        seen.setdefault(key, number)

    name = value("name")
    if unreadable("name"):
        pass
    elif not name:
        error("name", _("Row %(row)d: name is empty.", row=number))
    elif len(name) > 200:
        error("name", _("Row %(row)d: name is longer than 200 characters.", row=number))

    email = value("email")
    if unreadable("email"):
        pass
    elif not email:
        error("email", _("Row %(row)d: e-mail is empty.", row=number))
    elif not is_email(email):
        error(
            "email",
            _(
                "Row %(row)d: e-mail '%(value)s' is not a valid e-mail address.",
                row=number,
                value=email,
            ),
        )

    organisation = value("organisation")
    if unreadable("organisation"):
        pass
    elif len(organisation) > 200:
        error(
            "organisation",
            _("Row %(row)d: organisation is longer than 200 characters.", row=number),
        )

    cannot: list[str] = []
    listed = "" if unreadable("cannot") else value("cannot")
    for item in (i for i in LIST_SPLIT.split(listed) if i):
        role = roles.get(item.lower())
        if role is None:
            error(
                "cannot",
                _(
                    "Row %(row)d: cannot '%(value)s' is not a role of the network "
                    "(the roles are %(roles)s).",
                    row=number,
                    value=item,
                    roles=", ".join(sorted(set(roles.values()))),
                ),
            )
        elif role not in cannot:
            cannot.append(role)

    if len(report.errors) == count:
        report.rows.append(MemberRow(number, key, name, email, organisation, cannot))


def import_members(network: Network, report: CsvReport) -> list[tuple[Member, str]]:
    """Add every row of a report without errors; returns each member with their new token."""
    if not report.ok:
        raise ValueError("only a report without problems can be imported")
    created = []
    for row in report.rows:
        created.append(
            add_member(
                network,
                key=row.key,
                name=row.name,
                email=row.email,
                organisation=row.organisation,
                cannot=row.cannot,
            )
        )
    return created
