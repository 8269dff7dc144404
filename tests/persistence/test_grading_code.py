"""Code answers in an exam: left by ``grade_attempt`` awaiting the sandbox, then scored apart
with no lock on the attempt held while the program runs, once, and never as a zero."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab.item_type import CodeItem
from exam_engine import answer_log, attempts, exams, grading, marking, sittings
from exam_engine.models import Attempt, AttemptSlot, Sitting
from item_bank import service as items
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.types.base import Content, Score
from sandbox.backends.process import ProcessBackend
from tests.factories import School, make_school
from tests.services import fresh_pg_database, worker_id

CODE = {
    "stem": {"fr": "Affichez le double de l'entier lu."},
    "language": "python3",
    "tests": [{"name": "trois", "stdin": "3\n", "expected": "6\n"},
              {"name": "cache", "stdin": "500\n", "expected": "1000\n", "hidden": True}],
    "limits": {"cpu_seconds": 2, "memory_mb": 128},
    "points": 4,
}
ESSAY = {"stem": {"fr": "Expliquez."}, "rubric": {"fr": "pour les correcteurs"}, "points": 5}
TRUE_FALSE = {"stem": {"fr": "1 + 1 = 2"}, "correct": True}
RIGHT = "print(2 * int(input()))\n"
SMALL_ONLY = "n = int(input())\nprint(2 * n if n < 100 else n)\n"
# Right, after a nap long enough for a second connection to act while it runs.
SLEEPY = "import time\ntime.sleep(1)\nprint(2 * int(input()))\n"


@pytest.fixture(autouse=True)
def process_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scoring reads the backend where the worker does: ARDOISE_SANDBOX_BACKEND."""
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")


@dataclass
class CodeExam:
    world: School
    sitting: Sitting
    attempt_ids: list[str]


def code_exam(database: Database, answers: list[str | None], essay: bool = False) -> CodeExam:
    """A sitting of a code item (slot 0), a true/false (slot 1) and, with ``essay``, an
    essay (slot 2), taken and submitted by one student per answer; nothing graded yet."""
    with database.session() as session:
        world = make_school(session, students=len(answers))
        kinds: list[tuple[str, dict[str, Any]]] = [("code", CODE), ("true_false", TRUE_FALSE)]
        if essay:
            kinds.append(("extended_text", ESSAY))
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, kind, kind, content, author_id=world.teacher.id).id).item_id
            for kind, content in kinds]
        exam = exams.create_exam(session, world.school.id, "Programmation", world.teacher.id,
                                 item_ids, shuffle_questions=False)
        now = utcnow()
        sitting = sittings.schedule_sitting(
            session, exam, title="Programmation", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=600,
            class_id=world.klass.id, author_id=world.teacher.id)
        ids = []
        for student, code in zip(world.students, answers, strict=True):
            attempt_id = attempts.start_or_resume(session, sitting.id, student.id, now).id
            responses: list[Any] = [None if code is None else {"code": code}, {"value": True}]
            if essay:
                responses.append({"text": "Parce que."})
            for slot, response in enumerate(responses):
                answer_log.save(session, attempt_id, student.id, slot=slot, seq=slot + 1,
                                response=response, now=now, grace_seconds=2.0)
            attempts.submit(session, attempts.get_attempt(session, attempt_id, for_update=True),
                            now, "student", 2.0)
            ids.append(attempt_id)
        session.expunge(sitting)
        return CodeExam(world, sitting, ids)


def grade(database: Database, attempt_id: str) -> None:
    with database.session() as session:
        grading.grade_attempt(session, attempt_id, utcnow())


def state(database: Database, attempt_id: str) -> tuple[Attempt, list[AttemptSlot]]:
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id)
        slots = list(session.scalars(select(AttemptSlot).where(
            AttemptSlot.attempt_id == attempt_id).order_by(AttemptSlot.slot)))
        session.expunge_all()
        return attempt, slots


