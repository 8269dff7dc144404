"""Assignments: who may submit when, what lateness costs, and grading a submission once.

A submission is recorded (``queued``) by :func:`submit` after the assignment's rules say
yes, and graded by :func:`grade_submission`, normally in the ``ardoise.grade_submission``
task on the sandbox queue. Grading is idempotent: a graded submission is never graded
again, so a job redelivered after its worker died stores one grade.

Lateness: a student's due date is their extension's, else the assignment's. Each started
day after it costs ``late_penalty_percent`` of the score (never below zero); after the
close (the extension's, else the assignment's), submissions are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ardoise.errors import Forbidden, Invalid, NotFound
from coding_lab.exercises import (
    MAX_CODE,
    entry_file,
    exercise_comparison,
    get_exercise,
    hint_text,
    limits_of,
    test_cases,
)
from coding_lab.harness import Grading, TestCase, grade
from coding_lab.models import Assignment, AssignmentExtension, CodeDraft, Exercise, Submission
from student_records import service as records
from student_records.models import Enrolment, Role


class SubmitRefused(Invalid):
    """A submit the assignment's rules refuse; ``code`` says which rule."""


@dataclass(frozen=True)
class Window:
    due_at: datetime
    closes_at: datetime | None


def create_assignment(
    session: Session, exercise_id: str, class_id: str, *, opens_at: datetime,
    due_at: datetime, closes_at: datetime | None = None, late_penalty_percent: float = 0.0,
    attempt_limit: int | None = None, min_delay_seconds: int = 0, title: str = "",
    author_id: str | None = None,
) -> Assignment:
    exercise = get_exercise(session, exercise_id)
    if exercise.status != "published":
        raise Invalid("exercise_unpublished")
    klass = records.get_class(session, class_id)
    if klass.school_id != exercise.organisation_id:
        raise Invalid("assignment_invalid", field="class_id")
    if due_at <= opens_at or (closes_at is not None and closes_at < due_at):
        raise Invalid("assignment_invalid", field="due_at")
    if not 0 <= late_penalty_percent <= 100 or not math.isfinite(late_penalty_percent):
        raise Invalid("assignment_invalid", field="late_penalty")
    if attempt_limit is not None and not 0 < attempt_limit <= 1000:
        raise Invalid("assignment_invalid", field="attempt_limit")
    if not 0 <= min_delay_seconds <= 24 * 3600:
        raise Invalid("assignment_invalid", field="min_delay")
    assignment = Assignment(
        exercise_id=exercise.id, class_id=class_id, title=title.strip()[:200] or exercise.title,
        opens_at=opens_at, due_at=due_at, closes_at=closes_at,
        late_penalty_percent=late_penalty_percent, attempt_limit=attempt_limit,
        min_delay_seconds=min_delay_seconds, created_by=author_id)
    session.add(assignment)
    session.flush()
    return assignment


def get_assignment(session: Session, assignment_id: str) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound("assignment_not_found")
    return assignment


def is_student_of(session: Session, assignment: Assignment, student_id: str) -> bool:
    """Whether the person is enrolled as a student in the assignment's class."""
    return session.scalar(select(Enrolment.person_id).where(
        Enrolment.class_id == assignment.class_id, Enrolment.person_id == student_id,
        Enrolment.role == Role.STUDENT)) is not None


def grant_extension(session: Session, assignment_id: str, student_id: str, due_at: datetime,
                    closes_at: datetime | None, granted_by: str | None) -> AssignmentExtension:
    assignment = get_assignment(session, assignment_id)
    if not is_student_of(session, assignment, student_id):
        raise Invalid("assignment_invalid", field="student")
    if due_at <= assignment.opens_at or (closes_at is not None and closes_at < due_at):
        raise Invalid("assignment_invalid", field="due_at")
    extension = session.scalar(select(AssignmentExtension).where(
        AssignmentExtension.assignment_id == assignment_id,
        AssignmentExtension.student_id == student_id))
    if extension is None:
        extension = AssignmentExtension(assignment_id=assignment_id, student_id=student_id,
                                        due_at=due_at)
        session.add(extension)
    extension.due_at, extension.closes_at, extension.granted_by = due_at, closes_at, granted_by
    session.flush()
    return extension


