"""A guarded runner for short teacher-authored Python: item variant generators and formulas.

The code is compiled with RestrictedPython's policy plus ours (see
``docs/restricted-python.md``) and run in a child process under CPU, memory, wall-clock,
process, file and descriptor limits; only a JSON value comes back.

This is NOT a security boundary for student code. RestrictedPython has had a published
escape nearly every year, and the child runs as the same user as its parent: student code
goes through the real OS sandboxes of :mod:`sandbox.backends`. The guard is here so that a
teacher's mistake (an endless loop, a huge list, a stray import) cannot hurt the server, and
so that a careless or curious author does not reach the host from a formula.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

JSON: TypeAlias = "dict[str, JSON] | list[JSON] | str | int | float | bool | None"
ErrorCode = Literal[
    "compile_error", "runtime_error", "time_limit", "memory_limit", "bad_result", "forbidden"
]

CHILD = Path(__file__).with_name("restricted_child.py")
# The interpreter, RestrictedPython and the allowed modules take ~20 MB of address space;
# the child narrows this ceiling to what it uses plus memory_mb once it has loaded.
INTERPRETER_MB = 96
FD_LIMIT = 32
# String hashing is fixed so that iterating a set gives the same order for the same seed.
CHILD_ENV = {"PYTHONHASHSEED": "0", "LC_ALL": "C.UTF-8"}
STDERR_SHOWN = 2000


@dataclass(frozen=True)
class GuardLimits:
    """Resource limits of one guarded run."""

    cpu_seconds: float = 1.0
    wall_seconds: float = 3.0
    memory_mb: int = 128
    result_bytes: int = 64 * 1024  # size of the JSON result

    def __post_init__(self) -> None:
        if not 0 < self.cpu_seconds <= 60:
            raise ValueError("cpu_seconds must be in (0, 60]")
        if not 0 < self.wall_seconds <= 120:
            raise ValueError("wall_seconds must be in (0, 120]")
        if not 16 <= self.memory_mb <= 4096:
            raise ValueError("memory_mb must be in [16, 4096]")
        if not 2 <= self.result_bytes <= 16 * 1024 * 1024:
            raise ValueError("result_bytes must be in [2, 16 MiB]")


DEFAULT_LIMITS = GuardLimits()


class RestrictedError(Exception):
    """Teacher code did not produce a result; ``code`` is stable, ``message`` is English detail.

    The web layer translates ``code``; ``message`` (with line numbers) is for logs and for
    the teacher who wrote the code.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: ErrorCode = code
        self.message = message


def check_source(source: str) -> list[str]:
    """Compile with RestrictedPython's policy plus our checks; return error messages (empty = ok).

    For authoring-form validation. Each message starts with ``Line N:``. The compile runs in
    the child too: compiler warnings are captured there without touching this process's
    warning filters, which are shared by every thread.
    """
    try:
        response = _run_child({"mode": "check", "source": source}, DEFAULT_LIMITS)
    except RestrictedError as error:
        return [f"Line 1: the code could not be checked ({error.code}): {error.message}"]
    return [str(message) for message in response["errors"]]


def run_restricted(
    source: str,
    function: str = "generate",
    arguments: Mapping[str, JSON] | None = None,
    seed: int | None = None,
    limits: GuardLimits = DEFAULT_LIMITS,
) -> JSON:
    """Compile `source`, run it in a child process under limits, return `function(**arguments)`.

    The result is JSON-serialisable, or the run fails with ``bad_result``. The module-level
    code of `source` runs first, then `function`. A seeded ``random.Random(seed)`` is offered
    as the global ``rng`` and as the module ``random``, so the same seed gives the same result.

    :raises RestrictedError: whatever went wrong in the teacher's code or its limits.
    :raises ValueError: `function` is not a public identifier.
    :raises TypeError: `arguments` are not JSON.
    """
    if not function.isidentifier() or function.startswith("_"):
        raise ValueError(f"not a function name teacher code may define: {function!r}")
    request = {"mode": "run", "source": source, "function": function,
               "arguments": dict(arguments or {}), "seed": seed}
    response = _run_child(request, limits)
    return cast(JSON, json.loads(response["result_json"]))


#: Most seeds one batch may run.
MAX_BATCH = 1000


