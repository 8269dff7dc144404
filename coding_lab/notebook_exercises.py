"""Notebook exercises: a teacher's nbgrader notebook given to classes like any exercise.

A notebook exercise is an :class:`~coding_lab.models.Exercise` of kind ``notebook``: it
belongs to a school, is published, given to classes as an assignment and regraded like a
code exercise, and shares the assignment's rules (due date, extensions, late penalty,
attempt limit, delay between submits). What differs:

- it holds the teacher's notebook (``Exercise.notebook``: solutions and hidden tests in
  it), checked by :func:`coding_lab.notebooks.load_assignment` when it is saved, and
  *verified* by grading the teacher's own notebook against itself in the sandbox: only a
  notebook whose solutions pass every graded cell can be published;
- a student downloads its student version (:func:`student_version`) and hands in an
  ``.ipynb`` (:func:`submit_notebook`), checked before it is recorded;
- grading (the same ``ardoise.grade_submission`` task, on the sandbox queue) restores the
  locked and test cells, runs the notebook with a kernel inside the sandbox, and stores
  per graded cell a result in the shape of a code test's (``name`` is the ``grade_id``),
  the cells the student altered (``Submission.tampered``) and the feedback notebook in
  French and in English (``Submission.feedback``), hidden tests reduced to pass/fail.

The teacher's notebook never leaves the trusted side except as its student version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nbformat
from sqlalchemy.orm import Session

from ardoise.errors import Forbidden, Invalid
from coding_lab import notebooks
from coding_lab.assignments import (
    SubmitRefused,
    admit_submission,
    get_assignment,
    get_submission,
    is_student_of,
    mark_running,
    store_grade,
)
from coding_lab.exercises import get_exercise
from coding_lab.harness import Grading, TestResult
from coding_lab.models import Exercise, Submission

KIND = "notebook"
#: The file a notebook submission is kept under in ``Submission.files``.
SUBMISSION_FILE = "submission.ipynb"
LANGUAGES = ("fr", "en")


@dataclass
class NotebookSpec:
    """A notebook exercise as a teacher gives it; ``source`` None keeps the current one."""

    title: str
    statement: dict[str, str]
    source: bytes | None
    cell_timeout: float = notebooks.DEFAULT_CELL_TIMEOUT


@dataclass(frozen=True)
class NotebookGrading:
    """A graded notebook: the grade in a code test's terms, and what only notebooks have."""

    grading: Grading
    tampered: list[str]
    feedback: dict[str, str]  # interface language → feedback notebook (nbformat JSON)


def is_notebook(exercise: Exercise) -> bool:
    return exercise.kind == KIND


def _validate(spec: NotebookSpec) -> float:
    if not spec.title.strip() or len(spec.title.strip()) > 200:
        raise Invalid("exercise_invalid", field="title")
    if set(spec.statement) - set(LANGUAGES) or not any(
            isinstance(v, str) and v.strip() for v in spec.statement.values()):
        raise Invalid("exercise_invalid", field="statement")
    timeout = spec.cell_timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or \
            not math.isfinite(timeout) or not \
            notebooks.MIN_CELL_TIMEOUT <= timeout <= notebooks.MAX_CELL_TIMEOUT:
        raise Invalid("exercise_invalid", field="cell_timeout")
    return float(timeout)


def teacher_assignment(exercise: Exercise) -> notebooks.Assignment:
    """The exercise's checked teacher notebook and its graded cells."""
    return notebooks.load_assignment(teacher_source(exercise))


def teacher_source(exercise: Exercise) -> str:
    if not is_notebook(exercise) or not exercise.notebook:
        raise Invalid("exercise_not_notebook")
    return exercise.notebook


def student_version(exercise: Exercise) -> bytes:
    """The notebook a student starts from: solutions and hidden tests removed."""
    return notebooks.student_version_bytes(teacher_assignment(exercise))


