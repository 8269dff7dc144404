"""The hostile suite's harness: programs as run specs, runs under a deadline, parsed probes."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from sandbox import InvalidSpec, Limits, RunResult, RunSpec, SandboxUnavailable, run

PROGRAMS = Path(__file__).parent / "programs"
BACKENDS = ("process", "docker")

#: Small limits keep the suite fast on two cores.
SMALL = Limits(cpu_seconds=1, wall_seconds=3, memory_mb=128, processes=32)
#: Managed runtimes start a dozen threads and reserve more memory before running a line.
MANAGED = Limits(cpu_seconds=2, wall_seconds=6, memory_mb=256, processes=64)
#: Time the trusted side gets beyond the wall limit (compile included) before we call it hung.
HANG_MARGIN = 60.0



@dataclass(frozen=True)
class BackendUnderTest:
    """A backend by name, with the reason it cannot run code here (``None`` when it can)."""

    name: str
    problem: str | None


def program(relative: str) -> str:
    return (PROGRAMS / relative).read_text()


def python_spec(name: str, ctx: Mapping[str, Any], limits: Limits = SMALL,
                **extra: Any) -> RunSpec:
    files = {"main.py": program(f"python/{name}.py"), **extra.pop("files", {})}
    return RunSpec(language="python3", files=files, args=(json.dumps(ctx),), limits=limits,
                   **extra)


def c_spec(name: str, ctx: Mapping[str, Any], limits: Limits = SMALL, **extra: Any) -> RunSpec:
    return RunSpec(language="c", files={"main.c": program(f"c/{name}.c")},
                   args=(json.dumps(ctx), *ctx_args(ctx)), limits=limits, **extra)


def java_spec(name: str, args: Sequence[str], limits: Limits = MANAGED, **extra: Any) -> RunSpec:
    return RunSpec(language="java", files={"Main.java": program(f"java/{name}/Main.java")},
                   args=tuple(args), limits=limits, **extra)


def js_spec(name: str, ctx: Mapping[str, Any], limits: Limits = MANAGED,
            **extra: Any) -> RunSpec:
    return RunSpec(language="javascript", files={"main.js": program(f"javascript/{name}.js")},
                   args=(json.dumps(ctx),), limits=limits, **extra)


def ctx_args(ctx: Mapping[str, Any]) -> tuple[str, ...]:
    """Plain arguments for programs without a JSON parser: the marker first."""
    return (str(ctx["marker"]),)


def with_limits(spec: RunSpec, **changes: Any) -> RunSpec:
    return replace(spec, limits=replace(spec.limits, **changes))


def _deadline(spec: RunSpec) -> float:
    compiled = spec.language in ("c", "cpp", "java")
    return spec.limits.wall + (40.0 if compiled else 0.0) + HANG_MARGIN


def run_contained(backend: BackendUnderTest, spec: RunSpec) -> RunResult:
    """Run ``spec`` on ``backend``; fail (never skip) when the backend is missing, raises,
    or the trusted side does not come back in time."""
    return run_together(backend, [spec])[0]


def run_together(backend: BackendUnderTest, specs: Sequence[RunSpec],
                 delays: Sequence[float] = ()) -> list[RunResult]:
    """Run ``specs`` at the same time, each in its own thread (started together, then
    after its delay); fail when one raises or hangs."""
    if backend.problem is not None:
        pytest.fail(f"the {backend.name} backend is unavailable: {backend.problem}",
                    pytrace=False)
    results: list[RunResult | None] = [None] * len(specs)
    errors: list[str] = []
    barrier = threading.Barrier(len(specs))

    def work(index: int, spec: RunSpec) -> None:
        try:
            barrier.wait(timeout=30)
            if index < len(delays) and delays[index]:
                threading.Event().wait(delays[index])
            results[index] = run(spec, backend=backend.name)
        except (InvalidSpec, SandboxUnavailable) as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        except BaseException as exc:  # noqa: BLE001 - any failure of the trusted side counts
            errors.append(f"the trusted side raised {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=work, args=(i, s), daemon=True)
               for i, s in enumerate(specs)]
    for thread in threads:
        thread.start()
    for thread, spec in zip(threads, specs, strict=True):
        thread.join(_deadline(spec) + max(delays, default=0.0))
        if thread.is_alive():
            pytest.fail(f"the trusted side hung: no result {_deadline(spec):.0f} s after "
                        f"the start of a {spec.language} run on {backend.name}", pytrace=False)
    if errors:
        pytest.fail("; ".join(errors), pytrace=False)
    return [r for r in results if r is not None]


@dataclass(frozen=True)
class Probe:
    """One line a hostile program printed: what it tried and whether that worked."""

    name: str
    ok: bool
    detail: Any


def probes(result: RunResult) -> list[Probe]:
    found = []
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and "probe" in data:
                found.append(Probe(str(data["probe"]), bool(data.get("ok")), data.get("detail")))
    return found


def probe_map(result: RunResult) -> dict[str, Probe]:
    return {p.name: p for p in probes(result)}


def succeeded(result: RunResult, prefix: str = "") -> list[Probe]:
    """The probes whose hostile action worked."""
    return [p for p in probes(result) if p.ok and p.name.startswith(prefix)]


def describe(result: RunResult) -> str:
    """A short account of a run for assertion messages."""
    return (f"status={result.status} exit={result.exit_code} signal={result.signal} "
            f"wall_ms={result.wall_ms} cpu_ms={result.cpu_ms}\nstdout={result.stdout[:3000]!r}"
            f"\nstderr={result.stderr[-2000:]!r}\ncompile={result.compile_output[-1500:]!r}")


def require_probes(result: RunResult, *names: str) -> dict[str, Probe]:
    """The probes by name; fails when one is missing (the program died before it)."""
    found = probe_map(result)
    missing = [n for n in names if n not in found]
    assert not missing, f"probes {missing} missing: {describe(result)}"
    return found
