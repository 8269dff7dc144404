"""The web process's group commit of saves (``web.answering.SaveGroup``): saves that arrive
while a batch is being written share the next transaction, each one still acknowledged only
after its commit, and a batch that fails as a whole is retried one save at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import answer_log, attempts, chain
from exam_engine.attempts import AttemptRefused
from student_records.models import Person
from tests.factories import ITEMS, RIGHT, make_school, open_sitting
from tests.services import fresh_pg_database, worker_id
from web import answering

GRACE = 2.0


def world_of(database: Database, students: int) -> tuple[list[Person], list[str], list[str]]:
    """``students`` started attempts; the students, their attempt ids, slot 0's item type."""
    with database.session() as session:
        world = make_school(session, students=students)
        sitting = open_sitting(session, world, time_limit=600)
        ids, kinds = [], []
        for student in world.students:
            attempt = attempts.start_or_resume(session, sitting.id, student.id, utcnow())
            ids.append(attempt.id)
            kinds.append(attempts.render_slots(session, attempt)[0].item_type)
        session.expunge_all()
    return list(world.students), ids, kinds


def right(kind: str) -> object:
    return RIGHT[[k for k, _ in ITEMS].index(kind)]


class Holder(threading.Thread):
    """Holds one attempt's row lock until released (SQLite: the database's write lock)."""

    def __init__(self, database: Database, attempt_id: str) -> None:
        super().__init__(daemon=True)
        self.database, self.attempt_id = database, attempt_id
        self.holding, self.release = threading.Event(), threading.Event()
        self.pid: int | None = None

    def hold(self, session: Any) -> None:
        attempts.get_attempt(session, self.attempt_id, for_update=True)

    def run(self) -> None:
        with self.database.session() as session:
            if self.database.url.startswith("postgresql"):
                self.pid = session.scalar(text("SELECT pg_backend_pid()"))
            self.hold(session)
            self.holding.set()
            self.release.wait(30)


class LogHolder(Holder):
    """Holds up every batch (not one attempt): PostgreSQL's table lock on the answer log
    (a batch skips a locked attempt, it cannot skip its table); SQLite's write lock."""

    def hold(self, session: Any) -> None:
        if self.database.url.startswith("postgresql"):
            session.execute(text("LOCK TABLE answer_log IN ACCESS EXCLUSIVE MODE"))
        else:
            super().hold(session)


def start(call: Callable[[], Any], into: dict[int, Any], key: int) -> threading.Thread:
    def run() -> None:
        try:
            into[key] = call()
        except Exception as error:  # noqa: BLE001 - the test reads what each caller got
            into[key] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def chain_ok(database: Database, attempt_id: str) -> bool:
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id)
        entries = answer_log.log_entries(session, attempt)
        return chain.verify(attempt_id, [e.__dict__ for e in entries]) == attempt.last_hash


def test_saves_queued_behind_a_batch_share_the_next_transaction(database: Database,
                                                                tmp_path: Path) -> None:
    students, ids, kinds = world_of(database, 3)
    group = answering.save_group(database, GRACE, tmp_path)
    holder = LogHolder(database, ids[0])
    holder.start()
    assert holder.holding.wait(10)

    def save(n: int, seq: int) -> dict[str, Any]:
        return answering.save(database, GRACE, students[n],
                              {"attempt_id": ids[n], "slot": 0, "seq": seq,
                               "response": right(kinds[n])}, None, data_dir=tmp_path)

    acks: dict[int, Any] = {}
    threads = [start(lambda: save(0, 1), acks, 0)]  # its batch waits for the held lock
    wait_for(lambda: group.group._busy, "the first batch never started")
    calls = [(1, 1), (2, 1), (0, 2), (1, 2), (2, 2)]
    threads += [start(lambda n=n, seq=seq: save(n, seq), acks, i + 1)
                for i, (n, seq) in enumerate(calls)]
    wait_for(lambda: len(group.group._queue) == len(calls), "the saves never queued")
    assert acks == {}  # nobody is told "saved" before the commit
    batches_before = group.group.batches
    holder.release.set()
    for thread in threads:
        thread.join(20)
    assert all(isinstance(a, dict) and a["ok"] for a in acks.values()), acks
    # The first save alone, then the five queued ones together.
    assert group.group.batches - batches_before == 2
    for attempt_id in ids:
        assert chain_ok(database, attempt_id)
    with database.session() as session:
        assert [attempts.get_attempt(session, i).last_seq for i in ids] == [2, 2, 2]


