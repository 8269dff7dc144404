"""Exhausting resources: bombs, loops, sleepers, daemons, floods, full disks. Each run ends on
its limit, promptly, with the verdict a contained run gives, and the host as it was."""

from __future__ import annotations

import time

from sandbox import RunResult
from sandbox.backends import get_backend
from tests.sandbox.hostile.harness import (
    SMALL,
    BackendUnderTest,
    describe,
    probe_map,
    probes,
    python_spec,
    require_probes,
    run_contained,
    with_limits,
)
from tests.sandbox.hostile.host import HostGuard

#: What a run may take beyond its wall limit (start-up, killing, collecting).
WALL_SLACK_MS = 5000
#: Runs that go round every slot of the process backend (two per core here).
SHARED_SLOTS = 4


def assert_prompt(result: RunResult, wall_seconds: float) -> None:
    assert result.wall_ms <= wall_seconds * 1000 + WALL_SLACK_MS, describe(result)


def test_fork_bomb_is_stopped(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("fork_bomb", host.context()))
    assert result.status in {"time_limit", "runtime_error", "memory_limit"}, describe(result)
    assert_prompt(result, SMALL.wall)
    host.verify(result)


def test_thread_bomb_is_bounded_by_the_process_limit(backend: BackendUnderTest,
                                                     host: HostGuard) -> None:
    result = run_contained(backend, python_spec(
        "thread_bomb", host.context(processes=SMALL.processes)))
    assert result.status in {"ok", "runtime_error", "time_limit", "memory_limit"}, describe(result)
    threads = probe_map(result).get("threads")
    if threads is not None:  # a backend may kill the bomb before it reports
        assert threads.detail["count"] <= 2 * SMALL.processes, describe(result)
    host.verify(result)


def test_memory_bomb_hits_the_memory_limit(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("memory_bomb", host.context()))
    assert result.status == "memory_limit", describe(result)
    allocated = [p.detail for p in probes(result) if p.name == "allocated_mb"]
    assert max(allocated, default=0) <= SMALL.memory_mb + 32, describe(result)
    host.verify(result)


def test_memory_limit_holds_when_another_worker_shares_the_machine(
        backend: BackendUnderTest, host: HostGuard) -> None:
    """Several worker processes share a machine's slots (or engine): a limit another one set
    for its run must never stay in force for ours."""
    small = python_spec("hello", host.context())
    for _ in range(SHARED_SLOTS):
        assert run_contained(backend, small).status == "ok"
    other = type(get_backend(backend.name))()  # what a second Celery worker would hold
    try:
        big = with_limits(small, memory_mb=1024, processes=128)
        big.validate()
        for _ in range(SHARED_SLOTS):
            assert other.run(big).status == "ok"
    finally:
        close = getattr(other, "close", None)
        if close is not None:
            close()
    bombs = [run_contained(backend, python_spec("memory_bomb", host.context()))
             for _ in range(SHARED_SLOTS)]
    for result in bombs:
        assert result.status == "memory_limit", describe(result)
        allocated = [p.detail for p in probes(result) if p.name == "allocated_mb"]
        assert max(allocated, default=0) <= SMALL.memory_mb + 32, describe(result)
    host.verify(*bombs)


def test_huge_allocation_at_once_is_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("huge_allocation", host.context()))
    assert result.status in {"memory_limit", "runtime_error"}, describe(result)
    assert "allocated" not in probe_map(result), describe(result)
    host.verify(result)


def test_infinite_loop_hits_the_time_limit(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("infinite_loop", host.context()))
    assert result.status == "time_limit", describe(result)
    assert_prompt(result, SMALL.wall)
    host.verify(result)


def test_sleeping_past_the_wall_limit_is_stopped(backend: BackendUnderTest,
                                                 host: HostGuard) -> None:
    result = run_contained(backend, python_spec("sleep_forever", host.context()))
    assert result.status == "time_limit", describe(result)
    assert "woke" not in probe_map(result)
    assert SMALL.wall * 1000 * 0.9 <= result.wall_ms, describe(result)
    assert_prompt(result, SMALL.wall)
    host.verify(result)


def test_double_fork_daemon_dies_with_the_run(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("double_fork_daemon", host.context()))
    assert result.status not in {"sandbox_error"}, describe(result)
    assert_prompt(result, SMALL.wall)
    time.sleep(1.5)  # a surviving daemon would drop its files by now
    host.verify(result)


def test_busy_children_in_new_sessions_die_with_the_run(backend: BackendUnderTest,
                                                        host: HostGuard) -> None:
    result = run_contained(backend, python_spec("setsid_children", host.context()))
    assert result.status != "sandbox_error", describe(result)
    assert_prompt(result, SMALL.wall)
    host.verify(result)


def test_stdout_flood_is_cut_at_the_output_limit(backend: BackendUnderTest,
                                                 host: HostGuard) -> None:
    result = run_contained(backend, python_spec("stdout_flood", host.context()))
    assert result.status == "output_limit" and result.truncated, describe(result)
    assert len(result.stdout.encode()) <= SMALL.output_bytes
    assert_prompt(result, SMALL.wall)
    host.verify(result)


def test_stderr_flood_is_cut_at_the_output_limit(backend: BackendUnderTest,
                                                 host: HostGuard) -> None:
    result = run_contained(backend, python_spec("stderr_flood", host.context()))
    assert result.status == "output_limit" and result.truncated, describe(result)
    assert len(result.stderr.encode()) <= SMALL.output_bytes
    assert_prompt(result, SMALL.wall)
    host.verify(result)


def test_disk_fill_meets_a_full_work_dir_not_the_host_disk(backend: BackendUnderTest,
                                                           host: HostGuard) -> None:
    disk = 4 << 20
    spec = with_limits(python_spec("disk_fill", host.context()), disk_bytes=disk,
                       file_size_bytes=2 << 20, wall_seconds=6)
    result = run_contained(backend, spec)
    assert result.status in {"ok", "memory_limit"}, describe(result)
    work = require_probes(result, "fill:/work")["fill:/work"].detail
    assert work["error"] in {"ENOSPC", "EDQUOT"}, describe(result)
    assert work["written"] <= disk + (1 << 20), describe(result)
    host.verify(result)


def test_file_past_the_size_limit_is_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    limit = 1 << 20
    spec = with_limits(python_spec("file_too_big", host.context(file_size=limit)),
                       file_size_bytes=limit)
    result = run_contained(backend, spec)
    found = require_probes(result, "write", "sparse")
    assert found["write"].detail["written"] <= limit, describe(result)
    assert found["write"].detail["error"] == "EFBIG", describe(result)
    assert not found["sparse"].ok, describe(result)
    host.verify(result)


def test_unread_huge_stdin_does_not_deadlock_the_trusted_side(backend: BackendUnderTest,
                                                              host: HostGuard) -> None:
    spec = python_spec("stdin_ignored", host.context(), stdin=b"s" * (8 << 20))
    result = run_contained(backend, spec)
    assert result.status == "ok", describe(result)
    assert "B" * 32768 in result.stdout and "C" * 16384 in result.stderr
    require_probes(result, "done")
    host.verify(result)
