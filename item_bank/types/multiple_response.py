"""Multiple response: several correct options, partial credit by right minus wrong."""

from __future__ import annotations

from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import (
    OPTION_SCHEMA,
    STEM_SCHEMA,
    Content,
    ItemType,
    Score,
    points_of,
    shuffled_options,
    text_map,
    validate_options,
)


class MultipleResponse(ItemType):
    name = "multiple_response"
    render_schema = {
        "type": "object",
        "required": ["stem", "options"],
        "properties": {"stem": STEM_SCHEMA, "options": {"type": "array", "items": OPTION_SCHEMA}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["choices"],
        "properties": {"choices": {"type": "array", "items": {"type": "string"},
                                   "uniqueItems": True}},
    }

    def validate(self, content: Content) -> Content:
        options = validate_options(content)
        ids = {o["id"] for o in options}
        correct = content.get("correct")
        if not isinstance(correct, list) or not correct or \
                not all(isinstance(c, str) for c in correct) or not set(correct) <= ids or \
                len(set(correct)) != len(correct):
            raise Invalid("item_invalid", field="correct")
        return {
            "stem": text_map(content.get("stem"), "stem"),
            "options": options,
            "correct": sorted(correct),
            "points": points_of(content),
            "shuffle": bool(content.get("shuffle", True)),
        }

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"], "options": shuffled_options(content, seed)}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        ids = {o["id"] for o in content["options"]}
        choices = response.get("choices") if isinstance(response, dict) else None
        if set(response or {}) != {"choices"} or not isinstance(choices, list) or \
                not all(isinstance(c, str) and c in ids for c in choices) or \
                len(set(choices)) != len(choices):
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        chosen = set(response.get("choices", [])) if isinstance(response, dict) else set()
        correct = set(content["correct"])
        right = len(chosen & correct)
        wrong = len(chosen - correct)
        fraction = max(0.0, (right - wrong) / len(correct))
        return Score(round(points * fraction, 4), points, chosen == correct)
