"""Single choice: one correct option among several."""

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


class SingleChoice(ItemType):
    name = "single_choice"
    render_schema = {
        "type": "object",
        "required": ["stem", "options"],
        "properties": {"stem": STEM_SCHEMA, "options": {"type": "array", "items": OPTION_SCHEMA}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["choice"],
        "properties": {"choice": {"type": "string", "description": "the chosen option id"}},
    }

    def validate(self, content: Content) -> Content:
        options = validate_options(content)
        correct = content.get("correct")
        if not isinstance(correct, str) or correct not in {o["id"] for o in options}:
            raise Invalid("item_invalid", field="correct")
        return {
            "stem": text_map(content.get("stem"), "stem"),
            "options": options,
            "correct": correct,
            "points": points_of(content),
            "shuffle": bool(content.get("shuffle", True)),
        }

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"], "options": shuffled_options(content, seed)}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        ids = {o["id"] for o in content["options"]}
        if not isinstance(response, dict) or set(response) != {"choice"} or \
                response["choice"] not in ids:
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        right = isinstance(response, dict) and response.get("choice") == content["correct"]
        return Score(points if right else 0.0, points, right)
