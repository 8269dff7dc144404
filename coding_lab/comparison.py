"""How a program's output is compared with the expected output of an input/output test.

Modes (an exercise's default, a test may choose its own):

- ``exact``: byte for byte, once both are decoded (a final newline included).
- ``trailing_whitespace``: the same lines, ignoring spaces at line ends and blank lines
  at the end — what beginners' programs most often differ by, and what a person reading
  the output cannot see. The default.
- ``ignore_case``: as ``trailing_whitespace``, and letter case does not count.
- ``numbers``: the outputs are read as words; words that are both numbers compare within
  ``tolerance`` (absolute, or relative to the expected value when ``relative``), other
  words compare exactly. ``3,14`` is read as ``3.14``: French output is fine.
- ``regex``: the expected text is a regular expression that must match the whole output
  (trailing whitespace ignored), with a time limit so a pattern cannot hang a grader.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import regex

Mode = Literal["exact", "trailing_whitespace", "ignore_case", "numbers", "regex"]
MODES: tuple[Mode, ...] = ("exact", "trailing_whitespace", "ignore_case", "numbers", "regex")
#: A pattern's match may take this long before the output counts as not matching.
REGEX_TIMEOUT = 0.2
MAX_PATTERN = 2000
NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


@dataclass(frozen=True)
class Comparison:
    mode: Mode = "trailing_whitespace"
    tolerance: float = 0.0
    relative: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown comparison mode {self.mode!r}")
        if not math.isfinite(self.tolerance) or self.tolerance < 0:
            raise ValueError("tolerance must be a finite number >= 0")


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _number(word: str) -> float | None:
    if not NUMBER.fullmatch(word):
        return None
    try:
        value = float(word.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _close(actual: float, expected: float, comparison: Comparison) -> bool:
    allowed = comparison.tolerance * (abs(expected) if comparison.relative else 1.0)
    return abs(actual - expected) <= allowed + 1e-12


def check_pattern(pattern: str) -> str | None:
    """The reason a regular expression cannot be used, or ``None`` when it can."""
    if len(pattern) > MAX_PATTERN:
        return f"longer than {MAX_PATTERN} characters"
    try:
        regex.compile(pattern)
    except regex.error as error:
        return str(error)
    return None


def outputs_match(actual: str, expected: str, comparison: Comparison) -> bool:
    """True when ``actual`` passes for ``expected`` under ``comparison``."""
    mode = comparison.mode
    if mode == "exact":
        return actual == expected
    if mode == "trailing_whitespace":
        return _lines(actual) == _lines(expected)
    if mode == "ignore_case":
        return [x.casefold() for x in _lines(actual)] == [x.casefold() for x in _lines(expected)]
    if mode == "numbers":
        got, want = actual.split(), expected.split()
        if len(got) != len(want):
            return False
        for word, wanted in zip(got, want, strict=True):
            value, target = _number(word), _number(wanted)
            if target is not None:
                if value is None or not _close(value, target, comparison):
                    return False
            elif word != wanted:
                return False
        return True
    text = "\n".join(_lines(actual))
    try:
        return regex.fullmatch(expected.strip(), text, timeout=REGEX_TIMEOUT) is not None
    except (regex.error, TimeoutError):
        return False
