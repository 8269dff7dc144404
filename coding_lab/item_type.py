"""The ``code`` item type: a programming question in an exam, graded in the sandbox.

Registered with the item bank through the ``ardoise.item_types`` entry point. Content::

    {"stem": {"fr", "en"},            # Markdown, as any item's
     "language": "python3",           # any sandbox language
     "starter": "",                   # code the answer box starts with
     "tests": [{"name", "stdin", "expected", "code"?, "testcode"?, "weight", "hidden",
                "comparison"?, "tolerance"?, "relative_tolerance"?, "stop_on_failure"}],
     "comparison": "trailing_whitespace", "tolerance": 0.0, "relative_tolerance": false,
     "limits": {"cpu_seconds": 2.0, "memory_mb": 256},
     "all_or_nothing": false,         # true: full points only when every test passes
     "points": 1}

A test is input/output (the program run on ``stdin``, its output compared with
``expected`` on the trusted side), a Python function test (``code``: ``test_*``
functions with ``assert``s that import the student's functions from ``main``), or, for
Python, a CodeRunner-style test (``testcode``: Python run after the student's program in
the same namespace, e.g. ``print(sqr(-7))``, whose output is compared with ``expected``).

The student's browser receives the stem, the language, the starter code and the longest
answer (:meth:`CodeItem.render`): never a test. The response is ``{"code": str}``.

Scoring runs every test of the answer in ONE sandbox run through
:func:`coding_lab.harness.grade`, on the backend named by ``ARDOISE_SANDBOX_BACKEND`` (read
when the answer is scored, as the worker that runs code reads it). The type says
``needs_sandbox``, so an exam scores it apart from the other items: after the attempt is
submitted, ``exam_engine.grading.grade_attempt`` leaves the slot awaiting the sandbox and
the ``ardoise.grade_attempt_code`` task, on the ``sandbox`` queue, calls
:meth:`CodeItem.score` with no lock held on the attempt while the code runs
(``exam_engine.grading.score_awaiting_sandbox``). The student sees nothing of the run
during the exam, and the score's feedback gives counts of passed tests and the names of
the failed visible tests only, never a hidden test's name, input or output. When no
backend can run code, :class:`sandbox.SandboxUnavailable` is raised, and when the sandbox
fails to run the harness, :class:`CodeNotRun`: never a zero (the task retries later, and
the slot keeps awaiting the sandbox meanwhile).
"""

from __future__ import annotations

import json
import math
from typing import Any

from ardoise.config import sandbox_backend_from_env
from ardoise.errors import Invalid
from coding_lab.comparison import MODES, Comparison, check_pattern
from coding_lab.harness import Grading, TestCase, TestLimits, grade
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map
from sandbox.languages import get_language, language_names

MAX_CODE = 64 * 1024
MAX_TEST_TEXT = 256 * 1024
MAX_TESTS = 50
#: The entry run by a Python item that has CodeRunner-style tests (see ``DRIVER``).
DRIVER_NAME = "_ardoise_testcode.py"
#: Reads the test's code (one JSON line put before the test's stdin), then runs the
#: student's ``main.py`` and that code in one namespace, as CodeRunner's Python template
#: does. The expected output stays outside the sandbox.
DRIVER = """import json, sys
_test = json.loads(sys.stdin.readline())
_scope = {"__name__": "__main__", "__builtins__": __builtins__}
with open("main.py", encoding="utf-8") as _file:
    _source = _file.read()
del _file
exec(compile(_source, "main.py", "exec"), _scope)
exec(compile(_test, "test", "exec"), _scope)
"""

TEST_KEYS = {"name", "stdin", "expected", "code", "testcode", "weight", "hidden",
             "comparison", "tolerance", "relative_tolerance", "stop_on_failure"}


