"""The child-process side of the RestrictedPython guard: the policy, and the run itself.

:mod:`sandbox.restricted` starts this file as a script in a fresh interpreter under
rlimits, writes one JSON request on its stdin and reads one JSON response from the
original stdout, which this side keeps for itself before anything else runs.

This is a guard for short teacher-authored code (variant generators, formulas), NOT a
security boundary: student code runs in the real OS sandboxes of ``sandbox.backends``.
It imports nothing of ours so that it runs the same whether or not the package is
importable in the child.
"""

from __future__ import annotations

import ast
import decimal
import fractions
import json
import math
import operator
import os
import random
import resource
import signal
import statistics
import string
import sys
import traceback
import types
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from RestrictedPython import compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer

SOURCE_NAME = "<teacher code>"
MAX_SOURCE_CHARS = 100_000
PRINT_LIMIT = 4096  # characters of print() output kept; the rest is dropped
MESSAGE_LIMIT = 4000

# Attributes that lead to frames, code objects, globals or the class graph. Everything
# starting with "_" is refused as well (by RestrictedPython at compile time, and again here).
FORBIDDEN_ATTRIBUTES = INSPECT_ATTRIBUTES | {
    "gi_frame", "gi_code", "gi_yieldfrom",
    "cr_frame", "cr_code", "cr_await", "cr_origin",
    "ag_frame", "ag_code", "ag_await",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace", "f_generator",
    "tb_frame", "tb_next", "co_code", "co_consts", "co_names",
    "func_globals", "func_code", "func_closure", "im_func", "im_self", "im_class",
    "mro",  # type.mro() hands out `object`, the root of the subclass walk
    "format", "format_map",  # str.format traverses attributes inside the format string
}
FORMAT_HINT = "use an f-string instead of .format()"

# The modules teacher code may import, and the only names each one offers. Real modules are
# never handed out: fractions.sys, statistics.sys and statistics.random are plain public
# attributes of the real modules.
MODULES: dict[str, tuple[types.ModuleType, frozenset[str]]] = {
    "math": (math, frozenset(name for name in dir(math) if not name.startswith("_"))),
    "fractions": (fractions, frozenset({"Fraction"})),
    "decimal": (decimal, frozenset({
        "Decimal", "Context", "getcontext", "localcontext", "DecimalException",
        "InvalidOperation", "DivisionByZero", "Inexact", "Rounded", "Overflow", "Underflow",
        "Subnormal", "Clamped", "FloatOperation", "ROUND_05UP", "ROUND_CEILING", "ROUND_DOWN",
        "ROUND_FLOOR", "ROUND_HALF_DOWN", "ROUND_HALF_EVEN", "ROUND_HALF_UP", "ROUND_UP",
    })),
    "statistics": (statistics, frozenset({
        "mean", "fmean", "geometric_mean", "harmonic_mean", "median", "median_low",
        "median_high", "median_grouped", "mode", "multimode", "quantiles", "pstdev",
        "pvariance", "stdev", "variance", "covariance", "correlation", "linear_regression",
        "NormalDist", "StatisticsError",
    })),
    "string": (string, frozenset({
        "ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits",
        "octdigits", "punctuation", "printable", "whitespace", "capwords",
    })),
}
# `random` is the attempt's seeded generator, never the process-wide one; seed(),
# getstate() and setstate() are left out so that a run stays reproducible from its seed.
RANDOM_NAMES = frozenset({
    "random", "uniform", "randint", "randrange", "choice", "choices", "sample", "shuffle",
    "gauss", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
    "gammavariate", "betavariate", "paretovariate", "weibullvariate", "triangular",
    "getrandbits", "binomialvariate",
})
ALLOWED_IMPORTS = frozenset(MODULES) | {"random"}

INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "<<=": operator.ilshift, ">>=": operator.irshift, "&=": operator.iand,
    "|=": operator.ior, "^=": operator.ixor, "@=": operator.imatmul,
}


