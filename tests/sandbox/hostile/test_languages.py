"""The same attacks where C, Java and JavaScript differ from Python: no interpreter to slow a
fork bomb, a JVM's own threads and heap, Node's child processes and sockets."""

from __future__ import annotations

from tests.sandbox.hostile.harness import (
    MANAGED,
    SMALL,
    BackendUnderTest,
    c_spec,
    describe,
    java_spec,
    js_spec,
    probe_map,
    require_probes,
    run_contained,
    succeeded,
    with_limits,
)
from tests.sandbox.hostile.host import HostGuard

WALL_SLACK_MS = 5000


def loopback_targets(host: HostGuard) -> list[str]:
    """host, port pairs for programs without a JSON parser."""
    pairs = [*host.tcp, ("127.0.0.1", 6379), ("127.0.0.1", 5432), ("::1", 6379)]
    return [str(v) for pair in pairs for v in pair]


def test_c_fork_bomb_is_stopped(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, c_spec("fork_bomb", host.context()))
    assert result.status in {"time_limit", "runtime_error", "memory_limit"}, describe(result)
    assert result.wall_ms <= SMALL.wall * 1000 + WALL_SLACK_MS, describe(result)
    host.verify(result)


def test_c_malloc_bomb_hits_the_memory_limit(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, c_spec("malloc_bomb", host.context()))
    assert result.status == "memory_limit" or (
        result.status == "runtime_error" and "malloc_failed" in probe_map(result)), \
        describe(result)
    assert not require_probes(result, "malloc_1TiB")["malloc_1TiB"].ok, describe(result)
    host.verify(result)


def test_java_process_bomb_is_stopped(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, java_spec("fork_bomb", [host.marker]))
    assert result.status in {"time_limit", "runtime_error", "memory_limit"}, describe(result)
    assert "survived_20s" not in probe_map(result), describe(result)
    host.verify(result)


def test_java_thread_bomb_is_bounded(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, java_spec("thread_bomb", [host.marker]))
    assert result.status in {"ok", "runtime_error", "time_limit", "memory_limit"}, \
        describe(result)
    threads = probe_map(result).get("threads")
    if threads is not None:
        assert threads.detail["count"] <= 2 * MANAGED.processes, describe(result)
    host.verify(result)


def test_java_reads_no_host_secret(backend: BackendUnderTest, host: HostGuard) -> None:
    paths = ["/etc/shadow", "/root", *map(str, host.canaries),
             f"{host.context()['checkout']}/pyproject.toml"]
    result = run_contained(backend, java_spec("read_secrets", [host.marker, *paths]))
    assert result.status == "ok", describe(result)
    require_probes(result, "read:/etc/shadow")
    assert not succeeded(result, "read:") and not succeeded(result, "list:"), describe(result)
    host.verify(result)


def test_java_sockets_reach_no_host_service(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, java_spec("redis_socket",
                                              [host.marker, *loopback_targets(host)]))
    assert result.status == "ok", describe(result)
    require_probes(result, "tcp:127.0.0.1:6379")
    assert not succeeded(result, "tcp:"), describe(result)
    host.verify(result)


def test_java_huge_array_is_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, java_spec("huge_array", [host.marker]))
    assert result.status in {"runtime_error", "memory_limit"}, describe(result)
    if result.status == "runtime_error":
        assert "OutOfMemoryError" in result.stderr, describe(result)
    assert "huge_granted" not in probe_map(result), describe(result)
    host.verify(result)


def test_node_spawn_bomb_is_stopped(backend: BackendUnderTest, host: HostGuard) -> None:
    spec = with_limits(js_spec("spawn_bomb", host.context()), wall_seconds=4)
    result = run_contained(backend, spec)
    assert result.status in {"time_limit", "runtime_error", "memory_limit"}, describe(result)
    shadow = probe_map(result).get("cat_shadow")
    assert shadow is None or not shadow.ok, describe(result)
    host.verify(result)


def test_node_reads_no_host_file(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, js_spec("read_host_files", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "read:/etc/shadow", "list:/proc/1/root")
    assert not succeeded(result, "read:"), describe(result)
    assert not [p for p in succeeded(result, "list:") if p.name != "list:/proc/1/root"], \
        describe(result)
    assert not any("ardoise-canary" in str(n) for n in (found["list:/proc/1/root"].detail or []))
    host.verify(result)


def test_node_network_reaches_nothing(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, js_spec("net_connect", host.context()))
    assert result.status == "ok", describe(result)
    require_probes(result, "tcp:127.0.0.1:6379", "resolve:example.com")
    assert not succeeded(result, "tcp:") and not succeeded(result, "resolve:"), describe(result)
    host.verify(result)
