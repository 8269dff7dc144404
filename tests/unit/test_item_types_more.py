"""The richer item types: inline choice, matching, ordering, hot text, extended text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.errors import Invalid
from item_bank.registry import default_registry
from item_bank.types.base import Content, ItemType
from item_bank.types.extended_text import ExtendedText
from item_bank.types.hot_text import HotText
from item_bank.types.inline_choice import InlineChoice
from item_bank.types.matching import Matching
from item_bank.types.ordering import Ordering, longest_increasing


def labelled(*ids: str) -> list[dict[str, Any]]:
    return [{"id": i, "text": {"fr": f"texte {i}", "en": f"text {i}"}} for i in ids]


def refused(item: ItemType, content: Content) -> str:
    with pytest.raises(Invalid) as caught:
        item.validate(content)
    return str(caught.value.params["field"])


INLINE = {"text": {"fr": "Le {{g1}} se jette dans {{g2}}.",
                   "en": "The {{g1}} flows into {{g2}}."},
          "gaps": [{"id": "g1", "options": labelled("x", "y", "z"), "correct": "y"},
                   {"id": "g2", "options": labelled("u", "v"), "correct": "u"}],
          "points": 2}
MATCHING = {"stem": {"fr": "Associez", "en": "Match"},
            "premises": labelled("p1", "p2", "p3"),
            "responses": labelled("r1", "r2", "r3", "r4"),
            "pairs": {"p1": "r2", "p2": "r4", "p3": "r1"}, "points": 3}
ORDERING = {"stem": {"fr": "Ordonnez"},
            "items": [{"text": {"fr": f"étape {n}"}} for n in range(1, 6)], "points": 4}
HOT = {"stem": {"fr": "Sélectionnez les verbes"},
       "passage": {"fr": "Le chat [[s1:mange]] une [[s2:souris]] et [[s3:dort]].",
                   "en": "The cat [[s1:eats]] a [[s2:mouse]] and [[s3:sleeps]]."},
       "correct": ["s1", "s3"], "max_selections": 3, "points": 2}
ESSAY = {"stem": {"fr": "Décrivez"}, "expected_words": 150, "max_length": 2000,
         "rubric": {"fr": "CLEF-DU-CORRECTEUR", "en": "GRADER-SECRET"}, "points": 10}


def test_the_new_types_register_through_the_entry_points() -> None:
    names = set(default_registry().names())
    assert {"inline_choice", "matching", "ordering", "hot_text", "extended_text"} <= names
    for name in ("inline_choice", "matching", "ordering", "hot_text", "extended_text"):
        item_type = default_registry().get(name)
        assert item_type.render_schema["type"] == "object"
        assert "null" in item_type.response_schema["type"]


# -- inline choice ----------------------------------------------------------------------

def test_inline_choice_validation_names_the_field() -> None:
    item = InlineChoice()
    assert refused(item, {**INLINE, "gaps": []}) == "gaps"
    assert refused(item, {**INLINE, "text": {"fr": "Le {{g1}} seul."}}) == "text"
    assert refused(item, {**INLINE, "text": {"fr": "{{g1}} {{g1}} {{g2}}"}}) == "text"
    assert refused(item, {**INLINE, "text": {"fr": "{{g1}} {{g2}} {{g3}}"}}) == "text"
    bad_key = [{**INLINE["gaps"][0], "correct": "nope"}, INLINE["gaps"][1]]  # type: ignore[dict-item]
    assert refused(item, {**INLINE, "gaps": bad_key}) == "correct"
    twice = [INLINE["gaps"][0], INLINE["gaps"][0]]  # type: ignore[index]
    assert refused(item, {**INLINE, "gaps": twice}) == "gaps"
    one_option = [{"id": "g1", "options": labelled("x"), "correct": "x"}]
    assert refused(item, {**INLINE, "text": "{{g1}}", "gaps": one_option}) == "gaps"
    assert refused(item, {**INLINE, "points": 0}) == "points"
    unhashable = [{**INLINE["gaps"][0], "correct": ["y"]}, INLINE["gaps"][1]]  # type: ignore[dict-item]
    assert refused(item, {**INLINE, "gaps": unhashable}) == "correct"


def test_inline_choice_renders_no_key_and_shuffles_by_seed() -> None:
    item = InlineChoice()
    clean = item.validate(INLINE)
    payload = item.render(clean, 3)
    dump = json.dumps(payload)
    assert "correct" not in dump and '"y"' in dump  # the options, but no mark on any
    assert all(set(o) == {"id", "text"} for g in payload["gaps"] for o in g["options"])
    assert item.render(clean, 3) == payload
    orders = {tuple(o["id"] for o in item.render(clean, s)["gaps"][0]["options"])
              for s in range(30)}
    assert len(orders) > 1


def test_inline_choice_partial_credit_per_gap() -> None:
    item = InlineChoice()
    clean = item.validate(INLINE)
    full = item.score(clean, {"gaps": {"g1": "y", "g2": "u"}})
    assert full.correct and full.points == 2
    half = item.score(clean, {"gaps": {"g1": "y", "g2": "v"}})
    assert not half.correct and half.points == 1
    assert half.feedback["fr"] and half.feedback["en"]
    assert item.score(clean, {"gaps": {"g1": "y"}}).points == 1
    assert item.score(clean, None).points == 0
    item.check_response(clean, {"gaps": {"g1": "x"}})
    for bad in ({"gaps": {"g1": "u"}}, {"gaps": {"g9": "x"}}, {"gaps": ["y"]},
                {"gaps": {}, "x": 1}, "y", {"gaps": {"g1": 1}}):
        with pytest.raises(Invalid):
            item.check_response(clean, bad)


@given(st.dictionaries(st.sampled_from(["g1", "g2"]), st.sampled_from("xyzuv")))
def test_inline_choice_points_stay_in_bounds(gaps: dict[str, str]) -> None:
    item = InlineChoice()
    clean = item.validate(INLINE)
    score = item.score(clean, {"gaps": gaps})
    assert 0 <= score.points <= 2
    assert score.correct == (gaps == {"g1": "y", "g2": "u"})
    assert (score.points == 2) == score.correct


# -- matching ---------------------------------------------------------------------------

def test_matching_validation_names_the_field() -> None:
    item = Matching()
    assert refused(item, {**MATCHING, "pairs": {"p1": "r2", "p2": "r4"}}) == "pairs"
    assert refused(item, {**MATCHING, "pairs": {"p1": "r2", "p2": "r4", "p3": "zz"}}) == "pairs"
    assert refused(item, {**MATCHING, "responses": labelled("r1", "r2")}) == "responses"
    assert refused(item, {**MATCHING, "responses": labelled("p1", "r2", "r3", "r4")}) \
        == "responses"
    assert refused(item, {**MATCHING, "premises": labelled("p1", "p1")}) == "premises"
    assert refused(item, {**MATCHING, "premises": [{"id": "a b", "text": "x"}]}) == "premises"
    assert refused(item, {**MATCHING, "stem": ""}) == "stem"
    assert refused(item, {**MATCHING, "pairs": {"p1": ["r2"], "p2": "r4", "p3": "r1"}}) \
        == "pairs"


def test_matching_renders_no_pairs() -> None:
    item = Matching()
    clean = item.validate(MATCHING)
    payload = item.render(clean, 11)
    assert set(payload) == {"stem", "premises", "responses"}
    assert "pairs" not in json.dumps(payload)
    assert {p["id"] for p in payload["premises"]} == {"p1", "p2", "p3"}
    assert len(payload["responses"]) == 4
    seen = {(tuple(p["id"] for p in item.render(clean, s)["premises"]),
             tuple(r["id"] for r in item.render(clean, s)["responses"])) for s in range(30)}
    assert len(seen) > 1


def test_matching_partial_credit_per_pair() -> None:
    item = Matching()
    clean = item.validate(MATCHING)
    assert item.score(clean, {"pairs": {"p1": "r2", "p2": "r4", "p3": "r1"}}).points == 3
    two = item.score(clean, {"pairs": {"p1": "r2", "p2": "r4", "p3": "r3"}})
    assert two.points == 2 and not two.correct
    assert item.score(clean, {"pairs": {"p1": "r2"}}).points == 1
    assert item.score(clean, None).points == 0
    for bad in ({"pairs": {"p1": "p2"}}, {"pairs": {"r1": "r2"}}, {"pairs": [["p1", "r2"]]},
                {"choice": "r1"}):
        with pytest.raises(Invalid):
            item.check_response(clean, bad)


@given(st.dictionaries(st.sampled_from(["p1", "p2", "p3"]), st.sampled_from(["r1", "r2", "r3",
                                                                            "r4"])))
def test_matching_points_stay_in_bounds(pairs: dict[str, str]) -> None:
    item = Matching()
    clean = item.validate(MATCHING)
    item.check_response(clean, {"pairs": pairs})
    score = item.score(clean, {"pairs": pairs})
    assert 0 <= score.points <= 3
    assert score.correct == (pairs == MATCHING["pairs"]) == (score.points == 3)


# -- ordering ---------------------------------------------------------------------------

def test_ordering_validation_names_the_field() -> None:
    item = Ordering()
    assert refused(item, {**ORDERING, "items": ORDERING["items"][:1]}) == "items"  # type: ignore[index]
    assert refused(item, {**ORDERING, "items": labelled("a", "a")}) == "items"
    assert refused(item, {**ORDERING, "items": [{"text": "x"}, {"text": "x"}]}) == "items"
    assert refused(item, {**ORDERING, "scoring": "per_whim"}) == "scoring"


def test_ordering_render_is_shuffled_and_carries_no_position() -> None:
    item = Ordering()
    clean = item.validate(ORDERING)
    key = [i["id"] for i in clean["items"]]
    for seed in [None, *range(200)]:
        payload = item.render(clean, seed)
        assert [i["id"] for i in payload["items"]] != key
        assert all(set(i) == {"id", "text"} for i in payload["items"])
    # Ids left out by the author are not positional ("a", "b", "1", ...).
    assert not any(i in key for i in ("a", "b", "1", "0"))
    dump = json.dumps(item.render(clean, 5))
    assert "position" not in dump and "rank" not in dump and "order" not in dump


def test_ordering_subsequence_and_all_or_nothing() -> None:
    item = Ordering()
    clean = item.validate(ORDERING)
    key = [i["id"] for i in clean["items"]]
    assert item.score(clean, {"order": key}).points == 4
    one_moved = key[1:] + key[:1]  # four of five still in order
    assert item.score(clean, {"order": one_moved}).points == 3
    assert item.score(clean, {"order": key[::-1]}).points == 0
    strict = item.validate({**ORDERING, "scoring": "all_or_nothing"})
    assert item.score(strict, {"order": one_moved}).points == 0
    assert item.score(strict, {"order": key}).correct
    with pytest.raises(Invalid):
        item.check_response(clean, {"order": key[:-1]})
    with pytest.raises(Invalid):
        item.check_response(clean, {"order": [*key[:-1], key[0]]})


@given(st.permutations(range(5)), st.sampled_from(["subsequence", "all_or_nothing"]))
def test_ordering_points_stay_in_bounds(permutation: list[int], mode: str) -> None:
    item = Ordering()
    clean = item.validate({**ORDERING, "scoring": mode})
    key = [i["id"] for i in clean["items"]]
    order = [key[n] for n in permutation]
    item.check_response(clean, {"order": order})
    score = item.score(clean, {"order": order})
    assert 0 <= score.points <= 4
    assert score.correct == (order == key) == (score.points == 4)


def test_longest_increasing() -> None:
    assert longest_increasing([]) == 0
    assert longest_increasing([3, 1, 2, 5, 4]) == 3


# -- hot text ---------------------------------------------------------------------------

def test_hot_text_validation_names_the_field() -> None:
    item = HotText()
    assert refused(item, {**HOT, "passage": "Pas de [[s1:zone]] ici."}) == "passage"
    assert refused(item, {**HOT, "passage": {"fr": "[[s1:a]] [[s1:b]]"}}) == "passage"
    assert refused(item, {**HOT, "passage": {"fr": HOT["passage"]["fr"],  # type: ignore[index]
                                             "en": "[[s1:eats]] [[s2:mouse]]"}}) == "passage"
    assert refused(item, {**HOT, "correct": ["s9"]}) == "correct"
    assert refused(item, {**HOT, "correct": []}) == "correct"
    assert refused(item, {**HOT, "correct": [["s1"]]}) == "correct"
    assert refused(item, {**HOT, "max_selections": 1}) == "max_selections"
    assert refused(item, {**HOT, "max_selections": 4}) == "max_selections"


def test_hot_text_renders_spans_without_marks() -> None:
    item = HotText()
    clean = item.validate(HOT)
    payload = item.render(clean, 1)
    dump = json.dumps(payload)
    assert "correct" not in dump and "[[" not in dump
    spans = [s for s in payload["passage"]["fr"] if "id" in s]
    assert [s["id"] for s in spans] == ["s1", "s2", "s3"]
    assert all(set(s) == {"id", "text"} for s in spans)
    assert "".join(s["text"] for s in payload["passage"]["fr"]) == \
        "Le chat mange une souris et dort."


def test_hot_text_right_minus_wrong() -> None:
    item = HotText()
    clean = item.validate(HOT)
    assert item.score(clean, {"selected": ["s1", "s3"]}).points == 2
    assert item.score(clean, {"selected": ["s1"]}).points == 1
    assert item.score(clean, {"selected": ["s1", "s2"]}).points == 0
    assert item.score(clean, {"selected": ["s2"]}).points == 0
    assert item.score(clean, None).points == 0
    limited = item.validate({**HOT, "max_selections": 2})
    with pytest.raises(Invalid):
        item.check_response(limited, {"selected": ["s1", "s2", "s3"]})
    assert item.score(limited, {"selected": ["s1", "s2", "s3"]}).points == 0


@given(st.lists(st.sampled_from(["s1", "s2", "s3"]), unique=True))
def test_hot_text_points_stay_in_bounds(selected: list[str]) -> None:
    item = HotText()
    clean = item.validate(HOT)
    item.check_response(clean, {"selected": selected})
    score = item.score(clean, {"selected": selected})
    assert 0 <= score.points <= 2
    assert score.correct == (set(selected) == {"s1", "s3"}) == (score.points == 2)


# -- extended text ----------------------------------------------------------------------

def test_extended_text_validation_names_the_field() -> None:
    item = ExtendedText()
    assert refused(item, {**ESSAY, "max_length": 0}) == "max_length"
    assert refused(item, {**ESSAY, "max_length": 10**6}) == "max_length"
    assert refused(item, {**ESSAY, "expected_words": "many"}) == "expected_words"
    assert refused(item, {**ESSAY, "rubric": 3}) == "rubric"
    assert refused(item, {**ESSAY, "stem": None}) == "stem"


def test_extended_text_hides_the_rubric_and_awaits_a_grader() -> None:
    item = ExtendedText()
    clean = item.validate(ESSAY)
    dump = json.dumps(item.render(clean, 1))
    assert "CLEF" not in dump and "SECRET" not in dump and "rubric" not in dump
    score = item.score(clean, {"text": "Une réponse."})
    assert score.manual and score.points == 0 and score.max_points == 10
    unanswered = item.score(clean, None)
    assert not unanswered.manual and unanswered.points == 0
    item.check_response(clean, {"text": "x" * 2000})
    for bad in ({"text": "x" * 2001}, {"text": 3}, {"value": "x"}):
        with pytest.raises(Invalid):
            item.check_response(clean, bad)


@given(st.one_of(st.none(), st.text(max_size=50).map(lambda t: {"text": t})))
def test_extended_text_never_scores_by_itself(response: dict[str, str] | None) -> None:
    item = ExtendedText()
    score = item.score(item.validate(ESSAY), response)
    assert score.points == 0 and score.max_points == 10
    assert score.manual == bool(response and response["text"].strip())


# -- any input: a clear refusal, never a crash ---------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
EXAMPLES = [(InlineChoice(), INLINE), (Matching(), MATCHING), (Ordering(), ORDERING),
            (HotText(), HOT), (ExtendedText(), ESSAY)]


@given(st.sampled_from(range(len(EXAMPLES))), st.sampled_from(
    ["gaps", "text", "correct", "premises", "responses", "pairs", "items", "scoring", "passage",
     "max_selections", "max_length", "expected_words", "rubric", "stem", "points"]), JSON)
def test_any_authored_field_is_refused_cleanly(index: int, key: str, value: object) -> None:
    item, content = EXAMPLES[index]
    try:
        item.validate({**content, key: value})
    except Invalid as error:
        assert error.params["field"]


@given(st.sampled_from(range(len(EXAMPLES))), JSON)
def test_any_response_is_checked_and_scored_without_crashing(index: int, response: object) -> None:
    item, content = EXAMPLES[index]
    clean = item.validate(content)
    try:
        item.check_response(clean, response)
    except Invalid:
        pass
    score = item.score(clean, response)
    assert 0 <= score.points <= score.max_points
    if response is None:
        assert score.points == 0 and not score.correct and not score.manual
