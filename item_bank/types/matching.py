"""Matching: each premise is paired with one response; there may be more responses."""

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
    text_map,
)
from item_bank.types.parts import count_feedback, fraction_points, labelled_list, shuffled


class Matching(ItemType):
    name = "matching"
    render_schema = {
        "type": "object",
        "required": ["stem", "premises", "responses"],
        "properties": {"stem": STEM_SCHEMA,
                       "premises": {"type": "array", "items": OPTION_SCHEMA},
                       "responses": {"type": "array", "items": OPTION_SCHEMA}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["pairs"],
        "properties": {"pairs": {"type": "object", "description": "premise id -> response id; "
                                 "an unmatched premise is left out",
                                 "additionalProperties": {"type": "string"}}},
    }

    def validate(self, content: Content) -> Content:
        premises = labelled_list(content.get("premises"), "premises", minimum=1)
        responses = labelled_list(content.get("responses"), "responses")
        premise_ids = {p["id"] for p in premises}
        response_ids = {r["id"] for r in responses}
        if len(responses) < len(premises) or premise_ids & response_ids:
            raise Invalid("item_invalid", field="responses")
        pairs = content.get("pairs")
        # One response per premise; a response may serve several premises or none.
        if not isinstance(pairs, dict) or set(pairs) != premise_ids or \
                not all(isinstance(v, str) and v in response_ids for v in pairs.values()):
            raise Invalid("item_invalid", field="pairs")
        return {
            "stem": text_map(content.get("stem"), "stem"),
            "premises": premises,
            "responses": responses,
            "pairs": dict(sorted(pairs.items())),
            "points": points_of(content),
        }

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        # Always shuffled: the authored order of the lists could line the pairs up.
        seed = 0 if seed is None else seed
        return {"stem": content["stem"],
                "premises": shuffled(content["premises"], seed, "premises"),
                "responses": shuffled(content["responses"], seed, "responses")}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        premise_ids = {p["id"] for p in content["premises"]}
        response_ids = {r["id"] for r in content["responses"]}
        pairs = response.get("pairs") if isinstance(response, dict) else None
        if not isinstance(response, dict) or set(response) != {"pairs"} or \
                not isinstance(pairs, dict) or not set(pairs) <= premise_ids or \
                not all(isinstance(v, str) and v in response_ids for v in pairs.values()):
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        given = response.get("pairs") if isinstance(response, dict) else None
        given = given if isinstance(given, dict) else {}
        key = content["pairs"]
        right = sum(1 for premise, answer in key.items() if given.get(premise) == answer)
        return Score(fraction_points(points, right / len(key)), points, right == len(key),
                     count_feedback(right, len(key)))