def window_for(session: Session, assignment: Assignment, student_id: str) -> Window:
    extension = session.scalar(select(AssignmentExtension).where(
        AssignmentExtension.assignment_id == assignment.id,
        AssignmentExtension.student_id == student_id))
    if extension is not None:
        closes = extension.closes_at
        if closes is None and assignment.closes_at is not None:
            closes = max(assignment.closes_at, extension.due_at)
        return Window(extension.due_at, closes)
    return Window(assignment.due_at, assignment.closes_at)


def days_late(submitted_at: datetime, due_at: datetime) -> int:
    """Started days after the due date: one second late is one day."""
    if submitted_at <= due_at:
        return 0
    return math.ceil((submitted_at - due_at) / timedelta(days=1))


def penalised(raw: float, late_days: int, percent_per_day: float) -> float:
    return round(max(0.0, raw * (1 - late_days * percent_per_day / 100)), 4)


def submissions_of(session: Session, assignment_id: str, student_id: str) -> list[Submission]:
    return list(session.scalars(select(Submission).where(
        Submission.assignment_id == assignment_id, Submission.student_id == student_id)
        .order_by(Submission.number)))


def submit(session: Session, assignment_id: str, student_id: str, code: str,
           now: datetime) -> Submission:
    """Record a submission (``queued``) if the rules allow it, else say which refuses it."""
    assignment = get_assignment(session, assignment_id)
    if not is_student_of(session, assignment, student_id):
        raise Forbidden("forbidden")
    if not isinstance(code, str) or len(code) > MAX_CODE:
        raise SubmitRefused("submission_too_large", max_kb=MAX_CODE // 1024)
    exercise = get_exercise(session, assignment.exercise_id)
    return admit_submission(session, assignment_id, student_id,
                            {entry_file(exercise.language): code}, now)


def _code_exercise(exercise: Exercise) -> None:
    """Refuse code where the exercise wants a notebook handed in."""
    if exercise.kind != "code":
        raise SubmitRefused("notebook_expected")


def admit_submission(session: Session, assignment_id: str, student_id: str,
                     files: dict[str, str], now: datetime, kind: str = "code") -> Submission:
    """Record ``files`` as a ``queued`` submission if the assignment's rules allow it, else
    say which rule refuses it. ``kind`` is what the caller hands in: a program (``code``)
    or a notebook; the other kind of exercise refuses it."""
    assignment = get_assignment(session, assignment_id)
    if not is_student_of(session, assignment, student_id):
        raise Forbidden("forbidden")
    exercise = get_exercise(session, assignment.exercise_id)
    if exercise.kind != kind:
        raise SubmitRefused("notebook_expected" if exercise.kind == "notebook"
                            else "code_expected")
    if now < assignment.opens_at:
        raise SubmitRefused("assignment_not_open")
    window = window_for(session, assignment, student_id)
    if window.closes_at is not None and now > window.closes_at:
        raise SubmitRefused("assignment_closed")
    earlier = submissions_of(session, assignment_id, student_id)
    if assignment.attempt_limit is not None and len(earlier) >= assignment.attempt_limit:
        raise SubmitRefused("attempt_limit_reached", limit=assignment.attempt_limit)
    if earlier and assignment.min_delay_seconds:
        wait = assignment.min_delay_seconds - (now - earlier[-1].submitted_at).total_seconds()
        if wait > 0:
            raise SubmitRefused("submit_too_soon", seconds=math.ceil(wait))
    submission = Submission(
        assignment_id=assignment.id, exercise_id=exercise.id, student_id=student_id,
        number=len(earlier) + 1, files=files, submitted_at=now,
        days_late=days_late(now, window.due_at), status="queued")
    session.add(submission)
    session.flush()
    return submission


def get_submission(session: Session, submission_id: str) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("submission_not_found")
    return submission


def mark_running(session: Session, submission_id: str) -> bool:
    """Move a queued (or redelivered running) submission to running; False if graded."""
    changed = session.execute(
        update(Submission).where(Submission.id == submission_id,
                                 Submission.status.in_(("queued", "running")))
        .values(status="running"))
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def run_tests(session: Session, submission: Submission, backend: str = "auto") -> Grading:
    exercise = get_exercise(session, submission.exercise_id)
    return grade(exercise.language, dict(submission.files), test_cases(session, exercise),
                 limits_of(exercise), exercise_comparison(exercise), exercise.points,
                 backend=backend)


def store_grade(session: Session, submission_id: str, graded: Grading, now: datetime, *,
                tampered: list[str] | None = None,
                feedback: dict[str, str] | None = None) -> bool:
    """Store the grade unless one is stored already; True when this one was stored.
    A notebook's grade comes with the cells the student altered and its feedback notebook
    (``coding_lab.notebook_exercises``)."""
    submission = session.scalar(select(Submission).where(Submission.id == submission_id)
                                .with_for_update())
    if submission is None or submission.status == "graded":
        return False
    assignment = get_assignment(session, submission.assignment_id)
    submission.raw_score = graded.score
    submission.score = penalised(graded.score, submission.days_late,
                                 assignment.late_penalty_percent)
    submission.max_score = graded.max_score
    submission.compile_output = graded.compile_output or None
    submission.results = [{
        "name": t.name, "verdict": t.verdict, "weight": t.weight, "hidden": t.hidden,
        "stdout": t.stdout, "stderr": t.stderr, "expected": t.expected, "hint": t.hint,
        "assertion": t.assertion, "wall_ms": t.wall_ms} for t in graded.tests]
    submission.tampered = tampered
    submission.feedback = feedback
    submission.status = "graded"
    submission.graded_at = now
    session.flush()
    return True


def grade_submission(session: Session, submission_id: str, now: datetime,
                     backend: str = "auto") -> Submission:
    """Grade a submission once (within one unit of work; the task splits it in three)."""
    submission = get_submission(session, submission_id)
    if submission.status != "graded":
        mark_running(session, submission_id)
        store_grade(session, submission_id, run_tests(session, submission, backend), now)
    return get_submission(session, submission_id)


def student_results(submission: Submission, locale: str = "fr") -> list[dict[str, Any]]:
    """What the student sees: visible tests whole (input, expected, actual, hint); hidden
    ones by name and verdict only — never their input, expected or actual output."""
    shown = []
    for result in submission.results or []:
        if result.get("hidden"):
            shown.append({"name": result["name"], "verdict": result["verdict"],
                          "hidden": True, "weight": result.get("weight", 1.0)})
        else:
            shown.append({**{key: result.get(key) for key in (
                "name", "verdict", "hidden", "weight", "stdout", "stderr", "expected",
                "assertion")}, "hint": hint_text(result.get("hint"), locale)})
    return shown


def run_visible(session: Session, assignment_id: str, student_id: str, code: str,
                backend: str = "auto") -> Grading:
    """"Run": the student's code against the visible tests only, nothing recorded."""
    assignment = get_assignment(session, assignment_id)
    if not is_student_of(session, assignment, student_id):
        raise Forbidden("forbidden")
    if len(code) > MAX_CODE:
        raise SubmitRefused("submission_too_large", max_kb=MAX_CODE // 1024)
    exercise = get_exercise(session, assignment.exercise_id)
    _code_exercise(exercise)
    visible: list[TestCase] = [t for t in test_cases(session, exercise) if not t.hidden]
    if not visible:
        raise SubmitRefused("no_visible_tests")
    return grade(exercise.language, {entry_file(exercise.language): code}, visible,
                 limits_of(exercise), exercise_comparison(exercise), exercise.points,
                 backend=backend)


def save_draft(session: Session, assignment_id: str, student_id: str, code: str,
               now: datetime) -> CodeDraft:
    assignment = get_assignment(session, assignment_id)
    if not is_student_of(session, assignment, student_id):
        raise Forbidden("forbidden")
    if len(code) > MAX_CODE:
        raise SubmitRefused("submission_too_large", max_kb=MAX_CODE // 1024)
    exercise = get_exercise(session, assignment.exercise_id)
    _code_exercise(exercise)
    draft = session.scalar(select(CodeDraft).where(CodeDraft.assignment_id == assignment_id,
                                                   CodeDraft.student_id == student_id))
    if draft is None:
        draft = CodeDraft(assignment_id=assignment_id, student_id=student_id, files={},
                          saved_at=now)
        session.add(draft)
    draft.files = {entry_file(exercise.language): code}
    draft.saved_at = now
    session.flush()
    return draft


def best_scores(session: Session, assignment_id: str) -> dict[str, float]:
    """Each student's best graded score (the grade a gradebook takes)."""
    return {student: float(best) for student, best in session.execute(
        select(Submission.student_id, func.max(Submission.score)).where(
            Submission.assignment_id == assignment_id, Submission.status == "graded")
        .group_by(Submission.student_id)).all() if best is not None}
