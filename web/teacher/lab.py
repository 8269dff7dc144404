"""Coding-lab teacher pages: author exercises, give them to classes, follow the results.

Exercises belong to a school: its teachers (and the admins over it) see and edit them;
anyone else gets 404. An assignment belongs to a class: its teachers, the teachers of its
school and the admins over it see it, its submissions and its exports; students get 403.
Saving an exercise runs the reference solution in the sandbox chosen by the configuration
(``ARDOISE_SANDBOX_BACKEND``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ardoise.clock import as_utc, utcnow
from ardoise.errors import DomainError, Invalid
from ardoise.worker import lab_events
from ardoise.worker.lab import grade_submission
from coding_lab import assignments as lab_assignments
from coding_lab import exercises as lab_exercises
from coding_lab import notebook_exercises, similarity
from coding_lab.comparison import MODES
from coding_lab.models import Assignment, Exercise, ExerciseTest, Submission
from sandbox.languages import language_names
from student_records import service as records
from student_records.models import Enrolment, Person, Role, SchoolClass
from web.access import AUTHORING, role_required, staff_orgs
from web.context import config, unit_of_work
from web.messages import message_for
from web.teacher import charts
from web.teacher.lab_forms import (
    ROW_FIELDS,
    form_from_exercise,
    row_of_test,
    spec_from_form,
    test_rows,
)
from web.teacher.lab_reports import (
    attempt_diff,
    best_percentages,
    code_of,
    grades_csv,
    gradescope_results,
    latest_graded,
    latest_submissions,
    progress,
    student_rows,
    test_pass_rates,
)
from web.teacher.views import _invalid_marker, _schools, bp

#: Pairs the similarity report lists, most similar first.
SIMILARITY_PAIRS = 50


def language_label(name: str) -> str:
    return {"python3": "Python 3", "c": "C", "cpp": "C++", "java": "Java",
            "javascript": "JavaScript"}.get(name, name)


def comparison_label(mode: str) -> str:
    labels = {
        "exact": _("Exact"), "trailing_whitespace": _("Ignoring trailing spaces"),
        "ignore_case": _("Ignoring case"), "numbers": _("Numbers within a tolerance"),
        "regex": _("Regular expression"),
    }
    return labels.get(mode, mode)


def verdict_label(verdict: str) -> str:
    labels = {
        "passed": _("Passed"), "failed": _("Failed"), "time_limit": _("Time limit"),
        "memory_limit": _("Memory limit"), "output_limit": _("Output limit"),
        "runtime_error": _("Runtime error"), "compile_error": _("Compile error"),
        "not_run": _("Not run"),
    }
    return labels.get(verdict, verdict)


def submission_status_label(status: str) -> str:
    labels = {"queued": _("Queued"), "running": _("Running"), "graded": _("Graded"),
              "error": _("Error")}
    return labels.get(status, status)


def cell_kind_label(kind: str) -> str:
    """What a notebook cell with nbgrader metadata does."""
    labels = {
        "answer": _("Answer (not graded)"), "autograded_answer": _("Answer graded by running it"),
        "manual_answer": _("Written answer"), "test": _("Test"),
        "locked": _("Read-only"),
    }
    return labels.get(kind, kind)


def _helpers() -> dict[str, object]:
    return {"language_label": language_label, "comparison_label": comparison_label,
            "verdict_label": verdict_label, "status_label": submission_status_label,
            "cell_kind_label": cell_kind_label}


# --- who may see what ---------------------------------------------------------------------

def _exercise_for(db: Session, exercise_id: str) -> Exercise:
    """The exercise, for a teacher of its school; 404 for anyone else."""
    exercise = db.get(Exercise, exercise_id)
    if exercise is None or exercise.organisation_id not in staff_orgs(db, g.user, AUTHORING):
        abort(404)
    return exercise


def _teaches(db: Session, person: Person, klass: SchoolClass) -> bool:
    """The class's teacher, or a teacher of its school or an admin above it (the rule of
    the lab's REST API too)."""
    if klass.school_id in staff_orgs(db, person, AUTHORING):
        return True
    return db.scalar(select(Enrolment.id).where(
        Enrolment.class_id == klass.id, Enrolment.person_id == person.id,
        Enrolment.role == Role.TEACHER)) is not None


