"""C (gcc) and C++ (g++): every source of the language is compiled into ``./main``."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.languages.base import LanguageProfile, Step
from sandbox.spec import Limits


@dataclass(frozen=True)
class C(LanguageProfile):
    name: str = "c"
    default_entry: str = "main.c"
    requires: tuple[str, ...] = ("/usr/bin/gcc",)
    compiler: str = "/usr/bin/gcc"
    standard: str = "-std=gnu17"
    suffixes: tuple[str, ...] = (".c",)
    libraries: tuple[str, ...] = ("-lm",)

    def compile_step(self, sources: list[str], entry: str, limits: Limits) -> Step:
        units = sorted(s for s in sources if s.endswith(self.suffixes)) or [entry]
        return Step([self.compiler, self.standard, "-O2", "-pipe", "-fdiagnostics-color=never",
                     "-o", "main", *units, *self.libraries])

    def run_step(self, entry: str, args: tuple[str, ...], limits: Limits) -> Step:
        return Step(["./main", *args])

    def address_space_mb(self, limits: Limits) -> int:
        return limits.memory_mb + 64


@dataclass(frozen=True)
class Cpp(C):
    name: str = "cpp"
    default_entry: str = "main.cpp"
    requires: tuple[str, ...] = ("/usr/bin/g++",)
    compiler: str = "/usr/bin/g++"
    standard: str = "-std=gnu++17"
    suffixes: tuple[str, ...] = (".cpp", ".cc", ".cxx")