def offered(module: str) -> frozenset[str]:
    return RANDOM_NAMES if module == "random" else MODULES[module][1]


class ForbiddenAccess(Exception):
    """Teacher code touched something the policy refuses."""


# Every refusal is recorded: the run fails as `forbidden` even if the code caught the exception.
refusals: list[str] = []
user_classes: set[type] = set()


def refuse(message: str) -> NoReturn:
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename != SOURCE_NAME:
        frame = frame.f_back
    line = frame.f_lineno if frame.f_code.co_filename == SOURCE_NAME else "?"
    refusals.append(f"Line {line}: {message}")
    raise ForbiddenAccess(message)


class GuardedModule(types.SimpleNamespace):
    """A read-only view of a module offering only the listed names."""

    def __init__(self, name: str, values: Mapping[str, object]) -> None:
        super().__init__(**values)
        object.__setattr__(self, "_GuardedModule__name", name)

    def __getattr__(self, name: str) -> NoReturn:
        # Only reached for names the view does not offer; "_" names are Python's own probes.
        if name.startswith("_"):
            raise AttributeError(name)
        refuse(f"{self.__name}.{name} is not available")

    def __repr__(self) -> str:
        return f"<module {self.__name!r} (guarded)>"


class Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus our attribute and import lists."""

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr in ("format", "format_map"):
            self.error(node, f'"{node.attr}" is not allowed: {FORMAT_HINT}.')
        elif node.attr in FORBIDDEN_ATTRIBUTES and node.attr not in INSPECT_ATTRIBUTES:
            self.error(node, f'"{node.attr}" is a restricted attribute name.')
        return super().visit_Attribute(node)

    def visit_Import(self, node: ast.Import) -> Any:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        if node.level or node.module is None:
            self.error(node, "relative imports are not allowed.")
        else:
            self._check_module(node, node.module)
            for alias in node.names:
                if node.module in ALLOWED_IMPORTS and alias.name not in offered(node.module):
                    self.error(node, f'"{node.module}.{alias.name}" is not available.')
        return super().visit_ImportFrom(node)

    def _check_module(self, node: ast.stmt, name: str) -> None:
        if name not in ALLOWED_IMPORTS:
            allowed = ", ".join(sorted(ALLOWED_IMPORTS))
            self.error(node, f'importing "{name}" is not allowed (allowed: {allowed}).')


def compile_source(source: str) -> tuple[types.CodeType | None, list[str], bool]:
    """Compile under the policy: the code, the error messages, and whether they are policy errors.

    Compiler warnings (``x is 1``, invalid escapes) count as errors: teacher code is short
    and a warning there is a bug. They are recorded here, never shown to the host's filters.
    """
    if len(source) > MAX_SOURCE_CHARS:
        return None, [f"Line 1: the code is longer than {MAX_SOURCE_CHARS} characters."], False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tree = ast.parse(source, SOURCE_NAME)
            result = compile_restricted_exec(tree, SOURCE_NAME, policy=Policy)
        except SyntaxError as error:
            return None, [f"Line {error.lineno or 1}: SyntaxError: {error.msg}"], False
        except ValueError as error:  # null bytes in the source
            return None, [f"Line 1: SyntaxError: {error}"], False
        except RecursionError:
            return None, ["Line 1: the code is nested too deeply to compile."], False
    errors = list(result.errors)
    policy_errors = bool(errors)
    errors += [warning for warning in result.warnings if "'printed'" not in warning]
    errors += [f"Line {w.lineno}: {w.category.__name__}: {w.message}"
               for w in sorted(caught, key=lambda w: w.lineno) if w.filename == SOURCE_NAME]
    return (result.code if not errors else None), errors, policy_errors


def guarded_getattr(ob: object, name: str) -> Any:
    """``_getattr_``: every ``a.b`` written in teacher code comes through here."""
    if type(name) is not str:
        refuse("attribute names must be plain strings")
    if name.startswith("_") or name in FORBIDDEN_ATTRIBUTES:
        refuse(f'"{name}" is a restricted attribute name')
    if name == "obj" and isinstance(ob, BaseException):
        refuse('"obj" of an exception is restricted')  # AttributeError.obj, CVE-2024-47532
    if isinstance(ob, string.Formatter) or ob is string.Formatter:
        refuse("string.Formatter is not available")
    return safer_getattr_raise(ob, name)


def guarded_write(ob: object) -> object:
    """``_write_``: assignment to attributes and items of the code's own objects only."""
    if isinstance(ob, (dict, list, decimal.Context)):
        return ob
    own = ob if isinstance(ob, type) else type(ob)
    if own in user_classes:
        return ob
    if isinstance(ob, GuardedModule):
        refuse(f"{ob!r} cannot be changed")
    refuse(f"cannot change attributes or items of {type(ob).__name__} objects")


