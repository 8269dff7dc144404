"""The RestrictedPython guard for teacher code: results, limits, and the published escapes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sandbox.restricted import (
    GuardLimits,
    RestrictedError,
    check_source,
    run_restricted,
    run_restricted_batch,
)
from sandbox.restricted_child import ForbiddenAccess, guarded_getattr

REFUSED = {"forbidden", "compile_error", "runtime_error"}

GENERATOR = """
import random

def generate(low, high):
    a = rng.randint(low, high)
    b = random.randint(low, high)
    return {"a": a, "b": b, "answer": a + b}
"""


def refused(source: str, sentinel: Path) -> RestrictedError:
    """Run an escape attempt that would create `sentinel`; it must fail and create nothing."""
    with pytest.raises(RestrictedError) as caught:
        run_restricted(source, arguments={"path": str(sentinel)})
    assert caught.value.code in REFUSED, caught.value
    assert not sentinel.exists()
    return caught.value


# ---- Results ----


def test_a_generator_returns_its_json_value() -> None:
    source = 'def generate():\n    return {"a": 3, "b": 4, "answer": 7}\n'
    assert run_restricted(source) == {"a": 3, "b": 4, "answer": 7}


def test_the_same_seed_gives_the_same_variant_and_other_seeds_others() -> None:
    def variant(seed: int) -> object:
        return run_restricted(GENERATOR, arguments={"low": 1, "high": 10**6}, seed=seed)

    first = variant(7)
    assert first == variant(7)
    assert isinstance(first, dict) and first["answer"] == first["a"] + first["b"]
    assert len({repr(variant(seed)) for seed in (1, 2, 3)}) == 3


def test_random_cannot_be_reseeded_from_the_clock() -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted("import random\ndef generate():\n    random.seed()\n", seed=1)
    assert caught.value.code == "forbidden" and "random.seed" in caught.value.message


def test_set_order_is_reproducible_across_runs() -> None:
    # String hashing is randomised per process unless the child fixes it.
    source = (
        "def generate():\n"
        "    words = {'apple', 'pear', 'fig', 'kiwi', 'plum', 'lime', 'date', 'nut', 'yam'}\n"
        "    return [w for w in words]\n"
    )
    assert len({repr(run_restricted(source)) for _ in range(3)}) == 1


def test_the_allowed_modules_builtins_and_classes_work() -> None:
    source = """
import math, string
from decimal import Decimal, getcontext
from fractions import Fraction
from statistics import mean

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

def generate(n):
    getcontext().prec = 4
    p = Point(3, 4)
    total = 0
    for i, letter in zip(range(n), string.ascii_lowercase):
        total += i
    return {
        "distance": math.hypot(p.x, p.y),
        "third": str(Decimal(1) / 3),
        "half": str(Fraction(n, 2 * n)),
        "mean": mean([1, 2, 3, 6]),
        "total": total,
        "sorted": sorted([3, 1, 2], reverse=True),
    }
