"""Ordering: put the items in the authored order.

Scoring modes: ``subsequence`` (the default) gives credit for the longest run of
items already in the right relative order, ``(L - 1) / (n - 1)`` so that a fully
reversed answer scores 0; ``all_or_nothing`` gives the points only for the exact order.
"""

from __future__ import annotations

import bisect
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

MODES = ("subsequence", "all_or_nothing")


def longest_increasing(ranks: list[int]) -> int:
    """Length of the longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []
    for rank in ranks:
        at = bisect.bisect_left(tails, rank)
        if at == len(tails):
            tails.append(rank)
        else:
            tails[at] = rank
    return len(tails)


class Ordering(ItemType):
    name = "ordering"
    render_schema = {
        "type": "object",
        "required": ["stem", "items"],
        "properties": {"stem": STEM_SCHEMA,
                       "items": {"type": "array", "items": OPTION_SCHEMA,
                                 "description": "in a shuffled order that is never the key"}},
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["order"],
        "properties": {"order": {"type": "array", "items": {"type": "string"},
                                 "uniqueItems": True,
                                 "description": "every item id, first to last"}},
    }

    def validate(self, content: Content) -> Content:
        # Ids left out are derived from the text: positional ids would give the key away.
        items = labelled_list(content.get("items"), "items", opaque_ids=True)
        mode = content.get("scoring", "subsequence")
        if mode not in MODES:
            raise Invalid("item_invalid", field="scoring")
        return {"stem": text_map(content.get("stem"), "stem"), "items": items,
                "scoring": mode, "points": points_of(content)}

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        items = shuffled(content["items"], 0 if seed is None else seed, "items")
        if [i["id"] for i in items] == [i["id"] for i in content["items"]]:
            items = items[1:] + items[:1]  # never show the key itself
        return {"stem": content["stem"], "items": items}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        ids = [i["id"] for i in content["items"]]
        order = response.get("order") if isinstance(response, dict) else None
        if not isinstance(response, dict) or set(response) != {"order"} or \
                not isinstance(order, list) or len(order) != len(ids) or \
                not all(isinstance(i, str) for i in order) or sorted(order) != sorted(ids):
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        key = [i["id"] for i in content["items"]]
        order = response.get("order") if isinstance(response, dict) else None
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(key):
            return Score(0.0, points, False)
        if order == key:
            return Score(points, points, True, count_feedback(len(key), len(key)))
        if content["scoring"] == "all_or_nothing":
            return Score(0.0, points, False)
        rank = {item_id: index for index, item_id in enumerate(key)}
        run = longest_increasing([rank[i] for i in order])
        return Score(fraction_points(points, (run - 1) / (len(key) - 1)), points, False,
                     count_feedback(run, len(key)))
