"""Java: ``javac`` then ``java Main``, with the heap sized from the memory limit."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.languages.base import LanguageProfile, Step
from sandbox.spec import Limits


def heap_mb(memory_mb: int) -> int:
    """The JVM needs room outside its heap (metaspace, code cache, thread stacks)."""
    return max(16, int(memory_mb * 0.6))


JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss16m",
             "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=32m",
             "-XX:-UsePerfData", "-Xshare:auto"]


@dataclass(frozen=True)
class Java(LanguageProfile):
    name: str = "java"
    default_entry: str = "Main.java"
    requires: tuple[str, ...] = ("/usr/bin/java", "/usr/bin/javac")
    memory_markers: tuple[bytes, ...] = (b"java.lang.OutOfMemoryError",)

    def compile_step(self, sources: list[str], entry: str, limits: Limits) -> Step:
        units = sorted(s for s in sources if s.endswith(".java")) or [entry]
        return Step(["/usr/bin/javac", f"-J-Xmx{heap_mb(limits.memory_mb)}m", "-J-XX:+UseSerialGC",
                     "-J-XX:TieredStopAtLevel=1", "-J-XX:-UsePerfData", "-encoding", "UTF-8",
                     "-nowarn", "-d", ".", *units])

    def run_step(self, entry: str, args: tuple[str, ...], limits: Limits) -> Step:
        return Step(["/usr/bin/java", f"-Xmx{heap_mb(limits.memory_mb)}m", *JVM_FLAGS,
                     "-cp", ".", "Main", *args])

    def address_space_mb(self, limits: Limits) -> int:
        return limits.memory_mb * 4 + 2048
