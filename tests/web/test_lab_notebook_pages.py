"""Notebook assignments in the product: a teacher uploads an nbgrader notebook, sees it graded
against its own solutions, publishes it and gives it to a class; a student downloads the
student version, hands in a completed .ipynb, and reads the verdicts and the feedback; the
teacher follows the submissions. Graded in the real process sandbox with a real kernel."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import nbformat
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab.models import Assignment, Exercise, Submission
from tests.conftest import Auth
from tests.factories import School
from tests.web.test_api import bearer
from tests.web.test_item_authoring import csrf

TEACHER = (Path(__file__).parent.parent / "coding_lab" / "files"
           / "functions-teacher.ipynb").read_bytes()
HIDDEN_MARK = "HIDDEN_CASE_ONE_TWO"
RIGHT = {
    "square": "def square(x):\n    return x ** 2\n",
    "mean": "def mean(values):\n    return sum(values) / len(values)\n",
    "hypotenuse": "hyp = math.sqrt(3 ** 2 + 4 ** 2)\nassert hyp == 5",
}


@pytest.fixture(autouse=True)
def process_sandbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real process sandbox, for the pages (configuration) and the task (environment)."""
    app.extensions["ardoise.config"] = app.extensions["ardoise.config"].with_overrides(
        sandbox_backend="process")
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")


def log_out(auth: Auth, home: str) -> None:
    auth.client.post("/logout", data={"csrf_token": auth.csrf(home)})


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def upload_notebook(client: FlaskClient, data: bytes, **fields: str) -> Any:
    token = csrf(client.get("/teacher/lab/notebooks/new").get_data(as_text=True))
    form: dict[str, Any] = {"csrf_token": token, "title": "Fonctions",
                            "statement_fr": "Complétez les **fonctions**.",
                            "statement_en": "Complete the functions.", "cell_timeout": "5",
                            "notebook": (io.BytesIO(data), "fonctions.ipynb")}
    form.update(fields)
    return client.post("/teacher/lab/notebooks/new", data=form,
                       content_type="multipart/form-data")


def give_to_class(client: FlaskClient, exercise_id: str, world: School, **rules: str) -> str:
    page = client.get(f"/teacher/lab/exercises/{exercise_id}").get_data(as_text=True)
    now = utcnow()
    form = {"csrf_token": csrf(page), "class_id": world.klass.id, "title": "",
            "opens_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "due_at": (now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
            "late_penalty": "0", "min_delay": "0", **rules}
    given = client.post(f"/teacher/lab/exercises/{exercise_id}/assignments", data=form)
    assert given.status_code == 302, text_of(given)
    return given.headers["Location"].rsplit("/", 1)[-1]


def published_assignment(auth: Auth, client: FlaskClient, app_db: Database,
                         world: School) -> tuple[str, str]:
    auth.login(world.teacher.username)
    saved = upload_notebook(client, TEACHER)
    assert saved.status_code == 302, text_of(saved)
    with app_db.session() as session:
        exercise_id = session.scalar(select(Exercise.id))
    page = client.get(f"/teacher/lab/exercises/{exercise_id}").get_data(as_text=True)
    published = client.post(f"/teacher/lab/exercises/{exercise_id}/publish",
                            data={"csrf_token": csrf(page)})
    assert published.status_code == 302
    assignment_id = give_to_class(client, exercise_id, world)
    log_out(auth, "/teacher/")
    return exercise_id, assignment_id


