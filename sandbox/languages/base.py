"""What a language profile says: how to compile and how to run, inside ``/work``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from sandbox.spec import Limits

#: The program's environment; nothing of the host's leaks in.
BASE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/work",
    "TMPDIR": "/work",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
}


@dataclass(frozen=True)
class Step:
    """One command to run in the work directory, with extra environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LanguageProfile(ABC):
    """A language: its default entry file, its optional compile step and its run step.

    Subclasses override :meth:`compile_step` and :meth:`run_step`; adding a language is
    one small module registered in :mod:`sandbox.languages`.
    """

    name: str
    default_entry: str
    #: Executables the root file system must hold for this language to work.
    requires: tuple[str, ...]
    #: What the runtime prints when it runs out of memory.
    memory_markers: tuple[bytes, ...] = ()

    def compile_step(self, sources: list[str], entry: str, limits: Limits) -> Step | None:
        return None

    @abstractmethod
    def run_step(self, entry: str, args: tuple[str, ...], limits: Limits) -> Step:
        """How to run ``entry`` (or the compiled program) with ``args``."""

    def out_of_memory(self, stderr: bytes) -> bool:
        """Whether a failed run's error output says the runtime ran out of its memory (a
        managed heap sized from the limit fails this way before the cgroup acts)."""
        return bool(self.memory_markers) and any(m in stderr for m in self.memory_markers)

    def address_space_mb(self, limits: Limits) -> int:
        """RLIMIT_AS when no memory cgroup exists; managed runtimes reserve far more than
        they touch, so they get room beyond the limit (the cgroup, when present, is exact)."""
        return limits.memory_mb * 2 + 256