def test_a_code_answer_awaits_the_sandbox_and_then_completes_the_grading(
        database: Database) -> None:
    made = code_exam(database, [SMALL_ONLY])
    [attempt_id] = made.attempt_ids
    grade(database, attempt_id)
    attempt, (code, true_false) = state(database, attempt_id)
    # The objective item is scored; the code answer is neither right nor wrong yet.
    assert (true_false.points, true_false.correct) == (1.0, True)
    assert (code.points, code.correct, code.max_points, code.manual) == (None, None, 4.0, False)
    assert grading.awaits_sandbox(code) and not grading.awaits_sandbox(true_false)
    assert (attempt.graded_at, attempt.score, attempt.max_score) == (None, None, 5.0)
    with database.session() as session:
        assert grading.sandbox_backlog(session, made.sitting.id) == 1
        [waiting] = grading.slots_awaiting_sandbox(session, attempt_id)
        assert (waiting.slot, waiting.item_type, waiting.response) == (0, "code",
                                                                        {"code": SMALL_ONLY})
        sitting = sittings.get_sitting(session, made.sitting.id)
        sittings.release_results(session, sitting, utcnow())
        # Released, but not graded: the student sees no result rather than a wrong one.
        assert grading.released_result(session, attempts.get_attempt(session, attempt_id),
                                       sitting) is None

    assert grading.score_awaiting_sandbox(database, attempt_id, utcnow) == 1
    attempt, (code, true_false) = state(database, attempt_id)
    assert (code.points, code.correct, code.max_points) == (2.0, False, 4.0)
    assert (attempt.score, attempt.max_score) == (3.0, 5.0) and attempt.graded_at is not None
    with database.session() as session:
        assert grading.sandbox_backlog(session, made.sitting.id) == 0
        result = grading.released_result(session, attempts.get_attempt(session, attempt_id),
                                         sittings.get_sitting(session, made.sitting.id))
        assert result is not None and result.score == 3.0
        assert [(s.points, s.correct) for s in result.slots] == [(2.0, False), (1.0, True)]


def test_scoring_again_and_grading_again_keep_the_one_score(database: Database) -> None:
    made = code_exam(database, [RIGHT, None])
    right, blank = made.attempt_ids
    for attempt_id in (right, blank):
        grade(database, attempt_id)
        grade(database, attempt_id)  # a redelivered grading job
        assert grading.score_awaiting_sandbox(database, attempt_id, utcnow) == 1
        assert grading.score_awaiting_sandbox(database, attempt_id, utcnow) == 0
    first, _ = state(database, right)
    assert (first.score, first.max_score) == (5.0, 5.0)
    # Grading the attempt again keeps the sandbox's score (and runs no code: the registry
    # below has no code type that could score it).
    objective_only = ItemTypeRegistry([default_registry().get(name)
                                       for name in default_registry().names()
                                       if name != "code"] + [Unscorable()])
    with database.session() as session:
        grading.grade_attempt(session, right, utcnow(), objective_only)
    again, (code, _tf) = state(database, right)
    assert (code.points, code.correct) == (4.0, True)
    assert (again.score, again.max_score) == (5.0, 5.0) and again.graded_at is not None
    # A second score for a slot already scored (a doubled task) is dropped.
    with database.session() as session:
        assert not grading.store_sandbox_score(session, right, 0, Score(0.0, 4.0, False),
                                               utcnow())
    assert state(database, right)[1][0].points == 4.0
    empty, (code, _tf) = state(database, blank)
    assert (code.points, code.correct, empty.score) == (0.0, False, 1.0)


class Unscorable(CodeItem):
    """A code type that fails the test if anything asks it to run code."""

    def score(self, content: Content, response: Any) -> Score:
        raise AssertionError("a scored code answer was run again")


def test_a_persons_mark_survives_the_sandbox_and_grading_again(database: Database) -> None:
    made = code_exam(database, [RIGHT], essay=True)
    [attempt_id] = made.attempt_ids
    grade(database, attempt_id)
    attempt, slots = state(database, attempt_id)
    assert attempt.awaiting_marks == 1 and attempt.graded_at is None
    assert grading.score_awaiting_sandbox(database, attempt_id, utcnow) == 1
    attempt, slots = state(database, attempt_id)
    assert (attempt.score, attempt.max_score, attempt.awaiting_marks) == (5.0, 10.0, 1)
    with database.session() as session:
        outcome = marking.award_mark(session, made.world.teacher, made.sitting.id, attempt_id,
                                     2, "3,5", None, utcnow())
        assert (outcome.score, outcome.awaiting_marks) == (8.5, 0)
    grade(database, attempt_id)
    attempt, slots = state(database, attempt_id)
    assert [s.points for s in slots] == [4.0, 1.0, 3.5]
    assert (attempt.score, attempt.awaiting_marks) == (8.5, 0) and attempt.graded_at


