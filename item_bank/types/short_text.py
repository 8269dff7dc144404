"""Short text: the response matches one of the accepted answers, typed or as a pattern.

An accepted answer is either a plain string, compared after the item's case, accents and
whitespace rules, or ``{"pattern": PATTERN}``, a regular expression that must match the
whole (whitespace-collapsed) response.

Patterns run on the ``regex`` module rather than ``re`` because it can stop a match after a
time limit: a teacher's pattern with nested quantifiers (``(a|aa)+z``) could otherwise
backtrack for minutes on a student's 500 characters and stall the grading of a whole
cohort. A pattern that runs out of time does not match. Patterns are also bounded in
length, and compiled once per process.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import Any

import regex

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map

MAX_LENGTH = 500
MAX_PATTERN_LENGTH = 200
#: Seconds one pattern may spend on one response before it counts as not matching.
MATCH_TIMEOUT = 0.05


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed
                                                if not unicodedata.combining(c)))


def collapse(text: str) -> str:
    """NFC, with runs of whitespace made one space and the ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise(text: str, case_sensitive: bool, ignore_accents: bool) -> str:
    text = collapse(text)
    if not case_sensitive:
        text = text.casefold()
    if ignore_accents:
        text = strip_accents(text)
    return text


@lru_cache(maxsize=4096)
def compiled(pattern: str, case_sensitive: bool, ignore_accents: bool) -> Any:
    """The compiled pattern under the item's rules (raises ``regex.error`` if invalid)."""
    # The response is compared in NFC: so is the pattern, or "é" typed decomposed never matches.
    pattern = strip_accents(pattern) if ignore_accents else unicodedata.normalize("NFC", pattern)
    flags = 0 if case_sensitive else regex.IGNORECASE | regex.FULLCASE
    return regex.compile(pattern, flags)


def pattern_matches(pattern: str, text: str, case_sensitive: bool,
                    ignore_accents: bool) -> bool:
    """Whether ``pattern`` matches all of ``text``; running out of time is no match."""
    subject = collapse(text)
    if ignore_accents:
        subject = strip_accents(subject)
    try:
        return compiled(pattern, case_sensitive, ignore_accents).fullmatch(
            subject, timeout=MATCH_TIMEOUT) is not None
    except TimeoutError:
        return False


def _answer(entry: Any, case_sensitive: bool, ignore_accents: bool) -> str | dict[str, str] | None:
    """One accepted answer, normalised: a string, a checked pattern, or ``None`` if empty."""
    if isinstance(entry, str):
        return entry.strip() or None
    if not isinstance(entry, dict) or set(entry) != {"pattern"} or \
            not isinstance(entry["pattern"], str):
        raise Invalid("item_invalid", field="answers")
    text = entry["pattern"].strip()
    if not text:
        return None
    if len(text) > MAX_PATTERN_LENGTH:
        raise Invalid("pattern_too_long", field="answers", pattern=text[:40],
                      max=MAX_PATTERN_LENGTH)
    try:
        compiled(text, case_sensitive, ignore_accents)
    except regex.error as error:
        position = error.pos + 1 if isinstance(error.pos, int) else len(text)
        raise Invalid("pattern_invalid", str(error), field="answers", pattern=text,
                      position=position) from None
    return {"pattern": text}


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
        "properties": {"text": {"type": "string", "maxLength": MAX_LENGTH}},
    }

    def validate(self, content: Content) -> Content:
        answers = content.get("answers")
        if isinstance(answers, str):
            answers = answers.split("\n")
        if not isinstance(answers, list):
            raise Invalid("item_invalid", field="answers")
        case_sensitive = bool(content.get("case_sensitive", False))
        ignore_accents = bool(content.get("ignore_accents", False))
        clean = [a for a in (_answer(e, case_sensitive, ignore_accents) for e in answers)
                 if a is not None]
        if not clean:
            raise Invalid("item_invalid", field="answers")
        return {
            "stem": text_map(content.get("stem"), "stem"),
            "answers": clean,
            "case_sensitive": case_sensitive,
            "ignore_accents": ignore_accents,
            "points": points_of(content),
        }

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"], "max_length": MAX_LENGTH}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"text"} or \
                not isinstance(response["text"], str) or len(response["text"]) > MAX_LENGTH:
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        if not isinstance(response, dict) or not isinstance(response.get("text"), str):
            return Score(0.0, points, False)
        flags = (content["case_sensitive"], content["ignore_accents"])
        given = normalise(response["text"], *flags)
        right = bool(given) and any(
            pattern_matches(a["pattern"], response["text"], *flags) if isinstance(a, dict)
            else normalise(a, *flags) == given
            for a in content["answers"])
        return Score(points if right else 0.0, points, right)


def plain_answers(content: Content) -> list[str]:
    """The accepted answers that are not patterns (what formats without patterns carry)."""
    return [a for a in content["answers"] if isinstance(a, str)]


def patterns(content: Content) -> list[str]:
    return [a["pattern"] for a in content["answers"] if isinstance(a, dict)]
