"""Privilege: tracing, mounting, namespaces, becoming root, capabilities, kernel interfaces,
signals to others, giant argument lists. Each attempt is refused; the backend goes on."""

from __future__ import annotations

import signal
from dataclasses import replace

import pytest

from sandbox import RunResult, run
from tests.sandbox.hostile.harness import (
    BackendUnderTest,
    Probe,
    c_spec,
    describe,
    probes,
    python_spec,
    require_probes,
    run_contained,
    run_together,
    succeeded,
    with_limits,
)
from tests.sandbox.hostile.host import HostGuard

#: errno names of a refusal for want of privilege (seccomp answers EPERM or ENOSYS).
NO_PRIVILEGE = {"EPERM", "EACCES", "ENOSYS"}
#: Kernel interfaces both backends' seccomp filters are expected to close.
CLOSED_INTERFACES = ("bpf:map_create", "perf_event_open", "keyctl:user_keyring",
                     "add_key:session", "io_uring_setup", "userfaultfd", "fanotify_init",
                     "open_by_handle_at")


def assert_finished(result: RunResult) -> None:
    """The program ran to its end, or a seccomp filter killed it (SIGSYS)."""
    assert result.status == "ok" or result.signal == signal.SIGSYS, describe(result)


def other_uid(probe: Probe) -> bool:
    return not (isinstance(probe.detail, dict) and probe.detail.get("same_uid"))


def refused_for_want_of_privilege(probe: Probe) -> bool:
    detail = probe.detail or {}
    refusals = NO_PRIVILEGE
    if probe.name == "chown:root":  # in a user namespace uid 0 may be unmapped: EINVAL
        refusals = NO_PRIVILEGE | {"EINVAL"}
    return not probe.ok and (detail.get("errno") in refusals
                             or detail.get("killed_by") is not None)


def test_ptrace_reaches_no_other_process(backend: BackendUnderTest, host: HostGuard) -> None:
    host.start_helper()
    result = run_contained(backend, python_spec("ptrace_attach", host.context()))
    assert_finished(result)
    require_probes(result, "traceme")
    escaped = [p for p in succeeded(result, "attach:") + succeeded(result, "mem:")
               if other_uid(p)]
    assert not escaped, describe(result)
    assert host.helper is not None and host.helper.poll() is None
    host.verify(result)


def test_mounts_are_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("mount_attempt", host.context()))
    assert_finished(result)
    require_probes(result, "mount:tmpfs", "mount:remount_root_rw", "umount:/work", "fsopen")
    assert not [p for p in probes(result) if p.ok], describe(result)
    host.verify(result)


def test_new_namespaces_are_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("unshare_userns", host.context()))
    assert_finished(result)
    require_probes(result, "unshare:user", "unshare:user+mount", "exec:unshare -r")
    assert not [p for p in probes(result) if p.ok], describe(result)
    host.verify(result)


def test_no_way_to_root_or_another_uid(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("setuid_root", host.context()))
    assert_finished(result)
    found = require_probes(result, "setuid:0", "capset:all", "status")
    changes = ("setuid:", "setgid:", "setresuid:", "seteuid:", "setgroups:", "setfsuid:",
               "capset:")
    assert not [p for p in probes(result) if p.ok and p.name.startswith(changes)], \
        describe(result)
    status = found["status"].detail
    assert status["Uid"].split()[0] != "0", describe(result)
    for field in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        assert int(status[field], 16) == 0, f"{field}={status[field]}: {describe(result)}"
    assert status["NoNewPrivs"] == "1", describe(result)
    host.verify(result)


def test_capabilities_are_all_missing(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, python_spec("capability_probes", host.context()))
    assert_finished(result)
    found = require_probes(result, "kexec_load", "reboot:bad_command", "mknod:/dev/mem",
                           "sethostname", "setns:uts")
    granted = [p for p in found.values() if not refused_for_want_of_privilege(p)]
    assert not granted, describe(result)
    host.verify(result)