def answered(student_version: bytes, answers: dict[str, str],
             change: dict[str, str] | None = None) -> bytes:
    notebook = nbformat.reads(student_version.decode(), as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
        if change and grade_id in change:
            cell.source = change[grade_id]
    return nbformat.writes(notebook).encode()


def hand_in(client: FlaskClient, assignment_id: str, data: bytes,
            name: str = "fonctions.ipynb") -> Any:
    page = client.get(f"/lab/assignments/{assignment_id}").get_data(as_text=True)
    return client.post(f"/lab/assignments/{assignment_id}/notebook",
                       data={"csrf_token": csrf(page), "notebook": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_a_teacher_uploads_a_notebook_sees_its_cells_verified_and_downloads_both_versions(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    assert "/teacher/lab/notebooks/new" in client.get("/teacher/lab").get_data(as_text=True)
    saved = upload_notebook(client, TEACHER)
    assert saved.status_code == 302, text_of(saved)
    page = text_of(client.get(saved.headers["Location"]))
    assert "Les solutions réussissent toutes les cellules notées" in page
    verdicts = dict(re.findall(r'data-grade-id="([^"]+)" data-verdict="([a-z_]+)"', page))
    assert verdicts == {"test_square": "passed", "test_mean": "passed",
                        "test_mean_hidden": "passed", "hypotenuse": "passed"}
    assert "Corrigée par l’enseignant" in page  # the Markdown answer is the teacher's to mark
    exercise_id = saved.headers["Location"].rsplit("/", 1)[-1]
    student = client.get(f"/teacher/lab/notebooks/{exercise_id}/student.ipynb")
    assert student.status_code == 200
    assert "attachment" in student.headers["Content-Disposition"]
    assert HIDDEN_MARK not in student.get_data(as_text=True)
    assert "return x * x" not in student.get_data(as_text=True)
    teacher = client.get(f"/teacher/lab/notebooks/{exercise_id}/teacher.ipynb")
    assert HIDDEN_MARK in teacher.get_data(as_text=True)
    # Editing keeps the notebook when no file is chosen; the code form is not for notebooks.
    assert client.get(f"/teacher/lab/exercises/{exercise_id}/edit").headers["Location"] \
        .endswith(f"/teacher/lab/notebooks/{exercise_id}/edit")
    form_page = client.get(f"/teacher/lab/notebooks/{exercise_id}/edit").get_data(as_text=True)
    edited = client.post(f"/teacher/lab/notebooks/{exercise_id}/edit", data={
        "csrf_token": csrf(form_page), "title": "Fonctions (v2)", "statement_fr": "Complétez.",
        "statement_en": "", "cell_timeout": "5",
        "notebook": (io.BytesIO(b""), "")}, content_type="multipart/form-data")
    assert edited.status_code == 302, text_of(edited)
    with app_db.session() as session:
        exercise = session.get(Exercise, exercise_id)
        assert exercise is not None and exercise.title == "Fonctions (v2)"
        assert exercise.verified_at is not None and HIDDEN_MARK in (exercise.notebook or "")


def test_a_broken_teacher_notebook_is_refused_with_the_cell_named_and_the_form_kept(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    broken = json.loads(TEACHER)
    broken["cells"][3]["metadata"]["nbgrader"]["points"] = "two"
    refused = upload_notebook(client, json.dumps(broken).encode(), title="Mes fonctions")
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Cellule 4 (test_square) : une cellule notée doit avoir ses points" in page
    assert 'value="Mes fonctions"' in page and 'aria-invalid="true"' in page
    not_json = upload_notebook(client, b"{nope")
    assert "n’est pas un carnet Jupyter valide" in text_of(not_json)
    with app_db.session() as session:
        assert session.scalar(select(Exercise.id)) is None


def test_a_student_downloads_hands_in_and_reads_verdicts_and_feedback(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    _exercise_id, assignment_id = published_assignment(auth, client, app_db, world)
    auth.login(world.students[0].username)
    listing = text_of(client.get("/lab/"))
    assert "Fonctions" in listing and "Carnet (Python 3)" in listing
    page = text_of(client.get(f"/lab/assignments/{assignment_id}"))
    assert "Télécharger le carnet" in page and "Complétez les" in page
    assert HIDDEN_MARK not in page
    version = client.get(f"/lab/assignments/{assignment_id}/notebook.ipynb")
    assert version.status_code == 200 and HIDDEN_MARK not in version.get_data(as_text=True)
    partly = {**RIGHT, "mean": "def mean(values):\n    return sum(values) // len(values)\n"}
    handed = hand_in(client, assignment_id, answered(version.get_data(), partly,
                                                     {"test_mean": "assert True"}))
    assert handed.status_code == 302, text_of(handed)
    page = text_of(client.get(handed.headers["Location"]))
    assert "Carnet remis (soumission 1)" in page
    verdicts = dict(re.findall(r'data-grade-id="([^"]+)" data-verdict="([a-z_]+)"', page))
    assert verdicts == {"test_square": "passed", "test_mean": "passed",
                        "test_mean_hidden": "failed", "hypotenuse": "passed"}
    assert "Note : 4 / 6" in page
    assert "Vous avez modifié des cellules en lecture seule ou de test (test_mean)" in page
    assert HIDDEN_MARK not in page
    with app_db.session() as session:
        submission = session.scalars(select(Submission)).one()
        submission_id = submission.id
        assert submission.tampered == ["test_mean"]
    feedback = client.get(f"/lab/submissions/{submission_id}/feedback")
    assert feedback.status_code == 200
    assert "script-src" not in feedback.headers["Content-Security-Policy"]
    assert "default-src 'none'" in feedback.headers["Content-Security-Policy"]
    body = feedback.get_data(as_text=True)
    assert 'lang="fr"' in body and HIDDEN_MARK not in body
    assert HIDDEN_MARK not in client.get(
        f"/lab/submissions/{submission_id}/feedback.ipynb").get_data(as_text=True)
    own = client.get(f"/lab/submissions/{submission_id}/notebook.ipynb")
    assert own.status_code == 200 and "sum(values) // len(values)" in own.get_data(as_text=True)
    # The editor's API refuses code for a notebook assignment, with the reason.
    api = client.post(f"/api/v1/assignments/{assignment_id}/submissions",
                      json={"code": "print(1)"}, headers=bearer(app_db, world.students[0]))
    assert api.status_code == 422 and api.get_json()["error"] == "notebook_expected"
    view = client.get(f"/api/v1/assignments/{assignment_id}",
                      headers=bearer(app_db, world.students[0])).get_json()
    assert view["kind"] == "notebook" and view["public_tests"] == []
    assert HIDDEN_MARK not in json.dumps(view)
    # A notebook handed in over the API: checked, queued, graded by the (in-process) task.
    again = client.post(f"/api/v1/assignments/{assignment_id}/notebook",
                        headers=bearer(app_db, world.students[0]),
                        data={"notebook": (io.BytesIO(answered(version.get_data(), RIGHT)),
                                           "fonctions.ipynb")},
                        content_type="multipart/form-data")
    assert again.status_code == 202 and again.get_json()["number"] == 2
    graded = client.get(f"/api/v1/submissions/{again.get_json()['id']}",
                        headers=bearer(app_db, world.students[0])).get_json()
    assert (graded["status"], graded["score"]) == ("graded", 6.0)
    assert all(HIDDEN_MARK not in json.dumps(t) for t in graded["tests"])
    refused = client.post(f"/api/v1/assignments/{assignment_id}/notebook",
                          headers=bearer(app_db, world.students[0]),
                          data={"notebook": (io.BytesIO(b"{}"), "x.ipynb")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and refused.get_json()["error"] == "notebook_malformed"
    log_out(auth, "/lab/")
    # Another student, of the same class, sees none of it.
    auth.login(world.students[1].username)
    for path in (f"/lab/submissions/{submission_id}/feedback",
                 f"/lab/submissions/{submission_id}/feedback.ipynb",
                 f"/lab/submissions/{submission_id}/notebook.ipynb"):
        assert client.get(path).status_code == 404
    log_out(auth, "/lab/")
    # The teacher reads the history: the altered cell, the handed-in notebook, the feedback.
    auth.login(world.teacher.username)
    history = text_of(client.get(
        f"/teacher/lab/assignments/{assignment_id}/students/{world.students[0].id}?show=1"))
    assert "corrigées à partir de votre version : test_mean" in history
    assert "def mean(values):" in history  # the code cells, shown like a program
    teacher_feedback = client.get(f"/teacher/lab/submissions/{submission_id}/feedback")
    assert teacher_feedback.status_code == 200
    results = client.get(f"/teacher/lab/submissions/{submission_id}/results.json").get_json()
    assert results["tampered"] == ["test_mean"] and results["score"] == 4.0
    assignment_page = text_of(client.get(f"/teacher/lab/assignments/{assignment_id}"))
    assert "test_mean_hidden" in assignment_page
    # A bulk regrade runs each student's latest notebook again through the same task.
    with app_db.session() as session:
        latest = session.scalars(select(Submission).where(Submission.number == 2)).one()
        first_graded = latest.graded_at
    regraded = client.post(f"/teacher/lab/assignments/{assignment_id}/regrade",
                           data={"csrf_token": csrf(assignment_page)})
    assert regraded.status_code == 302
    with app_db.session() as session:
        latest = session.scalars(select(Submission).where(Submission.number == 2)).one()
        assert latest.status == "graded" and latest.score == 6.0
        assert latest.graded_at is not None and first_graded is not None
        assert latest.graded_at > first_graded and set(latest.feedback or {}) == {"fr", "en"}


def test_what_is_not_the_notebook_is_refused_with_its_reason_and_nothing_recorded(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    _exercise_id, assignment_id = published_assignment(auth, client, app_db, world)
    auth.login(world.students[0].username)
    for data, reason in (
            (b"print('bonjour')", "n’est pas un carnet Jupyter valide"),
            (nbformat.writes(nbformat.v4.new_notebook(
                cells=[nbformat.v4.new_code_cell("x = 1")])).encode(),
             "Ce carnet n’est pas celui de ce devoir")):
        refused = hand_in(client, assignment_id, data)
        assert refused.status_code == 422
        assert reason in text_of(refused)
    page = client.get(f"/lab/assignments/{assignment_id}").get_data(as_text=True)
    empty = client.post(f"/lab/assignments/{assignment_id}/notebook",
                        data={"csrf_token": csrf(page)}, content_type="multipart/form-data")
    assert "Choisissez d’abord votre fichier de carnet" in text_of(empty)
    with app_db.session() as session:
        assert session.scalar(select(Submission.id)) is None
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None


def test_a_teacher_of_another_school_gets_nothing(
        auth: Auth, client: FlaskClient, app_db: Database, world: School,
        other_world: School) -> None:
    exercise_id, assignment_id = published_assignment(auth, client, app_db, world)
    auth.login(other_world.teacher.username)
    for path in (f"/teacher/lab/notebooks/{exercise_id}/student.ipynb",
                 f"/teacher/lab/notebooks/{exercise_id}/teacher.ipynb",
                 f"/teacher/lab/notebooks/{exercise_id}/edit",
                 f"/teacher/lab/assignments/{assignment_id}"):
        assert client.get(path).status_code == 404, path
    log_out(auth, "/teacher/")
    auth.login(other_world.students[0].username)
    assert client.get(f"/lab/assignments/{assignment_id}/notebook.ipynb").status_code == 404
