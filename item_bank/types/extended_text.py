"""Extended text (essay): checked for shape here, marked by a person against a rubric."""

from __future__ import annotations

from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map

DEFAULT_MAX_LENGTH = 10_000
LONGEST = 50_000


class ExtendedText(ItemType):
    name = "extended_text"
    render_schema = {
        "type": "object",
        "required": ["stem", "max_length"],
        "properties": {"stem": STEM_SCHEMA, "max_length": {"type": "integer"},
                       "expected_words": {"type": "integer",
                                          "description": "guidance shown to the student"}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["text"],
        "properties": {"text": {"type": "string", "maxLength": LONGEST}},
    }

    def validate(self, content: Content) -> Content:
        max_length = content.get("max_length", DEFAULT_MAX_LENGTH)
        if isinstance(max_length, bool) or not isinstance(max_length, int) or \
                not 1 <= max_length <= LONGEST:
            raise Invalid("item_invalid", field="max_length")
        clean: Content = {"stem": text_map(content.get("stem"), "stem"),
                          "max_length": max_length, "points": points_of(content)}
        words = content.get("expected_words")
        if words is not None:
            if isinstance(words, bool) or not isinstance(words, int) or words < 1:
                raise Invalid("item_invalid", field="expected_words")
            clean["expected_words"] = words
        if content.get("rubric") is not None:
            clean["rubric"] = text_map(content["rubric"], "rubric")  # for graders only
        return clean

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"stem": content["stem"], "max_length": content["max_length"]}
        if content.get("expected_words"):
            payload["expected_words"] = content["expected_words"]
        return payload

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"text"} or \
                not isinstance(response["text"], str) or \
                len(response["text"]) > content["max_length"]:
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        text = response.get("text") if isinstance(response, dict) else None
        if not isinstance(text, str) or not text.strip():
            return Score(0.0, points, False)  # nothing written: nothing to mark
        return Score(0.0, points, False, {"fr": "En attente de correction.",
                                          "en": "Awaiting marking."}, manual=True)