def test_rarely_needed_kernel_interfaces_are_closed(backend: BackendUnderTest,
                                                    host: HostGuard) -> None:
    result = run_contained(backend, python_spec("kernel_surface", host.context()))
    assert_finished(result)
    found = require_probes(result, *CLOSED_INTERFACES)
    assert not [found[n] for n in CLOSED_INTERFACES if found[n].ok], describe(result)
    host.verify(result)


def test_raw_syscalls_from_c_are_refused(backend: BackendUnderTest, host: HostGuard) -> None:
    result = run_contained(backend, c_spec("raw_syscalls", host.context()))
    assert_finished(result)
    found = require_probes(result, "mount", "unshare:user", "ptrace:attach_1", "kexec_load",
                           "bpf", "io_uring_setup", "setuid:0", "reboot")
    assert not [p for p in found.values() if p.ok], describe(result)
    host.verify(result)


def test_the_32_bit_syscall_door_is_closed_too(backend: BackendUnderTest,
                                              host: HostGuard) -> None:
    result = run_contained(backend, c_spec("compat_syscalls", host.context()))
    assert_finished(result)
    found = require_probes(result, "i386:unshare:user", "i386:keyctl", "i386:io_uring_setup")
    harmless = {"i386:getpid", "i386:ptrace:traceme"}
    open_doors = [p for p in found.values()
                  if p.name not in harmless and not refused_for_want_of_privilege(p)]
    assert not open_doors, describe(result)
    host.verify(result)


def test_kill_minus_one_spares_a_concurrent_run(backend: BackendUnderTest,
                                                host: HostGuard) -> None:
    victim = with_limits(python_spec("sleep_victim", host.context(sleep=2.0)), wall_seconds=6)
    killer = python_spec("kill_all", host.context())
    survivor, killed = run_together(backend, [victim, killer], delays=[0.0, 0.5])
    assert survivor.status == "ok", describe(survivor)
    require_probes(survivor, "survived")
    assert killed.status != "sandbox_error", describe(killed)
    host.verify(survivor, killed)


def test_signals_reach_no_process_of_another_uid(backend: BackendUnderTest,
                                                 host: HostGuard) -> None:
    host.start_helper()
    result = run_contained(backend, python_spec("kill_parent", host.context()))
    escaped = [p for p in succeeded(result, "kill:") if other_uid(p)]
    assert not escaped, describe(result)
    assert host.helper is not None and host.helper.poll() is None
    after = run_contained(backend, python_spec("hello", host.context()))
    assert after.status == "ok", f"the backend broke after the signals: {describe(after)}"
    host.verify(result, after)


def test_giant_argument_lists_fail_cleanly(backend: BackendUnderTest, host: HostGuard) -> None:
    spec = with_limits(python_spec("huge_argv", host.context()), memory_mb=256, wall_seconds=8)
    result = run_contained(backend, spec)
    assert result.status == "ok", describe(result)
    found = require_probes(result, "exec:one_arg_1MiB", "exec:args_12MiB", "alive")
    assert found["exec:one_arg_1MiB"].detail == "E2BIG", describe(result)
    assert found["exec:args_12MiB"].detail == "E2BIG", describe(result)
    host.verify(result)


def test_giant_arguments_from_outside_are_refused_before_running(
        backend: BackendUnderTest, host: HostGuard) -> None:
    base = python_spec("hello", host.context())
    for spec in (replace(base, args=("x" * 5000,)), replace(base, args=("a",) * 65),
                 replace(base, stdin=b"s" * (17 << 20)),
                 replace(base, files={"../main.py": "print(1)"}),
                 replace(base, collect=("/etc/passwd",))):
        with pytest.raises(ValueError):  # InvalidSpec, or the file layer's UnsafeName
            run(spec, backend=backend.name)
    after = run_contained(backend, base)
    assert after.status == "ok", describe(after)
    host.verify(after)


def test_no_descriptor_of_the_trusted_side_is_inherited(backend: BackendUnderTest,
                                                        host: HostGuard) -> None:
    result = run_contained(backend, python_spec("inherited_fds", host.context()))
    assert result.status == "runtime_error" and result.exit_code == 7, describe(result)
    found = require_probes(result, "inherited")["inherited"]
    assert not found.ok, describe(result)
    host.verify(result)
