"""Helpers shared by the item types made of several parts (gaps, pairs, spans, steps)."""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import text_map

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def part_id(value: Any, field_name: str) -> str:
    """A stable id written by the author: letters, digits, ``_`` or ``-``."""
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise Invalid("item_invalid", field=field_name)
    return value


def labelled_list(value: Any, field_name: str, minimum: int = 2,
                  opaque_ids: bool = False) -> list[dict[str, Any]]:
    """``[{"id", "text"}]`` with unique ids.

    :param opaque_ids: when an id is left out, derive it from the text rather than from
        the position, for types whose authored order is the key (ordering).
    """
    if not isinstance(value, list) or len(value) < minimum or len(value) > 100:
        raise Invalid("item_invalid", field=field_name)
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise Invalid("item_invalid", field=field_name)
        text = text_map(entry.get("text"), field_name)
        if entry.get("id") is not None:
            entry_id = part_id(entry["id"], field_name)
        elif opaque_ids:
            digest = hashlib.sha256(repr(sorted(text.items())).encode()).hexdigest()
            entry_id = "i" + digest[:10]
        else:
            entry_id = chr(ord("a") + index) if index < 26 else f"o{index}"
        if entry_id in seen:
            raise Invalid("item_invalid", field=field_name)
        seen.add(entry_id)
        clean.append({"id": entry_id, "text": text})
    return clean


def shuffled(entries: list[dict[str, Any]], seed: int | None, salt: str) -> list[dict[str, Any]]:
    """Ids and texts only, in an order fixed by the attempt's seed and ``salt``."""
    copy = [{"id": e["id"], "text": e["text"]} for e in entries]
    if seed is not None:
        # A string seed is hashed with SHA-512 by ``random``: stable across processes.
        random.Random(f"{seed}:{salt}").shuffle(copy)
    return copy


def count_feedback(right: int, total: int) -> dict[str, str]:
    """Per-language feedback such as "2 sur 3 bonnes réponses"."""
    return {"fr": f"{right} sur {total} bonnes réponses.",
            "en": f"{right} of {total} right."}


def fraction_points(points: float, fraction: float) -> float:
    return round(points * min(1.0, max(0.0, fraction)), 4)
