"""The coding lab's teacher pages: authoring verified by the real sandbox, assignments,
charts, attempt diffs, the similarity report, regrading and the exports."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab import assignments, exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.models import Assignment, Exercise, Submission
from tests.conftest import Auth
from tests.factories import School
from tests.web.test_item_authoring import csrf

SOLUTION = "n = int(input())\nprint(n * n)\n"


@pytest.fixture(autouse=True)
def process_sandbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real process sandbox, for the pages (configuration) and the task (environment)."""
    app.extensions["ardoise.config"] = app.extensions["ardoise.config"].with_overrides(
        sandbox_backend="process")
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")


def exercise_form(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token, "title": "Carré", "language": "python3",
        "statement_fr": "Affichez le **carré** de l'entier lu.",
        "statement_en": "Print the square.", "starter": "n = int(input())\n",
        "solution": SOLUTION, "points": "10", "cpu_seconds": "2", "memory_mb": "256",
        "comparison": "trailing_whitespace", "tolerance": "",
        "test0_name": "deux", "test0_kind": "io", "test0_stdin": "2\n",
        "test0_expected": "4\n", "test0_weight": "1", "test0_hint_fr": "Multipliez n par n.",
        "test1_name": "secret", "test1_kind": "io", "test1_stdin": "12\n",
        "test1_expected": "144\n", "test1_weight": "2", "test1_hidden": "on",
        "test2_name": "fonction", "test2_kind": "function", "test2_weight": "1",
        "test2_code": "import subprocess, sys\n\ndef test_trois():\n"
                      "    out = subprocess.run([sys.executable, 'main.py'], input='3\\n',\n"
                      "                         capture_output=True, text=True).stdout\n"
                      "    assert out == '9\\n'\n",
    }
    form.update(changes)
    return form


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def create_exercise(client: FlaskClient, **changes: str) -> Any:
    token = csrf(client.get("/teacher/lab/exercises/new").get_data(as_text=True))
    return client.post("/teacher/lab/exercises/new", data=exercise_form(token, **changes))


def verdict_rows(page: str) -> dict[str, str]:
    """Each test's verdict for the reference solution, from the exercise page."""
    return {name: verdict for verdict, name in re.findall(
        r'<tr data-verdict="([a-z_]*)">\s*<th scope="row">([^<]+)</th>', page)}


