"""Python 3, run by the root file system's interpreter in isolated mode."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.languages.base import LanguageProfile, Step
from sandbox.spec import Limits


@dataclass(frozen=True)
class Python3(LanguageProfile):
    name: str = "python3"
    default_entry: str = "main.py"
    requires: tuple[str, ...] = ("/usr/bin/python3",)
    memory_markers: tuple[bytes, ...] = (b"\nMemoryError",)

    def run_step(self, entry: str, args: tuple[str, ...], limits: Limits) -> Step:
        # -E -s rather than -I: a program's own modules beside it must stay importable.
        return Step(["/usr/bin/python3", "-E", "-s", "-B", entry, *args],
                    {"PYTHONIOENCODING": "utf-8"})
