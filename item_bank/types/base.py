"""The item-type contract: validate authored content, render without the key, score."""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ardoise.errors import Invalid

LANGUAGES = ("fr", "en")
Content = dict[str, Any]


@dataclass(frozen=True)
class Score:
    points: float
    max_points: float
    correct: bool
    feedback: dict[str, str] = field(default_factory=dict)
    # True while a person still has to mark the answer: ``points`` means nothing yet.
    manual: bool = False


class ItemType(ABC):
    """Base class of one item type. Subclasses are small and pure (no I/O), but for the
    sandbox run of a type that ``needs_sandbox``."""

    name: ClassVar[str]
    # JSON Schemas for the OpenAPI document.
    render_schema: ClassVar[dict[str, Any]]
    response_schema: ClassVar[dict[str, Any]]
    #: True for a type whose ``score`` runs code in the sandbox (seconds, and it may find no
    #: sandbox): exam grading scores such a slot apart, on the sandbox queue, with no lock
    #: held on the attempt while it runs (``exam_engine.grading``).
    needs_sandbox: ClassVar[bool] = False

    @abstractmethod
    def validate(self, content: Content) -> Content:
        """Return the normalised content or raise :class:`Invalid` naming the problem."""

    @abstractmethod
    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        """The payload a student's browser receives: never any part of the key."""

    @abstractmethod
    def check_response(self, content: Content, response: Any) -> None:
        """Raise :class:`Invalid` when ``response`` has the wrong shape for this item."""

    @abstractmethod
    def score(self, content: Content, response: Any) -> Score:
        """Points for ``response`` (``None`` means unanswered), with partial credit."""


def text_map(value: Any, field_name: str) -> dict[str, str]:
    """Validate a bilingual text ``{"fr": ..., "en": ...}``; one language is enough."""
    if isinstance(value, str):
        value = {"fr": value}
    if not isinstance(value, dict) or not value:
        raise Invalid("item_invalid", field=field_name)
    clean = {}
    for lang, text in value.items():
        if lang not in LANGUAGES or not isinstance(text, str):
            raise Invalid("item_invalid", field=field_name)
        if text.strip():
            clean[lang] = text.strip()
    if not clean:
        raise Invalid("item_invalid", field=field_name)
    return clean


def points_of(content: Content) -> float:
    points = content.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or \
            not math.isfinite(points) or points <= 0:
        raise Invalid("item_invalid", field="points")
    return float(points)


def validate_options(content: Content) -> list[dict[str, Any]]:
    options = content.get("options")
    if not isinstance(options, list) or len(options) < 2:
        raise Invalid("item_invalid", field="options")
    seen: set[str] = set()
    clean = []
    for index, option in enumerate(options):
        if not isinstance(option, dict):
            raise Invalid("item_invalid", field="options")
        option_id = str(option.get("id") or chr(ord("a") + index))
        if option_id in seen:
            raise Invalid("item_invalid", field="options")
        seen.add(option_id)
        clean.append({"id": option_id, "text": text_map(option.get("text"), "options")})
    return clean


def shuffled_options(content: Content, seed: int | None) -> list[dict[str, Any]]:
    """Options with ids and texts only, in the order fixed by the attempt's seed."""
    options = [{"id": o["id"], "text": o["text"]} for o in content["options"]]
    if seed is not None and content.get("shuffle", True):
        random.Random(seed).shuffle(options)
    return options


STEM_SCHEMA = {
    "type": "object",
    "description": "Text per language (fr, en); at least one is present. Sent to a browser "
                   "as sanitised HTML made from the item's Markdown (a choice's text without "
                   "its paragraph), math as TeX in span.math.inline, span.math.display or "
                   "div.math.block, images as /media/ URLs.",
    "properties": {"fr": {"type": "string"}, "en": {"type": "string"}},
}
OPTION_SCHEMA = {
    "type": "object",
    "required": ["id", "text"],
    "properties": {"id": {"type": "string"}, "text": STEM_SCHEMA},
}
