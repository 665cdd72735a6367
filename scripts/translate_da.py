"""Fill Danish translations from a JSON object {msgid: msgstr}; print what is still missing.

An entry with a context (pgettext) is addressed as "context|msgid".
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
        key = f"{message.context}|{message.id}" if message.context else message.id
        if message.id and key in translations:
            message.string = translations[key]
            message.flags.discard("fuzzy")
    with CATALOG.open("wb") as f:
        write_po(f, catalog, no_location=True, sort_output=True, width=100)
    missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    print(json.dumps(missing, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
