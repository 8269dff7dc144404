"""Each item type: validation, rendering without the key, scoring with partial credit."""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ardoise.errors import Invalid
from item_bank.registry import default_registry
from item_bank.types.multiple_response import MultipleResponse
from item_bank.types.numeric import Numeric, parse_number
from item_bank.types.short_text import ShortText
from item_bank.types.single_choice import SingleChoice
from item_bank.types.true_false import TrueFalse
from tests.factories import ITEMS, RIGHT, WRONG


def options(*ids: str) -> list[dict[str, object]]:
    return [{"id": i, "text": {"fr": f"choix {i}", "en": f"choice {i}"}} for i in ids]


@pytest.mark.parametrize("index", range(len(ITEMS)))
def test_right_and_wrong_answers(index: int) -> None:
    kind, content = ITEMS[index]
    item_type = default_registry().get(kind)
    clean = item_type.validate(content)
    right = item_type.score(clean, RIGHT[index])
    wrong = item_type.score(clean, WRONG[index])
    assert right.correct and right.points == right.max_points == clean["points"]
    assert not wrong.correct and wrong.points == 0
    assert item_type.score(clean, None).points == 0


@pytest.mark.parametrize("index", range(len(ITEMS)))
def test_render_never_contains_the_key(index: int) -> None:
    kind, content = ITEMS[index]
    item_type = default_registry().get(kind)
    clean = item_type.validate(content)
    payload = json.dumps(item_type.render(clean, 7))
    for secret in ("correct", "answer", "answers", "tolerance", "Saint-Laurent", "3.1416"):
        assert secret not in payload


def test_single_choice_validation_names_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        SingleChoice().validate({"stem": "?", "options": options("a", "b"), "correct": "z"})
    assert caught.value.params["field"] == "correct"
    with pytest.raises(Invalid):
        SingleChoice().validate({"stem": "?", "options": options("a"), "correct": "a"})
    with pytest.raises(Invalid):
        SingleChoice().validate({"stem": "", "options": options("a", "b"), "correct": "a"})


def test_multiple_response_partial_credit() -> None:
    item = MultipleResponse()
    clean = item.validate({"stem": "?", "options": options("a", "b", "c", "d"),
                           "correct": ["a", "b", "c"], "points": 3})
    assert item.score(clean, {"choices": ["a", "b", "c"]}).points == 3
    assert item.score(clean, {"choices": ["a", "b"]}).points == 2
    assert item.score(clean, {"choices": ["a", "d"]}).points == 0
    assert item.score(clean, {"choices": ["d"]}).points == 0
    assert not item.score(clean, {"choices": ["a", "b"]}).correct


@given(st.sets(st.sampled_from("abcdef")))
def test_multiple_response_points_stay_in_bounds(chosen: set[str]) -> None:
    item = MultipleResponse()
    clean = item.validate({"stem": "?", "options": options(*"abcdef"),
                           "correct": ["a", "c", "e"], "points": 2})
    score = item.score(clean, {"choices": sorted(chosen)})
    assert 0 <= score.points <= 2
    assert score.correct == (chosen == {"a", "c", "e"})


def test_true_false_needs_a_boolean_key() -> None:
    with pytest.raises(Invalid):
        TrueFalse().validate({"stem": "?", "correct": "yes"})
    clean = TrueFalse().validate({"stem": "?", "correct": False})
    assert TrueFalse().score(clean, {"value": False}).correct
    with pytest.raises(Invalid):
        TrueFalse().check_response(clean, {"value": "false"})


def test_numeric_tolerance_and_decimal_comma() -> None:
    item = Numeric()
    absolute = item.validate({"stem": "?", "answer": "12,5", "tolerance": "0,1"})
    assert item.score(absolute, {"value": "12,58"}).correct
    assert item.score(absolute, {"value": " 12.4 "}).correct
    assert not item.score(absolute, {"value": "12.7"}).correct
    assert not item.score(absolute, {"value": "douze"}).correct
    relative = item.validate({"stem": "?", "answer": 200, "tolerance": 0.05,
                              "tolerance_mode": "relative"})
    assert item.score(relative, {"value": "209"}).correct
    assert not item.score(relative, {"value": "211"}).correct
    with pytest.raises(Invalid):
        item.validate({"stem": "?", "answer": "x"})
    with pytest.raises(Invalid):
        item.validate({"stem": "?", "answer": 1, "tolerance": -1})


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_numeric_exact_answer_always_right(value: float) -> None:
    item = Numeric()
    clean = item.validate({"stem": "?", "answer": value, "tolerance": 0})
    assert item.score(clean, {"value": repr(value)}).correct


def test_parse_number_refuses_nonsense() -> None:
    assert parse_number("1 250,5") == 1250.5
    assert parse_number(True) is None
    assert parse_number("inf") is None
    assert parse_number([1]) is None


def test_short_text_rules() -> None:
    item = ShortText()
    loose = item.validate({"stem": "?", "answers": ["Québec"], "ignore_accents": True})
    assert item.score(loose, {"text": "  quebec "}).correct
    strict = item.validate({"stem": "?", "answers": ["Québec"], "case_sensitive": True})
    assert item.score(strict, {"text": "Québec"}).correct
    assert not item.score(strict, {"text": "québec"}).correct
    assert not item.score(strict, {"text": "Quebec"}).correct
    assert not item.score(loose, {"text": ""}).correct


@given(st.text(max_size=40))
def test_short_text_never_crashes(text: str) -> None:
    item = ShortText()
    clean = item.validate({"stem": "?", "answers": ["Saint-Laurent"]})
    score = item.score(clean, {"text": text})
    assert score.points in (0.0, 1.0)


def test_response_shapes_are_checked() -> None:
    clean = SingleChoice().validate({"stem": "?", "options": options("a", "b"), "correct": "a"})
    SingleChoice().check_response(clean, {"choice": "b"})
    SingleChoice().check_response(clean, None)
    for bad in ({"choice": "z"}, {"choice": "a", "x": 1}, ["a"], "a"):
        with pytest.raises(Invalid):
            SingleChoice().check_response(clean, bad)


def test_every_type_documents_its_schemas() -> None:
    registry = default_registry()
    assert set(registry.names()) >= {"single_choice", "multiple_response", "true_false",
                                     "numeric", "short_text"}
    for name in registry.names():
        item_type = registry.get(name)
        assert item_type.render_schema["type"] == "object"
        assert "properties" in item_type.response_schema


# -- any input to the original types: a clear refusal, never a crash -----------------------

ANY_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=12)


@example(0, "correct", [["a"]])  # lists of lists once crashed the choice types
@example(1, "correct", [["a"]])
@example(0, "correct", {"a": 1})
@example(2, "points", float("nan"))  # NaN once passed as points (nan <= 0 is false)
@example(3, "points", float("inf"))
@given(st.sampled_from(range(len(ITEMS))), st.sampled_from(
    ["stem", "options", "correct", "answer", "answers", "tolerance", "tolerance_mode", "unit",
     "points", "case_sensitive", "ignore_accents"]), ANY_JSON)
def test_any_authored_field_of_the_original_types_is_refused_cleanly(
        index: int, key: str, value: object) -> None:
    name, content = ITEMS[index]
    try:
        default_registry().get(name).validate({**content, key: value})
    except Invalid as error:
        assert error.params["field"]
