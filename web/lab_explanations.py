"""Beginner-friendly explanations of a run's errors, for the coding lab's JSON answers.

What is explained: the compiler's output when the code did not compile, else the error
output of the first visible test that failed (a hidden test's output is never read, so an
explanation cannot leak it). Each explanation is :class:`coding_lab.explain.Explanation`
as a dict (``code``, ``file``, ``line``, ``column``, ``params``, ``raw``) with its words in
the caller's language (``title``, ``meaning``, ``cause``, ``hint``) from
:mod:`web.lab_messages`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coding_lab.explain import LANGUAGES, explain
from web.lab_messages import explanation_text

FAILED = {"failed", "runtime_error", "time_limit", "memory_limit", "output_limit"}


def error_text(compile_output: str, tests: Sequence[Mapping[str, Any]]) -> str:
    """The text worth explaining: compiler output, else the first failing visible test's
    error output."""
    if compile_output.strip():
        return compile_output
    for test in tests:
        if not test.get("hidden") and test.get("verdict") in FAILED and test.get("stderr"):
            return str(test["stderr"])
    return ""


def explanations_for(language: str, files: Mapping[str, str], compile_output: str,
                     tests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    text = error_text(compile_output, tests)
    if language not in LANGUAGES or not text:
        return []
    return [{**explanation.to_dict(), **explanation_text(explanation)} for explanation in
            explain(language, text, student_files=list(files), sources=dict(files))]
