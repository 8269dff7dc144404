"""JavaScript on Node.js, with V8's old space sized from the memory limit."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.languages.base import LanguageProfile, Step
from sandbox.spec import Limits


def old_space_mb(memory_mb: int) -> int:
    return max(16, int(memory_mb * 0.75))


@dataclass(frozen=True)
class JavaScript(LanguageProfile):
    name: str = "javascript"
    default_entry: str = "main.js"
    requires: tuple[str, ...] = ("/usr/bin/node",)
    memory_markers: tuple[bytes, ...] = (b"JavaScript heap out of memory",)

    def run_step(self, entry: str, args: tuple[str, ...], limits: Limits) -> Step:
        return Step(["/usr/bin/node", f"--max-old-space-size={old_space_mb(limits.memory_mb)}",
                     "--stack-size=4000", entry, *args])

    def address_space_mb(self, limits: Limits) -> int:
        return limits.memory_mb * 4 + 4096
