"""Looking around: other processes in /proc, the mount table, /sys and control groups, the
host's devices. Only the run itself is visible, and nothing can be written."""

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

#: A sandbox sees its own few processes; the host has about a hundred.
MAX_VISIBLE_PROCESSES = 20


def test_proc_shows_only_the_run(backend: BackendUnderTest, host: HostGuard) -> None:
    host.start_helper()
    result = run_contained(backend, python_spec("proc_snoop", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "visible", "helper_pid", "pid1")
    assert "helper" not in found, describe(result)
    assert not found["helper_pid"].ok and "ardoise-helper" not in found["helper_pid"].detail
    assert found["visible"].detail["count"] <= MAX_VISIBLE_PROCESSES, describe(result)
    assert found["pid1"].detail["starttime"] != starttime(1), describe(result)
    host.verify(result)


def test_mount_table_shows_no_host_path(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("mountinfo_snoop", host.context()))
    assert result.status == "ok", describe(result)
    require_probes(result, "read:/proc/self/mountinfo")
    # Bind mounts show their source's path (Docker's overlay layers, the process backend's
    # root file system cache): that much is inherent. The checkout and the test's own
    # directories must not show.
    for forbidden in (str(CHECKOUT), str(host.tmp_path.parent.parent)):
        assert forbidden not in result.stdout, f"{forbidden} shows: {describe(result)}"
    host.verify(result)


def test_sys_shows_no_host_interface_and_cgroups_are_read_only(backend: BackendUnderTest,
                                                               host: HostGuard) -> None:
    result = run_contained(backend, python_spec("sys_snoop", host.context()))
    assert result.status == "ok", describe(result)
    found = require_probes(result, "list:/sys/class/net", "cgroup")
    if found["list:/sys/class/net"].ok:
        assert set(found["list:/sys/class/net"].detail) <= {"lo"}, describe(result)
    assert not succeeded(result, "write:"), describe(result)
    assert not succeeded(result, "open_for_write:"), describe(result)
    host.verify(result)


def test_host_devices_do_not_open(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("device_access", host.context()))
    assert result.status == "ok", describe(result)
    found = probe_map(result)
    opened = [p for p in succeeded(result, "open:") if p.name != "open:/proc/kallsyms"]
    assert not opened, describe(result)
    symbols = found.get("open:/proc/kallsyms")
    if symbols is not None and symbols.ok:  # readable, but without the kernel's addresses
        assert symbols.detail.startswith("0000000000000000"), describe(result)
    host.verify(result)
