"""Inline choice: a text with gaps such as ``{{gap1}}``, each gap a list of options."""

from __future__ import annotations

import re
from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import (
    OPTION_SCHEMA,
    STEM_SCHEMA,
    Content,
    ItemType,
    Score,
    points_of,
    text_map,
)
from item_bank.types.parts import (
    count_feedback,
    fraction_points,
    labelled_list,
    part_id,
    shuffled,
)

GAP_MARKER = re.compile(r"\{\{\s*([A-Za-z0-9_-]{1,40})\s*\}\}")


def gap_ids_in(text: str) -> list[str]:
    return GAP_MARKER.findall(text)


class InlineChoice(ItemType):
    name = "inline_choice"
    render_schema = {
        "type": "object",
        "required": ["text", "gaps"],
        "properties": {
            "stem": STEM_SCHEMA,
            "text": {**STEM_SCHEMA, "description": "Text per language, sent as sanitised "
                     "HTML; each gap appears once as {{gap_id}} in the HTML's text."},
            "gaps": {"type": "array", "items": {
                "type": "object", "required": ["id", "options"],
                "properties": {"id": {"type": "string"},
                               "options": {"type": "array", "items": OPTION_SCHEMA}}}},
        },
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["gaps"],
        "properties": {"gaps": {"type": "object", "description": "gap id -> chosen option id; "
                                "an unanswered gap is left out",
                                "additionalProperties": {"type": "string"}}},
    }

    def validate(self, content: Content) -> Content:
        gaps = content.get("gaps")
        if not isinstance(gaps, list) or not gaps or len(gaps) > 50:
            raise Invalid("item_invalid", field="gaps")
        clean_gaps = []
        for gap in gaps:
            if not isinstance(gap, dict):
                raise Invalid("item_invalid", field="gaps")
            options = labelled_list(gap.get("options"), "gaps")
            if not isinstance(gap.get("correct"), str) or \
                    gap["correct"] not in {o["id"] for o in options}:
                raise Invalid("item_invalid", field="correct")
            clean_gaps.append({"id": part_id(gap.get("id"), "gaps"), "options": options,
                               "correct": gap["correct"]})
        ids = [g["id"] for g in clean_gaps]
        if len(set(ids)) != len(ids):
            raise Invalid("item_invalid", field="gaps")
        text = text_map(content.get("text"), "text")
        for version in text.values():
            # Every gap exactly once in each language, and no marker without its gap.
            if sorted(gap_ids_in(version)) != sorted(ids):
                raise Invalid("item_invalid", field="text")
        clean: Content = {"text": text, "gaps": clean_gaps, "points": points_of(content),
                          "shuffle": bool(content.get("shuffle", True))}
        if content.get("stem") is not None:
            clean["stem"] = text_map(content.get("stem"), "stem")
        return clean

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        order_seed = seed if content.get("shuffle", True) else None
        payload: dict[str, Any] = {
            "text": content["text"],
            "gaps": [{"id": g["id"], "options": shuffled(g["options"], order_seed, g["id"])}
                     for g in content["gaps"]],
        }
        if content.get("stem"):
            payload["stem"] = content["stem"]
        return payload

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        options = {g["id"]: {o["id"] for o in g["options"]} for g in content["gaps"]}
        gaps = response.get("gaps") if isinstance(response, dict) else None
        if not isinstance(response, dict) or set(response) != {"gaps"} or \
                not isinstance(gaps, dict) or \
                not all(isinstance(v, str) and v in options.get(k, ()) for k, v in gaps.items()):
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        given = response.get("gaps") if isinstance(response, dict) else None
        given = given if isinstance(given, dict) else {}
        total = len(content["gaps"])
        right = sum(1 for g in content["gaps"] if given.get(g["id"]) == g["correct"])
        return Score(fraction_points(points, right / total), points, right == total,
                     count_feedback(right, total))