def _classes_taught(db: Session, school_id: str) -> list[SchoolClass]:
    classes = db.scalars(select(SchoolClass).where(SchoolClass.school_id == school_id)
                         .order_by(SchoolClass.title))
    return [c for c in classes if _teaches(db, g.user, c)]


def _assignment_for(db: Session, assignment_id: str) -> Assignment:
    """The assignment, for a teacher of its class; 404 for anyone else."""
    assignment = db.get(Assignment, assignment_id)
    if assignment is None:
        abort(404)
    klass = db.get(SchoolClass, assignment.class_id)
    if klass is None or not _teaches(db, g.user, klass):
        abort(404)
    return assignment


def _submission_for(db: Session, submission_id: str) -> Submission:
    submission = db.get(Submission, submission_id)
    if submission is None:
        abort(404)
    _assignment_for(db, submission.assignment_id)
    return submission


def graded_names(db: Session, exercise: Exercise | None) -> list[tuple[str, bool]]:
    """What an exercise grades, in order, and whether each is hidden: its tests, or a
    notebook's graded cells."""
    if exercise is None:
        return []
    if notebook_exercises.is_notebook(exercise):
        return [(c["grade_id"], c["hidden"]) for c in notebook_exercises.cells_summary(exercise)
                if c["kind"] in ("test", "autograded_answer")]
    return [(t.name, t.hidden) for t in db.scalars(select(ExerciseTest).where(
        ExerciseTest.exercise_id == exercise.id).order_by(ExerciseTest.position))]


def _flash_error(error: DomainError) -> str | None:
    """Flash the translated message; return the field at fault, if one is named."""
    flash(message_for(error.code, error.params), "error")
    field = error.params.get("field")
    return str(field) if field else None


# --- exercises ---------------------------------------------------------------------------

@bp.get("/lab")
@role_required(Role.TEACHER)
def lab_index() -> ResponseReturnValue:
    with unit_of_work() as db:
        scope = staff_orgs(db, g.user, AUTHORING)
        exercises = list(db.scalars(select(Exercise).where(
            Exercise.organisation_id.in_(scope)).order_by(Exercise.title)))
        counts = dict(db.execute(select(ExerciseTest.exercise_id, func.count()).where(
            ExerciseTest.exercise_id.in_([e.id for e in exercises]))
            .group_by(ExerciseTest.exercise_id)).all())
        taught = select(Enrolment.class_id).where(Enrolment.person_id == g.user.id,
                                                  Enrolment.role == Role.TEACHER)
        rows = db.execute(select(Assignment, SchoolClass.title)
                          .join(SchoolClass, SchoolClass.id == Assignment.class_id)
                          .where(SchoolClass.school_id.in_(scope) | SchoolClass.id.in_(taught))
                          .order_by(Assignment.due_at.desc())).all()
        given = [assignment for assignment, _title in rows]
        class_titles = {assignment.class_id: title for assignment, title in rows}
        return render_template("teacher/lab/index.html", exercises=exercises,
                               test_counts=counts, assignments=given,
                               class_titles=class_titles, **_helpers())


def _exercise_form(form: object, *, editing: Exercise | None, error_field: str | None,
                   error_test: str | None, status: int) -> ResponseReturnValue:
    with unit_of_work() as db:
        schools = _schools(db)
    return render_template(
        "teacher/lab/exercise_form.html", form=form, editing=editing, schools=schools,
        languages=language_names(), modes=MODES, rows=test_rows(form),  # type: ignore[arg-type]
        row_fields=ROW_FIELDS, error_field=error_field, error_test=error_test,
        error_row=row_of_test(form, error_test),  # type: ignore[arg-type]
        invalid=_invalid_marker(error_field), **_helpers()), status