def test_a_refusal_in_a_batch_is_that_save_s_alone(database: Database, tmp_path: Path) -> None:
    students, ids, kinds = world_of(database, 2)
    holder = LogHolder(database, ids[0])
    holder.start()
    assert holder.holding.wait(10)
    group = answering.save_group(database, GRACE, tmp_path)
    results: dict[int, Any] = {}
    payloads = [(0, {"attempt_id": ids[0], "slot": 0, "seq": 1, "response": right(kinds[0])}),
                (1, {"attempt_id": ids[1], "slot": 0, "seq": 1, "response": right(kinds[1])}),
                (0, {"attempt_id": ids[1], "slot": 0, "seq": 2, "response": right(kinds[1])}),
                (1, {"attempt_id": ids[1], "slot": 99, "seq": 3, "response": None})]
    threads = [start(lambda: answering.save(database, GRACE, students[0], payloads[0][1], None,
                                            data_dir=tmp_path), results, 0)]
    wait_for(lambda: group.group._busy, "the first batch never started")
    threads += [start(lambda who=who, body=body: answering.save(
        database, GRACE, students[who], body, None, data_dir=tmp_path), results, i)
        for i, (who, body) in enumerate(payloads) if i]
    wait_for(lambda: len(group.group._queue) == 3, "the saves never queued")
    holder.release.set()
    for thread in threads:
        thread.join(20)
    assert results[0]["ok"] and results[1]["ok"]
    assert isinstance(results[2], AttemptRefused) and results[2].code == "forbidden"
    assert isinstance(results[3], AttemptRefused) and results[3].code == "invalid_response"
    with database.session() as session:
        assert attempts.get_attempt(session, ids[1]).last_seq == 1


@pytest.fixture
def pg_database(pg_template: str) -> Iterator[Database]:
    """PostgreSQL only: its server ends a connection on request (``pg_terminate_backend``)."""
    database = Database(fresh_pg_database(f"ardoise_t_{worker_id()}", template=pg_template))
    yield database
    database.dispose()


def test_a_batch_that_fails_as_a_whole_is_retried_one_save_at_a_time(
        pg_database: Database, tmp_path: Path) -> None:
    """The second batch loses its database connection while it waits for a lock: every save
    of it is written again alone, and each caller is told only of its own."""
    database = pg_database
    students, ids, kinds = world_of(database, 3)
    group = answering.save_group(database, GRACE, tmp_path)
    first = LogHolder(database, ids[0])
    first.start()
    assert first.holding.wait(10)
    results: dict[int, Any] = {}

    def save(n: int, seq: int) -> dict[str, Any]:
        return answering.save(database, GRACE, students[n],
                              {"attempt_id": ids[n], "slot": 0, "seq": seq,
                               "response": right(kinds[n])}, None, data_dir=tmp_path)

    blocked = text("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                   "AND datname = current_database()")
    admin = Database(database.url)

    def waiting() -> set[int]:
        with admin.session() as session:
            return set(session.scalars(blocked))

    try:
        threads = [start(lambda: save(0, 1), results, 0)]
        wait_for(lambda: bool(waiting()), "the first batch never waited on the log's lock")
        threads += [start(lambda n=n: save(n, 2 if n == 0 else 1), results, n + 1)
                    for n in range(3)]
        wait_for(lambda: len(group.group._queue) == 3, "the saves never queued")
        # A second table lock queues behind the first batch: the batch of three waits on it.
        second = LogHolder(database, ids[0])
        second.start()
        wait_for(lambda: len(waiting()) == 2, "the second table lock never queued")
        first.release.set()
        assert second.holding.wait(10)  # the first batch committed, the second lock holds
        wait_for(lambda: bool(waiting()), "the batch of three never waited")
        wait_for(lambda: group.group.batches == 1, "the first batch never finished")
        ended = waiting() - {second.pid}
        assert len(ended) == 1
        with admin.session() as session:
            for pid in ended:
                session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # Its first save is written again alone, and waits alone for the table.
        wait_for(lambda: bool(waiting() - ended), "the saves were not retried alone")
        assert group.group.batches == 1 and set(results) == {0}  # the three not answered yet
    finally:
        admin.dispose()
    second.release.set()
    for thread in threads:
        thread.join(20)
    assert all(isinstance(r, dict) and r["ok"] for r in results.values()), results
    for attempt_id in ids:
        assert chain_ok(database, attempt_id)
    with database.session() as session:
        assert [attempts.get_attempt(session, i).last_seq for i in ids] == [2, 1, 1]


def test_a_batch_does_not_wait_for_an_attempt_another_transaction_holds(
        pg_database: Database, tmp_path: Path) -> None:
    """A save whose attempt is held (a submit, a grading, a join) waits on its own: the
    saves of other attempts are written meanwhile."""
    database = pg_database
    students, ids, kinds = world_of(database, 3)
    holder = Holder(database, ids[0])
    holder.start()
    assert holder.holding.wait(10)
    results: dict[int, Any] = {}

    def save(n: int) -> dict[str, Any]:
        return answering.save(database, GRACE, students[n],
                              {"attempt_id": ids[n], "slot": 0, "seq": 1,
                               "response": right(kinds[n])}, None, data_dir=tmp_path)

    held = start(lambda: save(0), results, 0)
    others = [start(lambda n=n: save(n), results, n) for n in (1, 2)]
    for thread in others:
        thread.join(20)
    assert results[1]["ok"] and results[2]["ok"]  # written while the first attempt is held
    assert 0 not in results
    holder.release.set()
    held.join(20)
    assert results[0]["ok"]
    for attempt_id in ids:
        assert chain_ok(database, attempt_id)
