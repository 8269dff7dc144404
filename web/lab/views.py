"""Student pages of the coding lab; a student sees only the assignments of their classes.

The exercise page is drawn here with what the server knows (title, due date with the
student's own extension, rules); the statement, the draft, the visible tests and the
submissions come from the JSON API (``web/api/lab.py``), read by ``build/lab.js``.

The editor (CodeMirror) injects its styles in a ``<style>`` element; this page's
Content-Security-Policy allows that one element through a per-response nonce
(``style-src 'self' 'nonce-…'``). Every other page keeps the application's policy.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, g, make_response, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.errors import NotFound
from coding_lab import assignments
from coding_lab.exercises import get_exercise
from coding_lab.models import Assignment
from student_records.models import Enrolment, Role, SchoolClass
from web.access import role_required
from web.context import unit_of_work
from web.hooks import CSP
from web.i18n import select_locale

bp = Blueprint("lab", __name__, template_folder="templates", url_prefix="/lab")

#: How each sandbox language is named on the page (proper names: the same in both languages).
LANGUAGE_LABELS = {"python3": "Python 3", "c": "C", "cpp": "C++", "java": "Java",
                   "javascript": "JavaScript"}


@dataclass(frozen=True)
class Row:
    """One assignment as its student sees it in the list."""

    assignment: Assignment
    class_title: str
    language: str
    due_at: datetime
    closes_at: datetime | None
    extended: bool
    status: str  # upcoming | open | late | closed
    attempts: int
    best: float | None
    max_score: float | None
    kind: str = "code"


def status_of(assignment: Assignment, window: assignments.Window, now: datetime) -> str:
    if now < assignment.opens_at:
        return "upcoming"
    if window.closes_at is not None and now > window.closes_at:
        return "closed"
    if now > window.due_at:
        return "late"
    return "open"


def language_label(language: str) -> str:
    return LANGUAGE_LABELS.get(language, language)


def _row(db: Any, assignment: Assignment, class_title: str, student_id: str,
         now: datetime) -> Row:
    window = assignments.window_for(db, assignment, student_id)
    mine = assignments.submissions_of(db, assignment.id, student_id)
    graded = [s for s in mine if s.status == "graded" and s.score is not None]
    best = max(graded, key=lambda s: s.score or 0.0) if graded else None
    exercise = get_exercise(db, assignment.exercise_id)
    return Row(assignment, class_title, exercise.language, window.due_at, window.closes_at,
               window.due_at != assignment.due_at, status_of(assignment, window, now),
               len(mine), best.score if best else None,
               best.max_score if best else exercise.points, exercise.kind)


def _student_assignment(db: Any, assignment_id: str, student_id: str) -> Assignment:
    """The assignment, if the caller is a student of its class; 404 for anyone else."""
    assignment = assignments.get_assignment(db, assignment_id)
    if not assignments.is_student_of(db, assignment, student_id):
        raise NotFound("assignment_not_found")
    return assignment


@bp.get("/")
@role_required(Role.STUDENT)
def index() -> ResponseReturnValue:
    now = utcnow()
    with unit_of_work() as db:
        found = db.execute(
            select(Assignment, SchoolClass.title)
            .join(Enrolment, Enrolment.class_id == Assignment.class_id)
            .join(SchoolClass, SchoolClass.id == Assignment.class_id)
            .where(Enrolment.person_id == g.user.id, Enrolment.role == Role.STUDENT)
            .order_by(Assignment.due_at, Assignment.title)).all()
        rows = [_row(db, assignment, class_title, g.user.id, now)
                for assignment, class_title in found]
    return render_template("lab/index.html", rows=rows, language_label=language_label)


def lab_strings() -> dict[str, str]:
    """The exercise page's interface strings, translated for the page's language."""
    return {
        "loading": _("Loading the exercise…"),
        "load_failed": _("The exercise could not be loaded. Reload the page."),
        "editor_label": _("Your code (%(language)s)", language="%(language)s"),
        "saving": _("Saving…"),
        "saved_at": _("Draft saved at %(time)s", time="%(time)s"),
        "restored_local": _("Your last changes were kept on this computer and put back in "
                            "the editor."),
        "save_failed": _("The draft could not be saved on the server; it is kept on this "
                         "computer and will be sent again."),
        "not_saved_yet": _("Not saved yet"),
        "run": _("Run"), "running_tests": _("Running your code…"),
        "run_with_input": _("Run with my input"),
        "submit": _("Submit"), "submitting": _("Sending your submission…"),
        "run_failed": _("The code could not be run. Try again."),
        "submit_failed": _("The submission could not be sent. Try again."),
        "status_queued": _("Waiting in line"), "status_running": _("Being graded"),
        "status_graded": _("Graded"), "status_error": _("Grading failed"),
        "submission_n": _("Submission %(n)s", n="%(n)s"),
        "score": _("Score: %(score)s / %(max)s", score="%(score)s", max="%(max)s"),
        "days_late": _("%(n)s day(s) late: the late penalty applies.", n="%(n)s"),
        "passed_n": _("%(n)s of %(total)s tests passed", n="%(n)s", total="%(total)s"),
        "run_results": _("Results of the visible tests (not recorded)"),
        "submission_results": _("Results of submission %(n)s", n="%(n)s"),
        "test_hidden": _("Hidden test"),
        "verdict_passed": _("Passed"), "verdict_failed": _("Failed"),
        "verdict_time_limit": _("Too slow (time limit)"),
        "verdict_memory_limit": _("Too much memory"),
        "verdict_output_limit": _("Too much output"),
        "verdict_runtime_error": _("Error while running"),
        "verdict_compile_error": _("Does not compile"),
        "verdict_not_run": _("Not run"),
        "input": _("Input"), "expected": _("Expected output"), "actual": _("Your output"),
        "diff": _("Differences (− expected, + yours)"), "no_output": _("(no output)"),
        "same_output": _("The outputs match."),
        "diff_expected": _("Expected:"), "diff_actual": _("Yours:"),
        "errors": _("Error output"), "hint": _("Hint:"),
        "assertion": _("Failed check"), "compile_output": _("Compiler messages"),
        "explanation": _("What this error means"), "at_line": _("Line %(n)s", n="%(n)s"),
        "go_to_line": _("Go to line %(n)s in the editor", n="%(n)s"),
        "likely_cause": _("Likely cause:"), "what_to_try": _("What to try:"),
        "raw_message": _("Show the raw message"),
        "program_output": _("Your program's output"), "exit_status": _("Result: %(status)s",
                                                                      status="%(status)s"),
        "status_ok": _("finished normally"), "status_other": _("stopped: %(status)s",
                                                               status="%(status)s"),
        "weight": _("weight %(n)s", n="%(n)s"),
        "history": _("My submissions"), "no_submissions": _("No submissions yet."),
        "live_off": _("Live updates are off; the result is checked every few seconds."),
        "visible_tests": _("Visible tests"), "hidden_tests_n": _("%(n)s hidden test(s)",
                                                                 n="%(n)s"),
        "function_test": _("Test of your functions"),
        "details": _("Show the details"),
        "attempts_of": _("%(n)s of %(max)s used", n="%(n)s", max="%(max)s"),
        "attempts_n": _("%(n)s (no limit)", n="%(n)s"),
    }


def _page_csp(nonce: str) -> str:
    """The application's policy, plus this response's nonce for the editor's styles."""
    return CSP.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'", 1)


