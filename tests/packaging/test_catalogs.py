"""The compiled catalogs are committed (a wheel carries them); they must match their sources."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    ROOT / "poll/translations/da/LC_MESSAGES/messages.po",
    ROOT / "poll/translations/en/LC_MESSAGES/messages.po",
    ROOT / "solver/locale/da/LC_MESSAGES/solver.po",
]


def translations(catalog) -> dict:
    """msgid → translation, plural forms as tuples. An untranslated plural is compiled as its
    msgid, so entries equal to their msgid count as untranslated on both sides."""
    pairs = ((forms(m.id), forms(m.string)) for m in catalog if m.id and not m.fuzzy)
    return {msgid: text for msgid, text in pairs if all(text) and text != msgid}


def forms(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return (text,) if isinstance(text, str) else tuple(text)


@pytest.mark.parametrize("po_path", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalog_matches_its_source(po_path: Path) -> None:
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} is missing: run scripts/i18n"
    with po_path.open("rb") as po, mo_path.open("rb") as mo:
        source, compiled = translations(read_po(po)), translations(read_mo(mo))
    stale = sorted(str(k) for k in source.keys() ^ compiled.keys())
    stale += sorted(str(k) for k in source.keys() & compiled.keys() if source[k] != compiled[k])
    assert not stale, f"{mo_path.name} is stale (run scripts/i18n): {stale[:5]}"
