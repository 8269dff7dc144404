"""A small coding-lab exercise and its assignment, for the lab's page and browser tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from coding_lab import assignments, exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.models import Assignment

DOUBLE_SOLUTION = "print(int(input()) * 2)\n"
DOUBLE_STARTER = "# Lis un entier et affiche son double.\n"


def double_spec(title: str = "Le double") -> ExerciseSpec:
    """Read an integer, print its double: two visible tests (one with a hint), one hidden."""
    return ExerciseSpec(
        title=title, language="python3",
        statement={"fr": "Lis un entier $n$ et affiche **son double** $2n$.",
                   "en": "Read an integer $n$ and print **its double** $2n$."},
        solution=DOUBLE_SOLUTION, starter=DOUBLE_STARTER, points=10,
        tests=[
            TestSpec("petit", stdin="3\n", expected="6\n",
                     hint={"fr": "Multiplie par 2, pas par 3.",
                           "en": "Multiply by 2, not by 3."}),
            TestSpec("plusieurs lignes", stdin="21\n", expected="42\n"),
            TestSpec("négatif", stdin="-5\n", expected="-10\n", hidden=True, weight=2),
        ])


def seed_assignment(session: Session, school_id: str, class_id: str, teacher_id: str,
                    now: datetime, *, title: str = "Le double", opens_in: timedelta | None = None,
                    due_in: timedelta = timedelta(days=7), **rules: object) -> Assignment:
    """A published, verified exercise given to the class (the solution runs in the sandbox)."""
    exercise = exercises.create_exercise(session, school_id, double_spec(title), teacher_id, now,
                                         backend="process")
    exercises.publish(session, exercise.id)
    opens = now + opens_in if opens_in is not None else now - timedelta(days=2)
    return assignments.create_assignment(
        session, exercise.id, class_id, opens_at=opens, due_at=now + due_in, title=title,
        author_id=teacher_id, **rules)  # type: ignore[arg-type]