def make_class(name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
    """``__metaclass__``: classes are plain, and remembered so that their instances are writable."""
    cls = type(name, bases, namespace)
    user_classes.add(cls)
    return cls


def guarded_inplacevar(op: str, target: Any, value: Any) -> Any:
    if op not in INPLACE_OPERATORS:
        refuse(f"operator {op} is not allowed")
    return INPLACE_OPERATORS[op](target, value)


def guarded_apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def guarded_getitem(ob: Any, index: Any) -> Any:
    return ob[index]


class PrintBuffer:
    """``_print_``: print() output goes to one bounded buffer, never to a file descriptor."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = False

    def __call__(self, _getattr: object = None) -> PrintBuffer:
        return self  # RestrictedPython asks for a collector per scope; one buffer serves all

    def _call_print(self, *objects: object, sep: object = " ", end: object = "\n",
                    file: object = None, flush: bool = False) -> None:
        text = str(sep).join(str(ob) for ob in objects) + str(end)
        room = PRINT_LIMIT - self.size
        if len(text) > room:
            text, self.dropped = text[:room], True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts) + ("[…]" if self.dropped else "")


def build_globals(seed: int | None, printer: PrintBuffer) -> dict[str, Any]:
    generator = random.Random(seed)
    seeded = GuardedModule("random", {name: getattr(generator, name) for name in RANDOM_NAMES
                                      if hasattr(generator, name)})
    modules = {name: GuardedModule(name, {attr: getattr(module, attr) for attr in names
                                          if hasattr(module, attr)})
               for name, (module, names) in MODULES.items()}
    modules["random"] = seeded

    def guarded_import(name: str, globals: object = None, locals: object = None,
                       fromlist: object = (), level: int = 0) -> GuardedModule:
        if level != 0 or name not in modules:
            refuse(f'importing "{name}" is not allowed')
        return modules[name]

    builtins = {name: value for name, value in safe_builtins.items()
                if name not in ("setattr", "delattr")}
    # RestrictedPython leaves these out because they iterate in C, past `_getiter_`; here
    # `_getiter_` checks nothing per item, so they are as safe as a for loop.
    builtins.update(
        __import__=guarded_import, list=list, tuple=tuple, dict=dict, set=set,
        frozenset=frozenset, sorted=sorted, reversed=reversed, zip=zip, enumerate=enumerate,
        map=map, filter=filter, min=min, max=max, sum=sum, any=any, all=all, iter=iter,
        next=next,
    )
    return {
        "__builtins__": builtins,
        "__name__": "teacher_code",
        "__metaclass__": make_class,
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_getiter_": iter,
        "_write_": guarded_write,
        "_inplacevar_": guarded_inplacevar,
        "_apply_": guarded_apply,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_print_": printer,
        "rng": seeded,
    }


def memory_message(memory_mb: int) -> str:
    return f"the code used more than {memory_mb} MB of memory"


def failure(code: str, message: str) -> dict[str, Any]:
    if len(message) > MESSAGE_LIMIT:
        message = message[:MESSAGE_LIMIT] + "[…]"
    return {"ok": False, "code": code, "message": message}


def describe(error: BaseException) -> str:
    line = "?"
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == SOURCE_NAME:
            line = str(lineno)
    try:
        detail = str(error)
    except Exception:
        detail = ""
    return f"Line {line}: {type(error).__name__}" + (f": {detail}" if detail else "")


def execute(code: types.CodeType, request: Mapping[str, Any]) -> dict[str, Any]:
    printer = PrintBuffer()
    namespace = build_globals(request["seed"], printer)
    out_of_memory = False
    outcome: dict[str, Any] | None = None
    try:
        exec(code, namespace)
        function = namespace.get(request["function"])
        if not isinstance(function, types.FunctionType):
            outcome = failure("runtime_error",
                              f"the code defines no function named {request['function']!r}")
        else:
            outcome = serialise(function(**request["arguments"]), request["result_bytes"])
    except MemoryError:
        out_of_memory = True  # handled below, once the traceback and its frames are gone
    except ForbiddenAccess as error:
        outcome = failure("forbidden", describe(error))
    except BaseException as error:  # whatever the code raises is its error
        outcome = failure("runtime_error", describe(error))
        if printer.size:
            outcome["message"] += "\nPrinted before the error:\n" + printer.text()[:1000]
    if refusals:
        return failure("forbidden", refusals[0])
    if out_of_memory or outcome is None:
        return failure("memory_limit", memory_message(request["memory_mb"]))
    return outcome


def serialise(value: object, limit: int) -> dict[str, Any]:
    try:
        payload = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError) as error:
        return failure("bad_result", f"the result is not JSON: {error}")
    if len(payload) > limit:
        return failure("bad_result", f"the result is {len(payload)} bytes of JSON; "
                                     f"the limit is {limit}")
    return {"ok": True, "result_json": payload}


def tighten_limits(cpu_seconds: float, memory_mb: int) -> None:
    """Narrow the parent's rlimits to this run, now that the interpreter is loaded."""
    try:
        with open("/proc/self/status") as status:
            size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    except (OSError, StopIteration, ValueError):
        size_kb = None
    if size_kb is not None:
        limit = (size_kb + memory_mb * 1024) * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # SIGPROF's default action ends the process: a fractional CPU limit counted from here.
    # Dispositions and the signal mask survive exec, so neither is left to the parent.
    for number in (signal.SIGPROF, signal.SIGXCPU):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGPROF, signal.SIGXCPU})
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)


