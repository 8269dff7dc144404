"""Stored code-run results, on SQLite and on PostgreSQL: one answer per job id."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from ardoise.celery_app import configure_celery
from ardoise.code_runs import (
    CodeRun,
    find_result,
    spec_digest,
    store_result,
    validate_job_id,
)
from ardoise.config import Config
from ardoise.db import Database
from ardoise.errors import Conflict, Invalid
from ardoise.worker.code_runs import run_code, submit_code_run
from ardoise.worker.context import bind
from sandbox import RunResult, RunSpec, Status

SPEC = RunSpec(language="python3", files={"main.py": "print('bonjour')\n"})
OTHER = RunSpec(language="python3", files={"main.py": "print('salut')\n"})
FIRST = RunResult(status=Status.OK, exit_code=0, stdout="bonjour\n", cpu_ms=12, wall_ms=30,
                  memory_kb=9000, files={"out.txt": b"\x00\xff"})
SECOND = RunResult(status=Status.RUNTIME_ERROR, exit_code=1, stderr="boom")


def rows(database: Database, job_id: str) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).where(CodeRun.job_id == job_id)) or 0


def test_store_then_find_gives_the_result_back(database: Database) -> None:
    digest = spec_digest(SPEC)
    with database.session() as session:
        assert find_result(session, "job-1") is None
        assert store_result(session, "job-1", digest, "process", FIRST) == FIRST
    with database.session() as session:
        assert find_result(session, "job-1") == FIRST
        assert find_result(session, "job-1", digest) == FIRST
        row = session.get(CodeRun, "job-1")
        assert row is not None and row.backend == "process" and row.status == "ok"
        assert row.created_at <= row.finished_at and row.finished_at.tzinfo is not None


def test_the_digest_is_the_spec_whatever_its_spelling() -> None:
    spelled_out = SPEC.to_dict()
    short = {"language": "python3", "files": spelled_out["files"]}
    assert spec_digest(SPEC) == spec_digest(spelled_out) == spec_digest(short)
    assert spec_digest(SPEC) != spec_digest(OTHER)
    assert len(spec_digest({"not": "a spec"})) == 64


def test_a_job_id_answered_for_another_spec_is_a_conflict(database: Database) -> None:
    with database.session() as session:
        store_result(session, "job-2", spec_digest(SPEC), "process", FIRST)
    with database.session() as session:
        with pytest.raises(Conflict) as caught:
            find_result(session, "job-2", spec_digest(OTHER))
        assert caught.value.code == "code_run_conflict"
    with database.session() as session, pytest.raises(Conflict):
        store_result(session, "job-2", spec_digest(OTHER), "process", SECOND)
    with database.session() as session:
        assert find_result(session, "job-2") == FIRST


def test_a_second_store_keeps_the_first_result(database: Database) -> None:
    digest = spec_digest(SPEC)
    with database.session() as session:
        store_result(session, "job-3", digest, "docker", FIRST)
    with database.session() as session:
        assert store_result(session, "job-3", digest, "process", SECOND) == FIRST
        # The failed insert undid only its savepoint: the session is still usable.
        assert find_result(session, "job-3") == FIRST
    assert rows(database, "job-3") == 1


def test_racing_workers_both_get_the_first_stored_result(database: Database) -> None:
    """Worker A has inserted but not committed when worker B stores the same job."""
    digest = spec_digest(SPEC)
    answers: dict[str, RunResult] = {}
    errors: list[BaseException] = []

    def worker_b() -> None:
        try:
            with database.session() as session:
                answers["b"] = store_result(session, "job-4", digest, "process", SECOND)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    with database.session() as session:
        answers["a"] = store_result(session, "job-4", digest, "docker", FIRST)
        session.flush()
        racer = threading.Thread(target=worker_b)
        racer.start()
        time.sleep(0.5)  # B is now waiting on A's row (PostgreSQL) or write lock (SQLite)
        assert racer.is_alive()
    racer.join(20)
    assert not racer.is_alive() and not errors, errors
    assert answers == {"a": FIRST, "b": FIRST}
    with database.session() as session:
        assert find_result(session, "job-4") == FIRST
        row = session.get(CodeRun, "job-4")
        assert row is not None and row.backend == "docker"
    assert rows(database, "job-4") == 1


@pytest.mark.parametrize("job_id", ["a", "A-z_0.9:x", "x" * 64])
def test_job_ids_accepted(job_id: str) -> None:
    assert validate_job_id(job_id) == job_id


@pytest.mark.parametrize("job_id", ["", "x" * 65, "a/b", "a b", "é", "a\n", None, 12])
def test_job_ids_refused(job_id: object) -> None:
    with pytest.raises(Invalid) as caught:
        validate_job_id(job_id)
    assert caught.value.code == "invalid_job_id"


@pytest.fixture
def embedded(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """The embedded default: no broker (tasks in-process) and the process backend."""
    monkeypatch.setenv("ARDOISE_SANDBOX_BACKEND", "process")
    configure_celery(Config(database_url=database.url, secret_key="test"))
    bind(database)
    yield database


def test_in_process_a_submitted_run_is_answered_at_once_and_once(embedded: Database) -> None:
    spec = RunSpec(language="python3", files={"main.py": "import random\nprint(random.random())\n"})
    first = submit_code_run("inproc-1", spec)
    assert first is not None and first.status is Status.OK, first
    assert submit_code_run("inproc-1", spec) == first  # random output: not run again
    assert run_code.apply(args=("inproc-1", spec.to_dict())).get() == first.to_dict()
    with embedded.session() as session:
        assert find_result(session, "inproc-1") == first
        row = session.get(CodeRun, "inproc-1")
        assert row is not None and row.backend == "process"
    with pytest.raises(Conflict):
        submit_code_run("inproc-1", OTHER)


def test_in_process_bad_requests_change_nothing(embedded: Database) -> None:
    with pytest.raises(Invalid) as bad_id:
        submit_code_run("no spaces", SPEC)
    assert bad_id.value.code == "invalid_job_id"
    unsafe = RunSpec(language="python3", files={"../main.py": "print(1)"})
    with pytest.raises(Invalid) as bad_spec:
        submit_code_run("inproc-2", unsafe)
    assert bad_spec.value.code == "invalid_run_spec"
    assert rows(embedded, "inproc-2") == 0


def test_a_queued_invalid_spec_is_answered_with_a_sandbox_error(embedded: Database) -> None:
    """A producer that bypasses the service still gets an answer, never a retry."""
    answer = run_code.apply(args=("inproc-3", {"language": "cobol", "files": {}})).get()
    assert answer["status"] == "sandbox_error" and "invalid run spec" in answer["stderr"]
    with embedded.session() as session:
        stored = find_result(session, "inproc-3")
    assert stored is not None and stored.to_dict() == answer
