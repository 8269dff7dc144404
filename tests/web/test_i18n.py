"""Every interface string has its French translation, compiled and current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "web" / "translations"


def source_strings() -> set[str]:
    found = extract_from_dir(str(ROOT / "web"), method_map=[
        ("**.py", "python"), ("**/templates/**.html", "jinja2")],
        keywords={"_": None, "gettext": None, "lazy_gettext": None})
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in found}


def test_every_string_is_translated_to_french() -> None:
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and m.string}
    missing = sorted(source_strings() - translated)
    assert not missing, f"run scripts/i18n.sh and translate: {missing}"


def flat(value: Any) -> Any:
    """A plural message's forms as a tuple (read_mo gives lists, read_po tuples)."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def test_compiled_catalogue_matches_the_po_file() -> None:
    for lang in ("fr", "en"):
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as handle:
            po = {flat(m.id): flat(m.string) for m in read_po(handle)
                  if m.id and m.string and all(flat(m.string))}
        with open(folder / "messages.mo", "rb") as handle:
            mo = {flat(m.id): flat(m.string) for m in read_mo(handle) if m.id and m.string}
        # Every translation of the .po is compiled as written (the compiler may add
        # untranslated plurals as their source forms).
        stale = {k: (v, mo.get(k)) for k, v in po.items() if mo.get(k) != v}
        assert not stale, f"recompile {lang}: scripts/i18n.sh — {stale}"
        assert set(mo) - set(po) <= {k for k, v in mo.items() if v == k}