class Watched(CodeItem):
    """The real code type, telling the test when its run starts and ends (no fake run)."""

    def __init__(self) -> None:
        self.started, self.may_run, self.ran = (threading.Event() for _ in range(3))

    def score(self, content: Content, response: Any) -> Score:
        self.started.set()
        assert self.may_run.wait(60)
        result = super().score(content, response)
        self.ran.set()
        return result


@pytest.fixture
def pg_database(pg_template: str) -> Iterator[Database]:
    db = Database(fresh_pg_database(f"ardoise_t_{worker_id()}", template=pg_template))
    yield db
    db.dispose()


def test_no_lock_on_the_attempt_is_held_while_the_program_runs(pg_database: Database) -> None:
    """Another connection locks the attempt (NOWAIT) and keeps it while the sleeping program
    runs to its end; only storing the score waits for that lock."""
    made = code_exam(pg_database, [SLEEPY])
    [attempt_id] = made.attempt_ids
    grade(pg_database, attempt_id)
    watched = Watched()
    registry = ItemTypeRegistry([default_registry().get(name)
                                 for name in default_registry().names() if name != "code"]
                                + [watched])
    stored: list[int] = []
    scorer = threading.Thread(target=lambda: stored.append(
        grading.score_awaiting_sandbox(pg_database, attempt_id, utcnow, registry)))
    scorer.start()
    try:
        assert watched.started.wait(60)
        with pg_database.engine.connect() as other:
            with other.begin():
                # Would raise "could not obtain lock" if the scorer held the row.
                other.execute(text("SELECT id FROM attempts WHERE id = :id FOR UPDATE NOWAIT"),
                              {"id": attempt_id})
                other.execute(text("SELECT id FROM attempt_slots WHERE attempt_id = :id "
                                   "FOR UPDATE NOWAIT"), {"id": attempt_id})
                watched.may_run.set()
                # The program runs to its end while this connection holds the attempt.
                assert watched.ran.wait(60)
                points = other.execute(text("SELECT points FROM attempt_slots WHERE "
                                            "attempt_id = :id AND slot = 0"),
                                       {"id": attempt_id}).scalar_one()
                assert points is None and scorer.is_alive() and not stored
                other.execute(text("UPDATE attempts SET device_id = 'proctor-desk' "
                                   "WHERE id = :id"), {"id": attempt_id})
    finally:
        watched.may_run.set()
        scorer.join(120)
    assert stored == [1]
    attempt, (code, _tf) = state(pg_database, attempt_id)
    assert (code.points, code.correct) == (4.0, True)
    assert attempt.score == 5.0 and attempt.device_id == "proctor-desk"


# A worker's side in a process of its own whose Docker engine is unreachable (sandbox
# backends are process-wide: this process may hold a working one already).
NO_ENGINE = """
import sys
from ardoise.db import Database
from ardoise.worker.exam_code import ScoreLater, score_code_answers
db = Database(sys.argv[1])
try:
    score_code_answers(sys.argv[2], may_retry=True, db=db)
except ScoreLater as exc:
    print("later:", exc)
print("stored:", score_code_answers(sys.argv[2], may_retry=False, db=db))
"""


def test_with_no_sandbox_the_answer_keeps_awaiting_it_and_never_reads_as_wrong(
        database: Database, tmp_path: Path) -> None:
    made = code_exam(database, [RIGHT])
    [attempt_id] = made.attempt_ids
    grade(database, attempt_id)
    env = {**os.environ, "ARDOISE_SANDBOX_BACKEND": "docker",
           "DOCKER_HOST": f"unix://{tmp_path / 'no-engine.sock'}"}
    url = database.engine.url.render_as_string(hide_password=False)
    done = subprocess.run([sys.executable, "-c", NO_ENGINE, url, attempt_id], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    # The worker that may retry puts the job back; the last attempt leaves it awaiting.
    assert "later: sandbox backend 'docker' cannot run code here" in done.stdout
    assert "stored: 0" in done.stdout
    assert "code answers left awaiting the sandbox" in done.stderr
    attempt, (code, true_false) = state(database, attempt_id)
    assert (code.points, code.correct) == (None, None) and grading.awaits_sandbox(code)
    assert (attempt.score, attempt.graded_at) == (None, None)
    assert true_false.points == 1.0
    with database.session() as session:
        assert grading.sandbox_backlog(session, made.sitting.id) == 1
    # Once a sandbox can run it, grading completes.
    assert grading.score_awaiting_sandbox(database, attempt_id, utcnow) == 1
    attempt, (code, _tf) = state(database, attempt_id)
    assert (code.points, attempt.score) == (4.0, 5.0) and attempt.graded_at is not None
