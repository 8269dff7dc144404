"""The resident runner: PID 1 of every pooled container, serving one request at a time.

``docker_runner_io`` then this module are shipped as text over the container's stdin (see
``docker_pool.BOOTSTRAP``), executed from memory in one namespace by the image's
``python3``, and :func:`main` is called: the runner is never written into the image nor
anywhere a program could read or change it. Stdlib only; it runs on the image's Python 3.11.

Credentials: the runner is uid 0 whose only capabilities are CAP_SETUID and CAP_SETGID
(no-new-privileges; nothing else in the bounding set). A program runs in a forked child that
becomes the student with ``setresuid`` (which clears every capability) before ``execve``.
Everything else the runner does as the student it does with its *effective* ids switched
(:meth:`Runner.as_student`), real and saved uid staying 0: it then has the student's rights
on the work directories and may signal the student's processes, while none of them may
signal it (the kernel compares their uid with the runner's real and saved uid).
"""

from __future__ import annotations

import base64
import ctypes
import os
import resource
import select
import signal
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

try:  # in the container, docker_runner_io was executed in this namespace just before
    from sandbox.backends.docker_runner_io import (
        CHUNK,
        DIR_FLAGS,
        RunnerError,
        b64,
        empty_mount,
        read_output,
        receive,
        send,
        write_all,
        write_files,
    )
except ImportError:
    pass

WORK = "/work"
TMP = "/tmp"
STACK_BYTES = 64 << 20
OPEN_FILES = 256
#: The program's ``oom_score_adj``: the OOM killer takes the student's processes first.
OOM_SCORE_ADJ = b"1000"
KILL_ROUNDS = 500
OOM_COUNTERS = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
#: io_uring_setup, io_uring_enter, io_uring_register: the same numbers on every architecture
#: (x32 adds bit 30, masked off below).
IO_URING_SYSCALLS = (425, 427)


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def io_uring_filter() -> bytes:
    """A classic BPF seccomp program refusing io_uring (EPERM) and allowing the rest.

    Docker 20.10's default profile allows io_uring, a frequent source of kernel exploits
    that no exercise needs; this filter is stacked on that profile in each program."""
    first, last = IO_URING_SYSCALLS
    instructions = [
        (0x20, 0, 0, 0),                # A = seccomp_data.nr
        (0x54, 0, 0, 0xBFFFFFFF),       # A &= ~__X32_SYSCALL_BIT
        (0x35, 0, 2, first),            # A >= first ? next : allow
        (0x25, 1, 0, last),             # A > last ? allow : next
        (0x06, 0, 0, 0x00050000 | 1),   # SECCOMP_RET_ERRNO | EPERM
        (0x06, 0, 0, 0x7FFF0000),       # SECCOMP_RET_ALLOW
    ]
    return b"".join(struct.pack("=HBBI", *i) for i in instructions)


def oom_kills() -> int | None:
    """How many processes the container's memory cgroup OOM-killed; None when unreadable."""
    for path in OOM_COUNTERS:
        try:
            with open(path) as handle:
                for line in handle:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def other_pids() -> list[str]:
    """Every process but the runner (PID 1): all of them are the student's."""
    return [name for name in os.listdir("/proc") if name.isdigit() and name != "1"]


class StepUsage:
    """What the processes of one step, reaped so far, came to."""

    def __init__(self, main: int) -> None:
        self.main = main
        self.status: int | None = None
        self.main_cpu = 0.0
        self.max_rss_kb = 0

    def reaped(self, pid: int, status: int, usage: resource.struct_rusage) -> None:
        self.max_rss_kb = max(self.max_rss_kb, usage.ru_maxrss)
        if pid == self.main:
            self.status = status
            self.main_cpu = usage.ru_utime + usage.ru_stime