def _grading(report: notebooks.GradingReport, assignment: notebooks.Assignment,
             run_status: str) -> Grading:
    """The notebook's report in a code grade's terms: one test per graded cell, its
    ``grade_id`` as its name and its points as its weight."""
    hidden = {c.grade_id for c in assignment.cells if c.hidden}
    tests = [TestResult(
        name=str(t["name"]), verdict="passed" if t["status"] == "passed" else "failed",
        weight=float(t["max_score"]), hidden=t["name"] in hidden,
        stdout=str(t.get("output") or "")) for t in report.results["tests"]]
    problem = report.results.get("extra_data", {}).get("problem") or ""
    return Grading(score=float(report.results["score"]),
                   max_score=float(report.results["max_score"]), tests=tests,
                   compile_output=str(problem), harness_status=run_status)


def grade_source(source: str, submitted: bytes | str, cell_timeout: float,
                 backend: str = "auto") -> NotebookGrading:
    """Grade ``submitted`` against the teacher's ``source`` in the sandbox (one run), with
    the feedback notebook written in each interface language.

    :raises notebooks.NotebookError: the submission is not a usable notebook;
        :class:`notebooks.NotebookRunError` or :class:`sandbox.SandboxUnavailable` when the
        sandbox cannot run it.
    """
    prepared = notebooks.prepare(source, submitted)
    execution = notebooks.execute(prepared.restored, prepared.assignment, cell_timeout,
                                  backend)
    reports = {lang: notebooks.score(prepared.assignment, prepared.restored, execution, lang)
               for lang in LANGUAGES}
    first = reports[LANGUAGES[0]]
    return NotebookGrading(
        grading=_grading(first, prepared.assignment, execution.run_status),
        tampered=list(prepared.restored.tampered),
        feedback={lang: nbformat.writes(r.feedback) for lang, r in reports.items()})


def _write(exercise: Exercise, spec: NotebookSpec, timeout: float,
           assignment: notebooks.Assignment | None) -> None:
    exercise.title = spec.title.strip()
    exercise.statement = {k: v.strip() for k, v in spec.statement.items() if v.strip()}
    exercise.cell_timeout = timeout
    if assignment is not None:
        exercise.notebook = nbformat.writes(assignment.teacher)
        exercise.points = assignment.max_score


def verify(exercise: Exercise, now: datetime, backend: str = "auto") -> bool:
    """Grade the teacher's own notebook (solutions in place) against itself; record and
    return whether every graded cell passes."""
    assert exercise.notebook is not None
    graded = grade_source(exercise.notebook, exercise.notebook,
                          exercise.cell_timeout or notebooks.DEFAULT_CELL_TIMEOUT, backend)
    passed = bool(graded.grading.tests) and all(t.passed for t in graded.grading.tests)
    exercise.verification = {
        "passed": passed, "compile_output": graded.grading.compile_output,
        "tests": [{"name": t.name, "verdict": t.verdict, "stdout": t.stdout[:4000],
                   "stderr": "", "wall_ms": 0, "assertion": "", "hidden": t.hidden,
                   "points": t.weight} for t in graded.grading.tests]}
    exercise.verified_at = now if passed else None
    if not passed:
        exercise.status = "draft"
    return passed


def create_notebook_exercise(session: Session, organisation_id: str, spec: NotebookSpec,
                             author_id: str | None, now: datetime,
                             backend: str = "auto") -> Exercise:
    """A new draft notebook exercise, its teacher notebook already graded against itself.

    :raises Invalid: a field is wrong; :class:`notebooks.NotebookError` the notebook is
        unusable (the message names the cell).
    """
    timeout = _validate(spec)
    if spec.source is None:
        raise Invalid("exercise_invalid", field="notebook")
    assignment = notebooks.load_assignment(spec.source)
    exercise = Exercise(organisation_id=organisation_id, created_by=author_id, created_at=now,
                        updated_at=now, status="draft", kind=KIND, title="",
                        language="python3", statement={}, solution_code="", starter_code="")
    _write(exercise, spec, timeout, assignment)
    session.add(exercise)
    session.flush()
    verify(exercise, now, backend)
    session.flush()
    return exercise


