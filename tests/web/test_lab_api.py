"""The coding lab's REST API: who may ask, hidden-test privacy, refusals, Run, drafts.

The app runs in the embedded default (SQLite, no Redis): "Submit" grades in-process
through the same ``ardoise.grade_submission`` task, and "Run" goes through
``ardoise.run_code``; both use the real process sandbox.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab import assignments, exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.models import CodeDraft, Submission
from student_records.models import Person
from tests.conftest import Auth
from tests.factories import School
from tests.web.test_api import bearer

SOLUTION = "n = int(input())\nprint(n * 2)\n"
# Distinctive values: the hidden test's input, expected and actual output must never
# appear in what a student receives.
HIDDEN_IN, HIDDEN_OUT = "7315\n", "14630\n"
WRONG_ON_HIDDEN = ("n = int(input())\nprint(n * 2 if n < 1000 else n * 3)\n")
WRONG_HIDDEN_ACTUAL = "21945"


def spec(**changes: object) -> ExerciseSpec:
    values: dict[str, object] = dict(
        title="Double", language="python3",
        statement={"fr": "Affichez le **double** de *n*.<script>alert(1)</script>",
                   "en": "Print twice *n*."},
        solution=SOLUTION, starter="n = int(input())\n", points=10.0,
        tests=[TestSpec("trois", "3\n", "6\n", hint={"fr": "Multipliez par deux."}),
               TestSpec("cinq", "5\n", "10\n", weight=2),
               TestSpec("cache", HIDDEN_IN, HIDDEN_OUT, hidden=True, weight=2)])
    values.update(changes)
    return ExerciseSpec(**values)  # type: ignore[arg-type]


@dataclass
class Lab:
    assignment_id: str
    exercise_id: str


def make_lab(app_db: Database, world: School, **rules: object) -> Lab:
    now = utcnow()
    with app_db.session() as session:
        exercise = exercises.create_exercise(session, world.school.id, spec(), world.teacher.id,
                                             now, backend="process")
        exercises.publish(session, exercise.id)
        window: dict[str, object] = {"opens_at": now - timedelta(hours=1),
                                     "due_at": now + timedelta(days=1)}
        window.update(rules)
        assignment = assignments.create_assignment(
            session, exercise.id, world.klass.id, author_id=world.teacher.id,
            **window)  # type: ignore[arg-type]
        return Lab(assignment.id, exercise.id)


@pytest.fixture
def lab(app_db: Database, world: School) -> Lab:
    return make_lab(app_db, world)


def submissions_count(app_db: Database, assignment_id: str) -> int:
    with app_db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Submission).where(
            Submission.assignment_id == assignment_id)) or 0)


def test_a_student_reads_the_assignment_without_hidden_tests(
        client: FlaskClient, app_db: Database, world: School, lab: Lab) -> None:
    student = bearer(app_db, world.students[0])
    answer = client.get(f"/api/v1/assignments/{lab.assignment_id}", headers=student)
    assert answer.status_code == 200
    view = answer.json
    assert view["language"] == "python3" and view["starter_code"] == "n = int(input())\n"
    assert view["statement"]["fr"] == "<p>Affichez le <strong>double</strong> de <em>n</em>.</p>"
    assert view["public_tests"] == [
        {"name": "trois", "hidden": False, "weight": 1.0, "stdin": "3\n", "expected": "6\n",
         "kind": "io"},
        {"name": "cinq", "hidden": False, "weight": 2.0, "stdin": "5\n", "expected": "10\n",
         "kind": "io"},
        {"name": "cache", "hidden": True, "weight": 2.0}]
    assert view["draft"] is None and view["submissions"] == [] and view["role"] == "student"
    assert view["rules"]["attempt_limit"] is None and view["rules"]["due_at"].endswith("Z")
    text = answer.get_data(as_text=True)
    assert "7315" not in text and "14630" not in text and "script" not in text


def test_nobody_outside_the_class_reads_or_acts(
        client: FlaskClient, app_db: Database, world: School, other_world: School,
        lab: Lab) -> None:
    owner = bearer(app_db, world.students[0])
    submitted = client.post(f"/api/v1/assignments/{lab.assignment_id}/submissions",
                            headers=owner, json={"code": SOLUTION})
    assert submitted.status_code == 202
    submission_id = submitted.json["id"]

    outsider = bearer(app_db, other_world.students[0])
    stranger_teacher = bearer(app_db, other_world.teacher)
    base = f"/api/v1/assignments/{lab.assignment_id}"
    for headers in (outsider, stranger_teacher):
        assert client.get(base, headers=headers).status_code == 403
        assert client.put(f"{base}/draft", headers=headers,
                          json={"code": "x"}).status_code == 403
        assert client.post(f"{base}/run", headers=headers,
                           json={"code": "x", "stdin": ""}).status_code == 403
        refused = client.post(f"{base}/submissions", headers=headers, json={"code": "x"})
        assert refused.status_code == 403 and refused.json["error"] == "forbidden"
        assert client.get(f"/api/v1/submissions/{submission_id}",
                          headers=headers).status_code == 403
    # A classmate may not read another student's submission either.
    classmate = bearer(app_db, world.students[1])
    assert client.get(f"/api/v1/submissions/{submission_id}",
                      headers=classmate).status_code == 403
    # A teacher reads the assignment (no draft, no submissions of theirs) but cannot Run.
    teacher = bearer(app_db, world.teacher)
    as_teacher = client.get(base, headers=teacher)
    assert as_teacher.status_code == 200 and as_teacher.json["role"] == "teacher"
    assert client.post(f"{base}/run", headers=teacher,
                       json={"code": SOLUTION}).status_code == 403
    assert client.get(f"{base}/nope", headers=owner).status_code == 404
    missing = client.get("/api/v1/assignments/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=owner)
    assert missing.status_code == 404 and missing.json["error"] == "assignment_not_found"
    assert client.get(base).status_code == 401
    assert submissions_count(app_db, lab.assignment_id) == 1  # nothing recorded by refusals


def test_the_student_sees_hidden_tests_by_verdict_only_and_the_teacher_sees_them_whole(
        client: FlaskClient, app_db: Database, world: School, lab: Lab) -> None:
    owner = bearer(app_db, world.students[0])
    submitted = client.post(f"/api/v1/assignments/{lab.assignment_id}/submissions",
                            headers=owner, json={"code": WRONG_ON_HIDDEN})
    assert submitted.status_code == 202
    assert submitted.json["number"] == 1 and submitted.json["status"] == "queued"
    answer = client.get(f"/api/v1/submissions/{submitted.json['id']}", headers=owner)
    assert answer.status_code == 200
    view = answer.json
    # Embedded default: graded in-process before the submit answered.
    assert view["status"] == "graded" and view["max_score"] == 10.0
    assert view["score"] == pytest.approx(10 * 3 / 5)
    assert [(t["name"], t["verdict"]) for t in view["tests"]] == [
        ("trois", "passed"), ("cinq", "passed"), ("cache", "failed")]
    assert view["tests"][2] == {"name": "cache", "verdict": "failed", "hidden": True,
                                "weight": 2.0}
    assert view["tests"][0]["stdout"] == "6\n" and view["tests"][0]["expected"] == "6\n"
    text = answer.get_data(as_text=True)
    for secret in ("7315", "14630", WRONG_HIDDEN_ACTUAL):
        assert secret not in text
    assert "code" not in view and "student_id" not in view

    teacher = bearer(app_db, world.teacher)
    whole = client.get(f"/api/v1/submissions/{submitted.json['id']}", headers=teacher).json
    hidden = whole["tests"][2]
    assert hidden["stdout"].strip() == WRONG_HIDDEN_ACTUAL and hidden["expected"] == HIDDEN_OUT
    assert whole["student_id"] == world.students[0].id
    assert whole["code"] == {"main.py": WRONG_ON_HIDDEN}

    listed = client.get(f"/api/v1/assignments/{lab.assignment_id}", headers=owner).json
    assert [(s["number"], s["status"], s["score"]) for s in listed["submissions"]] == [
        (1, "graded", view["score"])]


def test_refusals_say_why_and_record_nothing(
        client: FlaskClient, app_db: Database, world: School) -> None:
    limited = make_lab(app_db, world, attempt_limit=1)
    delayed = make_lab(app_db, world, min_delay_seconds=3600)
    now = utcnow()
    closed = make_lab(app_db, world, opens_at=now - timedelta(days=3),
                      due_at=now - timedelta(days=2), closes_at=now - timedelta(days=1))
    later = make_lab(app_db, world, opens_at=now + timedelta(days=1),
                     due_at=now + timedelta(days=2))
    student = {**bearer(app_db, world.students[0]), "Accept-Language": "fr"}

    def submit(lab: Lab, code: str = SOLUTION) -> TestResponse:
        return client.post(f"/api/v1/assignments/{lab.assignment_id}/submissions",
                           headers=student, json={"code": code})

    assert submit(limited).status_code == 202
    refused = submit(limited)
    assert refused.status_code == 409 and refused.json["error"] == "attempt_limit_reached"
    assert refused.json["limit"] == 1 and "1" in refused.json["message"]
    assert submissions_count(app_db, limited.assignment_id) == 1

    assert submit(delayed).status_code == 202
    refused = submit(delayed)
    assert refused.status_code == 409 and refused.json["error"] == "submit_too_soon"
    assert 3590 <= refused.json["seconds"] <= 3600
    assert refused.headers["Retry-After"] == str(refused.json["seconds"])
    assert re.search(r"Attendez \d+ secondes", refused.json["message"]), refused.json
    assert submissions_count(app_db, delayed.assignment_id) == 1

    for lab, code in ((closed, "assignment_closed"), (later, "assignment_not_open")):
        refused = submit(lab)
        assert refused.status_code == 409 and refused.json["error"] == code
        assert refused.json["message"] and refused.json["message"] != code
        assert submissions_count(app_db, lab.assignment_id) == 0

    big = submit(later, "#" * (64 * 1024 + 1))
    assert big.status_code == 422 and big.json["error"] == "submission_too_large"
    assert big.json["max_kb"] == 64
    with app_db.session() as session:  # the person's own language comes first
        session.get(Person, world.students[0].id).locale = "en"  # type: ignore[union-attr]
    english = client.post(f"/api/v1/assignments/{closed.assignment_id}/submissions",
                          headers=student, json={"code": "x"})
    assert english.json["message"] == \
        "This assignment is closed: submissions are no longer accepted."
    assert client.post(f"/api/v1/assignments/{closed.assignment_id}/submissions",
                       headers=student, json={"code": 3}).status_code == 422


def test_run_on_own_input_and_on_the_visible_tests_records_nothing(
        client: FlaskClient, app_db: Database, world: School, lab: Lab) -> None:
    student = bearer(app_db, world.students[0])
    url = f"/api/v1/assignments/{lab.assignment_id}/run"
    own = client.post(url, headers=student, json={"code": SOLUTION, "stdin": "21\n"})
    assert own.status_code == 200, own.json
    assert own.json["status"] == "ok" and own.json["stdout"] == "42\n"
    assert own.json["explanations"] == []
    crash = client.post(url, headers=student, json={"code": "print(x)\n", "stdin": ""}).json
    assert crash["status"] == "runtime_error" and "NameError" in crash["stderr"]
    assert crash["explanations"][0]["code"] == "python.name_error"

    visible = client.post(url, headers=student, json={"code": WRONG_ON_HIDDEN})
    assert visible.status_code == 200
    assert [(t["name"], t["verdict"]) for t in visible.json["tests"]] == [
        ("trois", "passed"), ("cinq", "passed")]
    assert "7315" not in visible.get_data(as_text=True)
    failing = client.post(url, headers=student, json={"code": "print(0)\n"}).json
    assert failing["tests"][0]["verdict"] == "failed"
    assert failing["tests"][0]["hint"] == "Multipliez par deux."
    assert submissions_count(app_db, lab.assignment_id) == 0


def test_run_without_visible_tests_is_refused(
        client: FlaskClient, app_db: Database, world: School) -> None:
    now = utcnow()
    with app_db.session() as session:
        exercise = exercises.create_exercise(
            session, world.school.id,
            spec(tests=[TestSpec("seul", "2\n", "4\n", hidden=True)]), world.teacher.id, now,
            backend="process")
        exercises.publish(session, exercise.id)
        assignment = assignments.create_assignment(
            session, exercise.id, world.klass.id, opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(hours=1))
    refused = client.post(f"/api/v1/assignments/{assignment.id}/run",
                          headers=bearer(app_db, world.students[0]), json={"code": SOLUTION})
    assert refused.status_code == 422 and refused.json["error"] == "no_visible_tests"


def test_the_draft_is_saved_and_read_back_with_csrf_for_the_browser(
        client: FlaskClient, app_db: Database, world: School, lab: Lab, auth: Auth) -> None:
    auth.login(world.students[0].username)
    url = f"/api/v1/assignments/{lab.assignment_id}/draft"
    forged = client.put(url, json={"code": "print(1)\n"})
    assert forged.status_code == 400 and forged.json["error"] == "csrf"
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    saved = client.put(url, json={"code": "print(1)\n"}, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.json["saved_at"].endswith("Z")
    again = client.put(url, json={"code": "print(2)\n"}, headers={"X-CSRFToken": token})
    view = client.get(f"/api/v1/assignments/{lab.assignment_id}").json
    assert view["draft"] == {"code": "print(2)\n", "saved_at": again.json["saved_at"]}
    with app_db.session() as session:
        drafts = list(session.scalars(select(CodeDraft)))
    assert [json.dumps(d.files) for d in drafts] == [json.dumps({"main.py": "print(2)\n"})]
    # Another student's view of the same assignment has no draft.
    other = client.get(f"/api/v1/assignments/{lab.assignment_id}",
                       headers=bearer(app_db, world.students[1])).json
    assert other["draft"] is None


def test_a_submission_explains_the_first_failing_visible_tests_error(
        client: FlaskClient, app_db: Database, world: School, lab: Lab) -> None:
    student = {**bearer(app_db, world.students[0]), "Accept-Language": "fr"}
    crashing = "n = int(input())\nprint(doubel(n))\n"
    submitted = client.post(f"/api/v1/assignments/{lab.assignment_id}/submissions",
                            headers=student, json={"code": crashing}).json
    view = client.get(f"/api/v1/submissions/{submitted['id']}", headers=student).json
    assert [t["verdict"] for t in view["tests"]] == ["runtime_error"] * 3
    first = view["explanations"][0]
    assert first["code"] == "python.name_error" and first["line"] == 2
    assert first["file"] == "main.py" and first["params"]["name"] == "doubel"
    assert first["title"] and first["meaning"] and first["hint"]


def test_the_openapi_document_describes_the_lab_as_it_answers(
        client: FlaskClient, app_db: Database, world: School, lab: Lab) -> None:
    doc = client.get("/api/v1/openapi.json").json
    assert doc is not None
    for path in ("/assignments/{assignment_id}", "/assignments/{assignment_id}/draft",
                 "/assignments/{assignment_id}/run",
                 "/assignments/{assignment_id}/submissions", "/submissions/{submission_id}"):
        assert path in doc["paths"], path
    schemas = doc["components"]["schemas"]
    student = bearer(app_db, world.students[0])
    view = client.get(f"/api/v1/assignments/{lab.assignment_id}", headers=student).json
    assert view is not None
    assert set(schemas["LabAssignment"]["required"]) <= set(view)
    assert set(view) <= set(schemas["LabAssignment"]["properties"])
    submitted = client.post(f"/api/v1/assignments/{lab.assignment_id}/submissions",
                            headers=student, json={"code": SOLUTION}).json
    assert submitted is not None
    whole = client.get(f"/api/v1/submissions/{submitted['id']}",
                       headers=bearer(app_db, world.teacher)).json
    assert whole is not None
    assert set(schemas["LabSubmission"]["required"]) <= set(whole)
    assert set(whole) <= set(schemas["LabSubmission"]["properties"])
    codes = set(schemas["LabError"]["properties"]["error"]["enum"])
    assert {"submit_too_soon", "attempt_limit_reached", "assignment_closed",
            "assignment_not_open", "submission_too_large", "no_visible_tests"} <= codes


# The worker's side in a process of its own, whose Docker engine is unreachable (the
# sandbox backends are process-wide: this process may hold a working one already).
NO_ENGINE = """
import sys
from ardoise.db import Database
from ardoise.worker.context import bind
from ardoise.worker.lab import grade_once
bind(Database(sys.argv[1]))
grade_once(sys.argv[2], may_retry=False)
"""


def test_a_submission_no_sandbox_can_grade_ends_in_error(
        client: FlaskClient, app_db: Database, world: School, lab: Lab, tmp_path: Path) -> None:
    """The last attempt of a worker without a sandbox gives up: status ``error``."""
    with app_db.session() as session:
        submission = assignments.submit(session, lab.assignment_id, world.students[0].id,
                                        SOLUTION, utcnow())
    env = {**os.environ, "ARDOISE_SANDBOX_BACKEND": "docker",
           "DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}"}
    done = subprocess.run([sys.executable, "-c", NO_ENGINE, str(app_db.engine.url),
                           submission.id], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "no sandbox can run code on this worker" in done.stderr
    student = bearer(app_db, world.students[0])
    view = client.get(f"/api/v1/submissions/{submission.id}", headers=student).json
    assert view is not None
    assert view["status"] == "error" and view["score"] is None and view["tests"] == []
