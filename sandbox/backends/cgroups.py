"""Per-slot control groups (v1 or v2): the memory limit, CPU and memory readings.

Each sandbox slot owns one group per controller, created once and reused; a run resets
its counters, sets its limits and reads them back afterwards. Requires root.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_NAME = "ardoise-sandbox"


@dataclass(frozen=True)
class Usage:
    cpu_ms: int
    memory_kb: int
    oom_kills: int


def _write(path: Path, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: Path) -> str:
    with open(path) as handle:
        return handle.read()


def _keyed(text: str) -> dict[str, int]:
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            values[parts[0]] = int(parts[1])
    return values


class SlotGroup(ABC):
    """The control group(s) of one slot."""

    @abstractmethod
    def prepare(self, memory_mb: int) -> None:
        """Set the limits of the next run and reset the counters it will be measured by."""

    @abstractmethod
    def join_paths(self) -> list[Path]:
        """Files a process writes ``0`` into to enter the group (the slot's spawner does,
        once; the runs are born in it). Processes are limited per uid (RLIMIT_NPROC), not
        here, so that spawners of several workers may share a slot's group."""

    @abstractmethod
    def usage(self) -> Usage: ...

    @abstractmethod
    def pids(self) -> list[int]: ...


class V1Group(SlotGroup):
    def __init__(self, uid: int) -> None:
        name = f"{GROUP_NAME}/uid-{uid}"
        self.memory = CGROUP_ROOT / "memory" / name
        self.cpuacct = CGROUP_ROOT / "cpuacct" / name
        for path in (self.memory, self.cpuacct):
            path.mkdir(parents=True, exist_ok=True)
        self._swap = (self.memory / "memory.memsw.limit_in_bytes").exists()
        self._oom_before = 0

    def prepare(self, memory_mb: int) -> None:
        # Written on every run, never cached: another worker process may have set the
        # slot's group for its own run since.
        limit = str(memory_mb * 1024 * 1024)
        files = ["memory.limit_in_bytes"]
        if self._swap:
            files.append("memory.memsw.limit_in_bytes")
        # memsw must stay >= limit at every moment: raise memsw first, lower it last.
        try:
            for name in reversed(files):
                _write(self.memory / name, limit)
        except OSError:
            for name in files:
                _write(self.memory / name, limit)
        _write(self.memory / "memory.max_usage_in_bytes", "0")
        if self._swap:
            _write(self.memory / "memory.memsw.max_usage_in_bytes", "0")
        _write(self.cpuacct / "cpuacct.usage", "0")
        self._oom_before = _keyed(_read(self.memory / "memory.oom_control")).get("oom_kill", 0)

    def join_paths(self) -> list[Path]:
        return [self.memory / "cgroup.procs", self.cpuacct / "cgroup.procs"]

    def usage(self) -> Usage:
        peak_file = "memory.memsw.max_usage_in_bytes" if self._swap else "memory.max_usage_in_bytes"
        oom = _keyed(_read(self.memory / "memory.oom_control")).get("oom_kill", 0)
        return Usage(cpu_ms=int(_read(self.cpuacct / "cpuacct.usage")) // 1_000_000,
                     memory_kb=int(_read(self.memory / peak_file)) // 1024,
                     oom_kills=oom - self._oom_before)

    def pids(self) -> list[int]:
        return [int(p) for p in _read(self.memory / "cgroup.procs").split()]


class V2Group(SlotGroup):
    def __init__(self, uid: int) -> None:
        parent = CGROUP_ROOT / GROUP_NAME
        parent.mkdir(exist_ok=True)
        enabled = _read(parent / "cgroup.subtree_control").split()
        wanted = [c for c in ("memory", "cpu") if c not in enabled]
        if wanted:
            _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in wanted))
        self.path = parent / f"uid-{uid}"
        self.path.mkdir(exist_ok=True)
        self._swap = (self.path / "memory.swap.max").exists()
        self._before = Usage(0, 0, 0)

    def prepare(self, memory_mb: int) -> None:
        # Written on every run: another worker process may have changed it since.
        _write(self.path / "memory.max", str(memory_mb * 1024 * 1024))
        if self._swap:
            _write(self.path / "memory.swap.max", "0")
        if (self.path / "memory.peak").exists():
            try:
                _write(self.path / "memory.peak", "0")  # resettable since Linux 6.12
            except OSError:
                pass
        self._before = self._raw()

    def _raw(self) -> Usage:
        cpu = _keyed(_read(self.path / "cpu.stat")).get("usage_usec", 0) // 1000
        peak_file = self.path / "memory.peak"
        peak = int(_read(peak_file)) // 1024 if peak_file.exists() else 0
        oom = _keyed(_read(self.path / "memory.events")).get("oom_kill", 0)
        return Usage(cpu, peak, oom)

    def join_paths(self) -> list[Path]:
        return [self.path / "cgroup.procs"]

    def usage(self) -> Usage:
        now = self._raw()
        return Usage(now.cpu_ms - self._before.cpu_ms, now.memory_kb,
                     now.oom_kills - self._before.oom_kills)

    def pids(self) -> list[int]:
        return [int(p) for p in _read(self.path / "cgroup.procs").split()]


def cgroup_version() -> int | None:
    """1 or 2 when memory and CPU accounting are both available to us, else None."""
    if all((CGROUP_ROOT / c / "cgroup.procs").exists() for c in ("memory", "cpuacct")):
        return 1
    controllers = CGROUP_ROOT / "cgroup.controllers"
    if controllers.exists() and {"memory", "cpu"} <= set(_read(controllers).split()):
        return 2
    return None


def slot_group(uid: int, version: int) -> SlotGroup:
    """The group of the slot running as ``uid`` (named by uid: a uid is locked machine-wide)."""
    return V1Group(uid) if version == 1 else V2Group(uid)
