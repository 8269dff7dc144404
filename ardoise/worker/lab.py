"""The ``ardoise.grade_submission`` task: a coding-lab submission graded once, in three steps.

A submission to a notebook exercise goes the same way: step 2 runs the notebook with a
kernel in the sandbox (``coding_lab.notebook_exercises.grade_source``) instead of the
harness, and step 3 stores its altered cells and feedback notebook with the grade.

1. ``mark_running``, committed, then the status is pushed;
2. the harness runs every test in one sandbox run, outside any database transaction;
3. ``store_grade`` under the row lock, committed, then the status is pushed.

A job redelivered after its worker died finds the submission ``running``, runs it again,
and stores the grade unless one is stored already: one grade, however often it runs. A
worker whose sandbox cannot run code puts the job back (as ``ardoise.run_code`` does);
when no worker could run it after the retries, or the sandbox machinery fails, the
submission's status becomes ``error``.

Each grading that ends (graded or ``error``) also pushes ``regrade:progress`` to the
assignment's teachers: how many students' latest submissions are done, out of how many
(what a bulk regrade's progress bar shows; a page that is not regrading ignores it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import Task
from sqlalchemy import and_, func, select, update

from ardoise.celery_app import celery
from ardoise.clock import utcnow
from ardoise.config import sandbox_backend_from_env
from ardoise.worker import lab_events
from ardoise.worker.code_runs import UNAVAILABLE_RETRIES, RetryLater, retry_delay
from ardoise.worker.context import database
from coding_lab import assignments
from coding_lab.comparison import Comparison
from coding_lab.exercises import exercise_comparison, get_exercise, limits_of, test_cases
from coding_lab.harness import Grading, TestCase, TestLimits, grade
from coding_lab.models import Submission
from coding_lab.notebook_exercises import (
    SUBMISSION_FILE,
    NotebookGrading,
    grade_source,
    is_notebook,
)
from coding_lab.notebooks import DEFAULT_CELL_TIMEOUT
from sandbox import SandboxUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GradingInput:
    """Everything the harness needs, read before the run so no transaction stays open."""

    assignment_id: str
    language: str
    files: dict[str, str]
    tests: list[TestCase]
    limits: TestLimits
    comparison: Comparison
    points: float
    #: A notebook exercise's teacher notebook and per-cell timeout (None: a code exercise).
    notebook: str | None = None
    cell_timeout: float = DEFAULT_CELL_TIMEOUT


def _start(submission_id: str) -> GradingInput | None:
    """Mark the submission running (committed) and read what grading it needs; ``None``
    when there is nothing to grade (unknown, graded, or given up as ``error``)."""
    with database().session() as session:
        submission = session.get(Submission, submission_id)
        if submission is None:
            log.warning("submission %s: not found, nothing to grade", submission_id)
            return None
        if not assignments.mark_running(session, submission_id):
            log.info("submission %s: already %s", submission_id, submission.status)
            return None
        exercise = get_exercise(session, submission.exercise_id)
        given = GradingInput(submission.assignment_id, exercise.language,
                             dict(submission.files),
                             test_cases(session, exercise), limits_of(exercise),
                             exercise_comparison(exercise), exercise.points,
                             exercise.notebook if is_notebook(exercise) else None,
                             exercise.cell_timeout or DEFAULT_CELL_TIMEOUT)
        # What the student's page is told: known here, no need to read the row again.
        running = {**lab_events.status_payload(submission), "status": "running"}
    lab_events.emit("submission:status", running, lab_events.student_room(submission.student_id))
    return given


def _push(submission_id: str) -> None:
    with database().session() as session:
        submission = session.get(Submission, submission_id)
        if submission is not None:
            lab_events.submission_status(submission)


def _progress(assignment_id: str) -> None:
    """Push a bulk regrade's progress: of each student's latest submission, how many are
    no longer waiting (graded or error), out of how many."""
    with database().session() as session:
        latest = (select(Submission.student_id, func.max(Submission.number).label("number"))
                  .where(Submission.assignment_id == assignment_id)
                  .group_by(Submission.student_id).subquery())
        statuses = list(session.scalars(select(Submission.status).join(latest, and_(
            Submission.student_id == latest.c.student_id,
            Submission.number == latest.c.number)).where(
            Submission.assignment_id == assignment_id)))
    lab_events.regrade_progress(assignment_id, sum(s in ("graded", "error") for s in statuses),
                                len(statuses))


def _store(given: GradingInput, submission_id: str, graded: Grading,
           notebook: NotebookGrading | None = None) -> None:
    with database().session() as session:
        stored = assignments.store_grade(
            session, submission_id, graded, utcnow(),
            tampered=notebook.tampered if notebook else None,
            feedback=notebook.feedback if notebook else None)
        submission = session.get(Submission, submission_id)  # the row store_grade locked
        pushed = (lab_events.status_payload(submission), submission.student_id) \
            if stored and submission is not None else None
    if pushed is not None:
        log.info("submission %s: grade stored (%s/%s)", submission_id, graded.score,
                 graded.max_score)
        lab_events.emit("submission:status", pushed[0], lab_events.student_room(pushed[1]))
        _progress(given.assignment_id)
    else:
        log.info("submission %s: a grade was stored already; this one is dropped",
                 submission_id)


def _give_up(given: GradingInput, submission_id: str, reason: str) -> None:
    """The sandbox could not grade it: ``error`` (unless a grade got stored meanwhile)."""
    log.error("submission %s: not graded: %s", submission_id, reason)
    with database().session() as session:
        changed = session.execute(
            update(Submission).where(Submission.id == submission_id,
                                     Submission.status.in_(("queued", "running")))
            .values(status="error"))
    if changed.rowcount:  # type: ignore[attr-defined]
        _push(submission_id)
        _progress(given.assignment_id)


def grade_once(submission_id: str, *, may_retry: bool, backend: str | None = None) -> None:
    """Grade a submission unless it is graded already (the body of the task).

    :param may_retry: when no sandbox can run code here, raise :class:`RetryLater`
        instead of giving up with ``error``.
    :param backend: the sandbox backend (the environment's by default).
    """
    given = _start(submission_id)
    if given is None:
        return
    notebook: NotebookGrading | None = None
    try:
        if given.notebook is not None:
            notebook = grade_source(given.notebook, given.files.get(SUBMISSION_FILE, ""),
                                    given.cell_timeout,
                                    backend=backend or sandbox_backend_from_env())
            graded = notebook.grading
        else:
            graded = grade(given.language, given.files, given.tests, given.limits,
                           given.comparison, given.points,
                           backend=backend or sandbox_backend_from_env())
    except SandboxUnavailable as exc:
        if may_retry:
            raise RetryLater(exc) from exc
        _give_up(given, submission_id, f"no sandbox can run code on this worker: {exc}")
        return
    except Exception as exc:
        log.exception("submission %s: the sandbox machinery failed", submission_id)
        _give_up(given, submission_id, f"{type(exc).__name__}: {exc}")
        return
    if graded.harness_status == "sandbox_error":
        _give_up(given, submission_id, "the sandbox failed to run the harness")
        return
    _store(given, submission_id, graded, notebook)


@celery.task(name="ardoise.grade_submission", bind=True, acks_late=True,
             reject_on_worker_lost=True, max_retries=UNAVAILABLE_RETRIES)
def grade_submission(self: Task, submission_id: str) -> None:
    """Grade submission ``submission_id`` once (idempotent; see the module's words)."""
    # In-process (no broker) there is no other worker to wait for: answer at once.
    may_retry = not self.request.is_eager and self.request.retries < UNAVAILABLE_RETRIES
    try:
        grade_once(submission_id, may_retry=may_retry)
    except RetryLater as exc:
        log.warning("submission %s: %s; retrying", submission_id, exc)
        raise self.retry(countdown=retry_delay(self.request.retries)) from None


def queue_grading(submission: Submission) -> None:
    """Push the new submission's ``queued`` status, then queue its grading on the
    ``sandbox`` queue (in the embedded default, it is graded before this returns)."""
    lab_events.submission_status(submission)
    grade_submission.apply_async((submission.id,))
