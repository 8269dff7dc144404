"""Coding-lab grading through a real Celery worker, Redis, PostgreSQL and Socket.IO.

A student submits over REST; the ``sandbox`` worker grades the submission in the real
process sandbox; the status reaches the student's page live on ``/lab`` (queued →
running → graded), published by the worker through Redis. A worker SIGKILLed while it
runs a slow submission leaves the job unacknowledged; Redis gives it back (visibility
timeout of 5 s in tests) to the next worker, and exactly one grade is stored.

These tests kill their worker, so they have one of their own, with a web server, a Redis
database and a PostgreSQL database of their own rather than the shared ``stack``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from celery import Celery
from sqlalchemy import select, update

from ardoise import migrate
from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab import assignments, exercises
from coding_lab.exercises import ExerciseSpec, TestSpec
from coding_lab.models import Submission
from student_records import service as records
from tests.e2e.helpers import unique_prefix, wait_until
from tests.e2e.live import LiveProcess, LiveServer, product_env
from tests.factories import make_school
from tests.services import fresh_pg_database, redis_url, worker_id

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

NAMESPACE = "/lab"
SOLUTION = "n = int(input())\nprint(n * 2)\n"
# Sleeps in the test whose input is 3: long enough to be killed while it runs.
SLOW = "import time\nn = int(input())\nif n == 3:\n    time.sleep(4)\nprint(n * 2)\n"
WRONG = "n = int(input())\nprint(n + 2)\n"  # right for 2 only


class LabPage:
    """A student's (or teacher's) page: a real ``socketio.Client`` on ``/lab``."""

    def __init__(self, url: str, token: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.statuses: list[dict[str, Any]] = []
        self.progress: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.sio.on("submission:status", self._record, namespace=NAMESPACE)
        self.sio.on("regrade:progress", self._record_progress, namespace=NAMESPACE)
        self.sio.connect(url, transports=["websocket"], namespaces=[NAMESPACE],
                         auth={"token": token}, wait_timeout=10)

    def _record(self, data: dict[str, Any]) -> None:
        with self.changed:
            self.statuses.append(data)
            self.changed.notify_all()

    def _record_progress(self, data: dict[str, Any]) -> None:
        with self.changed:
            self.progress.append(data)
            self.changed.notify_all()

    def wait_progress(self, count: int, timeout: float = 120) -> list[dict[str, Any]]:
        """The first ``count`` progress events (and any that came with them)."""
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.progress) >= count, timeout):
                raise AssertionError(f"fewer than {count} progress events: {self.progress}")
            return list(self.progress)

    def of(self, submission_id: str) -> list[dict[str, Any]]:
        with self.changed:
            return [s for s in self.statuses if s["submission_id"] == submission_id]

    def wait_status(self, submission_id: str, status: str, timeout: float = 120) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((s for s in self.of(submission_id) if s["status"] == status), None)

        with self.changed:
            if not self.changed.wait_for(found, timeout):
                raise AssertionError(f"no {status} status for {submission_id}: "
                                     f"{self.of(submission_id)}")
        return found()  # type: ignore[return-value]

    def call(self, event: str, data: dict[str, Any]) -> Any:
        return self.sio.call(event, data, namespace=NAMESPACE, timeout=10)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


@dataclass
class Lab:
    data_dir: Path
    env: dict[str, str]
    database: Database
    server: LiveServer
    workers: list[LiveProcess]
    assignment_id: str
    students: list[tuple[str, str]]  # (person id, token)
    teacher_token: str
    stranger_token: str

    def start_worker(self) -> LiveProcess:
        worker = LiveProcess(["--data-dir", str(self.data_dir), "worker", "--concurrency", "1",
                              "--queues", "sandbox"], self.env,
                             self.data_dir / f"worker-{len(self.workers)}.log")
        self.workers.append(worker)
        worker.start()
        assert worker.proc is not None
        proc = worker.proc
        wait_until(lambda: "ready." in worker.log() or proc.poll() is not None,
                   timeout=60, what="the sandbox worker to start")
        assert proc.poll() is None, worker.log()
        return worker

    def page(self, token: str) -> LabPage:
        return LabPage(self.server.url, token)

    def submit(self, token: str, code: str) -> dict[str, Any]:
        answer = requests.post(
            f"{self.server.url}/api/v1/assignments/{self.assignment_id}/submissions",
            json={"code": code}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert answer.status_code == 202, answer.text
        return answer.json()

    def row(self, submission_id: str) -> Submission:
        with self.database.session() as session:
            row = session.get(Submission, submission_id)
            assert row is not None
            return row


def seed(database: Database) -> tuple[str, list[tuple[str, str]], str, str]:
    now = utcnow()
    with database.session() as session:
        world = make_school(session, unique_prefix(), students=2)
        stranger = make_school(session, unique_prefix(), students=0).teacher
        spec = ExerciseSpec(
            title="Double", language="python3", statement={"fr": "Le double de *n*."},
            solution=SOLUTION, points=10.0, cpu_seconds=3.0,
            tests=[TestSpec("deux", "2\n", "4\n"), TestSpec("trois", "3\n", "6\n"),
                   TestSpec("cache", "11\n", "22\n", hidden=True)])
        exercise = exercises.create_exercise(session, world.school.id, spec, world.teacher.id,
                                             now, backend="process")
        exercises.publish(session, exercise.id)
        assignment = assignments.create_assignment(
            session, exercise.id, world.klass.id, opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=1))

        def token(person: Any) -> str:
            return records.create_token(session, person, label="e2e")[1]

        return (assignment.id, [(p.id, token(p)) for p in world.students],
                token(world.teacher), token(stranger))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    data_dir = tmp_path_factory.mktemp("lab-grading")
    url = fresh_pg_database(f"ardoise_lab_grading_{worker_id()}")
    migrate.upgrade(url)
    env = product_env(data_dir, url, redis_url(index_offset=1))
    database = Database(url)
    assignment_id, students, teacher, stranger = seed(database)
    server = LiveServer(data_dir, env)
    lab = Lab(data_dir, env, database, server, [], assignment_id, students, teacher, stranger)
    server.start()
    try:
        lab.start_worker()
        yield lab
    finally:
        for worker in lab.workers:
            worker.stop()
        server.stop()
        database.dispose()


def test_the_status_reaches_the_students_page_live(lab: Lab) -> None:
    (owner_id, owner), (_classmate_id, classmate) = lab.students
    page, other = lab.page(owner), lab.page(classmate)
    try:
        submitted = lab.submit(owner, WRONG)
        assert submitted["status"] == "queued" and submitted["number"] == 1
        graded = page.wait_status(submitted["id"], "graded")
        assert [s["status"] for s in page.of(submitted["id"])] == ["queued", "running", "graded"]
        queued = page.of(submitted["id"])[0]
        assert queued == {"submission_id": submitted["id"], "assignment_id": lab.assignment_id,
                          "status": "queued", "score": None, "max_score": None}
        row = lab.row(submitted["id"])
        assert row.status == "graded" and row.student_id == owner_id
        assert graded["score"] == row.score == round(10 / 3, 4)  # the harness keeps 4 places
        assert graded["max_score"] == 10.0

        # The classmate's page hears of their own submission only. Their statuses are
        # published after the owner's, so the owner's would have reached them first.
        theirs = lab.submit(classmate, SOLUTION)
        assert other.wait_status(theirs["id"], "graded")["score"] == 10.0
        assert {s["submission_id"] for s in other.statuses} == {theirs["id"]}
        assert theirs["id"] not in {s["submission_id"] for s in page.statuses}

        view = requests.get(f"{lab.server.url}/api/v1/submissions/{submitted['id']}",
                            headers={"Authorization": f"Bearer {owner}"}, timeout=10).json()
        assert [t["verdict"] for t in view["tests"]] == ["passed", "failed", "failed"]
        assert view["tests"][2] == {"name": "cache", "verdict": "failed", "hidden": True,
                                    "weight": 1.0}

        # "Run" goes through the sandbox queue too, and the request waits for its answer.
        ran = requests.post(f"{lab.server.url}/api/v1/assignments/{lab.assignment_id}/run",
                            json={"code": SOLUTION, "stdin": "21\n"},
                            headers={"Authorization": f"Bearer {owner}"}, timeout=120)
        assert ran.status_code == 200 and ran.json()["stdout"] == "42\n", ran.text
        assert re.search(r"ardoise\.run_code\[[0-9a-f-]+\] received", lab.workers[-1].log())
    finally:
        page.close()
        other.close()


def test_only_the_assignments_teachers_follow_its_regrade(lab: Lab) -> None:
    teacher, stranger = lab.page(lab.teacher_token), lab.page(lab.stranger_token)
    student = lab.page(lab.students[0][1])
    try:
        assert teacher.call("assignment:join", {"assignment_id": lab.assignment_id}) == {
            "ok": True, "assignment_id": lab.assignment_id}
        for page in (stranger, student):
            refused = page.call("assignment:join", {"assignment_id": lab.assignment_id})
            assert refused["ok"] is False and refused["error"] == "forbidden"
            assert refused["message"]

        for _student_id, token in lab.students:  # each student has a graded submission
            page = lab.page(token)
            try:
                page.wait_status(lab.submit(token, SOLUTION)["id"], "graded")
            finally:
                page.close()

        # Each grading pushes the progress: both latest submissions are graded now.
        assert teacher.wait_progress(2)[-1]["done"] == 2
        with teacher.changed:
            teacher.progress.clear()

        # A bulk regrade as the teacher pages do it: each student's latest submission
        # back to queued, then one grading task each on the sandbox queue.
        with lab.database.session() as session:
            latest = {}
            for row in session.scalars(select(Submission).where(
                    Submission.assignment_id == lab.assignment_id).order_by(Submission.number)):
                latest[row.student_id] = row.id
            session.execute(update(Submission).where(Submission.id.in_(latest.values()))
                            .values(status="queued", graded_at=None))
        assert len(latest) == 2
        producer = Celery("lab-test", broker=lab.env["ARDOISE_REDIS_URL"])
        try:
            for submission_id in latest.values():
                producer.send_task("ardoise.grade_submission", args=[submission_id],
                                   queue="sandbox")
        finally:
            producer.close()
        seen = teacher.wait_progress(2)
        assert {(p["assignment_id"], p["total"]) for p in seen} == {(lab.assignment_id, 2)}
        assert [p["done"] for p in seen] == [1, 2]
        assert stranger.progress == [] and student.progress == []
        assert all(lab.row(i).status == "graded" for i in latest.values())
    finally:
        for page in (teacher, stranger, student):
            page.close()
    with pytest.raises(socketio.exceptions.ConnectionError):
        LabPage(lab.server.url, "not-a-token")


def test_a_grade_is_stored_once_when_the_worker_dies_mid_run(lab: Lab) -> None:
    owner = lab.students[0][1]
    page = lab.page(owner)
    try:
        first = lab.workers[-1]
        submitted = lab.submit(owner, SLOW)
        page.wait_status(submitted["id"], "running")
        assert re.search(r"ardoise\.grade_submission\[[0-9a-f-]+\] received", first.log())
        first.kill()  # the harness is sleeping in the test whose input is 3
        assert lab.row(submitted["id"]).status == "running"
        assert f"submission {submitted['id']}: grade stored" not in first.log()

        second = lab.start_worker()
        graded = page.wait_status(submitted["id"], "graded", timeout=240)
        assert graded["score"] == 10.0
        row = lab.row(submitted["id"])
        assert row.status == "graded" and row.score == 10.0 and row.graded_at is not None
        assert [t["verdict"] for t in row.results or []] == ["passed"] * 3
        assert re.search(r"ardoise\.grade_submission\[[0-9a-f-]+\] received", second.log())

        # Whatever redeliveries happen after it (the job outlived the visibility timeout),
        # the grade is stored once: one "graded" push, one stored grade, the same one.
        statuses = [s["status"] for s in page.of(submitted["id"])]
        assert statuses[0] == "queued" and statuses.count("running") >= 2
        logs = "".join(w.log() for w in lab.workers)
        assert logs.count(f"submission {submitted['id']}: grade stored") == 1
        assert statuses.count("graded") == 1
        assert lab.row(submitted["id"]).graded_at == row.graded_at
    finally:
        page.close()