@bp.route("/lab/exercises/new", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def lab_exercise_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _exercise_form({"language": "python3", "points": "100", "cpu_seconds": "2",
                               "memory_mb": "256", "comparison": "trailing_whitespace"},
                              editing=None, error_field=None, error_test=None, status=200)
    try:
        spec = spec_from_form(request.form)
        with unit_of_work() as db:
            schools = _schools(db)
            wanted = request.form.get("school_id") or (schools[0].id if schools else "")
            if wanted not in {s.id for s in schools}:
                abort(403)
            exercise = lab_exercises.create_exercise(
                db, wanted, spec, g.user.id, utcnow(), backend=config().sandbox_backend)
            records.audit(db, g.user, "create_exercise", "exercise", exercise.id, wanted)
            exercise_id, verified = exercise.id, exercise.verified_at is not None
    except DomainError as error:
        return _exercise_form(request.form, editing=None, error_field=_flash_error(error),
                              error_test=error.params.get("test"), status=422)
    _flash_saved(verified)
    return redirect(url_for("teacher.lab_exercise_show", exercise_id=exercise_id))


def _flash_saved(verified: bool) -> None:
    if verified:
        flash(_("Exercise saved: the reference solution passes every test."), "success")
    else:
        flash(_("Exercise saved as a draft: the reference solution does not pass every "
                "test (see below)."), "warn")


@bp.route("/lab/exercises/<exercise_id>/edit", methods=["GET", "POST"])
@role_required(Role.TEACHER)
def lab_exercise_edit(exercise_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        exercise = _exercise_for(db, exercise_id)
        if notebook_exercises.is_notebook(exercise):
            return redirect(url_for("teacher.lab_notebook_edit", exercise_id=exercise_id))
        saved = form_from_exercise(db, exercise)
        db.expunge(exercise)
    if request.method == "GET":
        return _exercise_form(saved, editing=exercise, error_field=None, error_test=None,
                              status=200)
    try:
        spec = spec_from_form(request.form)
        with unit_of_work() as db:
            updated = lab_exercises.update_exercise(db, exercise_id, spec, utcnow(),
                                                    backend=config().sandbox_backend)
            if updated.verified_at is None:
                updated.status = "draft"
            records.audit(db, g.user, "update_exercise", "exercise", exercise_id,
                          updated.organisation_id)
            verified = updated.verified_at is not None
    except DomainError as error:
        return _exercise_form(request.form, editing=exercise, error_field=_flash_error(error),
                              error_test=error.params.get("test"), status=422)
    _flash_saved(verified)
    return redirect(url_for("teacher.lab_exercise_show", exercise_id=exercise_id))


def _assignment_defaults() -> dict[str, str]:
    zone = ZoneInfo(config().timezone)
    now = utcnow().astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
    return {"opens_at": now.isoformat(timespec="minutes"),
            "due_at": (now + timedelta(days=7)).replace(hour=23, minute=59)
            .isoformat(timespec="minutes"),
            "late_penalty": "0", "min_delay": "0"}


def _exercise_page(exercise_id: str, form: object, status: int,
                   error_field: str | None = None) -> ResponseReturnValue:
    with unit_of_work() as db:
        exercise = _exercise_for(db, exercise_id)
        tests = list(db.scalars(select(ExerciseTest).where(
            ExerciseTest.exercise_id == exercise.id).order_by(ExerciseTest.position)))
        given = list(db.scalars(select(Assignment).where(
            Assignment.exercise_id == exercise.id).order_by(Assignment.due_at)))
        class_titles = {c.id: c.title for c in db.scalars(select(SchoolClass).where(
            SchoolClass.id.in_([a.class_id for a in given])))}
        cells = notebook_exercises.cells_summary(exercise) \
            if notebook_exercises.is_notebook(exercise) else []
        return render_template(
            "teacher/lab/exercise.html", exercise=exercise, tests=tests, cells=cells,
            verification=exercise.verification or {}, assignments=given,
            class_titles=class_titles, classes=_classes_taught(db, exercise.organisation_id),
            form=form, invalid=_invalid_marker(error_field), **_helpers()), status


@bp.get("/lab/exercises/<exercise_id>")
@role_required(Role.TEACHER)
def lab_exercise_show(exercise_id: str) -> ResponseReturnValue:
    return _exercise_page(exercise_id, _assignment_defaults(), 200)


@bp.post("/lab/exercises/<exercise_id>/publish")
@role_required(Role.TEACHER)
def lab_exercise_publish(exercise_id: str) -> ResponseReturnValue:
    try:
        with unit_of_work() as db:
            exercise = _exercise_for(db, exercise_id)
            lab_exercises.publish(db, exercise_id)
            records.audit(db, g.user, "publish_exercise", "exercise", exercise_id,
                          exercise.organisation_id)
        flash(_("Exercise published: it can be given to classes."), "success")
    except DomainError as error:
        _flash_error(error)
        return _exercise_page(exercise_id, _assignment_defaults(), 422)
    return redirect(url_for("teacher.lab_exercise_show", exercise_id=exercise_id))


# --- assignments -------------------------------------------------------------------------

def _local(text: str, field: str) -> datetime:
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Invalid("assignment_invalid", field=field) from None
    return as_utc(naive.replace(tzinfo=ZoneInfo(config().timezone)))


def _whole(text: str, field: str, default: int | None) -> int | None:
    text = text.strip()
    if not text:
        return default
    if not text.isdigit():
        raise Invalid("assignment_invalid", field=field)
    return int(text)


def _percent(text: str) -> float:
    try:
        return float(text.strip().replace(",", ".") or 0)
    except ValueError:
        raise Invalid("assignment_invalid", field="late_penalty") from None


@bp.post("/lab/exercises/<exercise_id>/assignments")
@role_required(Role.TEACHER)
def lab_assignment_new(exercise_id: str) -> ResponseReturnValue:
    form = request.form
    try:
        with unit_of_work() as db:
            exercise = _exercise_for(db, exercise_id)
            klass = db.get(SchoolClass, form.get("class_id", ""))
            if klass is None or not _teaches(db, g.user, klass):
                raise Invalid("assignment_invalid", field="class_id")
            closes = form.get("closes_at", "").strip()
            assignment = lab_assignments.create_assignment(
                db, exercise.id, klass.id, title=form.get("title", ""),
                opens_at=_local(form.get("opens_at", ""), "opens_at"),
                due_at=_local(form.get("due_at", ""), "due_at"),
                closes_at=_local(closes, "closes_at") if closes else None,
                late_penalty_percent=_percent(form.get("late_penalty", "")),
                attempt_limit=_whole(form.get("attempt_limit", ""), "attempt_limit", None),
                min_delay_seconds=_whole(form.get("min_delay", ""), "min_delay", 0) or 0,
                author_id=g.user.id)
            records.audit(db, g.user, "create_assignment", "assignment", assignment.id,
                          klass.school_id)
            assignment_id = assignment.id
    except DomainError as error:
        field = _flash_error(error)
        return _exercise_page(exercise_id, form, 422, field)
    flash(_("Exercise given to the class."), "success")
    return redirect(url_for("teacher.lab_assignment_show", assignment_id=assignment_id))


def _assignment_page(assignment_id: str, form: object, status: int,
                     error_field: str | None = None) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        exercise = db.get(Exercise, assignment.exercise_id)
        klass = db.get(SchoolClass, assignment.class_id)
        rows = student_rows(db, assignment)
        rates = test_pass_rates(graded_names(db, exercise), latest_graded(db, assignment.id))
        percentages = best_percentages(rows)
        extensions = {e.student_id: e for e in db.scalars(select(
            lab_assignments.AssignmentExtension).where(
            lab_assignments.AssignmentExtension.assignment_id == assignment.id))}
        return render_template(
            "teacher/lab/assignment.html", assignment=assignment, exercise=exercise,
            klass=klass, rows=rows, rates=rates,
            rate_bars=[charts.Bar(r.name, r.rate, f"{round(r.rate * 100)} %") for r in rates],
            histogram=charts.score_histogram(percentages), graded=len(percentages),
            extensions=extensions, progress=progress(db, assignment.id), form=form,
            invalid=_invalid_marker(error_field), **_helpers()), status


@bp.get("/lab/assignments/<assignment_id>")
@role_required(Role.TEACHER)
def lab_assignment_show(assignment_id: str) -> ResponseReturnValue:
    return _assignment_page(assignment_id, {}, 200)


@bp.post("/lab/assignments/<assignment_id>/extensions")
@role_required(Role.TEACHER)
def lab_extension_new(assignment_id: str) -> ResponseReturnValue:
    form = request.form
    try:
        with unit_of_work() as db:
            assignment = _assignment_for(db, assignment_id)
            closes = form.get("ext_closes_at", "").strip()
            extension = lab_assignments.grant_extension(
                db, assignment.id, form.get("student_id", ""),
                _local(form.get("ext_due_at", ""), "due_at"),
                _local(closes, "closes_at") if closes else None, g.user.id)
            klass = db.get(SchoolClass, assignment.class_id)
            records.audit(db, g.user, "grant_extension", "assignment", assignment.id,
                          klass.school_id if klass else None)
            student = db.get(Person, extension.student_id)
            name = student.username if student else ""
    except DomainError as error:
        field = _flash_error(error)
        return _assignment_page(assignment_id, form, 422, field)
    flash(_("Extension granted to %(name)s.", name=name), "success")
    return redirect(url_for("teacher.lab_assignment_show", assignment_id=assignment_id))


@bp.get("/lab/assignments/<assignment_id>/students/<student_id>")
@role_required(Role.TEACHER)
def lab_student_history(assignment_id: str, student_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        student = db.get(Person, student_id)
        if student is None or not lab_assignments.is_student_of(db, assignment, student_id):
            abort(404)
        history = lab_assignments.submissions_of(db, assignment.id, student_id)
        by_number = {s.number: s for s in history}

        def chosen(name: str, fallback: int) -> Submission | None:
            try:
                return by_number.get(int(request.args.get(name, fallback)))
            except ValueError:
                return None

        after = chosen("b", len(history))
        before = chosen("a", max(1, len(history) - 1))
        diff = attempt_diff(before, after) if before and after and before is not after else []
        shown = chosen("show", len(history))
        return render_template(
            "teacher/lab/history.html", assignment=assignment, student=student,
            history=history, before=before, after=after, diff=diff, shown=shown,
            shown_code=code_of(shown) if shown else "",
            window=lab_assignments.window_for(db, assignment, student_id), **_helpers())


# --- bulk regrade ------------------------------------------------------------------------

def queue_regrade(db: Session, assignment_id: str) -> list[str]:
    """Put every student's latest graded (or failed) submission back in the queue; return
    their ids.

    Grading stores one grade per submission (a graded submission is never graded again),
    so a regrade first moves each one back to ``queued``; the task then grades it afresh.
    A latest submission still queued or running is on its way already and left alone.
    """
    ids = [s.id for s in latest_submissions(db, assignment_id)
           if s.status in ("graded", "error")]
    if ids:
        db.execute(update(Submission).where(Submission.id.in_(ids),
                                            Submission.status.in_(("graded", "error")))
                   .values(status="queued", graded_at=None))
    return ids


def dispatch_grading(submission_ids: list[str]) -> None:
    """Queue ``ardoise.grade_submission`` for each submission on the sandbox queue (in the
    embedded default without a broker, each is graded before this returns)."""
    for submission_id in submission_ids:
        grade_submission.apply_async((submission_id,))


@bp.post("/lab/assignments/<assignment_id>/regrade")
@role_required(Role.TEACHER)
def lab_regrade(assignment_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        ids = queue_regrade(db, assignment.id)
        klass = db.get(SchoolClass, assignment.class_id)
        records.audit(db, g.user, "regrade_assignment", "assignment", assignment.id,
                      klass.school_id if klass else None)
    dispatch_grading(ids)
    with unit_of_work() as db:
        state = progress(db, assignment_id)
    lab_events.regrade_progress(assignment_id, state["done"], state["total"])
    flash(_("Regrading %(n)s submissions.", n=len(ids)), "success")
    return redirect(url_for("teacher.lab_assignment_show", assignment_id=assignment_id)
                    + "#regrade")


@bp.get("/lab/assignments/<assignment_id>/regrade")
@role_required(Role.TEACHER)
def lab_regrade_progress(assignment_id: str) -> ResponseReturnValue:
    """``{"assignment_id", "done", "total"}``, like the ``regrade:progress`` event."""
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        return jsonify(progress(db, assignment.id))


# --- similarity --------------------------------------------------------------------------

def _latest_sources(db: Session, assignment: Assignment) -> dict[str, Submission]:
    return {s.id: s for s in latest_submissions(db, assignment.id)}


@bp.get("/lab/assignments/<assignment_id>/similarity")
@role_required(Role.TEACHER)
def lab_similarity(assignment_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        exercise = db.get(Exercise, assignment.exercise_id)
        assert exercise is not None
        latest = _latest_sources(db, assignment)
        people = {p.id: p for p in records.class_members(db, assignment.class_id)}
        supported = exercise.language in similarity.LANGUAGES
        report = similarity.compare_submissions(
            {key: code_of(s) for key, s in latest.items()}, exercise.language,
            starter=exercise.starter_code, limit=SIMILARITY_PAIRS) if supported else None
        return render_template(
            "teacher/lab/similarity.html", assignment=assignment, exercise=exercise,
            report=report, latest=latest, people=people, supported=supported, **_helpers())


@bp.get("/lab/assignments/<assignment_id>/similarity/<first>/<second>")
@role_required(Role.TEACHER)
def lab_similarity_pair(assignment_id: str, first: str, second: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        exercise = db.get(Exercise, assignment.exercise_id)
        assert exercise is not None
        a, b = db.get(Submission, first), db.get(Submission, second)
        if a is None or b is None or {a.assignment_id, b.assignment_id} != {assignment.id} \
                or exercise.language not in similarity.LANGUAGES:
            abort(404)
        # The pair as the assignment's report ranked it (code common to the class left out),
        # or on its own when the report does not list it.
        latest = _latest_sources(db, assignment)
        found = similarity.find_pair(similarity.compare_submissions(
            {key: code_of(sub) for key, sub in latest.items()}, exercise.language,
            starter=exercise.starter_code, limit=SIMILARITY_PAIRS), a.id, b.id) \
            if a.id in latest and b.id in latest else None
        if found is not None and found.a != a.id:
            a, b = b, a  # the regions are given from the pair's first side
        pair = found or similarity.compare_pair(code_of(a), code_of(b), exercise.language,
                                                starter=exercise.starter_code)
        lines_a, lines_b = similarity.pair_line_marks(code_of(a), code_of(b), pair)
        return render_template(
            "teacher/lab/similarity_pair.html", assignment=assignment, pair=pair,
            a=a, b=b, lines_a=lines_a, lines_b=lines_b,
            person_a=db.get(Person, a.student_id), person_b=db.get(Person, b.student_id),
            **_helpers())


# --- exports -----------------------------------------------------------------------------

@bp.get("/lab/submissions/<submission_id>/results.json")
@role_required(Role.TEACHER)
def lab_submission_results(submission_id: str) -> ResponseReturnValue:
    """The submission in Gradescope's ``results.json`` shape (graded ones only)."""
    with unit_of_work() as db:
        submission = _submission_for(db, submission_id)
        if submission.status != "graded":
            abort(404)
        response = jsonify(gradescope_results(submission))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="results-{submission_id}.json"')
    return response


@bp.get("/lab/assignments/<assignment_id>/grades.csv")
@role_required(Role.TEACHER)
def lab_grades_csv(assignment_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        assignment = _assignment_for(db, assignment_id)
        text = grades_csv(student_rows(db, assignment), [
            _("Student"), _("Username"), _("Best score"), _("Maximum"), _("Submissions"),
            _("Days late (best)")])
    return Response(text.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="grades-{assignment_id}.csv"'})