"""
    assert run_restricted(source, arguments={"n": 4}) == {
        "distance": 5.0, "third": "0.3333", "half": "1/2", "mean": 3,
        "total": 6, "sorted": [3, 2, 1],
    }


def test_a_formula_is_any_named_function() -> None:
    source = "def answer(a, b):\n    return a * b\n"
    assert run_restricted(source, "answer", {"a": 6, "b": 7}) == 42


def test_print_spam_does_not_break_the_protocol() -> None:
    source = (
        "def generate():\n"
        "    for i in range(20000):\n"
        "        print('spam ' * 40, i)\n"
        "    return 'done'\n"
    )
    assert run_restricted(source) == "done"


def test_a_runtime_error_names_its_line_and_shows_what_was_printed() -> None:
    source = "def generate():\n    print('almost there')\n    x = 0\n    return 1 / x\n"
    with pytest.raises(RestrictedError) as caught:
        run_restricted(source)
    assert caught.value.code == "runtime_error"
    assert "Line 4: ZeroDivisionError" in caught.value.message
    assert "almost there" in caught.value.message


def test_a_missing_function_is_a_runtime_error() -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted("def other():\n    return 1\n")
    assert caught.value.code == "runtime_error"
    assert "generate" in caught.value.message


def test_bad_calls_are_the_callers_errors() -> None:
    with pytest.raises(ValueError):
        run_restricted("x = 1", function="__init__")
    with pytest.raises(TypeError):
        run_restricted("x = 1", arguments={"a": {1, 2}})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        GuardLimits(cpu_seconds=0)


# ---- check_source ----


def test_check_source_accepts_clean_code() -> None:
    assert check_source(GENERATOR) == []


def test_check_source_reports_syntax_errors_with_their_line() -> None:
    errors = check_source("def generate():\n    return (1,\n\nx = [\n")
    assert len(errors) == 1 and errors[0].startswith("Line ")
    assert "SyntaxError" in errors[0]


def test_check_source_reports_forbidden_names_with_their_lines() -> None:
    source = (
        "import os\n"
        "_secret = 1\n"
        "def generate(g):\n"
        "    text = 'x={}'.format(1)\n"
        "    return g.gi_frame\n"
    )
    errors = check_source(source)
    assert [e.split(":")[0] for e in errors] == ["Line 1", "Line 2", "Line 4", "Line 5"]
    assert '"os"' in errors[0] and '"_secret"' in errors[1]
    assert "f-string" in errors[2] and "gi_frame" in errors[3]


def test_check_source_reports_compiler_warnings_as_errors() -> None:
    # Under filterwarnings=error these would be raised in the caller if they leaked out.
    errors = check_source("x = 1\ny = x is 1\n")
    assert errors == ['Line 2: SyntaxWarning: "is" with a literal. Did you mean "=="?']


def test_check_source_survives_code_nested_too_deeply() -> None:
    # The parser's own recursion limit once ended the child with a traceback.
    errors = check_source("x = " + "1 + " * 20000 + "1\n")
    assert errors == ["Line 1: the code is nested too deeply to compile."]


def test_run_refuses_what_check_source_reports() -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted("def generate(:\n")
    assert caught.value.code == "compile_error"
    with pytest.raises(RestrictedError) as caught:
        run_restricted("import os\ndef generate():\n    return 1\n")
    assert caught.value.code == "forbidden" and caught.value.message.startswith("Line 1:")


# ---- Limits ----


def test_a_cpu_bomb_is_a_time_limit() -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted("def generate():\n    while True:\n        pass\n",
                       limits=GuardLimits(cpu_seconds=0.3))
    assert caught.value.code == "time_limit"


def test_the_wall_clock_kills_the_child() -> None:
    started = time.monotonic()
    with pytest.raises(RestrictedError) as caught:
        run_restricted("def generate():\n    while True:\n        pass\n",
                       limits=GuardLimits(cpu_seconds=10, wall_seconds=0.5))
    assert caught.value.code == "time_limit"
    assert "0.5 s" in caught.value.message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("body", [
    "return len([0] * 10**10)",
    "chunks = []\n    while True:\n        chunks.append('x' * 10**6)",
    "s = [0]\n    while True:\n        s = s + s",
])
def test_a_memory_bomb_is_a_memory_limit(body: str) -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted(f"def generate():\n    {body}\n", limits=GuardLimits(memory_mb=64))
    assert caught.value.code == "memory_limit"


def test_memory_within_the_limit_is_usable() -> None:
    assert run_restricted("def generate():\n    return len([0] * 6_000_000)\n") == 6_000_000


def test_deep_recursion_is_a_runtime_error() -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted("def down(n):\n    return down(n + 1)\n"
                       "def generate():\n    return down(0)\n")
    assert caught.value.code == "runtime_error"
    assert "RecursionError" in caught.value.message


@pytest.mark.parametrize("value", [
    "'x' * 100_000",  # larger than result_bytes
    "{1, 2}",
    "rng",
    "float('nan')",
    "{(1, 2): 3}",
    "10 ** 5000",  # beyond the digits an int may print
])
def test_a_result_that_is_not_small_json_is_a_bad_result(value: str) -> None:
    with pytest.raises(RestrictedError) as caught:
        run_restricted(f"def generate():\n    return {value}\n")
    assert caught.value.code == "bad_result"


# ---- Published escapes: each must fail AND not reach its goal (the sentinel) ----


def test_generator_frame_walk(tmp_path: Path) -> None:
    # CVE-2023-37271 / GHSA-wqc8-x2pr-7jqh: gi_frame.f_back leads out to the real builtins.
    source = """
leak = []
def walk():
    leak.append(g.gi_frame.f_back.f_back)
    yield 1
g = walk()
def generate(path):
    next(g)
    leak[0].f_builtins["__import__"]("os").mkdir(path)