def test_a_teacher_writes_an_exercise_sees_it_verified_and_publishes_it(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    form_page = client.get("/teacher/lab/exercises/new")
    assert form_page.status_code == 200
    for language in ("python3", "c", "cpp", "java", "javascript"):
        assert f'<option value="{language}"' in form_page.get_data(as_text=True)
    made = create_exercise(client)
    assert made.status_code == 302
    page = client.get(made.headers["Location"])
    text = text_of(page)
    assert verdict_rows(text) == {"deux": "passed", "secret": "passed", "fonction": "passed"}
    assert "La solution de référence réussit tous les tests" in text
    with app_db.session() as session:
        exercise = session.scalars(select(Exercise)).one()
        assert exercise.status == "draft" and exercise.verified_at is not None
        assert exercise.statement == {"fr": "Affichez le **carré** de l'entier lu.",
                                      "en": "Print the square."}
        exercise_id = exercise.id
    token = csrf(page.get_data(as_text=True))
    published = client.post(f"/teacher/lab/exercises/{exercise_id}/publish",
                            data={"csrf_token": token})
    assert published.status_code == 302
    with app_db.session() as session:
        assert session.get(Exercise, exercise_id).status == "published"  # type: ignore[union-attr]
    listing = text_of(client.get("/teacher/lab"))
    assert "Carré" in listing and "Publié" in listing and "Réussit tous les tests" in listing


def test_a_failing_solution_stays_a_draft_and_cannot_be_published(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    made = create_exercise(client, solution="print(4)\n")
    assert made.status_code == 302
    page = client.get(made.headers["Location"])
    text = text_of(page)
    assert verdict_rows(text) == {"deux": "passed", "secret": "failed", "fonction": "failed"}
    assert "ne réussit pas tous les tests" in text
    with app_db.session() as session:
        exercise_id = session.scalars(select(Exercise.id)).one()
    refused = client.post(f"/teacher/lab/exercises/{exercise_id}/publish",
                          data={"csrf_token": csrf(page.get_data(as_text=True))})
    assert refused.status_code == 422
    assert "ne peut pas être publié" in text_of(refused) or \
        "cannot be published" in text_of(refused)
    with app_db.session() as session:
        assert session.get(Exercise, exercise_id).status == "draft"  # type: ignore[union-attr]


@pytest.mark.parametrize("changes, words", [
    ({"test1_weight": "lourd"}, ["secret", "poids"]),
    ({"statement_fr": " ", "statement_en": ""}, ["énoncé"]),
    ({"memory_mb": "12"}, ["limites"]),
    ({"test0_name": "", "test0_stdin": "2\n"}, ["nom"]),
    ({"test2_kind": "function", "test2_code": " "}, ["fonction", "code du test"]),
    ({"comparison": "regex", "test0_expected": "(unclosed"}, ["deux", "sortie attendue"]),
])
def test_a_refused_exercise_names_the_field_and_keeps_what_was_typed(
        auth: Auth, client: FlaskClient, app_db: Database, world: School,
        changes: dict[str, str], words: list[str]) -> None:
    auth.login(world.teacher.username)
    refused = create_exercise(client, **changes)
    text = text_of(refused)
    assert refused.status_code == 422
    flash = re.search(r'class="flash flash-error"[^>]*>(.*?)<', text, re.S)
    assert flash is not None, text[:2000]
    for word in words:
        assert word in flash.group(1)
    assert 'value="Carré"' in text and "n = int(input())\nprint(n * n)" in text
    assert "Multipliez n par n." in text  # a test row's hint is kept too
    with app_db.session() as session:
        assert session.scalars(select(Exercise)).all() == []


def test_editing_starts_from_the_saved_exercise_and_a_broken_edit_makes_it_a_draft(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    made = create_exercise(client)
    exercise_id = made.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/teacher/lab/exercises/{exercise_id}")
    client.post(f"/teacher/lab/exercises/{exercise_id}/publish",
                data={"csrf_token": csrf(page.get_data(as_text=True))})
    edit = client.get(f"/teacher/lab/exercises/{exercise_id}/edit")
    text = text_of(edit)
    assert 'name="test1_name" maxlength="120" value="secret"' in text
    assert re.search(r'name="test1_hidden"\s+checked', text)
    assert '<option value="function" selected>' in text
    form = {key: value for key, value in exercise_form(csrf(edit.get_data(as_text=True)),
                                                       solution="print(144)\n").items()}
    saved = client.post(f"/teacher/lab/exercises/{exercise_id}/edit", data=form)
    assert saved.status_code == 302
    with app_db.session() as session:
        exercise = session.get(Exercise, exercise_id)
        assert exercise is not None
        assert exercise.status == "draft" and exercise.verified_at is None
        assert [t["verdict"] for t in exercise.verification["tests"]] == [  # type: ignore[index]
            "failed", "passed", "failed"]


def test_students_and_other_schools_are_kept_out(
        app: Flask, auth: Auth, client: FlaskClient, app_db: Database, world: School,
        other_world: School) -> None:
    with app_db.session() as session:
        given = give_assignment(session, world)
        exercise_id, assignment_id = given.exercise_id, given.id
        submission = assignments.submit(session, assignment_id, world.students[0].id,
                                        SOLUTION, utcnow())
        assignments.grade_submission(session, submission.id, utcnow(), backend="process")
        submission_id = submission.id
    pages = ["/teacher/lab", f"/teacher/lab/exercises/{exercise_id}",
             f"/teacher/lab/exercises/{exercise_id}/edit",
             f"/teacher/lab/assignments/{assignment_id}",
             f"/teacher/lab/assignments/{assignment_id}/similarity",
             f"/teacher/lab/assignments/{assignment_id}/grades.csv",
             f"/teacher/lab/assignments/{assignment_id}/regrade",
             f"/teacher/lab/assignments/{assignment_id}/students/{world.students[0].id}",
             f"/teacher/lab/submissions/{submission_id}/results.json"]
    auth.login(world.students[0].username)
    for path in pages:
        assert client.get(path).status_code == 403, path
    client = app.test_client()  # a fresh browser
    Auth(client).login(other_world.teacher.username)
    assert client.get("/teacher/lab").status_code == 200
    assert "Carré" not in text_of(client.get("/teacher/lab"))
    for path in pages[1:]:
        assert client.get(path).status_code == 404, path
    token = csrf(client.get("/teacher/lab").get_data(as_text=True))
    assert client.post(f"/teacher/lab/exercises/{exercise_id}/publish",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/teacher/lab/assignments/{assignment_id}/regrade",
                       data={"csrf_token": token}).status_code == 404


def give_assignment(session: Any, world: School, **rules: Any) -> Assignment:
    spec = ExerciseSpec(
        title="Carré", language="python3", statement={"fr": "Le carré."}, solution=SOLUTION,
        starter="n = int(input())\n", points=10,
        tests=[TestSpec("deux", "2\n", "4\n"), TestSpec("trois", "3\n", "9\n", weight=2),
               TestSpec("secret", "12\n", "144\n", hidden=True, weight=2)])
    exercise = exercises.create_exercise(session, world.school.id, spec, world.teacher.id,
                                         utcnow(), backend="process")
    exercises.publish(session, exercise.id)
    now = utcnow()
    return assignments.create_assignment(
        session, exercise.id, world.klass.id, opens_at=now - timedelta(days=3),
        due_at=rules.pop("due_at", now + timedelta(days=1)), author_id=world.teacher.id,
        **rules)


def submit_graded(session: Any, assignment_id: str, student_id: str, code: str,
                  when: Any = None) -> Submission:
    submission = assignments.submit(session, assignment_id, student_id, code, when or utcnow())
    return assignments.grade_submission(session, submission.id, utcnow(), backend="process")


def test_giving_an_exercise_to_a_class_keeps_the_form_on_error(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    auth.login(world.teacher.username)
    made = create_exercise(client)
    exercise_id = made.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/teacher/lab/exercises/{exercise_id}")
    token = csrf(page.get_data(as_text=True))
    assert 'id="assignment-form"' not in page.get_data(as_text=True)  # a draft is not given
    client.post(f"/teacher/lab/exercises/{exercise_id}/publish", data={"csrf_token": token})
    form = {"csrf_token": token, "class_id": world.klass.id, "title": "Devoir 1",
            "opens_at": "2026-02-01T08:00", "due_at": "2026-01-20T23:59", "closes_at": "",
            "late_penalty": "10", "attempt_limit": "5", "min_delay": "30"}
    refused = client.post(f"/teacher/lab/exercises/{exercise_id}/assignments", data=form)
    text = text_of(refused)
    assert refused.status_code == 422 and "date de remise" in text
    assert 'value="Devoir 1"' in text and 'value="2026-01-20T23:59"' in text
    assert re.search(r'id="due_at" name="due_at" aria-invalid="true"', text)
    form["due_at"] = "2026-02-08T23:59"
    made = client.post(f"/teacher/lab/exercises/{exercise_id}/assignments", data=form)
    assert made.status_code == 302
    with app_db.session() as session:
        assignment = session.scalars(select(Assignment)).one()
        assert (assignment.title, assignment.late_penalty_percent, assignment.attempt_limit,
                assignment.min_delay_seconds) == ("Devoir 1", 10.0, 5, 30)
        assert assignment.due_at.isoformat().startswith("2026-02-09T04:59")  # Montréal, UTC-5
    shown = text_of(client.get(made.headers["Location"]))
    assert "Devoir 1" in shown and "Aucune remise corrigée" in shown
    listed = text_of(client.get("/teacher/lab"))
    assert re.search(r'<table class="table" id="assignments">.*Devoir 1</a></th>\s*<td>Math 4</td>',
                     listed, re.S)


def test_the_assignment_page_charts_lists_and_extends(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment = give_assignment(session, world, late_penalty_percent=10,
                                     due_at=utcnow() - timedelta(hours=1))
        first, second = world.students
        submit_graded(session, assignment.id, first.id, "n = int(input())\nprint(4)\n")
        submit_graded(session, assignment.id, first.id, SOLUTION)
        submit_graded(session, assignment.id, second.id, "n = int(input())\nprint(n + n)\n")
        assignment_id = assignment.id
    auth.login(world.teacher.username)
    page = client.get(f"/teacher/lab/assignments/{assignment_id}")
    text = text_of(page)
    assert page.status_code == 200
    chart = re.search(r'<figure class="chart" id="pass-rate-chart">.*?</figure>', text, re.S)
    assert chart is not None
    # Latest graded submissions: the first passes everything, the second only "deux".
    assert re.findall(r"<title>([^<]+)</title>", chart.group(0)) == [
        "deux: 100 %", "trois: 50 %", "secret: 50 %"]
    scores = re.search(r'<figure class="chart" id="score-chart">.*?</figure>', text, re.S)
    assert scores is not None and "(2 corrigés)" in scores.group(0) or \
        "(2 graded)" in scores.group(0)  # type: ignore[union-attr]
    assert re.findall(r"<title>([^<]+)</title>", scores.group(0)).count(  # type: ignore[union-attr]
        "90–100 %: 1") == 1
    row = re.search(rf'<tr data-student="{first.username}">.*?</tr>', text, re.S)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    assert cells[0] == "2" and cells[2] == "1"  # two submissions, one day late
    assert cells[4] == "9.0 / 10.0" and cells[5] == "9.0 / 10.0"  # 10 % off for one day

    token = csrf(page.get_data(as_text=True))
    refused = client.post(f"/teacher/lab/assignments/{assignment_id}/extensions", data={
        "csrf_token": token, "student_id": second.id, "ext_due_at": "pas une date"})
    assert refused.status_code == 422 and 'value="pas une date"' in text_of(refused)
    granted = client.post(f"/teacher/lab/assignments/{assignment_id}/extensions", data={
        "csrf_token": token, "student_id": second.id, "ext_due_at": "2030-01-10T23:59",
        "ext_closes_at": ""})
    assert granted.status_code == 302
    with app_db.session() as session:
        window = assignments.window_for(
            session, assignments.get_assignment(session, assignment_id), second.id)
        assert window.due_at.year == 2030


def test_a_student_history_shows_each_attempt_and_an_escaped_diff(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment = give_assignment(session, world)
        student = world.students[0]
        submit_graded(session, assignment.id, student.id,
                      "n = int(input())\nprint(n + n)\n")
        submit_graded(session, assignment.id, student.id,
                      "n = int(input())\nif n < 0:\n    print('<b>')\nprint(n * n)\n")
        assignment_id = assignment.id
    auth.login(world.teacher.username)
    page = client.get(f"/teacher/lab/assignments/{assignment_id}/students/{student.id}")
    raw = page.get_data(as_text=True)
    assert page.status_code == 200
    diff = re.search(r'<pre class="diff lab-diff" id="attempt-diff">(.*?)</pre>', raw, re.S)
    assert diff is not None
    assert '<span class="diff-del">-print(n + n)</span>' in diff.group(1)
    assert '<span class="diff-add">+if n &lt; 0:</span>' in diff.group(1)
    assert "&lt;b&gt;" in diff.group(1) and "<b>" not in diff.group(1)
    rows = re.findall(r"<tr(?: class=\"current\")?>\s*<th scope=\"row\"><a [^>]+>#(\d)</a>", raw)
    assert rows == ["1", "2"]
    same = client.get(f"/teacher/lab/assignments/{assignment_id}/students/{student.id}"
                      "?a=2&b=2")
    assert 'id="attempt-diff-empty"' in same.get_data(as_text=True)
    assert client.get(f"/teacher/lab/assignments/{assignment_id}/students/"
                      f"{world.teacher.id}").status_code == 404


def test_exports_have_the_gradescope_and_spreadsheet_shapes(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment = give_assignment(session, world, late_penalty_percent=25,
                                     due_at=utcnow() - timedelta(hours=1))
        first = world.students[0]
        partial = submit_graded(session, assignment.id, first.id,
                                "n = int(input())\nprint(n + n)\n")
        assignment_id, submission_id = assignment.id, partial.id
        queued = assignments.submit(session, assignment.id, world.students[1].id, SOLUTION,
                                    utcnow())
        queued_id = queued.id
    auth.login(world.teacher.username)
    results = client.get(f"/teacher/lab/submissions/{submission_id}/results.json")
    assert results.status_code == 200 and results.mimetype == "application/json"
    shape = json.loads(results.get_data(as_text=True))
    assert set(shape) == {"score", "max_score", "tests", "output"}
    assert shape["max_score"] == 10.0 and shape["score"] == 1.5  # 2/10 less 25 %
    assert [(t["name"], t["score"], t["max_score"], t["status"], t["visibility"])
            for t in shape["tests"]] == [
        ("deux", 2.0, 2.0, "passed", "visible"), ("trois", 0.0, 4.0, "failed", "visible"),
        ("secret", 0.0, 4.0, "failed", "after_published")]
    assert all(set(t) == {"name", "score", "max_score", "status", "output", "visibility"}
               for t in shape["tests"])
    assert client.get(f"/teacher/lab/submissions/{queued_id}/results.json").status_code == 404

    grades = client.get(f"/teacher/lab/assignments/{assignment_id}/grades.csv")
    assert grades.mimetype == "text/csv"
    body = grades.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(lines[0]) == 6 and lines[0][0] == "Élève" and lines[0][3] == "Maximum"
    by_username = {line[1]: line for line in lines[1:]}
    assert by_username[first.username] == ["Student0 Test", first.username, "1.50", "10", "1",
                                           "1"]
    assert by_username[world.students[1].username][2:] == ["", "", "1", ""]


def test_a_bulk_regrade_runs_every_latest_submission_again(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment = give_assignment(session, world)
        for student in world.students:
            submit_graded(session, assignment.id, student.id, SOLUTION)
        first = submit_graded(session, assignment.id, world.students[0].id, SOLUTION)
        waiting = assignments.submit(session, assignment.id, world.students[1].id, SOLUTION,
                                     utcnow())  # queued: on its way, not queued twice
        assignment_id = assignment.id
        before = {s.id: s.graded_at for s in session.scalars(select(Submission))}
        # The teacher fixes the expected output of a test after the students submitted.
        session.execute(
            exercises.ExerciseTest.__table__.update()  # type: ignore[attr-defined]
            .where(exercises.ExerciseTest.name == "deux").values(expected="5\n"))
    auth.login(world.teacher.username)
    page = client.get(f"/teacher/lab/assignments/{assignment_id}")
    assert '<progress id="regrade-progress" value="1" max="2">' in page.get_data(as_text=True)
    forged = client.post(f"/teacher/lab/assignments/{assignment_id}/regrade")  # no CSRF token
    assert forged.status_code == 400
    with app_db.session() as session:
        assert {s.status for s in session.scalars(select(Submission))
                if s.id != waiting.id} == {"graded"}
    done = client.post(f"/teacher/lab/assignments/{assignment_id}/regrade",
                       data={"csrf_token": csrf(page.get_data(as_text=True))})
    assert done.status_code == 302
    progress = client.get(f"/teacher/lab/assignments/{assignment_id}/regrade").get_json()
    assert progress == {"assignment_id": assignment_id, "done": 1, "total": 2}
    with app_db.session() as session:
        after = {s.id: s for s in session.scalars(select(Submission))}
        regraded = after[first.id]
        assert regraded.status == "graded" and regraded.graded_at != before[first.id]
        assert regraded.score == 8.0  # "deux" (weight 1 of 5) fails now
        assert after[waiting.id].status == "queued"  # left to its own job, not queued twice
        others = [s for s in after.values() if s.id not in (first.id, waiting.id)]
        assert [s.graded_at for s in others] == [before[s.id] for s in others]


def test_the_similarity_report_ranks_a_disguised_copy_and_marks_it(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    original = ("n = int(input())\ntotal = 0\nfor i in range(1, n + 1):\n"
                "    if i % 2 == 0:\n        total += i * i\n    else:\n"
                "        total -= i\nprint(total if total > 0 else -total)\n")
    copy = ("# mine <script>\nvalue = int(input())\nacc = 0\nfor k in range(1, value + 1):\n"
            "    if k % 2 == 0:\n        acc += k * k\n    else:\n        acc -= k\n"
            "print(acc if acc > 0 else -acc)\n")
    with app_db.session() as session:
        from tests.factories import make_school  # a third student for an independent one
        assignment = give_assignment(session, world)
        third = make_school(session, prefix="x-", students=1).students[0]
        from student_records import service as records
        records.enrol(session, records.get_class(session, world.klass.id), third,
                      records.Role.STUDENT)
        a = submit_graded(session, assignment.id, world.students[0].id, original)
        b = submit_graded(session, assignment.id, world.students[1].id, copy)
        submit_graded(session, assignment.id, third.id, SOLUTION)
        assignment_id, a_id, b_id = assignment.id, a.id, b.id
    auth.login(world.teacher.username)
    report = text_of(client.get(f"/teacher/lab/assignments/{assignment_id}/similarity"))
    ranked = re.findall(r'<tr data-pair="([^"]+)">', report)
    assert ranked and set(ranked[0].split("|")) == {world.students[0].username,
                                                     world.students[1].username}
    pair = client.get(f"/teacher/lab/assignments/{assignment_id}/similarity/{a_id}/{b_id}")
    raw = pair.get_data(as_text=True)
    assert pair.status_code == 200
    assert "&lt;script&gt;" in raw and "<script>" not in raw
    side_b = re.search(r'<figure class="lab-side" id="side-b">(.*?)</figure>', raw, re.S)
    assert side_b is not None
    marked = re.findall(r'<span class="line match match-\d" data-region="\d+">'
                        r'<span class="line-number" aria-hidden="true">(\d+)</span>',
                        side_b.group(1))
    assert "1" not in marked and {"4", "5", "6"} <= set(marked)  # the loop, not the comment
    other = client.get(f"/teacher/lab/assignments/{assignment_id}/similarity/{a_id}/nope")
    assert other.status_code == 404
