"""Authoring exercises: validated, their reference solution run against their tests.

Saving an exercise runs its solution through the harness (one sandbox run): the exercise
records whether every test passed (``verified_at``) and what each test gave
(``verification``). Only a verified exercise can be published, and an edit that changes
the solution, the tests or the limits makes it unverified (and a draft) until it passes
again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid, NotFound
from coding_lab.comparison import MODES, Comparison, check_pattern
from coding_lab.harness import TestCase, TestLimits, grade
from coding_lab.models import Exercise, ExerciseTest
from sandbox.languages import get_language, language_names

MAX_CODE = 64 * 1024
MAX_TEST_TEXT = 256 * 1024
MAX_TESTS = 50


@dataclass
class TestSpec:
    """One test as a teacher writes it (see :class:`coding_lab.harness.TestCase`)."""

    __test__ = False  # not a pytest class

    name: str
    stdin: str = ""
    expected: str = ""
    code: str | None = None
    weight: float = 1.0
    hidden: bool = False
    hint: dict[str, str] = field(default_factory=dict)
    stop_on_failure: bool = False
    comparison: str | None = None
    tolerance: float | None = None
    relative_tolerance: bool | None = None


@dataclass
class ExerciseSpec:
    title: str
    language: str
    statement: dict[str, str]
    solution: str
    tests: list[TestSpec]
    starter: str = ""
    points: float = 100.0
    cpu_seconds: float = 2.0
    memory_mb: int = 256
    comparison: str = "trailing_whitespace"
    tolerance: float = 0.0
    relative_tolerance: bool = False


def entry_file(language: str) -> str:
    """The file a student's code goes in (``main.py``, ``main.c``, ``Main.java``…)."""
    return get_language(language).default_entry


def _comparison(mode: str, tolerance: float, relative: bool, field_name: str) -> Comparison:
    if mode not in MODES:
        raise Invalid("exercise_invalid", field=field_name)
    try:
        return Comparison(mode, tolerance, relative)
    except ValueError:
        raise Invalid("exercise_invalid", field=field_name) from None


def validate(spec: ExerciseSpec) -> None:
    """Refuse an exercise that cannot work, naming the field."""
    if not spec.title.strip() or len(spec.title.strip()) > 200:
        raise Invalid("exercise_invalid", field="title")
    if spec.language not in language_names():
        raise Invalid("exercise_invalid", field="language")
    if not any(isinstance(v, str) and v.strip() for k, v in spec.statement.items()
               if k in ("fr", "en")) or set(spec.statement) - {"fr", "en"}:
        raise Invalid("exercise_invalid", field="statement")
    if not spec.solution.strip() or len(spec.solution) > MAX_CODE or len(spec.starter) > MAX_CODE:
        raise Invalid("exercise_invalid", field="solution")
    if not 0 < spec.points <= 1000 or not math.isfinite(spec.points):
        raise Invalid("exercise_invalid", field="points")
    if not 0 < spec.cpu_seconds <= 10 or not 16 <= spec.memory_mb <= 2048:
        raise Invalid("exercise_invalid", field="limits")
    _comparison(spec.comparison, spec.tolerance, spec.relative_tolerance, "comparison")
    if not 0 < len(spec.tests) <= MAX_TESTS:
        raise Invalid("exercise_invalid", field="tests")
    names: set[str] = set()
    for test in spec.tests:
        name = test.name.strip()
        if not name or len(name) > 120 or name in names:
            raise Invalid("exercise_test_invalid", field="name", test=name)
        names.add(name)
        if test.code is not None and (spec.language != "python3" or not test.code.strip()):
            raise Invalid("exercise_test_invalid", field="code", test=name)
        if len(test.stdin) > MAX_TEST_TEXT or len(test.expected) > MAX_TEST_TEXT:
            raise Invalid("exercise_test_invalid", field="size", test=name)
        if not 0 < test.weight <= 1000 or not math.isfinite(test.weight):
            raise Invalid("exercise_test_invalid", field="weight", test=name)
        if test.comparison is not None:
            _comparison(test.comparison, test.tolerance or 0.0, bool(test.relative_tolerance),
                        "comparison")
        mode = test.comparison or spec.comparison
        if test.code is None and mode == "regex" and check_pattern(test.expected):
            raise Invalid("exercise_test_invalid", field="expected", test=name)


def test_cases(session: Session, exercise: Exercise) -> list[TestCase]:
    rows = session.scalars(select(ExerciseTest).where(ExerciseTest.exercise_id == exercise.id)
                           .order_by(ExerciseTest.position))
    return [TestCase(
        name=t.name, stdin=t.stdin, expected=t.expected, code=t.code, weight=t.weight,
        hidden=t.hidden, hint=dict(t.hint or {}),
        stop_on_failure=t.stop_on_failure,
        comparison=None if t.comparison is None else Comparison(
            t.comparison, t.tolerance or 0.0, bool(t.relative_tolerance)),  # type: ignore[arg-type]
    ) for t in rows]


