"""Teacher pages of notebook exercises: upload a teacher's nbgrader notebook, see it graded
against its own solutions, download its student version, read a student's feedback.

A notebook exercise is an exercise like any other once saved (``coding_lab.notebook_
exercises``): it is published, given to classes and followed from the same pages as code
exercises (``web.teacher.lab``). The same access rules hold: its school's teachers see it,
an assignment's class teachers see its submissions, anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _

from ardoise.clock import utcnow
from ardoise.errors import DomainError, Invalid
from coding_lab import notebook_exercises
from coding_lab.models import Exercise
from coding_lab.notebook_exercises import NotebookSpec
from coding_lab.notebooks import DEFAULT_CELL_TIMEOUT, MAX_NOTEBOOK_BYTES
from student_records import service as records
from student_records.models import Role
from web.access import role_required
from web.context import config, unit_of_work
from web.teacher.lab import _exercise_for, _flash_error, _helpers, _submission_for
from web.teacher.views import _invalid_marker, _schools, bp

#: Room for the form's other fields around a notebook at its size bound.
ENVELOPE_BYTES = 64 * 1024
UPLOAD_ENDPOINTS = ("teacher.lab_notebook_new", "teacher.lab_notebook_edit")


@bp.url_value_preprocessor
def _allow_notebook_bodies(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # Before the CSRF hook parses the form: a notebook up to its own bound gets through,
    # then is refused by that bound with its reason if larger.
    if endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = MAX_NOTEBOOK_BYTES + ENVELOPE_BYTES


def download(data: bytes, filename: str) -> Response:
    """A notebook as a file to save (never shown inline: it is JSON the browser would
    render as text at best)."""
    response = Response(data, mimetype="application/x-ipynb+json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def feedback_page(page: str) -> Response:
    """A feedback notebook's HTML view: scripts forbidden, nothing loaded from anywhere."""
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _file_name(title: str, suffix: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in title).strip("-")
    return f"{safe[:60] or 'notebook'}{suffix}"


def _spec(form: Any, source: bytes | None) -> NotebookSpec:
    text = form.get("cell_timeout", "").strip().replace(",", ".")
    try:
        timeout = float(text) if text else DEFAULT_CELL_TIMEOUT
    except ValueError:
        raise Invalid("exercise_invalid", field="cell_timeout") from None
    return NotebookSpec(title=form.get("title", ""),
                        statement={"fr": form.get("statement_fr", ""),
                                   "en": form.get("statement_en", "")},
                        source=source, cell_timeout=timeout)


def _uploaded() -> bytes | None:
    sent = request.files.get("notebook")
    if sent is None or not sent.filename:
        return None
    return sent.read(MAX_NOTEBOOK_BYTES + 1)


def _form(form: Any, *, editing: Exercise | None, error_field: str | None,
          status: int) -> ResponseReturnValue:
    with unit_of_work() as db:
        schools = _schools(db)
    return render_template(
        "teacher/lab/notebook_form.html", form=form, editing=editing, schools=schools,
        invalid=_invalid_marker(error_field), max_mb=MAX_NOTEBOOK_BYTES // 2**20,
        **_helpers()), status


def _flash_saved(verified: bool) -> None:
    if verified:
        flash(_("Notebook saved: its solutions pass every graded cell."), "success")
    else:
        flash(_("Notebook saved as a draft: its solutions do not pass every graded cell "
                "(see below)."), "warn")


@bp.route("/lab/notebooks/new", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def lab_notebook_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _form({"cell_timeout": f"{DEFAULT_CELL_TIMEOUT:g}"}, editing=None,
                     error_field=None, status=200)
    try:
        source = _uploaded()
        if source is None:
            raise Invalid("exercise_invalid", field="notebook")
        spec = _spec(request.form, source)
        with unit_of_work() as db:
            schools = _schools(db)
            wanted = request.form.get("school_id") or (schools[0].id if schools else "")
            if wanted not in {s.id for s in schools}:
                abort(403)
            exercise = notebook_exercises.create_notebook_exercise(
                db, wanted, spec, g.user.id, utcnow(), backend=config().sandbox_backend)
            records.audit(db, g.user, "create_exercise", "exercise", exercise.id, wanted)
            exercise_id, verified = exercise.id, exercise.verified_at is not None
    except DomainError as error:
        return _form(request.form, editing=None, error_field=_flash_error(error) or "notebook",
                     status=422)
    _flash_saved(verified)
    return redirect(url_for("teacher.lab_exercise_show", exercise_id=exercise_id))


@bp.route("/lab/notebooks/<exercise_id>/edit", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def lab_notebook_edit(exercise_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        exercise = _exercise_for(db, exercise_id)
        if not notebook_exercises.is_notebook(exercise):
            abort(404)
        saved = {"title": exercise.title, "statement_fr": exercise.statement.get("fr", ""),
                 "statement_en": exercise.statement.get("en", ""),
                 "cell_timeout": f"{exercise.cell_timeout or DEFAULT_CELL_TIMEOUT:g}"}
        db.expunge(exercise)
    if request.method == "GET":
        return _form(saved, editing=exercise, error_field=None, status=200)
    try:
        spec = _spec(request.form, _uploaded())
        with unit_of_work() as db:
            updated = notebook_exercises.update_notebook_exercise(
                db, exercise_id, spec, utcnow(), backend=config().sandbox_backend)
            records.audit(db, g.user, "update_exercise", "exercise", exercise_id,
                          updated.organisation_id)
            verified = updated.verified_at is not None
    except DomainError as error:
        return _form(request.form, editing=exercise,
                     error_field=_flash_error(error) or "notebook", status=422)
    _flash_saved(verified)
    return redirect(url_for("teacher.lab_exercise_show", exercise_id=exercise_id))


def _notebook_exercise(db: Any, exercise_id: str) -> Exercise:
    exercise = _exercise_for(db, exercise_id)
    if not notebook_exercises.is_notebook(exercise):
        abort(404)
    return exercise


@bp.get("/lab/notebooks/<exercise_id>/student.ipynb")
@role_required(Role.TEACHER)
def lab_notebook_student_version(exercise_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        exercise = _notebook_exercise(db, exercise_id)
        return download(notebook_exercises.student_version(exercise),
                        _file_name(exercise.title, ".ipynb"))


@bp.get("/lab/notebooks/<exercise_id>/teacher.ipynb")
@role_required(Role.TEACHER)
def lab_notebook_teacher_version(exercise_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        exercise = _notebook_exercise(db, exercise_id)
        return download(notebook_exercises.teacher_source(exercise).encode(),
                        _file_name(exercise.title, "-teacher.ipynb"))


@bp.get("/lab/submissions/<submission_id>/notebook.ipynb")
@role_required(Role.TEACHER)
def lab_submission_notebook(submission_id: str) -> ResponseReturnValue:
    """The notebook as the student handed it in."""
    with unit_of_work() as db:
        submission = _submission_for(db, submission_id)
        text = notebook_exercises.submitted_notebook(submission)
        if not text:
            abort(404)
        return download(text.encode(), f"submission-{submission.number}.ipynb")


@bp.get("/lab/submissions/<submission_id>/feedback")
@role_required(Role.TEACHER)
def lab_submission_feedback(submission_id: str) -> ResponseReturnValue:
    """The student's feedback notebook, as the student reads it."""
    with unit_of_work() as db:
        submission = _submission_for(db, submission_id)
        page = notebook_exercises.feedback_html(submission, str(get_locale()))
    if page is None:
        abort(404)
    return feedback_page(page)
