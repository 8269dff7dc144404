"""The file system: writing outside the work dir, reading the host's secrets and checkout,
and links, fifos and planted names aimed at the trusted side that collects outputs."""

from __future__ import annotations

from tests.sandbox.hostile.harness import (
    BackendUnderTest,
    describe,
    probe_map,
    python_spec,
    require_probes,
    run_contained,
    succeeded,
)
from tests.sandbox.hostile.host import CHECKOUT, HostGuard, starttime

#: The root file system is read-only in both backends: nothing may be created there.
READ_ONLY_DIRS = ("/", "/etc", "/usr", "/usr/local/bin", "/usr/lib", "/bin", "/proc", "/sys",
                  "/root", "/boot", "/opt", "/srv", "/var", "/work/..")


def test_writing_outside_the_work_dir_is_refused(backend: BackendUnderTest,
                                                 host: HostGuard) -> None:
    result = run_contained(backend, python_spec("write_outside", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "oom_score_adj:-1000")
    created = [f"create:{d}" for d in READ_ONLY_DIRS + (str(CHECKOUT), str(host.tmp_path))]
    assert not [found[n] for n in created if n in found and found[n].ok], describe(result)
    assert not succeeded(result, "open_for_write:"), describe(result)
    assert not found["oom_score_adj:-1000"].ok, describe(result)
    host.verify(result)


def test_host_secrets_are_not_readable(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("read_host_files", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "read:/etc/shadow", "list:/work", "pid1_starttime")
    read = [p for p in succeeded(result, "read:") if p.name != "read:/proc/1/environ"]
    assert not read, describe(result)
    if found["read:/proc/1/environ"].ok:  # only the sandbox's own init may be pid 1
        assert found["pid1_starttime"].detail != starttime(1), describe(result)
    assert not found[f"list:{CHECKOUT}"].ok, describe(result)
    listed = [p for p in succeeded(result, "list:")
              if any("ardoise-canary" in str(n) for n in p.detail)]
    assert not listed, describe(result)
    assert set(found["list:/work"].detail) <= {"main.py"}, describe(result)
    host.verify(result)


def test_the_checkout_is_nowhere_in_the_sandbox(backend: BackendUnderTest,
                                                host: HostGuard) -> None:
    result = run_contained(backend, python_spec("checkout_hunt", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "found", "canaries", "work")
    assert not found["found"].ok and not found["canaries"].ok, describe(result)
    assert set(found["work"].detail) <= {"main.py"}, describe(result)
    host.verify(result)


def test_planted_symlinks_are_not_collected(backend: BackendUnderTest, host: HostGuard) -> None:
    names = ("out.txt", "canary.txt", "shadow.txt", "environ.txt", "up.txt", "pid1.txt",
             "checkout.txt")
    spec = python_spec("symlink_collect", host.context(), collect=(*names, "plain.txt"))
    result = run_contained(backend, spec)
    assert result.status == "ok", describe(result)
    assert dict(result.files) == {"plain.txt": b"plain"}, describe(result)
    host.verify(result)


def test_planted_hard_links_are_refused_or_not_collected(backend: BackendUnderTest,
                                                         host: HostGuard) -> None:
    names = ("out.txt", "canary.txt", "tmp_canary.txt", "self.txt")
    spec = python_spec("hardlink_collect", host.context(), collect=(*names, "plain.txt"))
    result = run_contained(backend, spec)
    assert result.status == "ok", describe(result)
    assert dict(result.files) == {"plain.txt": b"plain"}, describe(result)
    found = probe_map(result)
    assert not [n for n in ("link:out.txt", "link:canary.txt", "link:tmp_canary.txt")
                if n in found and found[n].ok], describe(result)
    host.verify(result)


def test_fifos_sockets_and_devices_do_not_hang_collection(backend: BackendUnderTest,
                                                          host: HostGuard) -> None:
    names = ("out.txt", "sock.txt", "dir.txt", "zero.txt", "random.txt", "plain.txt")
    spec = python_spec("fifo_collect", host.context(), collect=names)
    result = run_contained(backend, spec)  # fails if the trusted side hangs
    assert result.status == "ok", describe(result)
    assert dict(result.files) == {"plain.txt": b"plain"}, describe(result)
    assert result.wall_ms < 10_000, describe(result)
    host.verify(result)


def test_traps_planted_for_the_next_run_catch_nothing(backend: BackendUnderTest,
                                                      host: HostGuard) -> None:
    planted = run_contained(backend, python_spec("input_plant", host.context()))
    assert planted.status == "ok", describe(planted)
    inputs = {"data.txt": "fresh data", "data2.txt": "second", "data3.txt": "third"}
    followers = [run_contained(backend, python_spec("input_reader", host.context(),
                                                    files=inputs)) for _ in range(5)]
    for result in followers:
        assert result.status == "ok", describe(result)
        found = require_probes(result, "input:data.txt", "input:data2.txt", "input:data3.txt")
        assert {n.removeprefix("input:"): p.detail for n, p in found.items()} == inputs
    host.verify(planted, *followers)
