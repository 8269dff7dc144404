"""Notebook exercises on both databases: saved and verified against their own solutions,
given to a class, handed in as .ipynb files under the assignment's rules, graded in the
real process sandbox with a kernel, their feedback stored in both languages."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from ardoise.clock import utcnow
from ardoise.db import Database
from ardoise.errors import Forbidden, Invalid
from coding_lab import assignments, exercises, notebook_exercises
from coding_lab.assignments import SubmitRefused
from coding_lab.models import Exercise, Submission
from coding_lab.notebook_exercises import NotebookSpec
from coding_lab.notebooks import NotebookError
from tests.factories import School, make_school
from tests.persistence.test_coding_lab import assignment_for

FILES = Path(__file__).parent.parent / "coding_lab" / "files"
TEACHER = (FILES / "functions-teacher.ipynb").read_bytes()
RIGHT = {
    "square": "def square(x):\n    return x ** 2\n",
    "mean": "def mean(values):\n    return sum(values) / len(values)\n",
    "hypotenuse": "hyp = math.sqrt(3 ** 2 + 4 ** 2)\nassert hyp == 5",
    "explain": "Because len([]) is 0.",
}
HIDDEN_MARK = "HIDDEN_CASE_ONE_TWO"


def spec(source: bytes | None = TEACHER, **change: object) -> NotebookSpec:
    made = NotebookSpec(title="Fonctions", statement={"fr": "Complétez les fonctions.",
                                                      "en": "Complete the functions."},
                        source=source, cell_timeout=5.0)
    for key, value in change.items():
        setattr(made, key, value)
    return made


def teacher_with(grade_id: str, source: str) -> bytes:
    notebook = json.loads(TEACHER)
    for cell in notebook["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
    return json.dumps(notebook).encode()


def published_notebook(session, world: School) -> Exercise:  # type: ignore[no-untyped-def]
    exercise = notebook_exercises.create_notebook_exercise(
        session, world.school.id, spec(), world.teacher.id, utcnow(), backend="process")
    exercises.publish(session, exercise.id)
    return exercise


def notebook_assignment(session, world: School, **rules):  # type: ignore[no-untyped-def]
    exercise = published_notebook(session, world)
    now = utcnow()
    return assignments.create_assignment(
        session, exercise.id, world.klass.id, opens_at=now - timedelta(days=3),
        due_at=rules.pop("due_at", now + timedelta(days=1)), author_id=world.teacher.id,
        **rules)


def handed_in(exercise: Exercise, answers: dict[str, str],
              change: dict[str, str] | None = None) -> bytes:
    """The student version with ``answers`` typed in (and any cell's source ``change``d)."""
    notebook: NotebookNode = nbformat.reads(
        notebook_exercises.student_version(exercise).decode(), as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        if change and grade_id in change:
            cell.source = change[grade_id]
    return nbformat.writes(notebook).encode()


def test_a_notebook_exercise_is_verified_by_its_own_solutions(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        exercise = notebook_exercises.create_notebook_exercise(
            session, world.school.id, spec(), world.teacher.id, utcnow(), backend="process")
        assert exercise.kind == "notebook" and exercise.verified_at is not None
        assert exercise.points == 6  # the autograded cells' points: 2 + 1 + 2 + 1
        assert {t["name"]: t["verdict"] for t in exercise.verification["tests"]} == {
            "test_square": "passed", "test_mean": "passed", "test_mean_hidden": "passed",
            "hypotenuse": "passed"}
        assert [c["grade_id"] for c in notebook_exercises.cells_summary(exercise)] == [
            "intro", "setup", "square", "test_square", "mean", "test_mean",
            "test_mean_hidden", "hypotenuse", "explain"]
        student = notebook_exercises.student_version(exercise).decode()
        assert "return x * x" not in student and HIDDEN_MARK not in student
        assert exercises.publish(session, exercise.id).status == "published"


def test_a_notebook_whose_solution_fails_stays_a_draft_until_fixed(database: Database) -> None:
    wrong = teacher_with("square", 'def square(x):\n    """The square of x."""\n'
                                   "    ### BEGIN SOLUTION\n    return x + x\n"
                                   "    ### END SOLUTION")
    with database.session() as session:
        world = make_school(session, students=1)
        exercise = notebook_exercises.create_notebook_exercise(
            session, world.school.id, spec(wrong), world.teacher.id, utcnow(),
            backend="process")
        assert exercise.verified_at is None
        failed = [t["name"] for t in exercise.verification["tests"] if t["verdict"] != "passed"]
        assert failed == ["test_square"]
        with pytest.raises(Invalid) as refused:
            exercises.publish(session, exercise.id)
        assert refused.value.code == "exercise_unverified"
        # Changing only the texts keeps the notebook and does not run it again.
        renamed = notebook_exercises.update_notebook_exercise(
            session, exercise.id, spec(None, title="Fonctions 2"), utcnow(), backend="process")
        assert renamed.title == "Fonctions 2" and renamed.verified_at is None
        fixed = notebook_exercises.update_notebook_exercise(
            session, exercise.id, spec(), utcnow(), backend="process")
        assert fixed.verified_at is not None
        assert "return x * x" in (fixed.notebook or "")


@pytest.mark.parametrize("source, code", [
    (b"not json", "notebook_malformed"),
    (json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode(),
     "notebook_nothing_graded"),
    (teacher_with("test_square", "### BEGIN HIDDEN TESTS\nassert True"), "notebook_markers"),
])
def test_a_bad_teacher_notebook_is_refused_and_nothing_is_saved(
        database: Database, source: bytes, code: str) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        with pytest.raises(NotebookError) as refused:
            notebook_exercises.create_notebook_exercise(
                session, world.school.id, spec(source), world.teacher.id, utcnow(),
                backend="process")
        assert refused.value.code == code
        assert session.query(Exercise).count() == 0


@pytest.mark.parametrize("change, field", [
    ({"title": " "}, "title"), ({"statement": {}}, "statement"),
    ({"cell_timeout": 0.1}, "cell_timeout"), ({"source": None}, "notebook"),
])
def test_a_notebook_exercise_missing_a_field_is_refused_by_field(
        database: Database, change: dict[str, object], field: str) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        with pytest.raises(Invalid) as refused:
            notebook_exercises.create_notebook_exercise(
                session, world.school.id, spec(**change), world.teacher.id, utcnow(),
                backend="process")
        assert refused.value.params["field"] == field


def test_a_handed_in_notebook_is_graded_with_feedback_in_both_languages(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        assignment = notebook_assignment(session, world)
        exercise = exercises.get_exercise(session, assignment.exercise_id)
        partly = {**RIGHT, "mean": "def mean(values):\n    return sum(values) // len(values)\n"}
        made = notebook_exercises.submit_notebook(
            session, assignment.id, world.students[0].id, handed_in(exercise, partly), utcnow())
        assert made.status == "queued" and made.number == 1
        graded = notebook_exercises.grade_submission(session, made.id, utcnow(),
                                                     backend="process")
        assert graded.status == "graded" and graded.tampered == []
        verdicts = {r["name"]: r["verdict"] for r in graded.results or []}
        # Integer division passes mean([1, 2, 3]) == 2 and fails the hidden mean([1, 2]).
        assert verdicts == {"test_square": "passed", "test_mean": "passed",
                            "test_mean_hidden": "failed", "hypotenuse": "passed"}
        assert (graded.score, graded.max_score) == (4.0, 6.0)
        assert set(graded.feedback or {}) == {"fr", "en"}
        french = notebook_exercises.feedback_html(graded, "fr") or ""
        english = notebook_exercises.feedback_html(graded, "en") or ""
        assert 'lang="fr"' in french and 'lang="en"' in english
        # What the student sees of the hidden test: its verdict, never its code.
        seen = [json.dumps(assignments.student_results(graded, "fr")), french, english,
                *(graded.feedback or {}).values()]
        assert all(HIDDEN_MARK not in text for text in seen)
        hidden = next(r for r in assignments.student_results(graded, "fr")
                      if r["name"] == "test_mean_hidden")
        assert hidden == {"name": "test_mean_hidden", "verdict": "failed", "hidden": True,
                          "weight": 2.0}


def test_a_tampered_test_cell_is_reported_and_graded_from_the_teacher(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        assignment = notebook_assignment(session, world)
        exercise = exercises.get_exercise(session, assignment.exercise_id)
        cheat = {**RIGHT, "mean": "def mean(values):\n    return 2\n"}
        made = notebook_exercises.submit_notebook(
            session, assignment.id, world.students[0].id,
            handed_in(exercise, cheat, {"test_mean_hidden": "pass"}), utcnow())
        graded = notebook_exercises.grade_submission(session, made.id, utcnow(),
                                                     backend="process")
        assert graded.tampered == ["test_mean_hidden"]
        verdicts = {r["name"]: r["verdict"] for r in graded.results or []}
        assert verdicts["test_mean_hidden"] == "failed" and verdicts["test_mean"] == "passed"


def test_what_is_not_this_assignments_notebook_is_refused_and_nothing_recorded(
        database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=2)
        assignment = notebook_assignment(session, world)
        student = world.students[0].id
        with pytest.raises(NotebookError) as malformed:
            notebook_exercises.submit_notebook(session, assignment.id, student,
                                               b"print('hello')", utcnow())
        assert malformed.value.code == "notebook_malformed"
        foreign = nbformat.writes(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("print(1)")])).encode()
        with pytest.raises(SubmitRefused) as refused:
            notebook_exercises.submit_notebook(session, assignment.id, student, foreign,
                                               utcnow())
        assert refused.value.code == "notebook_not_this_assignment"
        with pytest.raises(SubmitRefused) as code:
            assignments.submit(session, assignment.id, student, "print(1)", utcnow())
        assert code.value.code == "notebook_expected"
        with pytest.raises(SubmitRefused) as draft:
            assignments.save_draft(session, assignment.id, student, "print(1)", utcnow())
        assert draft.value.code == "notebook_expected"
        with pytest.raises(Forbidden):
            notebook_exercises.submit_notebook(session, assignment.id, world.teacher.id,
                                               foreign, utcnow())
        assert session.query(Submission).count() == 0


def test_a_notebook_handed_to_a_code_exercise_is_refused(database: Database) -> None:
    with database.session() as session:
        world = make_school(session, students=1)
        code_assignment = assignment_for(session, world)
        with pytest.raises(SubmitRefused) as refused:
            notebook_exercises.submit_notebook(session, code_assignment.id,
                                               world.students[0].id, TEACHER, utcnow())
        assert refused.value.code == "code_expected"


def test_the_assignments_rules_hold_for_notebooks(database: Database) -> None:
    now = utcnow()
    with database.session() as session:
        world = make_school(session, students=1)
        assignment = notebook_assignment(session, world, due_at=now - timedelta(days=1, hours=2),
                                         late_penalty_percent=10, attempt_limit=1)
        exercise = exercises.get_exercise(session, assignment.exercise_id)
        student = world.students[0].id
        made = notebook_exercises.submit_notebook(session, assignment.id, student,
                                                  handed_in(exercise, RIGHT), now)
        assert made.days_late == 2
        graded = notebook_exercises.grade_submission(session, made.id, now, backend="process")
        assert graded.raw_score == 6.0 and graded.score == pytest.approx(4.8)
        with pytest.raises(SubmitRefused) as refused:
            notebook_exercises.submit_notebook(session, assignment.id, student,
                                               handed_in(exercise, RIGHT), now)
        assert refused.value.code == "attempt_limit_reached"