class Runner:
    def __init__(self, uid: int, gid: int) -> None:
        self.uid = uid
        self.gid = gid
        os.setgroups([])  # root's supplementary groups would follow us into the work dir
        self.wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(wake_w)  # SIGCHLD wakes the poll of a running step
        signal.signal(signal.SIGCHLD, lambda number, frame: None)
        self.libc = ctypes.CDLL(None, use_errno=True)
        program = io_uring_filter()
        self.filter = ctypes.create_string_buffer(program, len(program))
        self.fprog = SockFprog(len(program) // 8, ctypes.addressof(self.filter))

    @contextmanager
    def as_student(self) -> Iterator[None]:
        os.setresgid(-1, self.gid, -1)
        os.setresuid(-1, self.uid, -1)
        try:
            yield
        finally:
            os.setresuid(-1, 0, -1)
            os.setresgid(-1, 0, -1)

    # -- processes ----------------------------------------------------------------------------
    def reap(self, usage: StepUsage | None) -> None:
        """Collect every child that ended (orphans of the student's come to PID 1 too)."""
        while True:
            try:
                pid, status, rusage = os.wait3(os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if usage is not None:
                usage.reaped(pid, status, rusage)

    def drain_wakeups(self) -> None:
        try:
            while os.read(self.wake_r, 4096):
                pass
        except BlockingIOError:
            pass

    def clear_processes(self, usage: StepUsage | None) -> bool:
        """Kill every process of the student; True when some were alive.

        ``kill(-1, SIGKILL)`` with the student's effective uid reaches all of its processes
        in one atomic pass (a fork bomb cannot outrun it) and never the runner, which is
        init and the caller. Repeated until /proc shows nothing but the runner.
        """
        found = False
        for round_number in range(KILL_ROUNDS):
            self.reap(usage)
            if not other_pids():
                return found
            found = True
            with self.as_student():
                try:
                    os.kill(-1, signal.SIGKILL)
                except OSError:
                    pass  # nothing left to signal: zombies on their way to us
            select.select([self.wake_r], [], [], 0.001 * min(round_number + 1, 20))
            self.drain_wakeups()
        raise RunnerError("processes of the student survive SIGKILL")

    # -- requests -------------------------------------------------------------------------------
    def write(self, request: dict[str, Any]) -> dict[str, Any]:
        files = {str(n): base64.b64decode(c) for n, c in request["files"].items()}
        with self.as_student():
            dir_fd = os.open(WORK, DIR_FLAGS)
            try:
                write_files(dir_fd, files)
            finally:
                os.close(dir_fd)
        return {"ok": True}

    def collect(self, request: dict[str, Any]) -> dict[str, Any]:
        found: dict[str, str] = {}
        with self.as_student():
            dir_fd = os.open(WORK, DIR_FLAGS)
            try:
                for name in request["names"]:
                    data = read_output(dir_fd, name, int(request["limit"]))
                    if data is not None:
                        found[name] = b64(data)
            finally:
                os.close(dir_fd)
        return {"ok": True, "files": found}

    def reset(self, request: dict[str, Any]) -> dict[str, Any]:
        """Kill what is left and empty /work and /tmp, for the next run."""
        left = self.clear_processes(None)
        with self.as_student():
            empty_mount(WORK)
            empty_mount(TMP)
        return {"ok": True, "left_processes": left}

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        argv = [str(a) for a in request["argv"]]
        env = {str(k): str(v) for k, v in request["env"].items()}
        limits = request["limits"]
        limit = int(limits["output_bytes"])
        if self.clear_processes(None):
            raise RunnerError("processes of an earlier step were still alive")
        stdin = os.memfd_create("stdin", os.MFD_CLOEXEC)  # a file: the program may seek it
        write_all(stdin, base64.b64decode(request["stdin"]))
        os.lseek(stdin, 0, os.SEEK_SET)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        fail_r, fail_w = os.pipe2(os.O_CLOEXEC)
        oom_before = oom_kills()
        cpu_before = children_cpu_seconds()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            self.become_program(argv, env, limits, (stdin, out_w, err_w), fail_w)
        usage = StepUsage(pid)
        for fd in (stdin, out_w, err_w, fail_w):
            os.close(fd)
        failure = _read_to_end(fail_r)  # empty once execve closed it (O_CLOEXEC)
        outputs = {out_r: bytearray(), err_r: bytearray()}
        if failure:
            wall_exceeded, output_exceeded, ended = False, False, time.monotonic()
        else:
            wall_exceeded, output_exceeded, ended = self.supervise(
                usage, outputs, limit, started + limits["wall_ms"] / 1000)
        killed = wall_exceeded or output_exceeded
        left = self.clear_processes(usage) and not killed
        for fd, buffer in outputs.items():  # every writer is dead: what is left is finite
            if not output_exceeded:
                output_exceeded = _drain(fd, buffer, limit)
            os.close(fd)
        if failure:
            raise RunnerError(f"cannot start {argv[0]}: {failure.decode(errors='replace')}")
        if usage.status is None:
            raise RunnerError("the program's exit status was lost")
        cpu_ms = int(round((children_cpu_seconds() - cpu_before) * 1000))
        if os.WIFSIGNALED(usage.status):
            exit_code, signal_number = None, os.WTERMSIG(usage.status)
        else:
            exit_code, signal_number = os.waitstatus_to_exitcode(usage.status), None
        cpu_exceeded = (signal_number == signal.SIGXCPU or cpu_ms > limits["cpu_ms"]
                        or (signal_number == signal.SIGKILL and not killed
                            and usage.main_cpu >= limits["cpu_rlimit"]))
        oom_after = oom_kills()
        if oom_before is not None and oom_after is not None:
            memory_exceeded = oom_after > oom_before
        else:  # no counter: a SIGKILL that neither we nor the CPU limit sent
            memory_exceeded = signal_number == signal.SIGKILL and not killed and not cpu_exceeded
        if killed:
            exit_code, signal_number = None, signal.SIGKILL
        return {"ok": True, "exit_code": exit_code, "signal": signal_number,
                "stdout": b64(bytes(outputs[out_r])), "stderr": b64(bytes(outputs[err_r])),
                "cpu_ms": cpu_ms, "wall_ms": int((ended - started) * 1000),
                "memory_kb": usage.max_rss_kb, "output_exceeded": output_exceeded,
                "wall_exceeded": wall_exceeded, "cpu_exceeded": cpu_exceeded,
                "memory_exceeded": memory_exceeded, "left_processes": left}

    def supervise(self, usage: StepUsage, outputs: dict[int, bytearray], limit: int,
                  deadline: float) -> tuple[bool, bool, float]:
        """Read the output until the main process ends or a limit is hit:
        (wall exceeded, output exceeded, when it ended)."""
        poller = select.poll()
        poller.register(self.wake_r, select.POLLIN)
        for fd in outputs:
            os.set_blocking(fd, False)
            poller.register(fd, select.POLLIN)
        while True:
            self.reap(usage)
            now = time.monotonic()
            if usage.status is not None:
                return False, False, now
            if now >= deadline:
                return True, False, now
            for fd, _event in poller.poll(int((deadline - now) * 1000) + 1):
                if fd == self.wake_r:
                    self.drain_wakeups()
                    continue
                try:
                    chunk = os.read(fd, CHUNK)
                except BlockingIOError:
                    continue
                if not chunk:
                    poller.unregister(fd)
                    continue
                buffer = outputs[fd]
                buffer += chunk
                if len(buffer) > limit:
                    del buffer[limit:]
                    return False, True, time.monotonic()

    def become_program(self, argv: list[str], env: dict[str, str], limits: dict[str, Any],
                       stdio: tuple[int, int, int], fail_w: int) -> NoReturn:
        """In the forked child: default signals, its stdio, the student's ids (no capability
        left), its limits, /work, then ``execve``. Never returns."""
        try:
            signal.set_wakeup_fd(-1)
            for number in range(1, signal.NSIG):
                if number not in (signal.SIGKILL, signal.SIGSTOP):
                    try:
                        signal.signal(number, signal.SIG_DFL)  # Python ignores SIGPIPE, SIGXFSZ
                    except (OSError, ValueError):
                        pass
            signal.pthread_sigmask(signal.SIG_SETMASK, set())
            os.setsid()
            for target, fd in enumerate(stdio):
                os.dup2(fd, target)
            os.closerange(3, fail_w)
            os.closerange(fail_w + 1, os.sysconf("SC_OPEN_MAX"))
            with open("/proc/self/oom_score_adj", "wb", buffering=0) as handle:
                handle.write(OOM_SCORE_ADJ)
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)
            cpu, size = int(limits["cpu_rlimit"]), int(limits["file_size_bytes"])
            for which, soft, hard in ((resource.RLIMIT_CPU, cpu, cpu + 1),
                                      (resource.RLIMIT_FSIZE, size, size),
                                      (resource.RLIMIT_CORE, 0, 0),
                                      (resource.RLIMIT_NOFILE, OPEN_FILES, OPEN_FILES),
                                      (resource.RLIMIT_MSGQUEUE, 0, 0),
                                      (resource.RLIMIT_STACK, STACK_BYTES, STACK_BYTES)):
                resource.setrlimit(which, (soft, hard))
            # Allowed without privilege because Docker set no_new_privs for the container.
            if self.libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self.fprog),
                               0, 0) != 0:
                raise OSError(ctypes.get_errno(), "seccomp filter refused")
            os.umask(0o022)
            os.chdir(WORK)
            os.execve(argv[0], argv, env)
        except BaseException as exc:  # noqa: B036 - nothing may escape into the runner's loop
            try:
                write_all(fail_w, f"{type(exc).__name__}: {exc}".encode()[:2000])
            except OSError:
                pass
        os._exit(127)