def handle(request: Mapping[str, Any]) -> dict[str, Any]:
    tighten_limits(request["cpu_seconds"], request["memory_mb"])
    code, errors, policy_errors = compile_source(request["source"])
    if request["mode"] == "check":
        return {"ok": True, "errors": errors}
    if code is None:
        return failure("forbidden" if policy_errors else "compile_error", "\n".join(errors))
    if request["mode"] == "batch":
        # One compile, then a fresh module namespace and generator per seed.
        results = []
        for seed in request["seeds"]:
            outcome = execute(code, {**request, "seed": seed})
            if not outcome.get("ok"):
                return {**outcome, "seed": seed}
            results.append(outcome["result_json"])
        return {"ok": True, "results_json": results}
    return execute(code, request)


def send(fd: int, response: Mapping[str, Any]) -> None:
    data = json.dumps(response).encode()
    while data:
        data = data[os.write(fd, data):]


def keep_stdout() -> int:
    """Keep the real stdout for the response and point fd 1 at /dev/null for everything else."""
    result_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return result_fd


def main() -> None:
    result_fd = keep_stdout()
    out_of_memory = False
    response: dict[str, Any] = {}
    try:
        response = handle(json.loads(sys.stdin.buffer.read()))
    except MemoryError:
        out_of_memory = True
    if out_of_memory:
        response = failure("memory_limit", "the code ran out of memory")  # before its limits
    send(result_fd, response)
    os._exit(0)  # no interpreter shutdown: nothing of the teacher's code runs after this


if __name__ == "__main__":
    main()
