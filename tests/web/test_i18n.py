"""Every interface string has its French translation, compiled and current."""

from __future__ import annotations

from pathlib import Path

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


def test_compiled_catalogue_matches_the_po_file() -> None:
    for lang in ("fr", "en"):
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as handle:
            po = {m.id: m.string for m in read_po(handle) if m.id and m.string}
        with open(folder / "messages.mo", "rb") as handle:
            mo = {m.id: m.string for m in read_mo(handle) if m.id and m.string}
        assert po == mo, f"recompile {lang}: scripts/i18n.sh"
