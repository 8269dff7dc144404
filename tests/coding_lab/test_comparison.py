"""Every comparison mode of input/output tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coding_lab.comparison import Comparison, check_pattern, outputs_match


@pytest.mark.parametrize("mode, actual, expected, match", [
    ("exact", "6\n", "6\n", True),
    ("exact", "6", "6\n", False),
    ("exact", "6 \n", "6\n", False),
    ("trailing_whitespace", "6   \n\n\n", "6\n", True),
    ("trailing_whitespace", "a \nb\t\n", "a\nb", True),
    ("trailing_whitespace", "a\r\nb\r\n", "a\nb\n", True),
    ("trailing_whitespace", " 6\n", "6\n", False),  # leading spaces are seen
    ("trailing_whitespace", "a\n\nb\n", "a\nb\n", False),  # so are blank lines inside
    ("ignore_case", "Bonjour MONDE \n", "bonjour monde\n", True),
    ("ignore_case", "bonjour monde!\n", "bonjour monde\n", False),
    ("numbers", "aire: 3.14159\n", "aire: 3.1416", True),
    ("numbers", "aire : 3,1416", "aire : 3.1416", True),  # a French decimal comma
    ("numbers", "aire: 3.15\n", "aire: 3.1416", False),
    ("numbers", "aire: pi\n", "aire: 3.1416", False),
    ("numbers", "Aire: 3.1416\n", "aire: 3.1416", False),  # words compare exactly
    ("numbers", "1 2 3", "1 2", False),
    ("regex", "Bonjour, Léa!\n\n", r"Bonjour, \w+!", True),
    ("regex", "Bonjour, Léa! Au revoir", r"Bonjour, \w+!", False),  # the whole output
    ("regex", "x", "(", False),  # a broken pattern matches nothing
])
def test_each_mode(mode: str, actual: str, expected: str, match: bool) -> None:
    assert outputs_match(actual, expected, Comparison(mode, tolerance=0.001)) is match  # type: ignore[arg-type]


def test_a_relative_tolerance_scales_with_the_expected_value() -> None:
    relative = Comparison("numbers", tolerance=0.01, relative=True)
    assert outputs_match("1005", "1000", relative)
    assert not outputs_match("1011", "1000", relative)
    assert not outputs_match("0.02", "0.01", relative)


def test_a_catastrophic_pattern_gives_up_instead_of_hanging() -> None:
    assert not outputs_match("a" * 40 + "!", r"(a|aa)+$", Comparison("regex"))
    assert check_pattern("(a") is not None and check_pattern(r"\d+") is None


def test_unknown_modes_and_bad_tolerances_are_refused() -> None:
    with pytest.raises(ValueError):
        Comparison("fuzzy")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Comparison("numbers", tolerance=-1)


lines = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")),
                         max_size=20), max_size=6)


@given(lines, st.sampled_from([" ", "  ", "\t"]), st.integers(0, 3))
def test_trailing_spaces_and_final_blank_lines_never_count(
        rows: list[str], pad: str, blanks: int) -> None:
    expected = "\n".join(rows)
    padded = "\n".join(r + pad for r in rows) + "\n" * blanks
    assert outputs_match(padded, expected, Comparison("trailing_whitespace"))


@given(st.floats(-1e6, 1e6, allow_nan=False), st.floats(0, 10))
def test_numbers_within_tolerance_match_and_beyond_do_not(value: float, tolerance: float) -> None:
    within = Comparison("numbers", tolerance=tolerance)
    assert outputs_match(repr(value), repr(value), within)
    assert not outputs_match(repr(value + tolerance + 1), repr(value), within)
