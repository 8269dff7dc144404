"""The student's view of an item, rendered on the server for the authoring pages.

It is built from the type's ``render()`` payload with its texts as safe HTML
(``item_bank.rich_text.payload_html``), the very payload a student's browser receives, so
a preview cannot show any part of the key. Its markup and interface strings
follow the exam page (``static/src/questions.js`` and ``parts.js``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import force_locale
from markupsafe import Markup

from item_bank.rich_text import payload_html
from item_bank.types.base import Content, ItemType
from item_bank.types.inline_choice import GAP_MARKER
from web.student.views import exam_strings

#: A tag of sanitised HTML (attribute values there have ``>`` escaped): never split.
TAG = re.compile(r"(<[^>]*>)")
# Types that shuffle show the order this seed gives: the same on every preview.
PREVIEW_SEED = 20260501
LANGUAGES = ("fr", "en")
SHUFFLING_TYPES = ("single_choice", "multiple_response", "inline_choice", "matching",
                   "ordering")


@dataclass(frozen=True)
class StudentView:
    """One language's student view of an item: what the template draws."""

    lang: str
    item_type: str
    render: dict[str, Any]
    points: str
    strings: dict[str, str]
    # True when each student gets the choices, items or responses in their own order.
    shuffled: bool = False
    # The id prefix of the view's elements: several views of one page need distinct ones.
    anchor: str = "preview"

    def text(self, value: Any) -> str:
        """The text in this language, falling back to the other one, like the exam page."""
        return pick_text(value, self.lang)

    def html(self, value: Any) -> Markup:
        """The text in this language as HTML (sanitised by ``payload_html``)."""
        return Markup(pick_text(value, self.lang))  # noqa: S704 - sanitised HTML

    def plain(self, value: Any) -> str:
        """The text in this language without markup: for a list's options and labels."""
        return Markup(pick_text(value, self.lang)).striptags()  # noqa: S704

    def t(self, key: str, **params: Any) -> str:
        text = self.strings.get(key, key)
        for name, value in params.items():
            text = text.replace(f"%({name})s", str(value))
        return text

    def number(self, value: float) -> str:
        """A number as the exam page writes it: "10 000" in French, "10,000" in English."""
        return number_text(value, self.lang)

    @property
    def missing_language(self) -> bool:
        """True when the item has no text in this language: the other one is shown."""
        for name in ("text", "passage", "stem"):
            value = self.render.get(name)
            if isinstance(value, dict) and value:
                return self.lang not in value
        return False

    def cloze(self) -> list[dict[str, Any]]:
        """The inline-choice text as HTML runs and gaps (``{"html"}`` or ``{"gap", "n"}``).

        Gap markers are looked for in the text between tags only; a gap whose marker is
        not there (written inside an image's description) comes at the end. The runs are
        pieces of one HTML document: drawn in order, they close every tag they open."""
        html = self.text(self.render.get("text"))
        gaps = {str(g["id"]): g for g in self.render.get("gaps", [])}
        parts: list[dict[str, Any]] = []
        run: list[str] = []
        placed: set[str] = set()
        for piece in TAG.split(html):
            if piece.startswith("<"):
                run.append(piece)
                continue
            at = 0
            for match in GAP_MARKER.finditer(piece):
                gap = gaps.get(match.group(1))
                if gap is None or match.group(1) in placed:
                    continue
                run.append(piece[at:match.start()])
                parts.append({"html": Markup("".join(run))})  # noqa: S704 - sanitised
                run = []
                placed.add(match.group(1))
                parts.append({"gap": gap, "n": len(placed)})
                at = match.end()
            run.append(piece[at:])
        parts.append({"html": Markup("".join(run))})  # noqa: S704 - sanitised
        for gap_id, gap in gaps.items():
            if gap_id not in placed:
                placed.add(gap_id)
                parts.append({"gap": gap, "n": len(placed)})
        return parts

    def passage(self) -> list[dict[str, str]]:
        """The hot-text passage's segments in this language, or else in the other one."""
        passage = self.render.get("passage") or {}
        other = "en" if self.lang == "fr" else "fr"
        return list(passage.get(self.lang) or passage.get(other) or [])


def pick_text(value: Any, lang: str) -> str:
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return ""
    other = "en" if lang == "fr" else "fr"
    found = value.get(lang, value.get(other))
    return found if isinstance(found, str) else ""


def number_text(value: float, lang: str) -> str:
    text = f"{value:,}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0")
    text = text.removesuffix(".0") if float(value).is_integer() else text
    if lang == "fr":
        return text.replace(",", "\u202f").replace(".", ",")
    return text


def student_views(item_type: ItemType, clean: Content,
                  anchor: str = "preview") -> list[StudentView]:
    """The French and English student views of validated content."""
    payload = payload_html(item_type.render(clean, seed=PREVIEW_SEED))
    points = float(clean.get("points", 1))
    shuffled = item_type.name in SHUFFLING_TYPES and bool(clean.get("shuffle", True))
    views = []
    for lang in LANGUAGES:
        with force_locale(lang):
            strings = exam_strings()
        words = strings["point"] if points == 1 else strings["points"]
        views.append(StudentView(lang=lang, item_type=item_type.name, render=payload,
                                 points=f"{number_text(points, lang)} {words}",
                                 strings=strings, shuffled=shuffled, anchor=anchor))
    return views


@dataclass(frozen=True)
class VariantPreview:
    """One variant of a parametrised item for its author: the parameters its generator gave
    for ``seed`` (the answer included: this is the teacher's page) and what students see."""

    seed: int
    params: dict[str, Any]
    views: list[StudentView]


def variant_previews(item_type: ItemType, content: Content, count: int = 3,
                     first_seed: int = 1) -> list[VariantPreview]:
    """``count`` variants of parametrised content, from ``first_seed`` on.

    :raises Invalid: the generator or one of these variants is wrong.
    """
    from item_bank import variants

    return [VariantPreview(seed, params, student_views(
                item_type, item_type.validate(variants.instantiate(content, params)),
                anchor=f"variant{seed}"))
            for seed, params in variants.preview_params(content, count, first_seed)]
