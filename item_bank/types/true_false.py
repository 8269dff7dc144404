"""True or false: a statement the student judges."""

from __future__ import annotations

from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map


class TrueFalse(ItemType):
    name = "true_false"
    render_schema = {
        "type": "object",
        "required": ["stem"],
        "properties": {"stem": STEM_SCHEMA},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["value"],
        "properties": {"value": {"type": "boolean"}},
    }

    def validate(self, content: Content) -> Content:
        if not isinstance(content.get("correct"), bool):
            raise Invalid("item_invalid", field="correct")
        return {
            "stem": text_map(content.get("stem"), "stem"),
            "correct": content["correct"],
            "points": points_of(content),
        }

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"]}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"value"} or \
                not isinstance(response["value"], bool):
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        right = isinstance(response, dict) and response.get("value") is content["correct"]
        return Score(points if right else 0.0, points, right)