def _read_to_end(fd: int) -> bytes:
    chunks = []
    try:
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _drain(fd: int, buffer: bytearray, limit: int) -> bool:
    """Read what ``fd`` still holds into ``buffer``; True when the output went over ``limit``."""
    while True:
        try:
            chunk = os.read(fd, CHUNK)
        except BlockingIOError:
            return False
        if not chunk:
            return False
        buffer += chunk
        if len(buffer) > limit:
            del buffer[limit:]
            return True


def main() -> None:
    """Answer requests until the host closes the channel (the container then ends)."""
    runner: Runner | None = None
    while True:
        try:
            request = receive()
        except (EOFError, OSError, ValueError):
            os._exit(0)
        try:
            op = request.get("op")
            if op == "hello":
                if os.getpid() != 1:
                    raise RunnerError("the runner must be the container's init (PID 1)")
                runner = runner or Runner(int(request["uid"]), int(request["gid"]))
                reply: dict[str, Any] = {"ok": True, "oom_counter": oom_kills() is not None}
            elif runner is None:
                raise RunnerError("hello first")
            elif op == "ping":
                reply = {"ok": True}
            elif op in ("write", "collect", "reset", "execute"):
                reply = getattr(runner, op)(request)
            else:
                raise RunnerError(f"unknown request {op!r}")
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            send(reply)
        except OSError:
            os._exit(0)
