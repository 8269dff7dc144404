"""Grading a submission: every test in ONE sandbox run, judged on the trusted side.

:func:`grade` builds one :class:`~sandbox.spec.RunSpec` holding the student's files and the
harness (``coding_lab/harness_runner.py``), sends the tests' instructions on the harness's
stdin, and reads its report back from stdout. The expected outputs never enter the
sandbox: the outputs are compared here (:mod:`coding_lab.comparison`), so a program
cannot read a hidden test's answer. What the harness reports is untrusted (the student's
code ran beside it): it is size-bounded by the sandbox, parsed strictly, and anything
missing or malformed counts against the submission, never for it.

A test earns its ``weight`` when it passes; the score is the passed weight over the total,
times the exercise's points. A failed test marked ``stop_on_failure`` makes the tests
after it count as not run (and failed).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from coding_lab.comparison import Comparison, outputs_match
from sandbox.api import Limits, RunResult, RunSpec
from sandbox.api import run as sandbox_run
from sandbox.languages import get_language
from sandbox.spec import COMPILE_LIMITS

RUNNER = Path(__file__).with_name("harness_runner.py")
RUNNER_NAME = "_ardoise_harness.py"
#: Kept of each test's output, per stream, for the student's diff and the teacher.
KEEP_BYTES = 16 * 1024
#: Seconds the harness itself needs besides the tests (interpreter start, bookkeeping).
OVERHEAD_SECONDS = 2.0

Verdict = Literal["passed", "failed", "time_limit", "memory_limit", "output_limit",
                  "runtime_error", "compile_error", "not_run"]


@dataclass(frozen=True)
class TestCase:
    """One test: input/output (``stdin`` → ``expected``), or, for Python, a function test
    (``code``: teacher-written ``test_*`` functions with ``assert``s that import the
    student's functions from ``main``)."""

    __test__: ClassVar[bool] = False  # not a pytest class

    name: str
    stdin: str = ""
    expected: str = ""
    code: str | None = None
    weight: float = 1.0
    hidden: bool = False
    hint: str | Mapping[str, str] = ""  # shown on failure; per language when a mapping
    stop_on_failure: bool = False
    comparison: Comparison | None = None  # the exercise's when None

    @property
    def kind(self) -> str:
        return "function" if self.code is not None else "io"


@dataclass(frozen=True)
class TestLimits:
    __test__: ClassVar[bool] = False  # not a pytest class
    cpu_seconds: float = 2.0
    wall_seconds: float | None = None
    memory_mb: int = 256

    @property
    def wall(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else 2 * self.cpu_seconds + 1


@dataclass(frozen=True)
class TestResult:
    __test__: ClassVar[bool] = False  # not a pytest class
    name: str
    verdict: Verdict
    weight: float
    hidden: bool
    stdout: str = ""
    stderr: str = ""
    expected: str = ""  # the expected output, for a visible test's diff only
    hint: str | Mapping[str, str] = ""
    wall_ms: int = 0
    assertion: str = ""  # a function test's failed assert, as written

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"


@dataclass(frozen=True)
class Grading:
    score: float
    max_score: float
    tests: list[TestResult]
    compile_output: str = ""
    harness_status: str = "ok"  # the sandbox run's own status
    run_wall_ms: int = 0

    @property
    def compiled(self) -> bool:
        return not self.compile_output or all(t.verdict != "compile_error" for t in self.tests)


DEFAULT_LIMITS = TestLimits()
DEFAULT_COMPARISON = Comparison()


def build_run(language: str, files: dict[str, str], tests: Sequence[TestCase],
              limits: TestLimits, entry: str | None = None,
              nonce: str | None = None) -> tuple[RunSpec, str]:
    """The one sandbox run that executes every test; returns it and its report's nonce."""
    profile = get_language(language)
    entry = entry or profile.default_entry
    if entry not in files:
        raise ValueError(f"the entry file {entry} is missing")
    if RUNNER_NAME in files:
        raise ValueError(f"{RUNNER_NAME} is a reserved file name")
    if any(t.kind == "function" for t in tests) and language != "python3":
        raise ValueError("function tests are written in Python, for Python exercises")
    per_test = Limits(cpu_seconds=limits.cpu_seconds, wall_seconds=limits.wall,
                      memory_mb=limits.memory_mb)
    compile_step = profile.compile_step(sorted(files), entry, COMPILE_LIMITS)
    run_step = profile.run_step(entry, (), per_test)
    nonce = nonce or secrets.token_hex(16)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/work", "TMPDIR": "/work",
           "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    config = {
        "nonce": nonce, "keep_bytes": KEEP_BYTES,
        "compile": None if compile_step is None else {
            "argv": compile_step.argv, "env": {**env, **compile_step.env},
            "cpu": COMPILE_LIMITS.cpu_seconds, "wall": COMPILE_LIMITS.wall},
        "run": {"argv": run_step.argv, "env": {**env, **run_step.env},
                "address_space_mb": None if profile.name == "java"
                else profile.address_space_mb(per_test),
                # Python tests are forked from the harness's fork server, which runs this
                # file as ``python3 <entry>`` does (the other languages start a process).
                "python_entry": entry if profile.name == "python3" else None},
        "tests": [{"id": n, "kind": t.kind, "stdin": t.stdin, "code": t.code,
                   "cpu": limits.cpu_seconds, "wall": limits.wall}
                  for n, t in enumerate(tests)],
    }
    compile_seconds = COMPILE_LIMITS.cpu_seconds if compile_step else 0.0
    cpu = min(60.0, OVERHEAD_SECONDS + compile_seconds + limits.cpu_seconds * len(tests))
    wall = min(240.0, OVERHEAD_SECONDS + (COMPILE_LIMITS.wall if compile_step else 0.0)
               + limits.wall * len(tests))
    spec = RunSpec(
        language="python3", files={**files, RUNNER_NAME: RUNNER.read_text(encoding="utf-8")},
        entry=RUNNER_NAME, stdin=json.dumps(config),
        limits=Limits(cpu_seconds=cpu, wall_seconds=wall,
                      memory_mb=max(limits.memory_mb + 128,
                                    1024 if compile_step else limits.memory_mb + 128),
                      processes=128,
                      output_bytes=min(16 * 1024 * 1024, 2 * KEEP_BYTES * (len(tests) + 1)
                                       + 64 * 1024)))
    return spec, nonce


def read_report(result: RunResult, nonce: str) -> dict[str, Any] | None:
    """The harness's report from its stdout, or ``None`` when there is none to trust."""
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(nonce):
            try:
                report = json.loads(line[len(nonce):])
            except ValueError:
                return None
            return report if isinstance(report, dict) else None
    return None


def _text(value: Any) -> str:
    return value[:KEEP_BYTES * 2] if isinstance(value, str) else ""


def judge(tests: Sequence[TestCase], report: dict[str, Any] | None, default: Comparison,
          points: float, result: RunResult) -> Grading:
    """Verdicts and score from the harness's report; a test without an entry is not run."""
    outcomes: dict[int, dict[str, Any]] = {}
    compile_output = ""
    if report is not None:
        compiled = report.get("compile")
        if isinstance(compiled, dict) and compiled.get("status") != "ok":
            compile_output = (_text(compiled.get("stderr")) + _text(compiled.get("stdout")))
            compile_output = compile_output.strip() or "compilation failed"
        for entry in report.get("tests") or []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), int):
                outcomes.setdefault(entry["id"], entry)
    verdicts: list[TestResult] = []
    stopped = False
    for n, test in enumerate(tests):
        outcome = outcomes.get(n)
        verdict: Verdict
        if compile_output:
            verdict = "compile_error"
        elif stopped or outcome is None:
            verdict = "not_run"
        else:
            status = outcome.get("status")
            if status == "ok" and (test.kind == "function" or outputs_match(
                    _text(outcome.get("stdout")), test.expected, test.comparison or default)):
                verdict = "passed"
            elif status == "ok":
                verdict = "failed"
            elif status in ("time_limit", "memory_limit", "output_limit", "runtime_error"):
                verdict = status
                if test.kind == "function" and "ASSERTION\x1f" in _text(outcome.get("stderr")):
                    verdict = "failed"
            else:
                verdict = "not_run"
        stderr = _text(outcome.get("stderr")) if outcome else ""
        assertion = ""
        if "ASSERTION\x1f" in stderr:
            line, source, message = (stderr.split("ASSERTION\x1f", 1)[1].strip()
                                     .split("\x1f") + ["", ""])[:3]
            assertion = source.strip() or f"line {line}"
            if message and message not in assertion:
                assertion += f" — {message}"
            stderr = stderr.split("ASSERTION\x1f", 1)[0]
        verdicts.append(TestResult(
            name=test.name, verdict=verdict, weight=test.weight, hidden=test.hidden,
            stdout=_text(outcome.get("stdout")) if outcome else "", stderr=stderr,
            expected=test.expected, hint=test.hint if verdict != "passed" else "",
            wall_ms=int(outcome.get("wall_ms") or 0) if outcome else 0, assertion=assertion))
        if verdict != "passed" and test.stop_on_failure:
            stopped = True
    total = sum(t.weight for t in tests)
    passed = sum(v.weight for v in verdicts if v.passed)
    score = round(points * passed / total, 4) if total else 0.0
    return Grading(score=score, max_score=points, tests=verdicts,
                   compile_output=compile_output, harness_status=result.status,
                   run_wall_ms=result.wall_ms)


def grade(language: str, files: dict[str, str], tests: Sequence[TestCase],
          limits: TestLimits = DEFAULT_LIMITS, comparison: Comparison = DEFAULT_COMPARISON,
          points: float = 100.0, entry: str | None = None,
          backend: str = "auto") -> Grading:
    """Run every test of one submission in one sandbox run and judge it."""
    spec, nonce = build_run(language, files, tests, limits, entry)
    result = sandbox_run(spec, backend=backend)
    return judge(tests, read_report(result, nonce), comparison, points, result)
