"""Settings and item types are documented where operators and integrators look."""

from __future__ import annotations

import re
from pathlib import Path

from item_bank.registry import default_registry
from web.api.openapi import openapi_document

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    code = "\n".join(p.read_text() for folder in ("ardoise", "web")
                     for p in (ROOT / folder).rglob("*.py"))
    settings = set(re.findall(r"ARDOISE_[A-Z_]+", code))
    documented = set(re.findall(r"ARDOISE_[A-Z_]+", (ROOT / "docs/configuration.md").read_text()))
    assert settings, "no settings found: the pattern is wrong"
    assert settings <= documented, sorted(settings - documented)


def test_every_item_type_has_schemas_in_the_openapi_document() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for name in default_registry().names():
        assert f"Render_{name}" in schemas and f"Response_{name}" in schemas