"""
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and "gi_frame" in error.message


def test_generator_expression_frame_walk(tmp_path: Path) -> None:
    # CVE-2023-37271, second proof of concept (RestrictedPython tests/test_generator_escape.py).
    source = """
def generate(path):
    q = (q.gi_frame.f_back.f_back.f_back for _ in (1,))
    [x for x in q][0].f_builtins["__import__"]("os").mkdir(path)
"""
    refused(source, tmp_path / "escaped")


def test_traceback_frame_walk(tmp_path: Path) -> None:
    # The tb_frame / f_globals route listed with CVE-2023-37271's restricted names.
    source = """
def generate(path):
    try:
        1 / 0
    except ZeroDivisionError as error:
        frame = error.__traceback__.tb_frame
    frame.f_globals["__builtins__"]["__import__"]("os").mkdir(path)
"""
    refused(source, tmp_path / "escaped")


@pytest.mark.parametrize("leak", [
    '"{0.__globals__}".format(generate)',
    'str.format("{0.__globals__}", generate)',
    '"{f.__globals__}".format_map({"f": generate})',
])
def test_str_format_traversal(leak: str) -> None:
    # CVE-2023-41039 / GHSA-xjw2-6jm9-rf67: a format string walks attributes the code cannot name.
    with pytest.raises(RestrictedError) as caught:
        run_restricted(f"def generate():\n    return {leak}\n")
    assert caught.value.code == "forbidden"
    assert "__builtins__" not in caught.value.message


def test_attribute_error_obj_and_the_string_module(tmp_path: Path) -> None:
    # CVE-2024-47532: AttributeError.obj handed back the real `string` module.
    source = """
import string
def generate(path):
    try:
        string.no_such_name
    except AttributeError as error:
        module = error.obj
    module.Formatter().get_field("0.__globals__", [generate], {})[0][
        "__builtins__"]["__import__"]("os").mkdir(path)
"""
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and "string.no_such_name" in error.message


def test_attribute_error_obj_is_refused_even_when_caught(tmp_path: Path) -> None:
    # CVE-2024-47532, the `.obj` half on an object of the code's own.
    source = """
def generate(path):
    try:
        (1).no_such_name
    except AttributeError as error:
        try:
            return repr(error.obj)
        except Exception:
            return "caught the refusal"
"""
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and "Line 7" in error.message


def test_try_except_star(tmp_path: Path) -> None:
    # CVE-2025-22153 / GHSA-gmj9-h825-chq2: try/except* and a CPython type confusion.
    source = """
def generate(path):
    try:
        raise ValueError(path)
    except* ValueError:
        pass
"""
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and "TryStar" in error.message


def test_positional_only_parameter_shadows_a_guard(tmp_path: Path) -> None:
    # CVE-2026-55830 / GHSA-ffg3-p8fm-mjx2: `_write_` shadowed by a positional-only
    # parameter, then used to poison a shared module.
    source = """
import math
def poison(_write_=lambda ob: ob, /):
    math.pi = 3
def generate(path):
    poison()
    return math.pi
"""
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and "_write_" in error.message


@pytest.mark.parametrize("prelude,reach", [
    ("import string, random", 'string.Formatter().get_field("0._os", [random], {})[0]'),
    ("from string import Formatter\nimport random",
     'Formatter().get_field("0._os", [random], {})[0]'),
])
def test_string_formatter_get_field(tmp_path: Path, prelude: str, reach: str) -> None:
    # CVE-2026-76825 / GHSA-hp3v-5vw7-fx9w: string.Formatter field resolution reaches `_` names.
    source = f"{prelude}\ndef generate(path):\n    {reach}.mkdir(path)\n"
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and "Formatter" in error.message


def test_operator_attrgetter(tmp_path: Path) -> None:
    # RestrictedPython PR #330: operator.attrgetter re-opens the Formatter escape, so the
    # import policy is the boundary; `operator` is not importable here.
    source = """
import operator, random
def generate(path):
    operator.attrgetter("_os")(random).mkdir(path)
"""
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and '"operator"' in error.message


def test_getattr_dunder_walk(tmp_path: Path) -> None:
    # RestrictedPython issue #142: getattr() with "__class__" strings, down to os.popen.
    source = """
def generate(path):
    classes = getattr(getattr(getattr([], "__class__"), "__base__"), "__subclasses__")()
    for cls in classes:
        if cls.__name__ == "IncrementalEncoder":
            getattr(getattr(cls, "__init__"), "__globals__")["sys"].modules["os"].mkdir(path)
