"""The test harness that runs INSIDE the sandbox: every test of one submission, one run.

This file is copied into the sandbox's work directory beside the student's files and run
with the sandbox's Python; it imports nothing but the standard library. Its instructions
arrive on its stdin as one JSON object (read whole before any student code runs, so no
student process can read them), and its report leaves on its stdout as one line starting
with the instruction's nonce. Student programs run as children with their own pipes,
never the harness's, and the harness makes itself non-dumpable first, so that a child
(same uid) can neither open ``/proc/<harness>/fd`` nor trace it to forge the report.

It compiles once (when the language compiles), then runs each test in a fresh process
group with its own CPU limit (RLIMIT_CPU), wall-clock limit, address-space limit (where
the language allows one), and a cap on the output it keeps; whatever a test leaves behind
is killed with its group before the next starts. Expected outputs never enter the sandbox:
the trusted side compares (``coding_lab.harness``).

Python tests do not start an interpreter each: a **fork server** (the "zygote") forks a
child per test that becomes ``python3 main.py`` without an ``exec``. The zygote is forked
before the instructions are read (it never holds the nonce), puts ``/dev/null`` on its
fds 0, 1 and 2 at once (no student code can read the instructions or write to the
harness's stdout through it), is non-dumpable like the harness, and talks to the harness
only over a private socket pair that each child closes first. Each child gets its pipes
as fds 0/1/2, its own session, the same rlimits, the run's environment, ``cwd``,
``sys.argv`` and ``sys.path`` of ``python3 main.py``, and runs the entry file as
``__main__``; an uncaught exception prints the traceback a plain run prints. The
per-test process (``subprocess``) stays for the other languages, and takes over when
the zygote is gone (a student program may kill its parent).
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import io
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time
import types

#: Not imported at run time: every import here is paid by every submission (``typing`` and
#: ``subprocess``, the latter only needed when a test is not forked, cost milliseconds).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

PR_SET_DUMPABLE = 4
WORK = "/work"
#: What a test may print before it is stopped, per stream.
KEEP_BYTES_DEFAULT = 64 * 1024
#: Signals a student program could send its parent (the zygote) to stop it; ignored there,
#: restored in each child.
ZYGOTE_IGNORES = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                  signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGTSTP,
                  signal.SIGTTIN, signal.SIGTTOU)
#: Seconds the harness waits for the zygote's answer beyond a test's wall limit.
ZYGOTE_GRACE = 2.0


def _dumpable(flag: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, flag, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _non_dumpable() -> None:
    _dumpable(0)


def _lower(which: int, soft: int, hard: int) -> None:
    """Set a limit, never above what the sandbox already allows (a child cannot raise it)."""
    _soft, ceiling = resource.getrlimit(which)
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(which, (soft, hard))


def _limits(cpu_seconds: float, address_space_mb: int | None, file_bytes: int) -> Any:
    def apply() -> None:
        seconds = max(1, int(cpu_seconds + 0.999))
        _lower(resource.RLIMIT_CPU, seconds, seconds + 1)
        if address_space_mb:
            size = address_space_mb * 1024 * 1024
            _lower(resource.RLIMIT_AS, size, size)
        _lower(resource.RLIMIT_FSIZE, file_bytes, file_bytes)
        _lower(resource.RLIMIT_CORE, 0, 0)
    return apply


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):  # the group, and the child if it has none yet
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


# --- the zygote's side -------------------------------------------------------------------

def _exit_status(error: SystemExit) -> int:
    """What ``python3`` exits with for an uncaught ``SystemExit``."""
    code = error.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:  # noqa: BLE001 - as the interpreter does, whatever the stream
        pass
    return 1


def _std_stream(fd: int, template: Any, name: str) -> io.TextIOWrapper:
    """A fresh ``sys.std*`` on ``fd``, configured as the interpreter configured its own."""
    reading = fd == 0
    raw = io.FileIO(fd, "rb" if reading else "wb", closefd=False)
    raw.name = name
    buffer: io.BufferedReader | io.BufferedWriter = (
        io.BufferedReader(raw) if reading else io.BufferedWriter(raw))
    return io.TextIOWrapper(buffer, encoding=template.encoding, errors=template.errors,
                            line_buffering=template.line_buffering,
                            write_through=template.write_through)


def _run_main(source: bytes | str, filename: str, path: str | None) -> int:
    """Run ``source`` as ``__main__``; the exit status ``python3`` would give."""
    main = type(sys)("__main__")
    main.__dict__["__builtins__"] = __builtins__
    if path is not None:
        main.__file__ = path
        main.__dict__["__cached__"] = None
    sys.modules["__main__"] = main
    # The frames below the program's (the zygote's) would eat into its recursion limit: a
    # program may recurse as deep as under ``python3 main.py``.
    depth = 0
    frame: types.FrameType | None = sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    sys.setrecursionlimit(sys.getrecursionlimit() + depth + 2)  # + the exec() calls
    try:
        # dont_inherit: this file's ``from __future__`` must not reach the student's code.
        exec(compile(source, filename, "exec", dont_inherit=True), main.__dict__)
    except SystemExit as error:
        return _exit_status(error)
    except BaseException as error:  # noqa: BLE001 - an uncaught exception, as python3 shows it
        trace = error.__traceback__
        # This frame is not the program's: a plain run's traceback starts below it (and a
        # SyntaxError has no frame of the program at all). The hook prints the exception's
        # own __traceback__, so that is the one to cut.
        error.__traceback__ = trace.tb_next if trace is not None else None
        sys.excepthook(type(error), error, error.__traceback__)
        return 1
    return 0


def _finish(status: int) -> NoReturn:
    """The interpreter's own end: join threads, run atexit, flush, exit."""
    try:
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()
    except SystemExit as error:
        status = _exit_status(error)
    except BaseException:  # noqa: BLE001
        pass
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except BaseException:  # noqa: BLE001 - python3 exits 120 when it cannot flush
            status = 120
    os._exit(status)


