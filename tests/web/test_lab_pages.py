"""The coding lab's student pages: only a class's students see its assignments."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab import assignments
from tests.conftest import Auth
from tests.factories import School
from tests.lab_seed import DOUBLE_SOLUTION, seed_assignment


def lab_data(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="lab-data">(.*?)</script>', page,
                      re.S)
    assert found, "the page carries its data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_a_student_sees_the_assignment_of_their_class_with_its_rules(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment = seed_assignment(session, world.school.id, world.klass.id,
                                     world.teacher.id, utcnow(), attempt_limit=3,
                                     late_penalty_percent=10)
        assignment_id = assignment.id
    auth.login(world.students[0].username)

    listing = client.get("/lab/")
    text = html.unescape(listing.get_data(as_text=True))
    assert listing.status_code == 200
    assert f'href="/lab/assignments/{assignment_id}"' in text
    assert "Le double" in text and "Python 3" in text
    assert 'href="/lab/"' in text  # the student navigation links the list

    page = client.get(f"/lab/assignments/{assignment_id}")
    body = html.unescape(page.get_data(as_text=True))
    assert page.status_code == 200
    assert "Le double" in body and "0 sur 3 utilisées" in body
    assert "10 % du résultat par jour de retard" in body
    data = lab_data(page.get_data(as_text=True))
    assert data["assignment_id"] == assignment_id and data["language"] == "python3"
    assert data["api"]["draft"] == f"/api/v1/assignments/{assignment_id}/draft"
    strings = data["strings"]
    assert isinstance(strings, dict) and strings["submit"] == "Soumettre"
    # Nothing of the tests or the solution is in the page itself.
    assert DOUBLE_SOLUTION.strip() not in body and "-10" not in body


def test_the_editor_page_alone_allows_its_styles_by_a_fresh_nonce(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment_id = seed_assignment(session, world.school.id, world.klass.id,
                                        world.teacher.id, utcnow()).id
    auth.login(world.students[0].username)
    first = client.get(f"/lab/assignments/{assignment_id}")
    second = client.get(f"/lab/assignments/{assignment_id}")
    nonces = []
    for page in (first, second):
        policy = page.headers["Content-Security-Policy"]
        nonce = lab_data(page.get_data(as_text=True))["style_nonce"]
        assert f"style-src 'self' 'nonce-{nonce}';" in policy
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        nonces.append(nonce)
    assert nonces[0] != nonces[1]
    for path in ("/lab/", "/student/"):
        other = client.get(path).headers["Content-Security-Policy"]
        assert "nonce-" not in other and "style-src 'self';" in other


def test_another_class_gets_404_and_does_not_list_the_assignment(
        auth: Auth, client: FlaskClient, app_db: Database, world: School,
        other_world: School) -> None:
    with app_db.session() as session:
        assignment_id = seed_assignment(session, world.school.id, world.klass.id,
                                        world.teacher.id, utcnow()).id
    auth.login(other_world.students[0].username)
    assert client.get(f"/lab/assignments/{assignment_id}").status_code == 404
    assert client.get("/lab/assignments/01NOSUCHASSIGNMENT0000000").status_code == 404
    listing = client.get("/lab/").get_data(as_text=True)
    assert assignment_id not in listing and "Le double" not in listing
    assert "aucun exercice de programmation" in html.unescape(listing)


def test_anonymous_is_sent_to_log_in_and_staff_are_refused(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment_id = seed_assignment(session, world.school.id, world.klass.id,
                                        world.teacher.id, utcnow()).id
    for path in ("/lab/", f"/lab/assignments/{assignment_id}"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    # The class's teacher is not one of its students: the student page is not theirs.
    auth.login(world.teacher.username)
    assert client.get("/lab/").status_code == 403
    assert client.get(f"/lab/assignments/{assignment_id}").status_code == 403


def test_the_list_shows_the_students_own_extension_status_and_best_score(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    now = utcnow()
    student, classmate = world.students
    with app_db.session() as session:
        assignment = seed_assignment(session, world.school.id, world.klass.id,
                                     world.teacher.id, now, due_in=timedelta(hours=-1),
                                     closes_at=None)
        assignment_id = assignment.id
        extended_to = now + timedelta(days=3)
        assignments.grant_extension(session, assignment_id, student.id, extended_to, None,
                                    world.teacher.id)
        for code in ("print(0)\n", DOUBLE_SOLUTION):
            submission = assignments.submit(session, assignment_id, student.id, code, now)
            assignments.grade_submission(session, submission.id, now, backend="process")
        upcoming_id = seed_assignment(session, world.school.id, world.klass.id,
                                      world.teacher.id, now, title="Bientôt",
                                      opens_in=timedelta(days=1)).id

    auth.login(student.username)
    text = html.unescape(client.get("/lab/").get_data(as_text=True))
    row = re.search(rf'<tr data-assignment-id="{assignment_id}" data-status="(\w+)">(.*?)</tr>',
                    text, re.S)
    assert row and row.group(1) == "open"  # the extension keeps it open
    assert "Prolongation" in row.group(2) and "10 / 10" in row.group(2)
    assert re.search(r"<td>2</td>", row.group(2))
    upcoming = re.search(rf'<tr data-assignment-id="{upcoming_id}" data-status="upcoming">'
                         r"(.*?)</tr>", text, re.S)
    assert upcoming and f'href="/lab/assignments/{upcoming_id}"' not in upcoming.group(1)
    page = client.get(f"/lab/assignments/{upcoming_id}").get_data(as_text=True)
    assert "pas encore ouvert" in html.unescape(page) and 'id="lab-data"' not in page

    auth.login(classmate.username)
    text = html.unescape(client.get("/lab/").get_data(as_text=True))
    row = re.search(rf'<tr data-assignment-id="{assignment_id}" data-status="(\w+)">(.*?)</tr>',
                    text, re.S)
    assert row and row.group(1) == "late"  # past the class's due date, no extension
    assert "Prolongation" not in row.group(2) and "—" in row.group(2)


def test_the_page_is_in_english_when_the_student_switches(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        assignment_id = seed_assignment(session, world.school.id, world.klass.id,
                                        world.teacher.id, utcnow()).id
    auth.login(world.students[0].username)
    client.get("/lang/en")
    page = client.get(f"/lab/assignments/{assignment_id}").get_data(as_text=True)
    assert "Run the visible tests" in page and "press Escape, then Tab" in page
    assert lab_data(page)["strings"]["submit"] == "Submit"
    assert "My exercises" in client.get("/lab/").get_data(as_text=True)
