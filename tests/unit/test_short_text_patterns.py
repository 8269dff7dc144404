"""Short text answers given as regular expressions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.errors import Invalid
from item_bank.interop.detect import parse
from item_bank.interop.model import ParsedItem
from item_bank.interop.qti3 import item_to_xml
from item_bank.types.short_text import MAX_PATTERN_LENGTH, ShortText

ITEM = ShortText()


def item(*answers: object, **rules: bool) -> dict[str, object]:
    return ITEM.validate({"stem": "?", "answers": list(answers), **rules})


def right(content: dict[str, object], text: str) -> bool:
    return ITEM.score(content, {"text": text}).correct


def test_a_pattern_must_match_the_whole_answer() -> None:
    content = item({"pattern": r"(le )?fleuve Saint-Laurent"})
    assert right(content, "le fleuve Saint-Laurent")
    assert right(content, "  Fleuve   saint-laurent ")  # whitespace collapsed, case ignored
    assert not right(content, "le fleuve Saint-Laurent gelé")
    assert not right(content, "fleuve")


def test_patterns_and_plain_answers_mix() -> None:
    content = item("Québec", {"pattern": r"\d{4}"}, "1608")
    assert content["answers"] == ["Québec", {"pattern": r"\d{4}"}, "1608"]
    assert right(content, "québec") and right(content, "1759") and right(content, "1608")
    # A plain answer is never read as a pattern: its dot is a dot.
    dotted = item("St. Lawrence")
    assert right(dotted, "st. lawrence") and not right(dotted, "stX lawrence")


def test_pattern_follows_case_and_accent_rules() -> None:
    strict = item({"pattern": "Québec"}, case_sensitive=True)
    assert right(strict, "Québec") and not right(strict, "québec")
    loose = item({"pattern": "Qu[eé]bec|Montréal"}, ignore_accents=True)
    assert right(loose, "MONTREAL") and right(loose, "quebec")


def test_an_invalid_pattern_is_refused_with_its_position() -> None:
    with pytest.raises(Invalid) as caught:
        item({"pattern": "fleuve (Saint"})
    assert caught.value.code == "pattern_invalid"
    assert caught.value.params["field"] == "answers"
    assert caught.value.params["pattern"] == "fleuve (Saint"
    assert caught.value.params["position"] >= 1


def test_a_long_pattern_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        item({"pattern": "a" * (MAX_PATTERN_LENGTH + 1)})
    assert caught.value.code == "pattern_too_long"
    item({"pattern": "a" * MAX_PATTERN_LENGTH})


def test_a_catastrophic_pattern_ends_and_does_not_match() -> None:
    # Exponential backtracking on the ``regex`` engine: the time guard stops it.
    content = item({"pattern": "(a|aa)+z"})
    assert not right(content, "a" * 120)
    assert right(content, "aaaz")


def test_an_empty_response_never_matches_a_pattern_that_allows_it() -> None:
    content = item({"pattern": ".*"})
    assert not right(content, "   ")
    assert right(content, "anything")


def test_bad_answer_entries_are_refused() -> None:
    for bad in ({"text": "a", "regex": True}, {"pattern": 3}, {"pattern": "a", "x": 1}, 7):
        with pytest.raises(Invalid):
            item(bad)
    with pytest.raises(Invalid):
        item({"pattern": "  "})  # nothing left to accept


@given(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=20))
def test_an_escaped_answer_as_pattern_accepts_exactly_the_answer(word: str) -> None:
    """A plain answer and the same answer escaped as a pattern agree on every response."""
    case = item({"pattern": re.escape(word)}, case_sensitive=True)
    assert right(case, word)
    assert right(case, f"  {word} ")
    assert not right(case, word + "x")


@given(st.text(max_size=60), st.sampled_from([r"\w+", r"(ab|a)*c", r"[0-9]{1,3}", "x|y"]))
def test_scoring_a_pattern_never_crashes(text: str, pattern: str) -> None:
    content = item({"pattern": pattern})
    score = ITEM.score(content, {"text": text})
    assert score.points in (0.0, 1.0)
    assert score.correct == (score.points == 1.0)


def test_patterns_round_trip_through_qti() -> None:
    """Exported as ``qti-pattern-match`` in response processing, read back as patterns."""
    for answers in (["Saint-Laurent", {"pattern": r"(le )?fleuve [Ss]aint-Laurent"}],
                    [{"pattern": r"\d+"}]):
        content = ITEM.validate({"stem": {"fr": "Fleuve?"}, "answers": answers, "points": 2})
        xml = item_to_xml(ParsedItem("st-1", "short_text", "Fleuve", content))
        assert b"qti-pattern-match" in xml
        back = parse(xml, "fleuve.xml").items[0]
        assert back.content["answers"] == content["answers"]
        assert ITEM.score(back.content, {"text": "le fleuve saint-Laurent" if len(answers) == 2
                                         else "42"}).points == 2.0
