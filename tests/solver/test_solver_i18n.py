"""The Danish catalog is complete, compiled and in step with the messages in the code."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import solver

LOCALE = Path(solver.__file__).parent / "locale"
PO = LOCALE / "da" / "LC_MESSAGES" / "solver.po"
MO = LOCALE / "da" / "LC_MESSAGES" / "solver.mo"


def _entries(catalog) -> dict:
    def key(value):
        return value if isinstance(value, str) else tuple(value)

    return {key(m.id): key(m.string) for m in catalog if m.id}


def test_every_danish_entry_is_translated():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="da")
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), f"untranslated: {message.id!r}"
            assert not message.fuzzy, f"fuzzy: {message.id!r}"


def test_mo_is_compiled_from_the_po():
    with PO.open("rb") as f:
        po = _entries(read_po(f, locale="da"))
    with MO.open("rb") as f:
        mo = _entries(read_mo(f))
    assert mo == po


def test_every_message_in_the_code_is_in_the_catalog():
    keywords = {"gettext": None, "ngettext": (1, 2)}
    found = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(Path(solver.__file__).parent, keywords=keywords)
    }
    with PO.open("rb") as f:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert found == ids