def _number(value: Any, low: float, high: float, field: str, **params: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not math.isfinite(value) or not low < value <= high:
        raise Invalid("item_invalid", field=field, **params)
    return float(value)


def _comparison(mode: Any, tolerance: Any, relative: Any, field: str,
                **params: Any) -> dict[str, Any]:
    if mode not in MODES:
        raise Invalid("item_invalid", field=field, **params)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or \
            not math.isfinite(tolerance) or tolerance < 0 or not isinstance(relative, bool):
        raise Invalid("item_invalid", field=field, **params)
    return {"comparison": mode, "tolerance": float(tolerance), "relative_tolerance": relative}


def _text(value: Any, field: str, limit: int, **params: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid("item_invalid", field=field, **params)
    return value


def _test(raw: Any, language: str, default_mode: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) - TEST_KEYS:
        raise Invalid("item_invalid", field="tests")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
        raise Invalid("item_invalid", field="tests")
    name = name.strip()
    test: dict[str, Any] = {
        "name": name, "stdin": _text(raw.get("stdin"), "tests", MAX_TEST_TEXT, test=name),
        "expected": _text(raw.get("expected"), "tests", MAX_TEST_TEXT, test=name),
        "weight": _number(raw.get("weight", 1), 0, 1000, "tests", test=name),
    }
    for flag in ("hidden", "stop_on_failure"):
        if not isinstance(raw.get(flag, False), bool):
            raise Invalid("item_invalid", field="tests", test=name)
        test[flag] = raw.get(flag, False)
    for kind in ("code", "testcode"):
        if raw.get(kind) is not None:
            code = _text(raw[kind], "tests", MAX_CODE, test=name)
            if language != "python3" or not code.strip():
                raise Invalid("item_invalid", field="tests", test=name)
            test[kind] = code
    if "code" in test and "testcode" in test:
        raise Invalid("item_invalid", field="tests", test=name)
    if "code" in test and test["stdin"]:
        raise Invalid("item_invalid", field="tests", test=name)  # function tests read nothing
    if raw.get("comparison") is not None:
        test.update(_comparison(raw["comparison"], raw.get("tolerance", 0.0),
                                raw.get("relative_tolerance", False), "tests", test=name))
    mode = test.get("comparison", default_mode)
    if "code" not in test and mode == "regex" and check_pattern(test["expected"]):
        raise Invalid("item_invalid", field="tests", test=name)
    return test


def _comparison_of(values: dict[str, Any]) -> Comparison:
    return Comparison(values["comparison"], values["tolerance"], values["relative_tolerance"])


def harness_tests(content: Content) -> list[TestCase]:
    """The harness's tests for validated content (a ``testcode`` test goes through the
    driver: its code on the first line of its stdin)."""
    cases = []
    for test in content["tests"]:
        stdin = test["stdin"]
        if "code" not in test and any("testcode" in t for t in content["tests"]):
            stdin = json.dumps(test.get("testcode", "")) + "\n" + stdin
        cases.append(TestCase(
            name=test["name"], stdin=stdin, expected=test["expected"], code=test.get("code"),
            weight=test["weight"], hidden=test["hidden"],
            stop_on_failure=test["stop_on_failure"],
            comparison=_comparison_of(test) if "comparison" in test else None))
    return cases


class CodeNotRun(RuntimeError):
    """The sandbox failed to run the harness (a fault of the machinery, not of the answer):
    the answer has no score yet."""


class CodeItem(ItemType):
    name = "code"
    needs_sandbox = True
    render_schema = {
        "type": "object",
        "required": ["stem", "language", "starter", "max_length"],
        "description": "A programming question: the student writes a program (or functions) "
                       "in `language`; it is run against the item's tests in the sandbox "
                       "once the attempt is submitted. No test is sent to the browser.",
        "properties": {
            "stem": STEM_SCHEMA,
            "language": {"type": "string", "description": "a sandbox language (python3, c, "
                                                          "cpp, java, javascript)"},
            "starter": {"type": "string", "description": "the code the answer box starts "
                                                         "with"},
            "max_length": {"type": "integer", "description": "the longest answer, in "
                                                             "characters"},
        },
    }
    response_schema = {
        "type": ["object", "null"],
        "required": ["code"],
        "properties": {"code": {"type": "string", "maxLength": MAX_CODE}},
    }

    def validate(self, content: Content) -> Content:
        language = content.get("language")
        if language not in language_names():
            raise Invalid("item_invalid", field="language")
        default = _comparison(content.get("comparison", "trailing_whitespace"),
                              content.get("tolerance", 0.0),
                              content.get("relative_tolerance", False), "comparison")
        limits = content.get("limits") or {}
        if not isinstance(limits, dict) or set(limits) - {"cpu_seconds", "memory_mb"}:
            raise Invalid("item_invalid", field="limits")
        cpu = _number(limits.get("cpu_seconds", 2.0), 0, 10, "limits")
        memory = limits.get("memory_mb", 256)
        if isinstance(memory, bool) or not isinstance(memory, int) or not 16 <= memory <= 2048:
            raise Invalid("item_invalid", field="limits")
        tests = content.get("tests")
        if not isinstance(tests, list) or not 0 < len(tests) <= MAX_TESTS:
            raise Invalid("item_invalid", field="tests")
        clean_tests = [_test(t, language, default["comparison"]) for t in tests]
        names = [t["name"] for t in clean_tests]
        if len(set(names)) != len(names):
            raise Invalid("item_invalid", field="tests")
        all_or_nothing = content.get("all_or_nothing", False)
        if not isinstance(all_or_nothing, bool):
            raise Invalid("item_invalid", field="all_or_nothing")
        return {"stem": text_map(content.get("stem"), "stem"), "language": language,
                "starter": _text(content.get("starter"), "starter", MAX_CODE),
                "tests": clean_tests, **default,
                "limits": {"cpu_seconds": cpu, "memory_mb": memory},
                "all_or_nothing": all_or_nothing, "points": points_of(content)}

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"], "language": content["language"],
                "starter": content["starter"], "max_length": MAX_CODE}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"code"} or \
                not isinstance(response["code"], str) or len(response["code"]) > MAX_CODE:
            raise Invalid("invalid_response")

    def run(self, content: Content, code: str, backend: str | None = None) -> Grading:
        """Every test of ``code`` in one sandbox run (the backend from the environment)."""
        language = content["language"]
        entry = get_language(language).default_entry
        files = {entry: code}
        run_entry = None
        if any("testcode" in t for t in content["tests"]):
            files[DRIVER_NAME] = DRIVER
            run_entry = DRIVER_NAME
        limits = content["limits"]
        return grade(language, files, harness_tests(content),
                     TestLimits(cpu_seconds=limits["cpu_seconds"],
                                memory_mb=limits["memory_mb"]),
                     _comparison_of(content), content["points"], entry=run_entry,
                     backend=backend or sandbox_backend_from_env())

    def score(self, content: Content, response: Any) -> Score:
        """Points for the answer's code, run in the sandbox (an empty answer runs nothing).

        :raises SandboxUnavailable: no backend can run code here.
        :raises CodeNotRun: the sandbox failed to run the harness.
        """
        points = content["points"]
        code = response.get("code") if isinstance(response, dict) else None
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE:
            return Score(0.0, points, False)
        graded = self.run(content, code)
        if graded.harness_status == "sandbox_error":
            raise CodeNotRun("the sandbox failed to run the harness")
        correct = bool(graded.tests) and all(t.passed for t in graded.tests)
        earned = points if correct else (0.0 if content.get("all_or_nothing") else graded.score)
        return Score(earned, points, correct, feedback(graded))


def feedback(graded: Grading) -> dict[str, str]:
    """What the run says to the student: counts, and the failed VISIBLE tests by name."""
    passed = sum(t.passed for t in graded.tests)
    total = len(graded.tests)
    fr = f"Tests réussis : {passed} sur {total}."
    en = f"Tests passed: {passed} of {total}."
    if graded.compile_output:
        fr += " Le programme ne compile pas."
        en += " The program does not compile."
    failed = [t.name for t in graded.tests if not t.passed and not t.hidden]
    if failed and not graded.compile_output:
        fr += " Tests visibles échoués : " + ", ".join(failed) + "."
        en += " Visible tests failed: " + ", ".join(failed) + "."
    return {"fr": fr, "en": en}