def hint_text(hint: object, locale: str) -> str:
    """A hint in the reader's language (the other one when it has only that)."""
    if isinstance(hint, str):
        return hint
    if isinstance(hint, dict):
        other = "en" if locale == "fr" else "fr"
        return str(hint.get(locale) or hint.get(other) or "")
    return ""


def exercise_comparison(exercise: Exercise) -> Comparison:
    return Comparison(exercise.comparison, exercise.tolerance,  # type: ignore[arg-type]
                      exercise.relative_tolerance)


def limits_of(exercise: Exercise) -> TestLimits:
    return TestLimits(cpu_seconds=exercise.cpu_seconds, memory_mb=exercise.memory_mb)


def _write(session: Session, exercise: Exercise, spec: ExerciseSpec) -> None:
    exercise.title = spec.title.strip()
    exercise.language = spec.language
    exercise.statement = {k: v.strip() for k, v in spec.statement.items() if v.strip()}
    exercise.starter_code = spec.starter
    exercise.solution_code = spec.solution
    exercise.points = spec.points
    exercise.cpu_seconds = spec.cpu_seconds
    exercise.memory_mb = spec.memory_mb
    exercise.comparison = spec.comparison
    exercise.tolerance = spec.tolerance
    exercise.relative_tolerance = spec.relative_tolerance
    session.flush()
    session.execute(delete(ExerciseTest).where(ExerciseTest.exercise_id == exercise.id))
    for position, test in enumerate(spec.tests):
        session.add(ExerciseTest(
            exercise_id=exercise.id, position=position, name=test.name.strip(),
            stdin=test.stdin, expected=test.expected, code=test.code, weight=test.weight,
            hidden=test.hidden, hint=dict(test.hint), stop_on_failure=test.stop_on_failure,
            comparison=test.comparison, tolerance=test.tolerance,
            relative_tolerance=test.relative_tolerance))
    session.flush()


def verify(session: Session, exercise: Exercise, now: datetime, backend: str = "auto") -> bool:
    """Run the reference solution against every test; record and return whether all pass."""
    graded = grade(exercise.language, {entry_file(exercise.language): exercise.solution_code},
                   test_cases(session, exercise), limits_of(exercise),
                   exercise_comparison(exercise), exercise.points, backend=backend)
    passed = bool(graded.tests) and all(t.passed for t in graded.tests)
    exercise.verification = {
        "passed": passed, "compile_output": graded.compile_output,
        "tests": [{"name": t.name, "verdict": t.verdict, "stdout": t.stdout[:4000],
                   "stderr": t.stderr[:4000], "wall_ms": t.wall_ms,
                   "assertion": t.assertion} for t in graded.tests]}
    exercise.verified_at = now if passed else None
    if not passed:
        exercise.status = "draft"
    session.flush()
    return passed


def create_exercise(session: Session, organisation_id: str, spec: ExerciseSpec,
                    author_id: str | None, now: datetime, backend: str = "auto") -> Exercise:
    """A new draft exercise, its solution already run against its tests."""
    validate(spec)
    exercise = Exercise(organisation_id=organisation_id, created_by=author_id, created_at=now,
                        updated_at=now, status="draft", title="", language=spec.language,
                        statement={}, solution_code="")
    session.add(exercise)
    _write(session, exercise, spec)
    verify(session, exercise, now, backend)
    return exercise


def update_exercise(session: Session, exercise_id: str, spec: ExerciseSpec, now: datetime,
                    backend: str = "auto") -> Exercise:
    """Change an exercise; its solution runs again (and a failing one makes it a draft)."""
    validate(spec)
    exercise = get_exercise(session, exercise_id)
    _write(session, exercise, spec)
    exercise.updated_at = now
    verify(session, exercise, now, backend)
    return exercise


def publish(session: Session, exercise_id: str) -> Exercise:
    exercise = get_exercise(session, exercise_id)
    if exercise.verified_at is None:
        raise Invalid("exercise_unverified")
    exercise.status = "published"
    session.flush()
    return exercise


def get_exercise(session: Session, exercise_id: str) -> Exercise:
    exercise = session.get(Exercise, exercise_id)
    if exercise is None:
        raise NotFound("exercise_not_found")
    return exercise


def public_tests(session: Session, exercise: Exercise) -> list[dict[str, Any]]:
    """What a student may see of the tests: visible ones whole, hidden ones by name only."""
    return [{"name": t.name, "hidden": True, "weight": t.weight} if t.hidden else
            {"name": t.name, "hidden": False, "weight": t.weight, "stdin": t.stdin,
             "expected": t.expected, "kind": t.kind}
            for t in test_cases(session, exercise)]
