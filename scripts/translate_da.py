"""Fill Danish translations from a JSON object {msgid: msgstr}; print what is still missing.

An entry with a context (pgettext) is addressed as "context|msgid"; a plural entry (ngettext) by
its singular msgid, with a list of the Danish forms [singular, plural].
Usage: .venv/bin/python scripts/translate_da.py FILE.json   (then scripts/i18n compiles)
"""

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "poll/translations/da/LC_MESSAGES/messages.po"


def main(path: str) -> None:
    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="da")
    for message in catalog:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        key = f"{message.context}|{msgid}" if message.context else msgid
        if msgid and key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
    with CATALOG.open("wb") as f:
        write_po(f, catalog, no_location=True, sort_output=True, width=100)
    missing = [
        m.id[0] if isinstance(m.id, tuple) else m.id
        for m in catalog
        if m.id and (m.fuzzy or not (all(m.string) if isinstance(m.string, tuple) else m.string))
    ]
    print(json.dumps(missing, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
