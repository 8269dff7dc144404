"""The ``process`` backend: bubblewrap namespaces, a read-only root, a fresh tmpfs work dir,
cgroup (or rlimit) limits, a seccomp filter and one unprivileged host uid per slot.

Every primitive is required; :meth:`ProcessBackend.missing` names those this machine lacks
and nothing runs partly confined. The program never runs as root, nor in a user namespace
that maps its uid to root: bubblewrap itself starts as the slot's uid, so the namespace
it creates maps that uid to itself.
"""

from __future__ import annotations

import os
import pwd
import resource
import selectors
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox import images
from sandbox.backends.base import Backend, SandboxFailure, StepOutcome, Workspace, step_env
from sandbox.backends.cgroups import SlotGroup, cgroup_version, slot_group
from sandbox.backends.launchers import LaunchContext, Launcher, available_launchers
from sandbox.backends.seccomp_policy import filter_fd, filter_program
from sandbox.backends.slots import (
    Slot,
    SlotPool,
    kill_uid,
    mount_read_only_view,
    processes_of,
)
from sandbox.backends.spawner import FIRST_EXTRA_FD
from sandbox.backends.spawner_client import Spawner
from sandbox.files import read_output, write_inputs
from sandbox.languages import Step, get_language
from sandbox.spec import Limits, RunSpec

RUNTIME_DIR = Path("/run/ardoise-sandbox")
UID_BASE = 61000
#: bubblewrap's own two processes (the outer one and the namespace's init) in each run.
SANDBOX_PROCESSES = 2
#: Host paths bound read-only when no sandbox root file system has been built.
HOST_BINDS = ("/usr", "/etc/alternatives", "/etc/ld.so.cache", "/etc/java-17-openjdk",
              "/etc/ssl/certs")


def default_slots() -> int:
    return int(os.environ.get("ARDOISE_SANDBOX_SLOTS", "0")) or 2 * (os.cpu_count() or 1)


class ProcessBackend(Backend):
    name = "process"

    def __init__(self, slots: int | None = None, uid_base: int = UID_BASE,
                 runtime_dir: Path = RUNTIME_DIR, rootfs: Path | None = None,
                 host_paths: bool = False) -> None:
        """:param rootfs: the root file system to show (the built one when omitted).
        :param host_paths: show the host's read-only system paths instead of any root file
            system (what a machine where none was built gets)."""
        self.pool = SlotPool(runtime_dir, slots or default_slots(), uid_base)
        self._rootfs = rootfs
        self._host_paths = host_paths
        self._cgroups = cgroup_version()
        self._groups: dict[int, SlotGroup] = {}
        self._lock = threading.Lock()
        self._checked: tuple[float, list[str]] | None = None
        self._ready = False
        self._ready_until = 0.0
        self._root_view: Path | None = None
        self._spawners: dict[int, Spawner] = {}
        self._spawner_pid = os.getpid()
        self.launchers = available_launchers()
        # The first that can work here; missing() says why none can.
        self.launcher: Launcher = next(
            (launcher for launcher in self.launchers if not launcher.missing()), self.launchers[0])

    # -- what the machine offers -------------------------------------------------------
    def rootfs(self) -> Path | None:
        if self._host_paths:
            return None
        return self._rootfs or images.rootfs_path()

    def missing(self) -> list[str]:
        now = time.monotonic()
        if self._checked and now - self._checked[0] < 30:
            return self._checked[1]
        reasons = self._missing()
        self._checked = (now, reasons)
        return reasons

    def _missing(self) -> list[str]:
        reasons = []
        if os.geteuid() != 0:
            reasons.append("root is needed to run each program as its own unprivileged uid "
                           "and to mount its work directory")
        launcher_reasons: list[str] = []
        for launcher in self.launchers:
            problems = launcher.missing()
            if not problems:
                self.launcher = launcher
                break
            launcher_reasons += problems
        else:
            reasons.append("no way to enter namespaces: " + "; ".join(launcher_reasons))
        try:
            filter_program()
        except (OSError, RuntimeError, AttributeError) as exc:
            reasons.append(f"seccomp filters cannot be built (libseccomp): {exc}")
        for uid in range(self.pool.uid_base, self.pool.uid_base + self.pool.count):
            try:
                reasons.append(f"uid {uid} belongs to the account {pwd.getpwuid(uid).pw_name}")
                break
            except KeyError:
                continue
        if not reasons:
            reasons += self._probe()
        return reasons

    def _probe(self) -> list[str]:
        """Run ``true`` fully confined once: proves namespaces, mounts and seccomp work."""
        try:
            outcome = self.run(RunSpec(language="python3", files={"main.py": "pass\n"},
                                       limits=Limits(cpu_seconds=5, wall_seconds=20)))
        except (OSError, SandboxFailure, RuntimeError) as exc:
            return [f"a confined test run failed: {exc}"]
        if outcome.status != "ok":
            return [f"a confined test run failed: {outcome.status}: {outcome.stderr.strip()}"]
        return []

    def has_cgroups(self) -> bool:
        return self._cgroups is not None

    # -- running ---------------------------------------------------------------------------
    def _setup(self) -> None:
        with self._lock:
            if self._ready and time.monotonic() < self._ready_until:
                return
            self.pool.setup()
            # Looked up again now and then: a root file system built later is taken up.
            self._ready_until = time.monotonic() + 60
            self._root_view = None
            rootfs = self.rootfs()
            if rootfs is not None:
                view = self.pool.runtime_dir / "rootfs"
                mount_read_only_view(rootfs, view)
                self._root_view = view
            self._ready = True

    def spawner(self, slot: Slot, group: SlotGroup | None) -> Spawner:
        """This process's spawner for ``slot``, started on first use (or after it died)."""
        with self._lock:
            if self._spawner_pid != os.getpid():  # a forked worker starts its own
                self._spawners, self._spawner_pid = {}, os.getpid()
            spawner = self._spawners.get(slot.number)
            if spawner is None or not spawner.alive():
                spawner = Spawner(group.join_paths() if group is not None else [])
                self._spawners[slot.number] = spawner
            return spawner

    def _group(self, slot: Slot) -> SlotGroup | None:
        if self._cgroups is None:
            return None
        with self._lock:
            if slot.number not in self._groups:
                self._groups[slot.number] = slot_group(slot.uid, self._cgroups)
            return self._groups[slot.number]

    @contextmanager
    def workspace(self, spec: RunSpec) -> Iterator[Workspace]:
        try:
            self._setup()
            slot = self.pool.acquire()
        except OSError as exc:
            raise SandboxFailure(f"the process sandbox could not be prepared: {exc}") from exc
        group = self._group(slot)
        try:
            clear_slot(slot, group)  # a holder that died mid-run may have left processes
            slot.mount_work(spec.limits.disk_bytes)
            yield ProcessWorkspace(self, slot, group, spec)
        except OSError as exc:
            raise SandboxFailure(f"the process sandbox failed: {exc}") from exc
        finally:
            try:
                clear_slot(slot, group)
                slot.unmount_work()
            finally:
                self.pool.release(slot)

    def launch_root(self) -> Path | None:
        return self._root_view


