"""An exam's code answer graded through real Celery workers, Redis and PostgreSQL.

A student starts, answers and submits over REST. The default-queue worker scores the
true/false item and leaves the code answer awaiting the sandbox; the code is scored only
by a worker of the ``sandbox`` queue. A sandbox worker whose Docker engine is unreachable
puts the job back (Celery ``retry``) and the answer keeps awaiting the sandbox, never
scored as wrong; a worker that can run code then completes the grading.

The workers are started and stopped here, so these tests have their own web server,
Redis database and PostgreSQL database rather than the shared ``stack``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from ardoise import migrate
from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import exams, grading, sittings
from item_bank import service as items
from student_records import service as records
from tests.e2e.helpers import (
    Api,
    save_payload,
    slot_rows,
    start_attempt,
    unique_prefix,
    wait_graded,
    wait_until,
)
from tests.e2e.live import LiveProcess, LiveServer, product_env
from tests.factories import make_school
from tests.services import fresh_pg_database, redis_url, worker_id

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

CODE = {
    "stem": {"fr": "Affichez le double de l'entier lu."},
    "language": "python3",
    "tests": [{"name": "trois", "stdin": "3\n", "expected": "6\n"},
              {"name": "cache", "stdin": "500\n", "expected": "1000\n", "hidden": True}],
    "points": 4,
}
TRUE_FALSE = {"stem": {"fr": "1 + 1 = 2"}, "correct": True}
SMALL_ONLY = "n = int(input())\nprint(2 * n if n < 100 else n)\n"


@dataclass
class Exam:
    data_dir: Path
    env: dict[str, str]
    database: Database
    server: LiveServer
    workers: list[LiveProcess]
    sitting_id: str
    tokens: list[str]

    def start_worker(self, queues: str, **env: str) -> LiveProcess:
        worker = LiveProcess(["--data-dir", str(self.data_dir), "worker", "--concurrency", "1",
                              "--queues", queues], {**self.env, **env},
                             self.data_dir / f"worker-{len(self.workers)}-{queues}.log")
        self.workers.append(worker)
        worker.start()
        assert worker.proc is not None
        proc = worker.proc
        wait_until(lambda: "ready." in worker.log() or proc.poll() is not None,
                   timeout=60, what=f"the {queues} worker to start")
        assert proc.poll() is None, worker.log()
        return worker

    def answer_and_submit(self, token: str, code: str) -> str:
        started = start_attempt(self.server.url, token, self.sitting_id)
        api = Api(self.server.url, token)
        try:
            for seq, (slot, response) in enumerate(
                    ((started.slot_of("code"), {"code": code}),
                     (started.slot_of("true_false"), {"value": True})), start=1):
                saved = api.post(f"/api/v1/attempts/{started.attempt_id}/answers",
                                 save_payload(started.attempt_id, slot, seq, response))
                assert saved.status_code == 200 and saved.json()["ok"], saved.text
            submitted = api.post(f"/api/v1/attempts/{started.attempt_id}/submit")
            assert submitted.status_code == 200, submitted.text
        finally:
            api.close()
        return started.attempt_id


@pytest.fixture(scope="module")
def exam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exam]:
    data_dir = tmp_path_factory.mktemp("exam-code")
    url = fresh_pg_database(f"ardoise_exam_code_{worker_id()}")
    migrate.upgrade(url)
    env = product_env(data_dir, url, redis_url(index_offset=1))
    env["ARDOISE_SANDBOX_BACKEND"] = "process"
    database = Database(url)
    now = utcnow()
    with database.session() as session:
        world = make_school(session, unique_prefix(), students=2)
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, kind, kind, content, author_id=world.teacher.id).id).item_id
            for kind, content in (("code", CODE), ("true_false", TRUE_FALSE))]
        made = exams.create_exam(session, world.school.id, "Programmation", world.teacher.id,
                                 item_ids, shuffle_questions=False)
        sitting = sittings.schedule_sitting(
            session, made, title="Programmation", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=2), time_limit_seconds=3600,
            class_id=world.klass.id, author_id=world.teacher.id)
        tokens = [records.create_token(session, s, label="e2e")[1] for s in world.students]
        sitting_id = sitting.id
    server = LiveServer(data_dir, env)
    made_exam = Exam(data_dir, env, database, server, [], sitting_id, tokens)
    server.start()
    try:
        made_exam.start_worker("default")
        yield made_exam
    finally:
        for worker in made_exam.workers:
            worker.stop()
        server.stop()
        database.dispose()


def code_slot_points(exam: Exam, attempt_id: str) -> tuple[float | None, bool | None]:
    rows = slot_rows(exam.database, attempt_id)
    return rows[0].points, rows[0].correct


def test_the_code_answer_is_scored_on_the_sandbox_queue_after_retries(exam: Exam) -> None:
    default = exam.workers[0]
    attempt_id = exam.answer_and_submit(exam.tokens[0], SMALL_ONLY)
    # The default-queue worker grades the objective item and never runs the code.
    wait_until(lambda: re.search(r"ardoise\.grade_attempt\[[0-9a-f-]+\] succeeded",
                                 default.log()), timeout=60, what="the objective grading")
    rows = slot_rows(exam.database, attempt_id)
    assert (rows[1].points, rows[1].correct) == (1.0, True)
    assert (rows[0].points, rows[0].correct, rows[0].max_points) == (None, None, 4.0)
    with exam.database.session() as session:
        assert grading.sandbox_backlog(session, exam.sitting_id) == 1
    assert not re.search(r"ardoise\.grade_attempt_code\[", default.log())

    # A sandbox worker that cannot run code puts the job back; the answer keeps waiting.
    unable = exam.start_worker(
        "sandbox", ARDOISE_SANDBOX_BACKEND="docker",
        DOCKER_HOST=f"unix://{exam.data_dir / 'no-engine.sock'}")
    wait_until(lambda: re.search(r"ardoise\.grade_attempt_code\[[0-9a-f-]+\] retry",
                                 unable.log()), timeout=60,
               what="the worker without an engine to put the job back")
    assert f"attempt {attempt_id}: sandbox backend 'docker' cannot run code here" in unable.log()
    assert code_slot_points(exam, attempt_id) == (None, None)
    unable.stop()  # a clean stop gives back the job it holds until its retry time

    able = exam.start_worker("sandbox")
    attempt = wait_graded(exam.database, attempt_id, timeout=180)
    assert (attempt.score, attempt.max_score) == (3.0, 5.0)
    assert code_slot_points(exam, attempt_id) == (2.0, False)
    assert re.search(r"ardoise\.grade_attempt_code\[[0-9a-f-]+\] received", able.log())
    assert f"attempt {attempt_id}: 1 code answer(s) scored" in able.log()
    with exam.database.session() as session:
        assert grading.sandbox_backlog(session, exam.sitting_id) == 0


def test_a_sandbox_worker_completes_a_fresh_submission(exam: Exam) -> None:
    if not any("sandbox" in w.args and w.proc and w.proc.poll() is None
               for w in exam.workers):
        exam.start_worker("sandbox")
    attempt_id = exam.answer_and_submit(exam.tokens[1], "print(2 * int(input()))\n")
    attempt = wait_graded(exam.database, attempt_id, timeout=120)
    assert (attempt.score, attempt.max_score) == (5.0, 5.0)
    assert code_slot_points(exam, attempt_id) == (4.0, True)
