"""Short text: the response matches one of the accepted answers."""

from __future__ import annotations

import unicodedata
from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map


def normalise(text: str, case_sensitive: bool, ignore_accents: bool) -> str:
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if not case_sensitive:
        text = text.casefold()
    if ignore_accents:
        decomposed = unicodedata.normalize("NFD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text


class ShortText(ItemType):
    name = "short_text"
    render_schema = {
        "type": "object",
        "required": ["stem"],
        "properties": {"stem": STEM_SCHEMA, "max_length": {"type": "integer"}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["text"],
        "properties": {"text": {"type": "string", "maxLength": 500}},
    }

    def validate(self, content: Content) -> Content:
        answers = content.get("answers")
        if isinstance(answers, str):
            answers = [a for a in answers.split("\n")]
        if not isinstance(answers, list):
            raise Invalid("item_invalid", field="answers")
        answers = [a.strip() for a in answers if isinstance(a, str) and a.strip()]
        if not answers:
            raise Invalid("item_invalid", field="answers")
        return {
            "stem": text_map(content.get("stem"), "stem"),
            "answers": answers,
            "case_sensitive": bool(content.get("case_sensitive", False)),
            "ignore_accents": bool(content.get("ignore_accents", False)),
            "points": points_of(content),
        }

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"], "max_length": 500}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"text"} or \
                not isinstance(response["text"], str) or len(response["text"]) > 500:
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        if not isinstance(response, dict) or not isinstance(response.get("text"), str):
            return Score(0.0, points, False)
        flags = (content["case_sensitive"], content["ignore_accents"])
        given = normalise(response["text"], *flags)
        right = bool(given) and any(normalise(a, *flags) == given for a in content["answers"])
        return Score(points if right else 0.0, points, right)
