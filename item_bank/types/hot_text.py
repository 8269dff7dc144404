"""Hot text: select words or phrases in a passage whose selectable spans are marked.

The passage is authored with spans written ``[[span_id:words]]``; the same span
ids appear in every language. Partial credit: right selections minus wrong ones,
floored at 0.
"""

from __future__ import annotations

import re
from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map
from item_bank.types.parts import count_feedback, fraction_points

SPAN = re.compile(r"\[\[([A-Za-z0-9_-]{1,40}):([^\[\]]+?)\]\]")


def segments(passage: str) -> list[dict[str, str]]:
    """``[{"text"}, {"id", "text"}, ...]``: plain runs and selectable spans, in order."""
    parts: list[dict[str, str]] = []
    at = 0
    for match in SPAN.finditer(passage):
        if match.start() > at:
            parts.append({"text": passage[at:match.start()]})
        parts.append({"id": match.group(1), "text": match.group(2)})
        at = match.end()
    if at < len(passage):
        parts.append({"text": passage[at:]})
    return parts


SEGMENT_SCHEMA = {"type": "object", "required": ["text"],
                  "properties": {"id": {"type": "string", "description": "present on a "
                                        "selectable span"}, "text": {"type": "string"}}}


class HotText(ItemType):
    name = "hot_text"
    render_schema = {
        "type": "object",
        "required": ["stem", "passage", "max_selections"],
        "properties": {
            "stem": STEM_SCHEMA,
            "passage": {"type": "object", "description": "per language (fr, en): the passage "
                        "as runs and selectable spans, each text sanitised inline HTML",
                        "additionalProperties": {"type": "array", "items": SEGMENT_SCHEMA}},
            "max_selections": {"type": "integer"},
        },
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["selected"],
        "properties": {"selected": {"type": "array", "items": {"type": "string"},
                                    "uniqueItems": True, "description": "span ids"}},
    }

    def validate(self, content: Content) -> Content:
        passage = text_map(content.get("passage"), "passage")
        span_ids: list[str] | None = None
        for version in passage.values():
            ids = [s["id"] for s in segments(version) if "id" in s]
            if len(ids) < 2 or len(set(ids)) != len(ids) or \
                    (span_ids is not None and sorted(ids) != sorted(span_ids)):
                raise Invalid("item_invalid", field="passage")
            span_ids = ids
        assert span_ids is not None
        correct = content.get("correct")
        if not isinstance(correct, list) or not correct or \
                not all(isinstance(c, str) for c in correct) or \
                len(set(correct)) != len(correct) or not set(correct) <= set(span_ids):
            raise Invalid("item_invalid", field="correct")
        limit = content.get("max_selections", len(span_ids))
        if isinstance(limit, bool) or not isinstance(limit, int) or \
                not len(correct) <= limit <= len(span_ids):
            raise Invalid("item_invalid", field="max_selections")
        return {"stem": text_map(content.get("stem"), "stem"), "passage": passage,
                "correct": sorted(correct), "max_selections": limit,
                "points": points_of(content)}

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"],
                "passage": {lang: segments(text) for lang, text in content["passage"].items()},
                "max_selections": content["max_selections"]}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        ids = {s["id"] for s in segments(next(iter(content["passage"].values()))) if "id" in s}
        selected = response.get("selected") if isinstance(response, dict) else None
        if not isinstance(response, dict) or set(response) != {"selected"} or \
                not isinstance(selected, list) or len(selected) > content["max_selections"] or \
                not all(isinstance(s, str) and s in ids for s in selected) or \
                len(set(selected)) != len(selected):
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        selected = response.get("selected") if isinstance(response, dict) else None
        chosen = {s for s in selected if isinstance(s, str)} \
            if isinstance(selected, list) else set()
        if len(chosen) > content["max_selections"]:
            chosen = set()  # over the limit: the shape check refuses it; never reward it
        correct = set(content["correct"])
        right, wrong = len(chosen & correct), len(chosen - correct)
        return Score(fraction_points(points, (right - wrong) / len(correct)), points,
                     chosen == correct, count_feedback(right, len(correct)))