def update_notebook_exercise(session: Session, exercise_id: str, spec: NotebookSpec,
                             now: datetime, backend: str = "auto") -> Exercise:
    """Change a notebook exercise (a new notebook, or only its texts and timeout); its
    notebook is graded against itself again when the notebook or the timeout changed."""
    timeout = _validate(spec)
    exercise = get_exercise(session, exercise_id)
    if not is_notebook(exercise):
        raise Invalid("exercise_not_notebook")
    assignment = None if spec.source is None else notebooks.load_assignment(spec.source)
    rerun = assignment is not None or timeout != exercise.cell_timeout
    _write(exercise, spec, timeout, assignment)
    exercise.updated_at = now
    if rerun:
        verify(exercise, now, backend)
    session.flush()
    return exercise


def submit_notebook(session: Session, assignment_id: str, student_id: str, data: bytes,
                    now: datetime) -> Submission:
    """Record a student's notebook (``queued``) if the assignment's rules allow it.

    The notebook is checked first (a valid notebook, within the size bound): a file that
    is not one is refused with the reason and nothing is recorded.
    """
    handed_in = notebooks.read_notebook(data, "submission")
    assignment = get_assignment(session, assignment_id)
    if not is_student_of(session, assignment, student_id):
        raise Forbidden("forbidden")
    exercise = get_exercise(session, assignment.exercise_id)
    if is_notebook(exercise):
        theirs = {meta.get("grade_id") for meta in
                  (c.get("metadata", {}).get("nbgrader") for c in handed_in.cells)
                  if isinstance(meta, dict)}
        if not theirs & {c.grade_id for c in teacher_assignment(exercise).cells}:
            # None of the assignment's cells: another assignment's notebook, or one rebuilt
            # without its cells' metadata. Graded, it would earn nothing and say little.
            raise SubmitRefused("notebook_not_this_assignment")
    return admit_submission(session, assignment_id, student_id,
                            {SUBMISSION_FILE: data.decode("utf-8")}, now, kind=KIND)


def grade_submission(session: Session, submission_id: str, now: datetime,
                     backend: str = "auto") -> Submission:
    """Grade a notebook submission once within one unit of work (the task
    ``ardoise.grade_submission`` does the same in three steps, outside any transaction
    while the notebook runs)."""
    submission = get_submission(session, submission_id)
    if submission.status != "graded":
        exercise = get_exercise(session, submission.exercise_id)
        mark_running(session, submission_id)
        graded = grade_source(teacher_source(exercise), submitted_notebook(submission),
                              exercise.cell_timeout or notebooks.DEFAULT_CELL_TIMEOUT,
                              backend)
        store_grade(session, submission_id, graded.grading, now, tampered=graded.tampered,
                    feedback=graded.feedback)
    return get_submission(session, submission_id)


def submitted_notebook(submission: Submission) -> str:
    return submission.files.get(SUBMISSION_FILE, "")


def answer_code(submission: Submission) -> str:
    """The code a student wrote in a notebook (every code cell's source), for diffs
    between attempts and the similarity report."""
    try:
        notebook = notebooks.read_notebook(submitted_notebook(submission), "submission")
    except notebooks.NotebookError:
        return ""
    return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def feedback_html(submission: Submission, locale: str) -> str | None:
    """The feedback notebook as a self-contained page in ``locale`` (None before grading)."""
    feedback = submission.feedback or {}
    text = feedback.get(locale) or next(iter(feedback.values()), None)
    if submission.status != "graded" or not text:
        return None
    return notebooks.render_html(nbformat.reads(text, as_version=4), locale)


def feedback_bytes(submission: Submission, locale: str) -> bytes | None:
    feedback = submission.feedback or {}
    text = feedback.get(locale) or next(iter(feedback.values()), None)
    if submission.status != "graded" or not text:
        return None
    return text.encode()


def cells_summary(exercise: Exercise) -> list[dict[str, Any]]:
    """The graded cells of the teacher's notebook, for the teacher's exercise page."""
    return [{"grade_id": c.grade_id, "index": c.index + 1, "kind": c.kind,
             "points": c.points, "hidden": c.hidden}
            for c in teacher_assignment(exercise).cells]
