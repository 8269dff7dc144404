"""The exercise form: a fixed number of test rows, read into an ``ExerciseSpec`` and back.

The form posts flat fields (``title``, ``statement_fr``…, and per test row ``test3_name``,
``test3_kind``…). :func:`spec_from_form` turns them into a spec, refusing bad numbers with
the same codes :func:`coding_lab.exercises.validate` uses (``exercise_invalid`` /
``exercise_test_invalid`` naming the field), so the page says which field is wrong.
:func:`form_from_exercise` fills the same fields from a saved exercise for editing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid
from coding_lab.comparison import MODES
from coding_lab.exercises import MAX_TESTS, ExerciseSpec, TestSpec
from coding_lab.models import Exercise, ExerciseTest

#: Empty test rows the form offers below the filled ones (at least this many rows in all).
MIN_TEST_ROWS = 6
SPARE_TEST_ROWS = 2

#: The fields of one test row, as posted (``test<N>_<field>``).
ROW_FIELDS = ("name", "kind", "stdin", "expected", "code", "weight", "hidden", "hint_fr",
              "hint_en", "stop", "comparison", "tolerance", "relative")


def test_rows(form: Mapping[str, str]) -> int:
    """How many test rows to show: the filled ones plus spares, within the test limit."""
    filled = 0
    for row in range(MAX_TESTS):
        if any(form.get(f"test{row}_{name}") for name in ("name", "stdin", "expected", "code")):
            filled = row + 1
    return min(MAX_TESTS, max(MIN_TEST_ROWS, filled + SPARE_TEST_ROWS))


def _number(text: str | None, default: float, code: str, field: str,
            test: str | None = None) -> float:
    text = (text or "").strip().replace(",", ".")
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        if test is None:
            raise Invalid(code, field=field)
        raise Invalid(code, field=field, test=test)
    return value


def _row_is_empty(form: Mapping[str, str], row: int) -> bool:
    return not any((form.get(f"test{row}_{name}") or "").strip()
                   for name in ("name", "stdin", "expected", "code", "hint_fr", "hint_en"))


def _test_from_row(form: Mapping[str, str], row: int) -> TestSpec:
    def value(name: str) -> str:
        return form.get(f"test{row}_{name}") or ""

    name = value("name").strip()
    function = value("kind") == "function"
    comparison = value("comparison") or None
    if comparison is not None and comparison not in MODES:
        raise Invalid("exercise_test_invalid", field="comparison", test=name)
    return TestSpec(
        name=name,
        stdin="" if function else value("stdin").replace("\r\n", "\n"),
        expected="" if function else value("expected").replace("\r\n", "\n"),
        code=value("code").replace("\r\n", "\n") if function else None,
        weight=_number(value("weight"), 1.0, "exercise_test_invalid", "weight", name),
        hidden=bool(value("hidden")),
        hint={lang: text for lang in ("fr", "en")
              if (text := value(f"hint_{lang}").strip())},
        stop_on_failure=bool(value("stop")),
        comparison=comparison,
        tolerance=_number(value("tolerance"), 0.0, "exercise_test_invalid", "tolerance", name)
        if comparison else None,
        relative_tolerance=bool(value("relative")) if comparison else None,
    )


def spec_from_form(form: Mapping[str, str]) -> ExerciseSpec:
    """The exercise the form describes; empty test rows are skipped."""
    tests = [_test_from_row(form, row) for row in range(MAX_TESTS)
             if not _row_is_empty(form, row)]
    memory = _number(form.get("memory_mb"), 256, "exercise_invalid", "limits")
    if memory != int(memory):
        raise Invalid("exercise_invalid", field="limits")
    return ExerciseSpec(
        title=form.get("title") or "",
        language=form.get("language") or "",
        statement={lang: text.replace("\r\n", "\n") for lang in ("fr", "en")
                   if (text := (form.get(f"statement_{lang}") or "")).strip()},
        solution=(form.get("solution") or "").replace("\r\n", "\n"),
        starter=(form.get("starter") or "").replace("\r\n", "\n"),
        tests=tests,
        points=_number(form.get("points"), 100.0, "exercise_invalid", "points"),
        cpu_seconds=_number(form.get("cpu_seconds"), 2.0, "exercise_invalid", "limits"),
        memory_mb=int(memory),
        comparison=form.get("comparison") or "trailing_whitespace",
        tolerance=_number(form.get("tolerance"), 0.0, "exercise_invalid", "comparison"),
        relative_tolerance=bool(form.get("relative")),
    )


def _text(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if float(number).is_integer() else str(number)


def form_from_exercise(session: Session, exercise: Exercise) -> dict[str, str]:
    """The form's fields for a saved exercise (what the edit page starts from)."""
    form = {
        "title": exercise.title, "language": exercise.language,
        "statement_fr": exercise.statement.get("fr", ""),
        "statement_en": exercise.statement.get("en", ""),
        "starter": exercise.starter_code, "solution": exercise.solution_code,
        "points": _text(exercise.points), "cpu_seconds": _text(exercise.cpu_seconds),
        "memory_mb": str(exercise.memory_mb), "comparison": exercise.comparison,
        "tolerance": _text(exercise.tolerance),
        "relative": "on" if exercise.relative_tolerance else "",
    }
    tests = session.scalars(select(ExerciseTest).where(ExerciseTest.exercise_id == exercise.id)
                            .order_by(ExerciseTest.position))
    for row, test in enumerate(tests):
        form.update({
            f"test{row}_name": test.name,
            f"test{row}_kind": "function" if test.code is not None else "io",
            f"test{row}_stdin": test.stdin, f"test{row}_expected": test.expected,
            f"test{row}_code": test.code or "", f"test{row}_weight": _text(test.weight),
            f"test{row}_hidden": "on" if test.hidden else "",
            f"test{row}_hint_fr": (test.hint or {}).get("fr", ""),
            f"test{row}_hint_en": (test.hint or {}).get("en", ""),
            f"test{row}_stop": "on" if test.stop_on_failure else "",
            f"test{row}_comparison": test.comparison or "",
            f"test{row}_tolerance": _text(test.tolerance),
            f"test{row}_relative": "on" if test.relative_tolerance else "",
        })
    return form


def row_of_test(form: Mapping[str, str], test: str | None) -> int | None:
    """The form row of the test an error names (a nameless filled row for ``""``)."""
    if test is None:
        return None
    for row in range(MAX_TESTS):
        if _row_is_empty(form, row):
            continue
        if (form.get(f"test{row}_name") or "").strip() == test:
            return row
    return None
