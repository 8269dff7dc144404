"""What every backend provides, and the compile-then-run sequence they share."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace

from sandbox.languages import BASE_ENV, LanguageProfile, Step, get_language
from sandbox.spec import COMPILE_LIMITS, Limits, RunResult, RunSpec, Status, sandbox_error

#: Compiler output kept in ``compile_output``.
COMPILE_OUTPUT_BYTES = 64 * 1024


@dataclass(frozen=True)
class StepOutcome:
    """How one command ended, as measured by the backend."""

    exit_code: int | None
    signal: int | None
    stdout: bytes
    stderr: bytes
    cpu_ms: int
    wall_ms: int
    memory_kb: int
    output_exceeded: bool = False
    wall_exceeded: bool = False
    cpu_exceeded: bool = False
    memory_exceeded: bool = False
    #: Processes of the run still alive when its main process ended (they were killed).
    left_processes: bool = False


class Workspace(ABC):
    """One confined place for the steps of one run (a process slot or a pooled container)."""

    @abstractmethod
    def write_inputs(self, files: dict[str, bytes]) -> None: ...

    @abstractmethod
    def execute(self, step: Step, limits: Limits, stdin: bytes) -> StepOutcome: ...

    @abstractmethod
    def collect(self, names: tuple[str, ...], limit: int) -> dict[str, bytes]: ...


class Backend(ABC):
    """A way to confine code. :meth:`missing` names what this machine lacks for it."""

    name: str

    @abstractmethod
    def missing(self) -> list[str]:
        """Primitives this backend needs and cannot find; empty when it can run code."""

    @abstractmethod
    def workspace(self, spec: RunSpec) -> AbstractContextManager[Workspace]:
        """A fresh, empty workspace sized for ``spec``; released (and cleaned) on exit."""

    def run(self, spec: RunSpec) -> RunResult:
        profile = get_language(spec.language)
        started = time.monotonic()
        try:
            with self.workspace(spec) as workspace:
                return run_steps(workspace, spec, profile)
        except SandboxFailure as exc:
            return sandbox_error(str(exc), int((time.monotonic() - started) * 1000))


class SandboxFailure(RuntimeError):
    """The sandbox machinery itself failed during a run; reported as ``sandbox_error``."""


def step_env(step: Step) -> dict[str, str]:
    return {**BASE_ENV, **step.env}


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def verdict(outcome: StepOutcome) -> Status:
    if outcome.output_exceeded:
        return Status.OUTPUT_LIMIT
    if outcome.memory_exceeded:
        return Status.MEMORY_LIMIT
    if outcome.cpu_exceeded or outcome.wall_exceeded:
        return Status.TIME_LIMIT
    if outcome.signal is not None or outcome.exit_code != 0:
        return Status.RUNTIME_ERROR
    return Status.OK


def compile_message(outcome: StepOutcome) -> str:
    output = (outcome.stdout + outcome.stderr)[:COMPILE_OUTPUT_BYTES]
    status = verdict(outcome)
    if status in (Status.TIME_LIMIT, Status.MEMORY_LIMIT, Status.OUTPUT_LIMIT):
        output += f"\n[compilation stopped: {status}]".encode()
    return _text(output)


def run_steps(workspace: Workspace, spec: RunSpec, profile: LanguageProfile) -> RunResult:
    """Write the inputs, compile when the language needs it, run, and collect."""
    files = spec.file_bytes()
    entry = spec.entry or profile.default_entry
    workspace.write_inputs(files)
    compile_output = ""
    compile_step = profile.compile_step(sorted(files), entry, spec.limits)
    if compile_step is not None:
        limits = Limits(
            cpu_seconds=COMPILE_LIMITS.cpu_seconds, wall_seconds=COMPILE_LIMITS.wall,
            memory_mb=max(COMPILE_LIMITS.memory_mb, spec.limits.memory_mb),
            processes=COMPILE_LIMITS.processes, output_bytes=COMPILE_OUTPUT_BYTES,
            file_size_bytes=COMPILE_LIMITS.file_size_bytes, disk_bytes=spec.limits.disk_bytes)
        compiled = workspace.execute(compile_step, limits, b"")
        compile_output = compile_message(compiled)
        if verdict(compiled) is not Status.OK:
            return RunResult(status=Status.COMPILE_ERROR, exit_code=compiled.exit_code,
                             signal=compiled.signal, compile_output=compile_output,
                             cpu_ms=compiled.cpu_ms, wall_ms=compiled.wall_ms,
                             memory_kb=compiled.memory_kb)
    outcome = workspace.execute(profile.run_step(entry, spec.args, spec.limits), spec.limits,
                                spec.stdin_bytes)
    if (verdict(outcome) is Status.RUNTIME_ERROR and profile.out_of_memory(outcome.stderr)):
        outcome = replace(outcome, memory_exceeded=True)
    collected = workspace.collect(spec.collect, spec.limits.file_size_bytes)
    return RunResult(
        status=verdict(outcome),
        exit_code=outcome.exit_code,
        signal=outcome.signal,
        stdout=_text(outcome.stdout),
        stderr=_text(outcome.stderr),
        truncated=outcome.output_exceeded,
        compile_output=compile_output,
        cpu_ms=outcome.cpu_ms,
        wall_ms=outcome.wall_ms,
        memory_kb=outcome.memory_kb,
        files=collected,
    )


def iter_chunks(data: bytes, size: int = 1 << 16) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]