def _become_test(request: dict[str, Any], fds: list[int], control: socket.socket,
                 handlers: dict[int, Any]) -> NoReturn:
    """In the forked child: become ``python3 main.py`` (or ``python3 -c DRIVER``)."""
    status = 1
    try:
        control.close()
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        for number, handler in handlers.items():
            if handler is not None:  # None: not set from Python, and left as it was
                signal.signal(number, handler)
        _limits(request["cpu"], request["address_space_mb"], request["file_bytes"])()
        _dumpable(1)  # as after an exec: the program may read its own /proc/self
        os.chdir(WORK)
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, name in enumerate(("stdin", "stdout", "stderr")):
            stream = _std_stream(fd, getattr(sys, f"__{name}__"), f"<{name}>")
            setattr(sys, name, stream)
            setattr(sys, f"__{name}__", stream)
        sys.argv = list(request["argv"])
        if request.get("code") is not None:
            sys.path[0] = ""  # python3 -c
            status = _run_main(request["code"], "<string>", None)
        else:
            path = os.path.join(WORK, request["entry"])
            sys.path[0] = os.path.dirname(path)
            with open(path, "rb") as handle:
                source = handle.read()
            status = _run_main(source, path, path)
    except BaseException as error:  # noqa: BLE001 - the set-up failed: say so, exit 1
        try:
            os.write(2, f"cannot start: {error!r}\n".encode())
        except OSError:
            pass
        os._exit(1)
    _finish(status)