def run_restricted_batch(
    source: str,
    seeds: list[int],
    function: str = "generate",
    limits: GuardLimits = DEFAULT_LIMITS,
) -> list[JSON]:
    """Like :func:`run_restricted` without arguments, once per seed, in one child process.

    Each seed gets a fresh module namespace and its own seeded ``rng``, so the result for a
    seed is the one :func:`run_restricted` gives for it. ``limits`` are per seed: the CPU
    and wall-clock limits of the batch are scaled by the number of seeds (within the
    guard's maxima), memory and result size are not. The first seed that fails fails the
    batch; its :class:`RestrictedError` message names the seed.
    """
    if not function.isidentifier() or function.startswith("_"):
        raise ValueError(f"not a function name teacher code may define: {function!r}")
    if not 0 < len(seeds) <= MAX_BATCH or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        raise ValueError(f"seeds must be 1 to {MAX_BATCH} integers")
    count = len(seeds)
    scaled = GuardLimits(cpu_seconds=min(60.0, limits.cpu_seconds * count),
                         wall_seconds=min(120.0, limits.wall_seconds + limits.cpu_seconds * count),
                         memory_mb=limits.memory_mb, result_bytes=limits.result_bytes)
    request: dict[str, Any] = {"mode": "batch", "source": source, "function": function,
                               "arguments": {}, "seeds": list(seeds), "seed": None}
    response = _run_child(request, scaled)
    return [cast(JSON, json.loads(text)) for text in response["results_json"]]


def _run_child(request: dict[str, Any], limits: GuardLimits) -> dict[str, Any]:
    data = json.dumps({**request, "cpu_seconds": limits.cpu_seconds,
                       "memory_mb": limits.memory_mb, "result_bytes": limits.result_bytes},
                      allow_nan=False).encode()
    process = subprocess.Popen(
        # -s -P: no user site, no script directory on sys.path. Not -I: its -E would drop
        # PYTHONHASHSEED, and the environment is ours entirely anyway.
        [sys.executable, "-s", "-P", "-B", str(CHILD)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        cwd="/", env=CHILD_ENV, start_new_session=True, preexec_fn=_child_limits(limits),
    )
    killed = False
    try:
        out, err = process.communicate(data, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        killed = True
        _kill_group(process)
        out, err = process.communicate()
    finally:
        if process.poll() is None:  # an exception of ours (KeyboardInterrupt): leave nothing
            _kill_group(process)
            process.wait()
    response = _parse(out)
    if response is not None:
        if response.get("ok"):
            return response
        message = response["message"]
        if "seed" in response:
            message = f"seed {response['seed']}: {message}"
        raise RestrictedError(response["code"], message)
    raise _failure(process.returncode, killed, err, limits)


def _parse(out: bytes) -> dict[str, Any] | None:
    try:
        response = json.loads(out)
    except ValueError:
        return None
    return response if isinstance(response, dict) else None


def _failure(returncode: int, killed: bool, err: bytes, limits: GuardLimits) -> RestrictedError:
    """Name what ended a child that gave no response."""
    if killed:
        return RestrictedError("time_limit", f"the code ran longer than {limits.wall_seconds} s")
    if returncode in (-signal.SIGXCPU, -signal.SIGPROF):
        return RestrictedError("time_limit",
                               f"the code used more than {limits.cpu_seconds} s of CPU time")
    if returncode == -signal.SIGKILL:  # not ours: the system's memory killer
        return RestrictedError("memory_limit", "the code was killed by the system")
    if returncode == -signal.SIGXFSZ:
        return RestrictedError("forbidden", "the code tried to write a file")
    stderr = err.decode(errors="replace")
    if "MemoryError" in stderr:
        return RestrictedError("memory_limit",
                               f"the code used more than {limits.memory_mb} MB of memory")
    detail = stderr[-STDERR_SHOWN:].strip() or "no output"
    return RestrictedError("runtime_error",
                           f"the guard's child process failed (exit {returncode}): {detail}")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # start_new_session: its group id is its pid
    except ProcessLookupError:
        pass


def _child_limits(limits: GuardLimits) -> Callable[[], None]:
    """The rlimits set between fork and exec (values computed here, before the fork)."""
    cpu = math.ceil(limits.cpu_seconds) + 1  # a backstop: the child's timer is the exact limit
    address_space = (limits.memory_mb + INTERPRETER_MB) * 1024 * 1024
    wanted = [
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL one s later
        (resource.RLIMIT_AS, address_space, address_space),
        (resource.RLIMIT_NPROC, 0, 0),  # no fork, no threads
        (resource.RLIMIT_FSIZE, 0, 0),  # no file can be written
        (resource.RLIMIT_NOFILE, FD_LIMIT, FD_LIMIT),
        (resource.RLIMIT_CORE, 0, 0),
    ]

    def apply() -> None:
        for kind, soft, hard in wanted:
            _, current = resource.getrlimit(kind)
            if current != resource.RLIM_INFINITY:
                soft, hard = min(soft, current), min(hard, current)
            resource.setrlimit(kind, (soft, hard))

    return apply
