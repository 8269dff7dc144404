"""An exam's code answers on the pages: in the embedded default (no broker, tasks
in-process) a submit grades the attempt completely, code answer included, before the
request answers; the sitting's page tells the teacher how many await the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.celery_app import celery
from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import exams, grading, sittings
from exam_engine.models import Attempt, AttemptSlot
from item_bank import service as items
from sandbox.backends.process import ProcessBackend
from tests.conftest import Auth
from tests.factories import make_school
from tests.persistence.test_grading_code import RIGHT, code_exam
from tests.web.test_api import bearer

CODE = {
    "stem": {"fr": "Affichez le double de l'entier lu."},
    "language": "python3",
    "tests": [{"name": "trois", "stdin": "3\n", "expected": "6\n"}],
    "points": 4,
}
TRUE_FALSE = {"stem": {"fr": "1 + 1 = 2"}, "correct": True}


@pytest.fixture(autouse=True)
def process_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")


def test_submitting_grades_the_code_answer_in_one_go(client: FlaskClient,
                                                     app_db: Database) -> None:
    assert celery.conf.task_always_eager
    now = utcnow()
    with app_db.session() as session:
        world = make_school(session, students=1)
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, kind, kind, content, author_id=world.teacher.id).id).item_id
            for kind, content in (("code", CODE), ("true_false", TRUE_FALSE))]
        exam = exams.create_exam(session, world.school.id, "Programmation", world.teacher.id,
                                 item_ids, shuffle_questions=False)
        sitting_id = sittings.schedule_sitting(
            session, exam, title="Programmation", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=600,
            class_id=world.klass.id, author_id=world.teacher.id).id
    student = bearer(app_db, world.students[0])
    started = client.post(f"/api/v1/sittings/{sitting_id}/attempts", headers=student).json
    assert started is not None
    attempt_id = started["attempt_id"]
    kinds = {s["slot"]: s["item_type"] for s in started["slots"]}
    for seq, (slot, kind) in enumerate(sorted(kinds.items()), start=1):
        response = {"code": "print(2 * int(input()))\n"} if kind == "code" else {"value": True}
        saved = client.post(f"/api/v1/attempts/{attempt_id}/answers", headers=student,
                            json={"slot": slot, "seq": seq, "response": response,
                                  "client_ts": utcnow().isoformat()})
        assert saved.status_code == 200 and saved.json and saved.json["ok"], saved.json
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit",
                       headers=student).status_code == 200
    # No broker: the grading task and the code answer's task have both run already.
    with app_db.session() as session:
        attempt = session.get(Attempt, attempt_id)
        assert attempt is not None and attempt.graded_at is not None
        assert (attempt.score, attempt.max_score) == (5.0, 5.0)
        slots = session.scalars(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id))
        assert sorted((s.points, s.correct) for s in slots) == [(1.0, True), (4.0, True)]
        assert grading.sandbox_backlog(session, sitting_id) == 0


def test_the_sitting_page_counts_code_answers_awaiting_the_sandbox(
        client: FlaskClient, app_db: Database, auth: Auth) -> None:
    made = code_exam(app_db, [RIGHT])
    [attempt_id] = made.attempt_ids
    with app_db.session() as session:
        grading.grade_attempt(session, attempt_id, utcnow())
    auth.login(made.world.teacher.username)
    page = client.get(f"/teacher/sittings/{made.sitting.id}").get_data(as_text=True)
    assert 'id="sandbox-backlog"' in page
    assert "Réponses de code en attente du bac à sable : 1." in page
    # Not counted as wrong, nor as graded: no score distribution yet.
    assert '<p class="empty">Aucune copie corrigée' in page
    assert grading.score_awaiting_sandbox(app_db, attempt_id, utcnow) == 1
    page = client.get(f"/teacher/sittings/{made.sitting.id}").get_data(as_text=True)
    assert 'id="sandbox-backlog"' not in page and 'class="empty"' not in page
