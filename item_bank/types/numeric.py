"""Numeric answer with an absolute or relative tolerance; a decimal comma is accepted."""

from __future__ import annotations

import math
from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map


def parse_number(value: Any) -> float | None:
    """A float from a number or from text such as ``"3,14"`` or ``" 1 250,5 "``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


class Numeric(ItemType):
    name = "numeric"
    render_schema = {
        "type": "object",
        "required": ["stem"],
        "properties": {"stem": STEM_SCHEMA, "unit": {"type": "string"}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["value"],
        "properties": {"value": {"type": "string", "description": "as typed; '3,14' or '3.14'"}},
    }

    def validate(self, content: Content) -> Content:
        answer = parse_number(content.get("answer"))
        tolerance = parse_number(content.get("tolerance", 0))
        mode = content.get("tolerance_mode", "absolute")
        if answer is None:
            raise Invalid("item_invalid", field="answer")
        if tolerance is None or tolerance < 0 or mode not in ("absolute", "relative"):
            raise Invalid("item_invalid", field="tolerance")
        clean: Content = {
            "stem": text_map(content.get("stem"), "stem"),
            "answer": answer,
            "tolerance": tolerance,
            "tolerance_mode": mode,
            "points": points_of(content),
        }
        if content.get("unit"):
            clean["unit"] = str(content["unit"])
        return clean

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"stem": content["stem"]}
        if content.get("unit"):
            payload["unit"] = content["unit"]
        return payload

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"value"} or \
                not isinstance(response["value"], str | int | float) or \
                isinstance(response["value"], bool) or len(str(response["value"])) > 64:
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        value = parse_number(response.get("value")) if isinstance(response, dict) else None
        if value is None:
            return Score(0.0, points, False)
        answer, tolerance = content["answer"], content["tolerance"]
        if content["tolerance_mode"] == "relative":
            tolerance = abs(answer) * tolerance
        # A hair of slack so that 0.1 + 0.2 style representation errors do not fail a student.
        right = abs(value - answer) <= tolerance + 1e-9 * max(1.0, abs(answer))
        return Score(points if right else 0.0, points, right)