def _zygote(control: socket.socket) -> NoReturn:
    """Fork one child per request; report its pid, then its wait status and CPU time."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)  # the instructions (fd 0) and the report (fd 1) are not ours
    os.close(null)
    keep = control.fileno()
    os.closerange(3, keep)
    os.closerange(keep + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    handlers: dict[int, Any] = {
        number: signal.signal(number, signal.SIG_IGN) for number in ZYGOTE_IGNORES}
    # What the zygote holds now is never collected in a child: a collection there would
    # touch (and so copy) every page the fork shares.
    gc.freeze()
    try:
        while True:
            message, fds, _flags, _address = socket.recv_fds(control, 1 << 20, 3)
            if not message or len(fds) != 3:
                break
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                _become_test(request, fds, control, handlers)
            for fd in fds:
                os.close(fd)
            control.send(json.dumps({"pid": pid}).encode())
            _pid, wait_status, usage = os.wait4(pid, 0)
            cpu_ms = int((usage.ru_utime + usage.ru_stime) * 1000)
            control.send(json.dumps({"status": wait_status, "cpu_ms": cpu_ms}).encode())
    except BaseException:  # noqa: BLE001 - the harness is gone, or falls back
        pass
    os._exit(0)


class Zygote:
    """The harness's handle on the fork server."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            _zygote(theirs)
        theirs.close()
        self.pid = pid
        self.control: socket.socket | None = ours

    def start(self, request: dict[str, Any], fds: list[int]) -> int | None:
        """Fork a test; its pid, or ``None`` when the zygote is gone."""
        if self.control is None:
            return None
        try:
            self.control.settimeout(5.0)
            socket.send_fds(self.control, [json.dumps(request).encode()], fds)
            answer = json.loads(self.control.recv(4096))
            return int(answer["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            self.stop()
            return None

    def wait(self, timeout: float) -> tuple[int, int] | None:
        """The test's wait status and CPU milliseconds, or ``None`` when none came."""
        if self.control is None:
            return None
        try:
            self.control.settimeout(max(0.1, timeout))
            answer = json.loads(self.control.recv(4096))
            return int(answer["status"]), int(answer["cpu_ms"])
        except (OSError, ValueError, KeyError, TypeError):
            self.stop()
            return None

    def stop(self) -> None:
        if self.control is not None:
            self.control.close()
            self.control = None
            _kill_group(self.pid)  # it has no group of its own: this kills it alone
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


# --- the harness's side ------------------------------------------------------------------

def _collect(stdin_fd: int, stdout_fd: int, stderr_fd: int, stdin: bytes, began: float,
             wall_seconds: float, keep_bytes: int) -> tuple[dict[str, list[bytes]], bool, bool]:
    """Feed stdin and keep the outputs until both close, the wall limit, or an overflow."""
    chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    sizes = {"stdout": 0, "stderr": 0}
    overflow = timed_out = False
    selector = selectors.DefaultSelector()
    selector.register(stdout_fd, selectors.EVENT_READ, "stdout")
    selector.register(stderr_fd, selectors.EVENT_READ, "stderr")
    pending = memoryview(stdin)
    stdin_open = True
    if pending:
        os.set_blocking(stdin_fd, False)
        selector.register(stdin_fd, selectors.EVENT_WRITE, "stdin")
    else:
        os.close(stdin_fd)
        stdin_open = False
    open_streams = 2
    try:
        while open_streams:
            left = wall_seconds - (time.monotonic() - began)
            if left <= 0:
                timed_out = True
                break
            for key, _events in selector.select(timeout=min(left, 0.5)):
                if key.data == "stdin":
                    try:
                        written = os.write(key.fd, pending[:65536])
                    except (BrokenPipeError, OSError):
                        written = len(pending)
                    pending = pending[written:]
                    if not pending:
                        selector.unregister(key.fd)
                        os.close(stdin_fd)
                        stdin_open = False
                    continue
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    open_streams -= 1
                    continue
                name = key.data
                room = keep_bytes - sizes[name]
                if room > 0:
                    chunks[name].append(data[:room])
                sizes[name] += len(data)
                if sizes[name] > keep_bytes:
                    overflow = True
            if overflow:
                break
    finally:
        selector.close()
        for fd in ((stdin_fd,) if stdin_open else ()) + (stdout_fd, stderr_fd):
            try:
                os.close(fd)
            except OSError:
                pass
    return chunks, overflow, timed_out


def _outcome(code: int | None, cpu_ms: int, chunks: dict[str, list[bytes]], overflow: bool,
             timed_out: bool, cpu_seconds: float, began: float) -> dict[str, Any]:
    wall_ms = int((time.monotonic() - began) * 1000)
    stderr = b"".join(chunks["stderr"])
    # RLIMIT_CPU sends SIGXCPU at the soft limit and SIGKILL at the hard one; a SIGKILL
    # before the CPU limit is the memory cgroup's.
    if overflow:
        status = "output_limit"
    elif timed_out or code == -signal.SIGXCPU or (
            code == -signal.SIGKILL and cpu_ms >= cpu_seconds * 1000):
        status = "time_limit"
    elif code == -signal.SIGKILL or any(marker in stderr for marker in (
            b"MemoryError", b"OutOfMemoryError", b"heap out of memory", b"std::bad_alloc")):
        status = "memory_limit"
    elif code != 0:
        status = "runtime_error"
    else:
        status = "ok"
    return {"status": status, "exit_code": code if code is not None and code >= 0 else None,
            "signal": -code if code is not None and code < 0 else None,
            "stdout": b"".join(chunks["stdout"]).decode("utf-8", "replace"),
            "stderr": stderr.decode("utf-8", "replace"), "truncated": overflow,
            "wall_ms": wall_ms, "cpu_ms": cpu_ms}


def _cannot_start(error: object) -> dict[str, Any]:
    return {"status": "runtime_error", "exit_code": None, "signal": None, "stdout": "",
            "stderr": f"cannot start: {error}", "truncated": False, "wall_ms": 0, "cpu_ms": 0}


def run_one(argv: list[str], env: dict[str, str], stdin: bytes, cpu_seconds: float,
            wall_seconds: float, address_space_mb: int | None, keep_bytes: int,
            file_bytes: int) -> dict[str, Any]:
    """Run one program as a new process; keep at most ``keep_bytes`` of each stream; never
    wait beyond ``wall_seconds``. Returns what happened, raw (the trusted side judges)."""
    import subprocess  # here, not above: see the imports

    began = time.monotonic()
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        process = subprocess.Popen(
            argv, cwd=WORK, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
            preexec_fn=_limits(cpu_seconds, address_space_mb, file_bytes))
    except OSError as error:
        return _cannot_start(error)
    assert process.stdin and process.stdout and process.stderr
    # The pipes are ours from here on: _collect closes them.
    fds = [os.dup(s.fileno()) for s in (process.stdin, process.stdout, process.stderr)]
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()
    chunks, overflow, timed_out = _collect(fds[0], fds[1], fds[2], stdin, began,
                                           wall_seconds, keep_bytes)
    _kill_group(process.pid)
    process.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = int(((usage.ru_utime - usage_before.ru_utime) +
                  (usage.ru_stime - usage_before.ru_stime)) * 1000)
    return _outcome(process.returncode, cpu_ms, chunks, overflow, timed_out, cpu_seconds,
                    began)


def run_forked(zygote: Zygote, request: dict[str, Any], stdin: bytes, wall_seconds: float,
               keep_bytes: int) -> dict[str, Any] | None:
    """Run one Python test as a child of the zygote; ``None`` when the zygote could not
    start it (the caller falls back to a new process)."""
    began = time.monotonic()
    stdin_r, stdin_w = os.pipe()
    stdout_r, stdout_w = os.pipe()
    stderr_r, stderr_w = os.pipe()
    for fd in (stdin_w, stdout_r, stderr_r):
        os.set_inheritable(fd, False)
    pid = zygote.start(request, [stdin_r, stdout_w, stderr_w])
    for fd in (stdin_r, stdout_w, stderr_w):
        os.close(fd)
    if pid is None:
        for fd in (stdin_w, stdout_r, stderr_r):
            os.close(fd)
        return None
    chunks, overflow, timed_out = _collect(stdin_w, stdout_r, stderr_r, stdin, began,
                                           wall_seconds, keep_bytes)
    _kill_group(pid)
    waited = zygote.wait(wall_seconds - (time.monotonic() - began) + ZYGOTE_GRACE)
    if waited is None:
        # The program stopped or killed its parent: its end is unknown, so it failed.
        code, cpu_ms = None, 0
        chunks["stderr"].append(b"\nthe program's parent process was stopped\n")
    else:
        code, cpu_ms = os.waitstatus_to_exitcode(waited[0]), waited[1]
    outcome = _outcome(code, cpu_ms, chunks, overflow, timed_out, request["cpu"], began)
    if waited is None and outcome["status"] == "ok":
        outcome["status"] = "runtime_error"
    return outcome


FUNCTION_DRIVER = """
import sys, traceback
sys.path.insert(0, '/work')
source = open(sys.argv[1], encoding='utf-8').read()
namespace = {'__name__': '__ardoise_test__'}
try:
    exec(compile(source, sys.argv[1], 'exec'), namespace)
    tests = [v for k, v in namespace.items() if k.startswith('test') and callable(v)]
    for test in tests:
        test()
except AssertionError as error:
    frame = traceback.extract_tb(error.__traceback__)[-1]
    print('ASSERTION', frame.lineno, frame.line or '', str(error), sep='\\x1f', file=sys.stderr)
    sys.exit(1)
"""


def main() -> None:
    _non_dumpable()
    # Before the instructions are read: the zygote never sees the nonce (and is
    # non-dumpable too, inherited).
    zygote: Zygote | None = Zygote()
    config = json.loads(sys.stdin.buffer.read())
    sys.stdin.close()
    nonce = config["nonce"]
    report: dict[str, Any] = {"compile": None, "tests": []}
    keep = int(config.get("keep_bytes", KEEP_BYTES_DEFAULT))
    file_bytes = int(config.get("file_bytes", 16 * 1024 * 1024))
    step = config.get("compile")
    run = config["run"]
    python_entry = run.get("python_entry")
    if not python_entry and zygote is not None:
        zygote.stop()
        zygote = None
    if step:
        compiled = run_one(step["argv"], step["env"], b"", step["cpu"], step["wall"], None,
                           keep, 256 * 1024 * 1024)
        report["compile"] = compiled
        if compiled["status"] != "ok":
            print(nonce + json.dumps(report), flush=True)
            return
    for test in config["tests"]:
        request: dict[str, Any] = {
            "env": run["env"], "cpu": test["cpu"], "file_bytes": file_bytes,
            "address_space_mb": run.get("address_space_mb")}
        if test["kind"] == "function":
            name = f"_ardoise_test_{test['id']}.py"
            path = os.path.join(WORK, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(test["code"])
            argv = [run["argv"][0], "-E", "-s", "-B", "-c", FUNCTION_DRIVER, name]
            stdin = b""
            request.update(code=FUNCTION_DRIVER, argv=["-c", name])
        else:
            argv = run["argv"]
            stdin = test["stdin"].encode()
            request.update(entry=python_entry, argv=[python_entry])
        outcome: dict[str, Any] | None = None
        if zygote is not None:
            outcome = run_forked(zygote, request, stdin, test["wall"], keep)
            if outcome is None or zygote.control is None:
                zygote = None  # gone: the next tests start their own interpreter
        if outcome is None:
            outcome = run_one(argv, run["env"], stdin, test["cpu"], test["wall"],
                              run.get("address_space_mb"), keep, file_bytes)
        outcome["id"] = test["id"]
        report["tests"].append(outcome)
    if zygote is not None:
        zygote.stop()
    print(nonce + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
