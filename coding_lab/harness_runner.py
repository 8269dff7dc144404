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
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import selectors
import signal
import subprocess
import sys
import time
from typing import Any

PR_SET_DUMPABLE = 4
WORK = "/work"
#: What a test may print before it is stopped, per stream.
KEEP_BYTES_DEFAULT = 64 * 1024


def _non_dumpable() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


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


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_one(argv: list[str], env: dict[str, str], stdin: bytes, cpu_seconds: float,
            wall_seconds: float, address_space_mb: int | None, keep_bytes: int,
            file_bytes: int) -> dict[str, Any]:
    """Run one program; keep at most ``keep_bytes`` of each stream; never wait beyond
    ``wall_seconds``. Returns what happened, raw (the trusted side judges)."""
    began = time.monotonic()
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        process = subprocess.Popen(
            argv, cwd=WORK, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True, close_fds=True,
            preexec_fn=_limits(cpu_seconds, address_space_mb, file_bytes))
    except OSError as error:
        return {"status": "runtime_error", "exit_code": None, "signal": None, "stdout": "",
                "stderr": f"cannot start: {error}", "truncated": False, "wall_ms": 0,
                "cpu_ms": 0}
    assert process.stdin and process.stdout and process.stderr
    chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    sizes = {"stdout": 0, "stderr": 0}
    overflow = timed_out = False
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "stdout")
    selector.register(process.stderr, selectors.EVENT_READ, "stderr")
    pending = memoryview(stdin)
    if pending:
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin, selectors.EVENT_WRITE, "stdin")
    else:
        process.stdin.close()
    open_streams = 2
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
                    selector.unregister(key.fileobj)
                    process.stdin.close()
                continue
            data = os.read(key.fd, 65536)
            if not data:
                selector.unregister(key.fileobj)
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
    _kill_group(process)
    selector.close()
    for stream in (process.stdin, process.stdout, process.stderr):
        try:
            stream.close()
        except OSError:
            pass
    process.wait()
    wall_ms = int((time.monotonic() - began) * 1000)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = int(((usage.ru_utime - usage_before.ru_utime) +
                  (usage.ru_stime - usage_before.ru_stime)) * 1000)
    code = process.returncode
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
    config = json.loads(sys.stdin.buffer.read())
    sys.stdin.close()
    _non_dumpable()
    nonce = config["nonce"]
    report: dict[str, Any] = {"compile": None, "tests": []}
    keep = int(config.get("keep_bytes", KEEP_BYTES_DEFAULT))
    file_bytes = int(config.get("file_bytes", 16 * 1024 * 1024))
    step = config.get("compile")
    if step:
        outcome = run_one(step["argv"], step["env"], b"", step["cpu"], step["wall"], None,
                          keep, 256 * 1024 * 1024)
        report["compile"] = outcome
        if outcome["status"] != "ok":
            print(nonce + json.dumps(report), flush=True)
            return
    run = config["run"]
    for test in config["tests"]:
        if test["kind"] == "function":
            name = f"_ardoise_test_{test['id']}.py"
            path = os.path.join(WORK, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(test["code"])
            argv = [run["argv"][0], "-E", "-s", "-B", "-c", FUNCTION_DRIVER, name]
            stdin = b""
        else:
            argv = run["argv"]
            stdin = test["stdin"].encode()
        outcome = run_one(argv, run["env"], stdin, test["cpu"], test["wall"],
                          run.get("address_space_mb"), keep, file_bytes)
        outcome["id"] = test["id"]
        report["tests"].append(outcome)
    print(nonce + json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
