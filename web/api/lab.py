"""REST endpoints of the coding lab: an assignment, its draft, "Run", "Submit", a submission.

Who may ask is checked on every route (:mod:`web.lab_access`). Hidden tests' input,
expected and actual output never leave the server for a student. "Run" goes through the
sandbox queue as a code run (``ardoise.run_code``) and waits for its answer; "Submit"
records the submission and queues ``ardoise.grade_submission``. The response shapes are
in ``docs/coding-lab.md``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ardoise.clock import iso, utcnow
from ardoise.code_runs import find_result
from ardoise.errors import Conflict, DomainError, Forbidden, Invalid
from ardoise.worker.code_runs import submit_code_run
from ardoise.worker.lab import queue_grading
from coding_lab import assignments, notebook_exercises
from coding_lab.assignments import SubmitRefused
from coding_lab.exercises import (
    MAX_CODE,
    entry_file,
    exercise_comparison,
    get_exercise,
    hint_text,
    limits_of,
    public_tests,
    test_cases,
)
from coding_lab.harness import Grading, build_run, judge, read_report
from coding_lab.models import Assignment, CodeDraft, Exercise, Submission
from coding_lab.notebooks import MAX_NOTEBOOK_BYTES
from item_bank.rich_text import render_text
from sandbox import Limits, RunResult, RunSpec
from student_records.models import Person
from web.access import login_required
from web.context import database, unit_of_work
from web.lab_access import assignment_reader, submission_reader
from web.lab_explanations import explanations_for
from web.messages import message_for

bp = Blueprint("api_lab", __name__, url_prefix="/api/v1")

#: Refusals that depend on the moment or on earlier submits (409); the others are 422.
CONFLICTS = {"submit_too_soon", "attempt_limit_reached", "assignment_closed",
             "assignment_not_open"}
#: Seconds a "Run" waits for the sandbox queue beyond the run's own time limit.
RUN_QUEUE_SECONDS = 60.0
MAX_STDIN = 64 * 1024


class RunTimedOut(DomainError):
    """No worker answered a "Run" in time (the sandbox queue is busy or down)."""

    status = 503
    code = "lab_run_timeout"


def _user() -> Person:
    return g.user


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _code() -> str:
    code = _body().get("code")
    if not isinstance(code, str):
        raise Invalid("bad_request")
    if len(code) > MAX_CODE:
        raise SubmitRefused("submission_too_large", max_kb=MAX_CODE // 1024)
    return code


@bp.errorhandler(SubmitRefused)
def _refused(error: SubmitRefused) -> ResponseReturnValue:
    """A rule's refusal: its code, its translated message, and its numbers (``seconds``
    to wait, the attempt ``limit``, the size ``max_kb``)."""
    status = 409 if error.code in CONFLICTS else 422
    body = {**error.params, "error": error.code, "message": message_for(error.code,
                                                                       error.params)}
    response = jsonify(body)
    if error.code == "submit_too_soon":
        response.headers["Retry-After"] = str(error.params.get("seconds", 1))
    return response, status


# -- views ----------------------------------------------------------------------------------

def submission_summary(submission: Submission) -> dict[str, Any]:
    graded = submission.status == "graded"
    return {"id": submission.id, "number": submission.number, "status": submission.status,
            "score": submission.score if graded else None,
            "max_score": submission.max_score if graded else None,
            "days_late": submission.days_late, "submitted_at": iso(submission.submitted_at)}


def assignment_view(session: Any, assignment: Assignment, exercise: Exercise,
                    person: Person, role: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": assignment.id, "title": assignment.title, "exercise_id": exercise.id,
        "kind": exercise.kind, "language": exercise.language,
        "entry_file": entry_file(exercise.language),
        "statement": {lang: render_text(text) for lang, text in exercise.statement.items()},
        "starter_code": exercise.starter_code,
        "public_tests": public_tests(session, exercise),
        "points": exercise.points,
        "limits": {"cpu_seconds": exercise.cpu_seconds, "memory_mb": exercise.memory_mb},
        "role": role, "draft": None, "submissions": [],
    }
    if role == "student":
        window = assignments.window_for(session, assignment, person.id)
        draft = session.scalar(select(CodeDraft).where(
            CodeDraft.assignment_id == assignment.id, CodeDraft.student_id == person.id))
        if draft is not None:
            view["draft"] = {"code": draft.files.get(entry_file(exercise.language), ""),
                             "saved_at": iso(draft.saved_at)}
        view["submissions"] = [submission_summary(s) for s in
                               assignments.submissions_of(session, assignment.id, person.id)]
    else:
        window = assignments.Window(assignment.due_at, assignment.closes_at)
    view["rules"] = {
        "opens_at": iso(assignment.opens_at), "due_at": iso(window.due_at),
        "closes_at": iso(window.closes_at), "extended": window.due_at != assignment.due_at,
        "late_penalty_percent": assignment.late_penalty_percent,
        "attempt_limit": assignment.attempt_limit,
        "min_delay_seconds": assignment.min_delay_seconds,
    }
    return view


def submission_view(submission: Submission, language: str, role: str) -> dict[str, Any]:
    """The owner sees :func:`assignments.student_results`; a teacher every test whole."""
    graded = submission.status == "graded"
    tests = assignments.student_results(submission, str(get_locale())) if role == "owner" else \
        list(submission.results or [])
    view: dict[str, Any] = {
        "id": submission.id, "assignment_id": submission.assignment_id,
        "number": submission.number, "status": submission.status,
        "score": submission.score if graded else None,
        "raw_score": submission.raw_score if graded else None,
        "max_score": submission.max_score if graded else None,
        "days_late": submission.days_late, "submitted_at": iso(submission.submitted_at),
        "graded_at": iso(submission.graded_at), "tests": tests,
        "compile_output": submission.compile_output or "",
        "explanations": explanations_for(language, dict(submission.files),
                                         submission.compile_output or "", tests),
    }
    if role == "teacher":
        view["student_id"] = submission.student_id
        view["code"] = dict(submission.files)
    return view


# -- routes ---------------------------------------------------------------------------------

@bp.get("/assignments/<assignment_id>")
@login_required
def get_assignment(assignment_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = assignments.get_assignment(db, assignment_id)
        role = assignment_reader(db, _user(), assignment)
        exercise = get_exercise(db, assignment.exercise_id)
        return jsonify(assignment_view(db, assignment, exercise, _user(), role))


@bp.put("/assignments/<assignment_id>/draft")
@login_required
def save_draft(assignment_id: str) -> ResponseReturnValue:
    code = _code()
    with unit_of_work() as db:
        draft = assignments.save_draft(db, assignment_id, _user().id, code, utcnow())
        return jsonify({"saved_at": iso(draft.saved_at)})


@bp.post("/assignments/<assignment_id>/submissions")
@login_required
def submit(assignment_id: str) -> ResponseReturnValue:
    code = _code()
    try:
        with unit_of_work() as db:
            submission = assignments.submit(db, assignment_id, _user().id, code, utcnow())
    except IntegrityError:  # the same student's other submit took this number first
        raise Conflict("conflict") from None
    queue_grading(submission)  # committed first: the worker finds the row
    return jsonify({"id": submission.id, "number": submission.number,
                    "status": "queued"}), 202


@bp.post("/assignments/<assignment_id>/notebook")
@login_required
def hand_in_notebook(assignment_id: str) -> ResponseReturnValue:
    """A notebook assignment's submission: the ``.ipynb`` as the multipart field
    ``notebook``; checked, recorded as queued and graded like a code submission."""
    sent = request.files.get("notebook")
    if sent is None:
        raise Invalid("notebook_missing")
    data = sent.read(MAX_NOTEBOOK_BYTES + 1)
    try:
        with unit_of_work() as db:
            submission = notebook_exercises.submit_notebook(db, assignment_id, _user().id,
                                                            data, utcnow())
    except IntegrityError:  # the same student's other submit took this number first
        raise Conflict("conflict") from None
    queue_grading(submission)  # committed first: the worker finds the row
    return jsonify({"id": submission.id, "number": submission.number,
                    "status": "queued"}), 202


@bp.get("/submissions/<submission_id>")
@login_required
def get_submission(submission_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        submission = assignments.get_submission(db, submission_id)
        assignment = assignments.get_assignment(db, submission.assignment_id)
        role = submission_reader(db, _user(), submission, assignment)
        language = get_exercise(db, submission.exercise_id).language
        return jsonify(submission_view(submission, language, role))


@bp.post("/assignments/<assignment_id>/run")
@login_required
def run(assignment_id: str) -> ResponseReturnValue:
    """The student's code on their own ``stdin``, or against the visible tests; nothing
    about the student is recorded."""
    code = _code()
    stdin = _body().get("stdin")
    if stdin is not None and (not isinstance(stdin, str) or len(stdin) > MAX_STDIN):
        raise Invalid("bad_request")
    with unit_of_work() as db:
        assignment = assignments.get_assignment(db, assignment_id)
        if assignment_reader(db, _user(), assignment) != "student":
            raise Forbidden("forbidden")
        exercise = get_exercise(db, assignment.exercise_id)
        language, files = exercise.language, {entry_file(exercise.language): code}
        limits, comparison, points = (limits_of(exercise), exercise_comparison(exercise),
                                      exercise.points)
        visible = [t for t in test_cases(db, exercise) if not t.hidden]
    if stdin is not None:
        spec = RunSpec(language=language, files=files, stdin=stdin,
                       limits=Limits(cpu_seconds=limits.cpu_seconds,
                                     memory_mb=limits.memory_mb))
        result = _code_run(spec)
        output = result.compile_output or result.stderr
        return jsonify({"status": str(result.status), "stdout": result.stdout,
                        "stderr": result.stderr, "compile_output": result.compile_output,
                        "explanations": explanations_for(language, files, output, [])})
    if not visible:
        raise SubmitRefused("no_visible_tests")
    spec, nonce = build_run(language, files, visible, limits)
    result = _code_run(spec)
    graded: Grading = judge(visible, read_report(result, nonce), comparison, points, result)
    tests = [{"name": t.name, "verdict": t.verdict, "hidden": False, "weight": t.weight,
              "stdout": t.stdout, "stderr": t.stderr, "expected": t.expected,
              "hint": hint_text(t.hint, str(get_locale())), "assertion": t.assertion}
             for t in graded.tests]
    return jsonify({"tests": tests, "compile_output": graded.compile_output,
                    "explanations": explanations_for(language, files, graded.compile_output,
                                                     tests)})


def _code_run(spec: RunSpec) -> RunResult:
    """Run ``spec`` on the sandbox queue as a job of its own and wait for its answer."""
    job_id = f"lab-run:{secrets.token_hex(16)}"
    result = submit_code_run(job_id, spec)
    deadline = time.monotonic() + spec.limits.wall + RUN_QUEUE_SECONDS
    while result is None:
        if time.monotonic() > deadline:
            raise RunTimedOut("lab_run_timeout")
        time.sleep(0.05)
        with database().session() as session:
            result = find_result(session, job_id)
    return result