class ProcessWorkspace(Workspace):
    def __init__(self, backend: ProcessBackend, slot: Slot, group: SlotGroup | None,
                 spec: RunSpec) -> None:
        self.backend = backend
        self.slot = slot
        self.group = group
        self.profile = get_language(spec.language)

    def _dir_fd(self) -> int:
        return os.open(self.slot.work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                       | os.O_CLOEXEC)

    def write_inputs(self, files: dict[str, bytes]) -> None:
        fd = self._dir_fd()
        try:
            write_inputs(fd, files, self.slot.uid, self.slot.uid)
        finally:
            os.close(fd)

    def collect(self, names: tuple[str, ...], limit: int) -> dict[str, bytes]:
        if not names:
            return {}
        fd = self._dir_fd()
        try:
            found = {name: read_output(fd, name, limit) for name in names}
        finally:
            os.close(fd)
        return {name: data for name, data in found.items() if data is not None}

    def _command(self, step: Step, seccomp_fd: int, info_fd: int) -> list[str]:
        return self.backend.launcher.command(LaunchContext(
            step=step, env=step_env(step), uid=self.slot.uid, work=self.slot.work,
            root=self.backend.launch_root(), host_binds=HOST_BINDS, seccomp_fd=seccomp_fd,
            info_fd=info_fd, network_ready=True))

    def _rlimits(self, limits: Limits) -> list[tuple[int, int, int]]:
        processes = limits.processes + SANDBOX_PROCESSES
        cpu = limits.cpu_rlimit
        rlimits = [(resource.RLIMIT_CPU, cpu, cpu + 1),
                   (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
                   # Per uid, and the uid is this slot's alone: the exact process limit.
                   (resource.RLIMIT_NPROC, processes, processes),
                   (resource.RLIMIT_CORE, 0, 0),
                   (resource.RLIMIT_NOFILE, 256, 256),
                   (resource.RLIMIT_MSGQUEUE, 0, 0),
                   (resource.RLIMIT_STACK, 64 << 20, 64 << 20)]
        if self.group is None:
            address = self.profile.address_space_mb(limits) << 20
            rlimits.append((resource.RLIMIT_AS, address, address))
        return rlimits

    def execute(self, step: Step, limits: Limits, stdin: bytes) -> StepOutcome:
        if self.group is not None:
            self.group.prepare(limits.memory_mb)
        spawner = self.backend.spawner(self.slot, self.group)
        stdin_fd = os.memfd_create("ardoise-stdin", os.MFD_CLOEXEC)
        seccomp = filter_fd()
        out_read, out_write = os.pipe2(os.O_CLOEXEC)
        err_read, err_write = os.pipe2(os.O_CLOEXEC)
        info_read, info_write = os.pipe2(os.O_CLOEXEC)
        network_fd = self.slot.network_fd()
        try:
            os.write(stdin_fd, stdin)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
            argv = self._command(step, FIRST_EXTRA_FD, FIRST_EXTRA_FD + 1)
            argv[0] = shutil.which(argv[0]) or argv[0]
            uid = None if self.backend.launcher.drops_privileges else self.slot.uid
            started = time.monotonic()
            launcher = spawner.spawn(argv, {}, [stdin_fd, out_write, err_write, network_fd, seccomp,
                                     info_write], self._rlimits(limits), uid)
        except BaseException:
            os.close(out_read)
            os.close(err_read)
            raise
        finally:
            for fd in (stdin_fd, seccomp, out_write, err_write, info_write, network_fd):
                os.close(fd)
        try:
            return self._supervise(spawner, launcher, out_read, err_read, limits, started)
        finally:
            for fd in (out_read, err_read, info_read):
                os.close(fd)

    def _stop(self, launcher: int | None) -> None:
        """Kill the whole run: the launcher itself (it may not have dropped to the slot uid
        yet) and every process of the slot uid."""
        if launcher is not None:
            try:
                signal.pidfd_send_signal(launcher, signal.SIGKILL)
            except ProcessLookupError:
                pass
        kill_uid(self.slot.uid)

    def _supervise(self, spawner: Spawner, pid: int, out_fd: int, err_fd: int,
                   limits: Limits, started: float) -> StepOutcome:
        try:  # a descriptor, so that a recycled pid is never signalled by mistake
            launcher: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            launcher = None
        try:
            return self._watch(spawner, launcher, out_fd, err_fd, limits, started)
        finally:
            if launcher is not None:
                os.close(launcher)

    def _watch(self, spawner: Spawner, launcher: int | None, out_fd: int, err_fd: int,
               limits: Limits, started: float) -> StepOutcome:
        deadline = started + limits.wall
        buffers = {out_fd: bytearray(), err_fd: bytearray()}
        output_exceeded = wall_exceeded = False
        with selectors.DefaultSelector() as selector:
            for fd in buffers:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    wall_exceeded = True
                    break
                for key, _ in selector.select(remaining):
                    chunk = os.read(key.fd, 1 << 16)
                    if not chunk:
                        selector.unregister(key.fd)
                        continue
                    buffer = buffers[key.fd]
                    buffer += chunk
                    if len(buffer) > limits.output_bytes:
                        del buffer[limits.output_bytes:]
                        output_exceeded = True
                if output_exceeded:
                    break
        if wall_exceeded or output_exceeded:
            self._stop(launcher)
        ended = spawner.ended(max(1.0, deadline - time.monotonic()))
        if ended is None:  # its output closed but it lives on: the wall clock ends it
            wall_exceeded = True
            self._stop(launcher)
            ended = spawner.ended(30.0)
            if ended is None:
                raise SandboxFailure("a sandboxed run could not be collected")
        wall_ms = int((time.monotonic() - started) * 1000)
        left = clear_slot(self.slot, self.group)
        exit_code, signal_number = _decode(ended.status)
        cpu_ms, memory_kb, oom = ended.cpu_ms, ended.maxrss_kb, False
        if self.group is not None:
            measured = self.group.usage()
            cpu_ms = max(cpu_ms, measured.cpu_ms)
            oom = measured.oom_kills > 0
        cpu_exceeded = (cpu_ms > limits.cpu_seconds * 1000
                        or signal_number in (signal.SIGXCPU,))
        if wall_exceeded or output_exceeded:
            exit_code, signal_number = None, signal.SIGKILL
        return StepOutcome(
            exit_code=exit_code, signal=signal_number,
            stdout=bytes(buffers[out_fd]), stderr=bytes(buffers[err_fd]),
            cpu_ms=cpu_ms, wall_ms=wall_ms, memory_kb=memory_kb,
            output_exceeded=output_exceeded, wall_exceeded=wall_exceeded,
            cpu_exceeded=cpu_exceeded, memory_exceeded=oom, left_processes=left)


def clear_slot(slot: Slot, group: SlotGroup | None) -> bool:
    """Kill whatever of the slot still runs; True when something did. The slot's group is
    read first (its spawners, root's, excepted): cheaper than scanning all of /proc, which
    is the fallback without cgroups."""
    if group is not None:
        alive = [pid for pid in group.pids() if _owner(pid) == slot.uid]
    else:
        alive = processes_of(slot.uid)
    return kill_uid(slot.uid) if alive else False


def _owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return None


def _decode(status: int) -> tuple[int | None, int | None]:
    """bubblewrap reports a child killed by signal N as exit status 128 + N, as shells do."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    code = os.waitstatus_to_exitcode(status)
    if 128 < code <= 128 + 64:
        return None, code - 128
    return code, None
