"""The ``process`` backend: bubblewrap namespaces, a read-only root, a fresh tmpfs work dir,
cgroup (or rlimit) limits, a seccomp filter and one unprivileged host uid per slot.

Every primitive is required; :meth:`ProcessBackend.missing` names those this machine lacks
and nothing runs partly confined. The program never runs as root, nor in a user namespace
that maps its uid to root: bubblewrap itself starts as the slot's uid, so the namespace
it creates maps that uid to itself.
"""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import resource
import selectors
import signal
import subprocess
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
    become_subreaper,
    join_network,
    kill_uid,
    mount_read_only_view,
    processes_of,
    reap,
)
from sandbox.files import read_output, write_inputs
from sandbox.languages import Step, get_language
from sandbox.spec import Limits, RunSpec

RUNTIME_DIR = Path("/run/ardoise-sandbox")
PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
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
                 runtime_dir: Path = RUNTIME_DIR, rootfs: Path | None = None) -> None:
        self.pool = SlotPool(runtime_dir, slots or default_slots(), uid_base)
        self._rootfs = rootfs
        self._cgroups = cgroup_version()
        self._groups: dict[int, SlotGroup] = {}
        self._lock = threading.Lock()
        self._checked: tuple[float, list[str]] | None = None
        self._ready = False
        self._ready_until = 0.0
        self._root_view: Path | None = None
        self.launchers = available_launchers()
        self.launcher: Launcher = self.launchers[0]

    # -- what the machine offers -------------------------------------------------------
    def rootfs(self) -> Path | None:
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
        if not Path("/proc/self/ns/user").exists():
            reasons.append("the kernel has no user namespaces")
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
            become_subreaper()
            # Looked up again now and then: a root file system built later is taken up.
            self._ready_until = time.monotonic() + 60
            self._root_view = None
            rootfs = self.rootfs()
            if rootfs is not None:
                view = self.pool.runtime_dir / "rootfs"
                mount_read_only_view(rootfs, view)
                self._root_view = view
            self._ready = True

    def _group(self, slot: Slot) -> SlotGroup | None:
        if self._cgroups is None:
            return None
        with self._lock:
            if slot.number not in self._groups:
                self._groups[slot.number] = slot_group(slot.number, self._cgroups)
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

    def _preexec(self, limits: Limits, network_fd: int) -> None:
        """In the child, as root: enter the slot's groups and network namespace, set limits,
        become the slot uid."""
        join_network(network_fd)
        if self.group is not None:
            for path in self.group.join_paths():
                fd = os.open(path, os.O_WRONLY)
                os.write(fd, b"0")
                os.close(fd)
        processes = limits.processes + SANDBOX_PROCESSES
        cpu = limits.cpu_rlimit
        rlimits = [(resource.RLIMIT_CPU, cpu, cpu + 1),
                   (resource.RLIMIT_FSIZE, limits.file_size_bytes, limits.file_size_bytes),
                   (resource.RLIMIT_NPROC, processes, processes),
                   (resource.RLIMIT_CORE, 0, 0),
                   (resource.RLIMIT_NOFILE, 256, 256),
                   (resource.RLIMIT_MSGQUEUE, 0, 0),
                   (resource.RLIMIT_STACK, 64 << 20, 64 << 20)]
        if self.group is None:
            address = self.profile.address_space_mb(limits) << 20
            rlimits.append((resource.RLIMIT_AS, address, address))
        for which, soft, hard in rlimits:
            resource.setrlimit(which, (soft, hard))
        if self.backend.launcher.drops_privileges:
            return
        uid = self.slot.uid
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        # Set after the uid change (which clears it): if this worker dies, so does the run.
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def execute(self, step: Step, limits: Limits, stdin: bytes) -> StepOutcome:
        if self.group is not None:
            self.group.prepare(limits.memory_mb, limits.processes + SANDBOX_PROCESSES)
        seccomp = filter_fd()
        stdin_fd = os.memfd_create("ardoise-stdin", 0)
        info_read, info_write = os.pipe()
        network_fd = self.slot.network_fd()
        try:
            os.write(stdin_fd, stdin)
            os.lseek(stdin_fd, 0, os.SEEK_SET)
            started = time.monotonic()
            proc = subprocess.Popen(
                self._command(step, seccomp, info_write), stdin=stdin_fd,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(seccomp, info_write),
                close_fds=True, preexec_fn=lambda: self._preexec(limits, network_fd), cwd="/",
                env={})
        finally:
            os.close(network_fd)
            os.close(seccomp)
            os.close(stdin_fd)
            os.close(info_write)
        try:
            return self._supervise(proc, limits, started, info_read)
        finally:
            os.close(info_read)

    def _supervise(self, proc: subprocess.Popen[bytes], limits: Limits, started: float,
                   info_fd: int) -> StepOutcome:
        assert proc.stdout is not None and proc.stderr is not None
        deadline = started + limits.wall
        buffers = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
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
            kill_uid(self.slot.uid)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except ChildProcessError:
            status, usage = 0, None
        proc.returncode = 0
        # bubblewrap's namespace init outlives its parent by a moment; we are its reaper.
        program_rss = reap(_child_pid(info_fd))
        wall_ms = int((time.monotonic() - started) * 1000)
        out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
        proc.stdout.close()
        proc.stderr.close()
        left = clear_slot(self.slot, self.group)
        exit_code, signal_number = _decode(status)
        cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000) if usage else 0
        memory_kb = program_rss or (usage.ru_maxrss if usage else 0)
        oom = False
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
    read first: it is cheaper than scanning /proc, which is the fallback without cgroups."""
    alive = group.pids() if group is not None else processes_of(slot.uid)
    return kill_uid(slot.uid) if alive else False


def _child_pid(info_fd: int) -> int:
    """The pid of bubblewrap's namespace init, from what it wrote on ``--info-fd``."""
    try:
        data = os.read(info_fd, 4096)
        return int(json.loads(data)["child-pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _decode(status: int) -> tuple[int | None, int | None]:
    """bubblewrap reports a child killed by signal N as exit status 128 + N, as shells do."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    code = os.waitstatus_to_exitcode(status)
    if 128 < code <= 128 + 64:
        return None, code - 128
    return code, None
