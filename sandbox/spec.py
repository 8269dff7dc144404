"""The sandbox contract: what to run (:class:`RunSpec`) and what came of it (:class:`RunResult`)."""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

from sandbox.files import InvalidSpec, validate_argument, validate_file_name


class Status(StrEnum):
    """The verdict of one run, as in ARCHITECTURE.md."""

    OK = "ok"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    COMPILE_ERROR = "compile_error"
    SANDBOX_ERROR = "sandbox_error"


class SandboxUnavailable(RuntimeError):
    """The chosen backend cannot confine code on this machine; nothing was run.

    ``missing`` names each primitive that is absent, so an operator can fix it.
    """

    def __init__(self, backend: str, missing: list[str]) -> None:
        self.backend = backend
        self.missing = list(missing)
        super().__init__(f"sandbox backend {backend!r} cannot run code here: " + "; ".join(missing))


MAX_CPU_SECONDS = 60.0
MAX_MEMORY_MB = 8192
MAX_PROCESSES = 1024
MAX_OUTPUT_BYTES = 16 * 1024 * 1024
MAX_FILE_SIZE_BYTES = 256 * 1024 * 1024
MAX_FILES = 64
MAX_ARGS = 64
MAX_INPUT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run. ``wall_seconds`` defaults to 2 × CPU + 1."""

    cpu_seconds: float = 2.0
    wall_seconds: float | None = None
    memory_mb: int = 256
    processes: int = 64
    output_bytes: int = 64 * 1024
    file_size_bytes: int = 16 * 1024 * 1024
    #: Size of the work directory (a tmpfs); what the program writes counts against it.
    disk_bytes: int = 64 * 1024 * 1024

    @property
    def wall(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else 2 * self.cpu_seconds + 1

    @property
    def cpu_rlimit(self) -> int:
        """Whole seconds for RLIMIT_CPU: the kernel counts in seconds, we check in ms after."""
        return max(1, math.ceil(self.cpu_seconds))

    def validate(self) -> None:
        checks = [
            (0 < self.cpu_seconds <= MAX_CPU_SECONDS, "cpu_seconds"),
            (0 < self.wall <= 4 * MAX_CPU_SECONDS, "wall_seconds"),
            (16 <= self.memory_mb <= MAX_MEMORY_MB, "memory_mb"),
            (1 <= self.processes <= MAX_PROCESSES, "processes"),
            (0 < self.output_bytes <= MAX_OUTPUT_BYTES, "output_bytes"),
            (0 < self.file_size_bytes <= MAX_FILE_SIZE_BYTES, "file_size_bytes"),
            (1024 * 1024 <= self.disk_bytes <= 4 * MAX_FILE_SIZE_BYTES, "disk_bytes"),
        ]
        for ok, name in checks:
            if not ok:
                raise InvalidSpec(f"limit {name} out of range")


#: Limits of a compile step: compilers need more than a student's program is allowed.
COMPILE_LIMITS = Limits(cpu_seconds=20, wall_seconds=40, memory_mb=1024, processes=64,
                        output_bytes=64 * 1024, file_size_bytes=64 * 1024 * 1024,
                        disk_bytes=128 * 1024 * 1024)


@dataclass(frozen=True)
class RunSpec:
    """What to run. ``files`` maps a plain file name to its content; ``entry`` names the file
    to compile or run (the language's default when omitted; Java's is ``Main.java``).
    ``collect`` names files the program writes that come back in :attr:`RunResult.files`.
    """

    language: str
    files: Mapping[str, str | bytes]
    entry: str | None = None
    stdin: str | bytes = b""
    args: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    collect: tuple[str, ...] = ()

    def validate(self) -> None:
        if not self.files:
            raise InvalidSpec("no files to run")
        if len(self.files) > MAX_FILES:
            raise InvalidSpec("too many files")
        total = 0
        for name, content in self.files.items():
            validate_file_name(name)
            total += len(content.encode() if isinstance(content, str) else content)
        if self.entry is not None and self.entry not in self.files:
            raise InvalidSpec(f"entry {self.entry!r} is not among the files")
        for name in self.collect:
            validate_file_name(name)
        if len(self.args) > MAX_ARGS:
            raise InvalidSpec("too many arguments")
        for arg in self.args:
            validate_argument(arg)
        total += len(self.stdin_bytes)
        if total > MAX_INPUT_BYTES:
            raise InvalidSpec("inputs too large")
        self.limits.validate()

    @property
    def stdin_bytes(self) -> bytes:
        return self.stdin.encode() if isinstance(self.stdin, str) else self.stdin

    def file_bytes(self) -> dict[str, bytes]:
        return {n: c.encode() if isinstance(c, str) else c for n, c in self.files.items()}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe form (bytes as latin-1 strings are ambiguous, so base64 is used)."""
        return {
            "language": self.language,
            "files": {n: base64.b64encode(c).decode() for n, c in self.file_bytes().items()},
            "entry": self.entry,
            "stdin": base64.b64encode(self.stdin_bytes).decode(),
            "args": list(self.args),
            "limits": asdict(self.limits),
            "collect": list(self.collect),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        try:
            return cls(
                language=str(data["language"]),
                files={str(n): base64.b64decode(c, validate=True)
                       for n, c in dict(data["files"]).items()},
                entry=data.get("entry"),
                stdin=base64.b64decode(data.get("stdin", ""), validate=True),
                args=tuple(str(a) for a in data.get("args", ())),
                limits=Limits(**dict(data.get("limits", {}))),
                collect=tuple(str(c) for c in data.get("collect", ())),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidSpec(f"malformed run spec: {exc}") from None


@dataclass(frozen=True)
class RunResult:
    """What came of a run, whatever the backend (fields as in ARCHITECTURE.md).

    ``files`` holds the collected output files that were regular files within the size limit.
    """

    status: Status
    exit_code: int | None = None
    signal: int | None = None
    stdout: str = ""
    stderr: str = ""
    truncated: bool = False
    compile_output: str = ""
    cpu_ms: int = 0
    wall_ms: int = 0
    memory_kb: int = 0
    files: Mapping[str, bytes] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["files"] = {n: base64.b64encode(c).decode() for n, c in self.files.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunResult:
        values = dict(data)
        values["status"] = Status(values["status"])
        values["files"] = {n: base64.b64decode(c) for n, c in dict(values.get("files", {})).items()}
        return cls(**values)

    def with_compile_output(self, output: str) -> RunResult:
        return replace(self, compile_output=output)


def sandbox_error(message: str, wall_ms: int = 0) -> RunResult:
    """A run the sandbox itself could not carry out; the message says why."""
    return RunResult(status=Status.SANDBOX_ERROR, stderr=message, wall_ms=wall_ms)