"""
    refused(source, tmp_path / "escaped")


@pytest.mark.parametrize("walk", [
    "().__class__.__bases__[0].__subclasses__()",
    "int.mro()[-1]",  # a walk to `object` without any underscore
])
def test_class_graph_walk(tmp_path: Path, walk: str) -> None:
    # The classic subclass walk; `mro` is refused by our policy on top of RestrictedPython's.
    refused(f"def generate(path):\n    return repr({walk})\n", tmp_path / "escaped")


@pytest.mark.parametrize("reach", [
    'fractions.sys.modules["os"]',
    'statistics.sys.modules["os"]',
])
def test_public_module_attributes_that_lead_to_sys(tmp_path: Path, reach: str) -> None:
    # Our own finding: fractions and statistics import sys as a public name, so allowed
    # modules are offered as views listing the names teachers need, never the real module.
    source = f"import fractions, statistics\ndef generate(path):\n    {reach}.mkdir(path)\n"
    error = refused(source, tmp_path / "escaped")
    assert error.code == "forbidden" and ".sys is not available" in error.message


def test_module_poisoning_is_refused_even_when_caught() -> None:
    # dimagi/open-chat-studio PR #4238, finding 1: a no-op `_write_` let code rebind a
    # shared module's functions.
    source = """
import math
def generate():
    try:
        math.sqrt = lambda x: 42
    except Exception:
        pass
    return math.sqrt(16)
"""
    with pytest.raises(RestrictedError) as caught:
        run_restricted(source)
    assert caught.value.code == "forbidden" and "Line 5" in caught.value.message


def test_async_generator_frames(tmp_path: Path) -> None:
    # RestrictedPython 8.5: ag_frame was missing from the restricted names.
    source = """
async def agen():
    yield 1
def generate(path):
    agen().ag_frame.f_builtins["__import__"]("os").mkdir(path)
"""
    refused(source, tmp_path / "escaped")


def test_the_runtime_guard_refuses_frames_without_the_compiler() -> None:
    # Defence in depth behind the compile-time checks of CVE-2023-37271.
    def walk() -> object:
        yield 1

    with pytest.raises(ForbiddenAccess):
        guarded_getattr(walk(), "gi_frame")


def test_the_runtime_guard_refuses_str_subclass_names() -> None:
    # RestrictedPython PR #282 (7.2): a str subclass could lie to the underscore check.
    class Name(str):
        def startswith(self, *args: object) -> bool:
            return False

    with pytest.raises(ForbiddenAccess):
        guarded_getattr([], Name("__class__"))


BATCH = """
counter = []

def generate():
    counter.append(1)  # module state: a fresh namespace per seed keeps this at one
    return {"a": rng.randint(1, 10 ** 6), "calls": len(counter)}
"""


def test_a_batch_gives_each_seed_what_a_single_run_gives() -> None:
    seeds = [3, 1, 4, 1, 5]
    batch = run_restricted_batch(BATCH, seeds)
    assert batch == [run_restricted(BATCH, seed=s) for s in seeds]
    assert all(r["calls"] == 1 for r in batch)  # type: ignore[index,call-overload]
    assert len({r["a"] for r in batch}) == 4  # type: ignore[index,call-overload]


def test_a_batch_names_the_seed_that_failed() -> None:
    source = "def generate():\n    a = rng.randint(0, 1)\n    return {'x': 1 // a}\n"
    failing = next(s for s in range(100) if run_restricted(
        "def generate():\n    return rng.randint(0, 1)", seed=s) == 0)
    with pytest.raises(RestrictedError) as caught:
        run_restricted_batch(source, [failing])
    assert caught.value.code == "runtime_error"
    assert caught.value.message.startswith(f"seed {failing}: ")


def test_a_batch_limits_its_seeds_and_its_time() -> None:
    with pytest.raises(ValueError):
        run_restricted_batch("def generate():\n    return 1", [])
    with pytest.raises(ValueError):
        run_restricted_batch("def generate():\n    return 1", [True])  # type: ignore[list-item]
    with pytest.raises(RestrictedError) as caught:
        run_restricted_batch("def generate():\n    while True:\n        pass", [1, 2],
                             limits=GuardLimits(cpu_seconds=0.2, wall_seconds=5))
    assert caught.value.code == "time_limit"