@bp.get("/assignments/<assignment_id>")
@role_required(Role.STUDENT)
def assignment_page(assignment_id: str) -> ResponseReturnValue:
    now = utcnow()
    with unit_of_work() as db:
        assignment = _student_assignment(db, assignment_id, g.user.id)
        klass = db.get(SchoolClass, assignment.class_id)
        row = _row(db, assignment, klass.title if klass else "", g.user.id, now)
        if row.kind == "notebook":
            from web.lab.notebooks import notebook_page  # its routes join bp after this module

            return notebook_page(db, row, 200)
    nonce = secrets.token_urlsafe(18)
    lab_data: dict[str, Any] = {
        "assignment_id": row.assignment.id,
        "user_id": g.user.id,
        "lang": select_locale(),
        "language": row.language,
        "language_label": language_label(row.language),
        "status": row.status,
        "style_nonce": nonce,
        "api": {
            "assignment": f"/api/v1/assignments/{row.assignment.id}",
            "draft": f"/api/v1/assignments/{row.assignment.id}/draft",
            "run": f"/api/v1/assignments/{row.assignment.id}/run",
            "submissions": f"/api/v1/assignments/{row.assignment.id}/submissions",
            "submission": "/api/v1/submissions/",
        },
        "list_url": url_for("lab.index"),
        "strings": lab_strings(),
    }
    response = make_response(render_template(
        "lab/assignment.html", row=row, lab_data=lab_data, language_label=language_label))
    response.headers["Content-Security-Policy"] = _page_csp(nonce)
    return response
