"""Student pages of notebook assignments: download the notebook, hand it in, read the grade.

The page is drawn on the server: the instructions, the rules with the student's own
extension, the download of the student version (solutions and hidden tests removed), a
form to hand in an ``.ipynb``, and the student's submissions with each graded cell's
verdict (a hidden test's by name and verdict only) and the feedback notebook. While a
submission is queued or running, ``build/lab_notebook.js`` follows its status over the
``/lab`` Socket.IO namespace (``submission:status``) and reloads the page once it is
graded; without JavaScript the page says to reload.

A student sees only their own submissions and only assignments of their classes; anyone
else gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ardoise.clock import utcnow
from ardoise.errors import DomainError, Invalid
from ardoise.worker.lab import queue_grading
from coding_lab import assignments, notebook_exercises
from coding_lab.exercises import get_exercise
from coding_lab.models import Submission
from coding_lab.notebooks import MAX_NOTEBOOK_BYTES
from item_bank.rich_text import render_text
from student_records.models import Role, SchoolClass
from web.access import role_required
from web.context import unit_of_work
from web.i18n import select_locale
from web.lab.views import Row, _row, _student_assignment, bp, language_label
from web.messages import message_for
from web.teacher.lab import submission_status_label, verdict_label
from web.teacher.lab_notebooks import ENVELOPE_BYTES, download, feedback_page

UPLOAD_ENDPOINT = "lab.notebook_hand_in"


@bp.url_value_preprocessor
def _allow_notebook_bodies(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    if endpoint == UPLOAD_ENDPOINT:
        request.max_content_length = MAX_NOTEBOOK_BYTES + ENVELOPE_BYTES


def _statement(statement: dict[str, str], locale: str) -> Markup:
    """The instructions in the reader's language (the other one when only it is written),
    as the sanitised HTML of :func:`render_text`."""
    other = "en" if locale == "fr" else "fr"
    return Markup(render_text(statement.get(locale) or statement.get(other) or ""))  # noqa: S704


def notebook_page(db: Session, row: Row, status: int) -> ResponseReturnValue:
    """The assignment page of a notebook exercise, for its student."""
    locale = select_locale()
    exercise = get_exercise(db, row.assignment.exercise_id)
    mine = list(reversed(assignments.submissions_of(db, row.assignment.id, g.user.id)))
    results = {s.id: assignments.student_results(s, locale) for s in mine
               if s.status == "graded"}
    pending = [s.id for s in mine if s.status in ("queued", "running")]
    return render_template(
        "lab/notebook.html", row=row, exercise=exercise, submissions=mine, results=results,
        pending=pending, statement=_statement(exercise.statement, locale),
        language_label=language_label, verdict_label=verdict_label,
        status_label=submission_status_label, max_mb=MAX_NOTEBOOK_BYTES // 2**20,
        status_labels={key: submission_status_label(key)
                       for key in ("queued", "running", "graded", "error")}), status


def _open_assignment(db: Session, assignment_id: str) -> Row:
    assignment = _student_assignment(db, assignment_id, g.user.id)
    exercise = get_exercise(db, assignment.exercise_id)
    if not notebook_exercises.is_notebook(exercise):
        abort(404)
    klass = db.get(SchoolClass, assignment.class_id)
    return _row(db, assignment, klass.title if klass else "", g.user.id, utcnow())


@bp.get("/assignments/<assignment_id>/notebook.ipynb")
@role_required(Role.STUDENT)
def notebook_download(assignment_id: str) -> ResponseReturnValue:
    """The student version, once the assignment has opened."""
    with unit_of_work() as db:
        row = _open_assignment(db, assignment_id)
        if row.status == "upcoming":
            abort(404)
        exercise = get_exercise(db, row.assignment.exercise_id)
        data = notebook_exercises.student_version(exercise)
        name = "".join(c if c.isalnum() or c in "-_" else "-" for c in row.assignment.title)
    return download(data, f"{name.strip('-')[:60] or 'notebook'}.ipynb")


@bp.post("/assignments/<assignment_id>/notebook")
@role_required(Role.STUDENT)
def notebook_hand_in(assignment_id: str) -> ResponseReturnValue:
    sent = request.files.get("notebook")
    try:
        if sent is None or not sent.filename:
            raise Invalid("notebook_missing")
        data = sent.read(MAX_NOTEBOOK_BYTES + 1)
        with unit_of_work() as db:
            _open_assignment(db, assignment_id)
            submission = notebook_exercises.submit_notebook(
                db, assignment_id, g.user.id, data, utcnow())
    except IntegrityError:  # the same student's other hand-in took this number first
        flash(message_for("conflict"), "error")
        return redirect(url_for("lab.assignment_page", assignment_id=assignment_id))
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
        with unit_of_work() as db:
            return notebook_page(db, _open_assignment(db, assignment_id), 422)
    queue_grading(submission)  # committed first: the worker finds the row
    flash(_("Notebook handed in (submission %(n)s): it is being graded.", n=submission.number),
          "success")
    return redirect(url_for("lab.assignment_page", assignment_id=assignment_id))


def _own_submission(db: Session, submission_id: str) -> Submission:
    submission = db.get(Submission, submission_id)
    if submission is None or submission.student_id != g.user.id:
        abort(404)
    _student_assignment(db, submission.assignment_id, g.user.id)
    return submission


@bp.get("/submissions/<submission_id>/feedback")
@role_required(Role.STUDENT)
def notebook_feedback(submission_id: str) -> ResponseReturnValue:
    """The feedback notebook of one of the student's own graded submissions."""
    with unit_of_work() as db:
        page = notebook_exercises.feedback_html(_own_submission(db, submission_id),
                                                select_locale())
    if page is None:
        abort(404)
    return feedback_page(page)


@bp.get("/submissions/<submission_id>/feedback.ipynb")
@role_required(Role.STUDENT)
def notebook_feedback_download(submission_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        submission = _own_submission(db, submission_id)
        data = notebook_exercises.feedback_bytes(submission, select_locale())
        number = submission.number
    if data is None:
        abort(404)
    return download(data, f"feedback-{number}.ipynb")


@bp.get("/submissions/<submission_id>/notebook.ipynb")
@role_required(Role.STUDENT)
def notebook_handed_in(submission_id: str) -> ResponseReturnValue:
    """The notebook as the student handed it in (what the grade is for)."""
    with unit_of_work() as db:
        submission = _own_submission(db, submission_id)
        text = notebook_exercises.submitted_notebook(submission)
        number = submission.number
    if not text:
        abort(404)
    return download(text.encode(), f"submission-{number}.ipynb")
