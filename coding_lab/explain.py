"""Beginner-friendly errors: what a compiler or a crashed program said, as stable codes.

A pure library (no Flask, no database). :func:`explain` reads the raw error text of one
language — a Python traceback, gcc/g++ or javac output, a Java or Node.js exception — and
returns :class:`Explanation` objects: a stable ``code`` (``python.name_error``,
``c.undeclared_identifier``, ``java.missing_semicolon``…), where it happened in the
*student's* files (frames of harness or library files are skipped), the parameters the
words need (the undefined name, the types…) and the raw text it came from.
:func:`explain_status` turns a run verdict (time limit, segmentation fault…) into one, and
:func:`explain_result` does both for a :class:`sandbox.RunResult`. The words themselves,
in French and English, are in ``web.lab_messages``. The codes are listed in
``docs/coding-lab-errors.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.spec import RunResult, Status

LANGUAGES = ("python3", "c", "cpp", "java", "javascript")

#: The sandbox's work directory, where the program's files live during a run.
WORK_DIR = "/work/"

#: Explanations kept from one output (a compiler can report hundreds of errors).
MAX_EXPLANATIONS = 10

#: Longer lines are cut before they are read: the output is the student's, and no
#: message worth explaining is that long.
MAX_LINE = 2000

GENERIC_CODES = ("unknown", "exception", "compile_error")

STATUS_CODES = ("run.time_limit", "run.memory_limit", "run.output_limit",
                "run.segmentation_fault", "run.arithmetic_signal", "run.aborted", "run.signal",
                "run.sandbox_error")

PYTHON_CODES = (
    "python.missing_colon", "python.unclosed_bracket", "python.unmatched_bracket",
    "python.mismatched_bracket", "python.unterminated_string", "python.assign_in_condition",
    "python.print_parentheses", "python.syntax_error", "python.unexpected_indent",
    "python.expected_indent", "python.unindent_mismatch", "python.tab_error",
    "python.indentation_error", "python.name_error", "python.unbound_local",
    "python.unsupported_operand", "python.concatenate", "python.not_callable",
    "python.missing_argument", "python.too_many_arguments", "python.not_subscriptable",
    "python.not_integer", "python.index_type", "python.unorderable", "python.type_error",
    "python.value_conversion", "python.value_error", "python.index_error",
    "python.key_error", "python.attribute_error", "python.module_attribute",
    "python.zero_division", "python.recursion_error", "python.eof_error",
    "python.module_not_found", "python.import_name", "python.memory_error",
    "python.assertion_error",
)

C_CODES = (
    "c.undeclared_identifier", "c.missing_std", "c.missing_header", "c.expected_semicolon",
    "c.expected",
    "c.end_of_input", "c.implicit_declaration", "c.conflicting_types", "c.too_few_arguments",
    "c.too_many_arguments", "c.undefined_reference", "c.no_main", "c.assertion_failed",
)

JAVA_CODES = (
    "java.cannot_find_symbol", "java.missing_import", "java.missing_semicolon", "java.expected",
    "java.incompatible_types", "java.lossy_conversion", "java.missing_return",
    "java.public_class_file", "java.unreported_exception", "java.uninitialized_variable",
    "java.unclosed_string", "java.end_of_file", "java.wrong_arguments",
    "java.main_class_missing", "java.null_pointer", "java.array_index", "java.string_index",
    "java.input_mismatch", "java.number_format", "java.no_such_element",
    "java.division_by_zero", "java.stack_overflow", "java.out_of_memory",
)

JAVASCRIPT_CODES = (
    "javascript.reference_error", "javascript.uninitialized", "javascript.undefined_property",
    "javascript.not_a_function", "javascript.const_assignment", "javascript.syntax_error",
    "javascript.unexpected_end", "javascript.stack_overflow", "javascript.module_not_found",
)

#: Every code :func:`explain` and :func:`explain_status` can answer with.
CODES = GENERIC_CODES + STATUS_CODES + PYTHON_CODES + C_CODES + JAVA_CODES + JAVASCRIPT_CODES


@dataclass(frozen=True)
class Explanation:
    """One error, explained by code.

    ``file``, ``line`` and ``column`` (1-based) point into one of the student's files, or
    are ``None`` when the error is not in them (a harness frame, a link error) or the
    output does not say. ``params`` fill the words of the code (all strings); ``raw`` is
    the text the explanation was read from.
    """

    code: str
    raw: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "file": self.file, "line": self.line,
                "column": self.column, "params": dict(self.params), "raw": self.raw}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Explanation:
        return cls(code=str(data["code"]), raw=str(data.get("raw") or ""),
                   file=data.get("file"), line=data.get("line"), column=data.get("column"),
                   params={str(k): str(v) for k, v in dict(data.get("params") or {}).items()})


@dataclass(frozen=True)
class _Place:
    file: str | None = None
    line: int | None = None
    column: int | None = None


class _Files:
    """Which paths are the student's: the names given, as seen from the work directory."""

    def __init__(self, student_files: Collection[str] | None,
                 sources: Mapping[str, str] | None) -> None:
        self.names = None if student_files is None else \
            {name.removeprefix("./") for name in student_files}
        self.sources = dict(sources or {})

    def name(self, path: str) -> str | None:
        """The student's file a path names, or ``None`` for any other file."""
        path = path.strip()
        if path.startswith(WORK_DIR):
            path = path[len(WORK_DIR):]
        elif path.startswith(("/", "<", "(", "node:")):
            return None
        path = path.removeprefix("./")
        if self.names is None:
            return path or None
        if path in self.names:
            return path
        base = path.rsplit("/", 1)[-1]
        return base if base in self.names else None

    def source_line(self, name: str | None, line: int | None) -> str | None:
        if name is None or line is None or name not in self.sources:
            return None
        lines = self.sources[name].splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None


def explain(language: str, output: str, student_files: Collection[str] | None = None,
            sources: Mapping[str, str] | None = None) -> list[Explanation]:
    """The errors in ``output`` (a run's stderr or a compiler's output), explained.

    :param language: a sandbox language (``python3``, ``c``, ``cpp``, ``java``,
        ``javascript``).
    :param student_files: the names of the student's files (``main.py``…); places in any
        other file (a harness, a library) do not count. ``None``: every file of the work
        directory counts.
    :param sources: the student's files' contents, when known: Python gives a column only
        relative to the line it shows without its indentation, the source restores it.
    :return: an empty list for an empty output; ``unknown`` when nothing is recognised.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")
    if not output.strip():
        return []
    files = _Files(student_files, sources)
    parser = _PARSERS[language]
    text = "\n".join(line[:MAX_LINE] for line in output.split("\n"))
    found = _dedupe(parser(text, files))[:MAX_EXPLANATIONS]
    return found or [Explanation("unknown", raw=output.strip("\n"))]


def explain_status(status: Status | str, signal: int | None = None) -> Explanation | None:
    """A run verdict that is an error by itself: an infinite loop stopped by the time
    limit, the memory limit, too much output, a program killed by a signal (a segmentation
    fault…), the sandbox failing. ``None`` for ``ok``, a compile error and a runtime error
    without a signal (their text says more: :func:`explain`), and for words that are not
    a sandbox status (a harness's ``passed``, ``failed``, ``not_run``)."""
    try:
        status = Status(status)
    except ValueError:
        return None
    if status is Status.TIME_LIMIT:
        return Explanation("run.time_limit")
    if status is Status.MEMORY_LIMIT:
        return Explanation("run.memory_limit")
    if status is Status.OUTPUT_LIMIT:
        return Explanation("run.output_limit")
    if status is Status.SANDBOX_ERROR:
        return Explanation("run.sandbox_error")
    if status is Status.RUNTIME_ERROR and signal is not None:
        if signal == 11 or signal == 7:
            return Explanation("run.segmentation_fault", params={"signal": str(signal)})
        if signal == 8:
            return Explanation("run.arithmetic_signal", params={"signal": str(signal)})
        if signal == 6:
            return Explanation("run.aborted", params={"signal": str(signal)})
        return Explanation("run.signal", params={"signal": str(signal)})
    return None


def explain_result(language: str, result: RunResult,
                   student_files: Collection[str] | None = None,
                   sources: Mapping[str, str] | None = None) -> list[Explanation]:
    """Everything worth explaining about one run: the compiler's errors, the crash, or
    the verdict. A specific explanation read from the error text comes first; the
    verdict's own explanation is given when the text says nothing recognisable (a
    segmentation fault prints nothing) or when it is a limit."""
    status = Status(result.status)
    if status is Status.OK:
        return []
    if status is Status.COMPILE_ERROR:
        return explain(language, result.compile_output, student_files, sources)
    read = explain(language, result.stderr, student_files, sources)
    found = [e for e in read if e.code != "unknown"]
    verdict = explain_status(status, result.signal)
    if status in (Status.MEMORY_LIMIT, Status.OUTPUT_LIMIT) and found:
        # A MemoryError, an OutOfMemoryError, a stack trace too long for the output
        # limit: the text says what and where.
        return found
    if status is not Status.RUNTIME_ERROR and verdict is not None:
        return [verdict]  # a limit: what the program printed before it does not matter
    if found:
        return found
    if verdict is not None:
        return [verdict]  # a segmentation fault prints nothing
    return read or [Explanation("unknown", raw=result.stderr)]


def _dedupe(found: Iterable[Explanation]) -> list[Explanation]:
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for item in found:
        key = (item.code, item.file, item.line, tuple(sorted(item.params.items())))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _quoted(text: str) -> str:
    """A Python repr'd string value without its quotes (``'clé'`` → ``clé``)."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


# -- Python -------------------------------------------------------------------------------

_PY_FRAME = re.compile(r'^  File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<fn>.*))?$')
_PY_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<message>.*))?$")
_PY_CHAIN = ("During handling of the above exception, another exception occurred:",
             "The above exception was the direct cause of the following exception:")


def _python(output: str, files: _Files) -> list[Explanation]:
    raw = output.strip("\n")
    text = raw
    for marker in _PY_CHAIN:  # the last exception of a chain is the one that stopped it
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    lines = text.splitlines()
    # The exception is the first line at the margin after the last frame (its message may
    # run on over several lines); without frames, the last line that looks like one.
    last_frame = max((i for i, line in enumerate(lines) if _PY_FRAME.match(line)), default=-1)
    candidates = range(last_frame + 1, len(lines)) if last_frame >= 0 else \
        range(len(lines) - 1, -1, -1)
    last = next((i for i in candidates if lines[i] and not lines[i][0].isspace()
                 and not lines[i].startswith("Traceback") and _PY_EXCEPTION.match(lines[i])),
                None)
    if last is None:
        return []
    match = _PY_EXCEPTION.match(lines[last])
    assert match is not None
    kind = match["type"].rsplit(".", 1)[-1]
    message = (match["message"] or "").strip()
    # Frames, outermost first; a SyntaxError's own location is a frame without ", in".
    frames: list[tuple[str, int, int]] = []  # (path, line, index in lines)
    for index, line in enumerate(lines[:last]):
        frame = _PY_FRAME.match(line)
        if frame:
            frames.append((frame["path"], int(frame["line"]), index))
    if not frames and not kind.endswith(("Error", "Exception", "Interrupt", "Exit")):
        return []  # a line the program printed, not an exception
    place = _Place()
    for path, number, index in reversed(frames):
        name = files.name(path)
        if name is not None:
            place = _Place(name, number, _python_column(lines, index, last, name, number, files))
            break
    code, params = _python_code(kind, message)
    return [Explanation(code, raw=raw, file=place.file, line=place.line, column=place.column,
                        params=params)]


def _python_column(lines: list[str], index: int, last: int, name: str, number: int,
                   files: _Files) -> int | None:
    """The column of a frame's caret, when the source gives back the stripped indent."""
    shown = lines[index + 1] if index + 1 < last else ""
    caret = lines[index + 2] if index + 2 < last else ""
    marks = re.search(r"[\^~]", caret)
    if not shown.startswith("    ") or not marks or set(caret.strip()) - set("^~"):
        return None
    source = files.source_line(name, number)
    if source is None:
        return None
    at = caret.index("^") if "^" in caret else marks.start()
    offset = at - 4
    shown_text = shown[4:]
    start = source.find(shown_text.strip()) if shown_text.strip() else -1
    if start < 0 or offset < 0:
        return None
    return start + offset - (len(shown_text) - len(shown_text.lstrip())) + 1


def _python_code(kind: str, message: str) -> tuple[str, dict[str, str]]:
    if kind == "SyntaxError":
        return _python_syntax(message)
    if kind in ("IndentationError", "TabError"):
        if kind == "TabError":
            return "python.tab_error", {}
        if message.startswith("unexpected indent"):
            return "python.unexpected_indent", {}
        expected = re.match(r"expected an indented block after (?:'(\w+)' statement|"
                            r"(function|class) definition) on line (\d+)", message)
        if expected:
            statement = expected[1] or ("def" if expected[2] == "function" else "class")
            return "python.expected_indent", {"statement": statement,
                                              "after_line": expected[3]}
        if message.startswith("unindent does not match"):
            return "python.unindent_mismatch", {}
        return "python.indentation_error", {"message": message}
    if kind == "NameError":
        name = re.match(r"name '(.+?)' is not defined(?:\. Did you mean: '(.+?)'\?)?", message)
        if name:
            params = {"name": name[1]}
            if name[2]:
                params["suggestion"] = name[2]
            return "python.name_error", params
    if kind == "UnboundLocalError":
        name = re.search(r"(?:local variable|variable) '(.+?)'", message)
        return "python.unbound_local", {"name": name[1] if name else ""}
    if kind == "TypeError":
        return _python_type(message)
    if kind == "ValueError":
        conversion = re.match(r"invalid literal for (int)\(\) with base \d+: (.*)$", message) \
            or re.match(r"could not convert string to (float): (.*)$", message)
        if conversion:
            return "python.value_conversion", {"function": conversion[1],
                                               "value": _quoted(conversion[2])}
        return "python.value_error", {"message": message}
    if kind == "IndexError":
        sequence = re.match(r"(\w+) index out of range", message)
        return "python.index_error", {"sequence": sequence[1]} if sequence else {}
    if kind == "KeyError":
        return "python.key_error", {"key": _quoted(message)}
    if kind == "AttributeError":
        suggestion = re.search(r"\. Did you mean: '(.+?)'\?$", message)
        extra = {"suggestion": suggestion[1]} if suggestion else {}
        module = re.match(r"(?:partially initialized )?module '(.+?)' has no attribute '(.+?)'",
                          message)
        if module:
            return "python.module_attribute", {"module": module[1], "name": module[2], **extra}
        attribute = re.match(r"'(.+?)' object has no attribute '(.+?)'", message)
        if attribute:
            return "python.attribute_error", {"type": attribute[1], "name": attribute[2],
                                              **extra}
    if kind == "ZeroDivisionError":
        return "python.zero_division", {}
    if kind == "RecursionError":
        return "python.recursion_error", {}
    if kind == "EOFError":
        return "python.eof_error", {}
    if kind == "ModuleNotFoundError":
        module = re.match(r"No module named '(.+?)'", message)
        return "python.module_not_found", {"module": module[1] if module else message}
    if kind == "ImportError":
        name = re.match(r"cannot import name '(.+?)' from '(.+?)'", message)
        if name:
            return "python.import_name", {"name": name[1], "module": name[2]}
    if kind == "MemoryError":
        return "python.memory_error", {}
    if kind == "AssertionError":
        return "python.assertion_error", {"message": message}
    return "exception", {"exception": kind, "message": message}


def _python_syntax(message: str) -> tuple[str, dict[str, str]]:
    if message == "expected ':'":
        return "python.missing_colon", {}
    never = re.match(r"'(.)' was never closed", message)
    if never:
        return "python.unclosed_bracket", {"bracket": never[1]}
    unmatched = re.match(r"unmatched '(.)'", message)
    if unmatched:
        return "python.unmatched_bracket", {"bracket": unmatched[1]}
    mismatched = re.match(r"closing parenthesis '(.)' does not match opening parenthesis '(.)'",
                          message)
    if mismatched:
        return "python.mismatched_bracket", {"closing": mismatched[1], "opening": mismatched[2]}
    if message.startswith(("unterminated string literal", "unterminated triple-quoted string",
                           "EOL while scanning string literal", "EOF while scanning")):
        return "python.unterminated_string", {}
    if "Maybe you meant '==' or ':=' instead of '='" in message or \
            "Maybe you meant '==' instead of '='" in message:
        return "python.assign_in_condition", {}
    if message.startswith("Missing parentheses in call to 'print'"):
        return "python.print_parentheses", {}
    return "python.syntax_error", {"message": message}


def _python_type(message: str) -> tuple[str, dict[str, str]]:
    operand = re.match(r"unsupported operand type\(s\) for (.+?): '(.+?)' and '(.+?)'", message)
    if operand:
        return "python.unsupported_operand", {"operator": operand[1], "left": operand[2],
                                              "right": operand[3]}
    concatenate = re.match(r'can only concatenate (\w+) \(not "(.+?)"\) to \w+', message)
    if concatenate:
        return "python.concatenate", {"left": concatenate[1], "right": concatenate[2]}
    callable_ = re.match(r"'(.+?)' object is not callable", message)
    if callable_:
        return "python.not_callable", {"type": callable_[1]}
    missing = re.match(r"(.+?)\(\) missing \d+ required (?:positional |keyword-only )?"
                       r"arguments?: (.+)$", message)
    if missing:
        return "python.missing_argument", {"function": missing[1],
                                           "names": missing[2].replace("'", "")}
    many = re.match(r"(.+?)\(\) takes (?:from \d+ to )?(\d+) positional arguments? but (\d+) "
                    r"(?:were|was) given", message)
    if many:
        return "python.too_many_arguments", {"function": many[1], "expected": many[2],
                                             "given": many[3]}
    subscript = re.match(r"'(.+?)' object is not subscriptable", message)
    if subscript:
        return "python.not_subscriptable", {"type": subscript[1]}
    integer = re.match(r"'(.+?)' object cannot be interpreted as an integer", message)
    if integer:
        return "python.not_integer", {"type": integer[1]}
    indices = re.match(r"(\w+) indices must be integers(?: or slices)?, not '?([\w.]+)'?",
                       message)
    if indices:
        return "python.index_type", {"sequence": indices[1], "type": indices[2]}
    unorderable = re.match(r"'(.+?)' not supported between instances of '(.+?)' and '(.+?)'",
                           message)
    if unorderable:
        return "python.unorderable", {"operator": unorderable[1], "left": unorderable[2],
                                      "right": unorderable[3]}
    return "python.type_error", {"message": message}


# -- gcc and g++ --------------------------------------------------------------------------

_GCC_DIAGNOSTIC = re.compile(r"^(?P<path>[^:\n]+?):(?P<line>\d+):(?:(?P<column>\d+):)? "
                             r"(?P<severity>fatal error|error|warning|note): (?P<message>.*)$")
_GCC_LINK = re.compile(r"^(?P<path>[^:\n]*?):(?:\(.*?\)|[^:\n]*):? undefined reference to "
                       r"[`'‘](?P<name>.+?)['’]$")
# glibc: "program: file:line: function: Assertion `expression' failed."
_GCC_ASSERT = re.compile(r"^[^:\n]*: (?P<path>[^:\n]+):(?P<line>\d+): (?:[^\n]*?: )?"
                         r"Assertion [`'‘](?P<expr>.*)['’] failed\.$")
_Q = "[‘'`\"]"
_E = "[’'`\"]"
#: Names of the C++ standard library a beginner writes without ``std::``.
STD_NAMES = frozenset({"cout", "cin", "cerr", "endl", "string", "vector", "map", "set",
                       "getline", "sort", "swap", "max", "min", "pair", "queue", "stack",
                       "array", "list", "deque", "unordered_map", "unordered_set", "abs",
                       "to_string", "stoi", "fixed", "setprecision"})


def _gcc(output: str, files: _Files) -> list[Explanation]:
    lines = output.strip("\n").splitlines()
    found: list[Explanation] = []
    starts = [i for i, line in enumerate(lines) if _GCC_DIAGNOSTIC.match(line)
              or _GCC_LINK.match(line) or _GCC_ASSERT.match(line)]
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        while end > start + 1 and _GCC_DIAGNOSTIC.match(lines[end - 1]) is None and \
                lines[end - 1].startswith(("collect2:", "In file included", "/usr/bin/ld:")):
            end -= 1
        raw = "\n".join(lines[start:end])
        line = lines[start]
        link = _GCC_LINK.match(line)
        if link:
            name = link["name"]
            if name == "main":
                found.append(Explanation("c.no_main", raw=raw))
            else:
                found.append(Explanation("c.undefined_reference", raw=raw,
                                         file=files.name(link["path"]),
                                         params={"name": name}))
            continue
        failed = _GCC_ASSERT.match(line)
        if failed:
            name = files.name(failed["path"])
            found.append(Explanation("c.assertion_failed", raw=raw, file=name,
                                     line=int(failed["line"]) if name else None,
                                     params={"expression": failed["expr"]}))
            continue
        diagnostic = _GCC_DIAGNOSTIC.match(line)
        assert diagnostic is not None
        severity, message = diagnostic["severity"], diagnostic["message"]
        coded = _gcc_code(message)
        if severity == "note" or (severity == "warning" and
                                  (coded is None or coded[0] != "c.implicit_declaration")):
            continue
        name = files.name(diagnostic["path"])
        place = _Place(name, int(diagnostic["line"]),
                       int(diagnostic["column"]) if diagnostic["column"] else None) \
            if name else _Place()
        code, params = coded or ("compile_error", {"message": message})
        found.append(Explanation(code, raw=raw, file=place.file, line=place.line,
                                 column=place.column, params=params))
    return found


def _gcc_code(message: str) -> tuple[str, dict[str, str]] | None:
    undeclared = re.match(rf"{_Q}(.+?){_E} (?:undeclared|was not declared in this scope)"
                          rf"(?:.*?; did you mean {_Q}(.+?){_E}\?)?", message)
    if undeclared:
        name, suggestion = undeclared[1], undeclared[2]
        if name in STD_NAMES and (suggestion is None or suggestion == f"std::{name}"):
            return "c.missing_std", {"name": name}
        params = {"name": name}
        if suggestion:
            params["suggestion"] = suggestion
        return "c.undeclared_identifier", params
    if re.match(rf"expected (?:{_Q};{_E}|{_Q},{_E} or {_Q};{_E})", message):
        before = re.search(rf"before {_Q}(.+?){_E}", message)
        return "c.expected_semicolon", {"before": before[1] if before else ""}
    header = re.match(r"(.+?): No such file or directory$", message)
    if header:
        return "c.missing_header", {"header": header[1]}
    if message.startswith("expected declaration or statement at end of input"):
        return "c.end_of_input", {}
    expected = re.match(rf"expected (.+?)(?: before {_Q}(.+?){_E}(?: token)?)?$", message)
    if expected:
        return "c.expected", {"expected": expected[1].replace("‘", "").replace("’", ""),
                              "before": expected[2] or ""}
    implicit = re.match(rf"implicit declaration of function {_Q}(.+?){_E}", message)
    if implicit:
        return "c.implicit_declaration", {"function": implicit[1]}
    conflicting = re.match(rf"(?:conflicting types for|ambiguating new declaration of) "
                           rf"{_Q}(.+?){_E}", message)
    if conflicting:
        return "c.conflicting_types", {"name": conflicting[1]}
    arguments = re.match(rf"too (few|many) arguments to function {_Q}(.+?){_E}", message)
    if arguments:
        return f"c.too_{arguments[1]}_arguments", {"function": arguments[2]}
    return None


# -- javac and the JVM --------------------------------------------------------------------

_JAVAC_ERROR = re.compile(r"^(?P<path>[^:\n]+\.java):(?P<line>\d+): error: (?P<message>.*)$")
_JAVA_EXCEPTION = re.compile(r"^(?:Exception in thread \"[^\"]*\" |Caused by: )"
                             r"(?P<type>[\w.$]+)(?::\s?(?P<message>.*))?$")
_JAVA_FRAME = re.compile(r"^\s+at (?:[\w.$/@-]+/)?[\w.$<>]+\((?P<file>[^:()]+)"
                         r"(?::(?P<line>\d+))?\)$")
#: Classes of java.util a beginner uses without importing them.
JAVA_UTIL = frozenset({"Scanner", "ArrayList", "List", "HashMap", "Map", "HashSet", "Set",
                       "Random", "Arrays", "Collections", "LinkedList", "Iterator",
                       "TreeMap", "Queue", "Deque", "ArrayDeque", "Stack", "Optional"})


def _java(output: str, files: _Files) -> list[Explanation]:
    text = output.strip("\n")
    if any(_JAVAC_ERROR.match(line) for line in text.splitlines()):
        return _javac(text, files)
    if "Could not find or load main class Main" in text:
        return [Explanation("java.main_class_missing", raw=text)]
    lines = text.splitlines()
    heads = [i for i, line in enumerate(lines) if _JAVA_EXCEPTION.match(line)]
    if not heads:
        return []
    head = heads[-1]  # the root cause, when there is a chain
    match = _JAVA_EXCEPTION.match(lines[head])
    assert match is not None
    place = _Place()
    for candidates in (lines[head + 1:], lines):
        for line in candidates:
            frame = _JAVA_FRAME.match(line)
            name = files.name(frame["file"]) if frame else None
            if frame and name and frame["line"]:
                place = _Place(name, int(frame["line"]))
                break
        if place.file:
            break
    kind = match["type"].rsplit(".", 1)[-1]
    code, params = _java_runtime_code(kind, (match["message"] or "").strip())
    return [Explanation(code, raw=text, file=place.file, line=place.line, params=params)]


def _java_runtime_code(kind: str, message: str) -> tuple[str, dict[str, str]]:
    if kind == "NullPointerException":
        return "java.null_pointer", {}
    if kind == "ArrayIndexOutOfBoundsException":
        bounds = re.match(r"Index (-?\d+) out of bounds for length (\d+)", message)
        return "java.array_index", {"index": bounds[1] if bounds else message,
                                    "length": bounds[2] if bounds else ""}
    if kind == "StringIndexOutOfBoundsException":
        index = re.search(r"(?:index|Index:?) (-?\d+)", message) or \
            re.search(r"(-?\d+)", message)
        return "java.string_index", {"index": index[1] if index else ""}
    if kind == "InputMismatchException":
        return "java.input_mismatch", {}
    if kind == "NumberFormatException":
        value = re.search(r'For input string: "(.*)"', message)
        return "java.number_format", {"value": value[1] if value else message}
    if kind == "NoSuchElementException":
        return "java.no_such_element", {}
    if kind == "ArithmeticException" and "by zero" in message:
        return "java.division_by_zero", {}
    if kind == "StackOverflowError":
        return "java.stack_overflow", {}
    if kind == "OutOfMemoryError":
        return "java.out_of_memory", {}
    return "exception", {"exception": kind, "message": message}


def _javac(text: str, files: _Files) -> list[Explanation]:
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if _JAVAC_ERROR.match(line)]
    found = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(lines)
        block = lines[start:end]
        while len(block) > 1 and re.match(r"^(\d+ errors?|\d+ warnings?|Note: .*)$", block[-1]):
            block.pop()
        match = _JAVAC_ERROR.match(block[0])
        assert match is not None
        name = files.name(match["path"])
        column = None
        if len(block) > 2 and block[2].strip() == "^":
            column = block[2].index("^") + 1
        code, params = _javac_code(match["message"], block[1:], match["path"])
        found.append(Explanation(code, raw="\n".join(block), file=name,
                                 line=int(match["line"]) if name else None,
                                 column=column if name else None, params=params))
    return found


def _javac_code(message: str, rest: list[str], path: str) -> tuple[str, dict[str, str]]:
    if message == "cannot find symbol":
        symbol = next((re.match(r"\s*symbol:\s+(\w+) (.+)$", line) for line in rest
                       if re.match(r"\s*symbol:", line)), None)
        kind, name = (symbol[1], symbol[2]) if symbol else ("", "")
        if kind == "class" and name in JAVA_UTIL:
            return "java.missing_import", {"name": name, "package": "java.util"}
        if kind == "method":
            name = name.split("(", 1)[0]
        return "java.cannot_find_symbol", {"kind": kind, "name": name}
    if message == "';' expected":
        return "java.missing_semicolon", {}
    expected = re.match(r"(.+) expected$", message)
    if expected:
        return "java.expected", {"expected": expected[1].replace("'", "")}
    lossy = re.match(r"incompatible types: possible lossy conversion from (\S+) to (\S+)",
                     message)
    if lossy:
        return "java.lossy_conversion", {"found": lossy[1], "required": lossy[2]}
    incompatible = re.match(r"incompatible types: (.+?) cannot be converted to (.+)$", message)
    if incompatible:
        return "java.incompatible_types", {"found": incompatible[1],
                                           "required": incompatible[2]}
    if message == "missing return statement":
        return "java.missing_return", {}
    public = re.match(r"(?:class|interface|enum|record) (\w+) is public, should be declared in "
                      r"a file named (\S+)", message)
    if public:
        return "java.public_class_file", {"name": public[1], "file": public[2],
                                          "current": path.rsplit("/", 1)[-1]}
    unreported = re.match(r"unreported exception (\S+?);", message)
    if unreported:
        return "java.unreported_exception", {"exception": unreported[1]}
    uninitialized = re.match(r"variable (\S+) might not have been initialized", message)
    if uninitialized:
        return "java.uninitialized_variable", {"name": uninitialized[1]}
    if message == "unclosed string literal":
        return "java.unclosed_string", {}
    if message == "reached end of file while parsing":
        return "java.end_of_file", {}
    arguments = re.match(r"(?:method|constructor) (\S+) in (?:class|enum|record) \S+ cannot be "
                         r"applied to given types", message)
    if arguments:
        return "java.wrong_arguments", {"method": arguments[1]}
    return "compile_error", {"message": message}


# -- Node.js ------------------------------------------------------------------------------

_JS_HEADER = re.compile(r"^(?P<path>/[^:\n]+):(?P<line>\d+)$")
_JS_ERROR = re.compile(r"^(?P<type>[A-Z]\w*(?:Error)?|Error)(?: \[\w+\])?: (?P<message>.*)$")
_JS_FRAME = re.compile(r"^\s+at (?:.*? \()?(?P<path>[^()\s]+?):(?P<line>\d+):(?P<column>\d+)\)?$")


def _javascript(output: str, files: _Files) -> list[Explanation]:
    text = output.strip("\n")
    lines = text.splitlines()
    header = _JS_HEADER.match(lines[0]) if lines else None
    # Node shows the failing source line under its header: the error follows a blank line.
    first = lines.index("") + 1 if header and "" in lines else 0
    index = next((i for i in range(first, len(lines)) if _JS_ERROR.match(lines[i])), None)
    if index is None:
        return []
    match = _JS_ERROR.match(lines[index])
    assert match is not None
    place = _Place()
    for line in lines[index + 1:]:
        frame = _JS_FRAME.match(line)
        name = files.name(frame["path"]) if frame else None
        if frame and name:
            place = _Place(name, int(frame["line"]), int(frame["column"]))
            break
    if place.file is None and header and files.name(header["path"]):
        column = None
        if len(lines) > 2 and lines[2].strip() == "^":
            column = lines[2].index("^") + 1
        place = _Place(files.name(header["path"]), int(header["line"]), column)
    code, params = _javascript_code(match["type"], match["message"].strip())
    return [Explanation(code, raw=text, file=place.file, line=place.line, column=place.column,
                        params=params)]


def _javascript_code(kind: str, message: str) -> tuple[str, dict[str, str]]:
    if kind == "ReferenceError":
        undefined = re.match(r"(\S+) is not defined", message)
        if undefined:
            return "javascript.reference_error", {"name": undefined[1]}
        early = re.match(r"Cannot access '(.+?)' before initialization", message)
        if early:
            return "javascript.uninitialized", {"name": early[1]}
    if kind == "TypeError":
        property_ = re.match(r"Cannot (?:read|set) propert(?:y|ies) (?:of )?(undefined|null) "
                             r"\((?:reading|setting) '(.+?)'\)", message) or \
            re.match(r"Cannot (?:read|set) property '(.+?)' of (undefined|null)", message)
        if property_:
            first, second = property_[1], property_[2]
            value, name = (first, second) if first in ("undefined", "null") else (second, first)
            return "javascript.undefined_property", {"value": value, "property": name}
        function = re.match(r"(.+?) is not a function", message)
        if function:
            return "javascript.not_a_function", {"name": function[1]}
        if message.startswith("Assignment to constant variable"):
            return "javascript.const_assignment", {}
    if kind == "SyntaxError":
        if message.startswith("Unexpected end of input"):
            return "javascript.unexpected_end", {}
        return "javascript.syntax_error", {"message": message}
    if kind == "RangeError" and "Maximum call stack size exceeded" in message:
        return "javascript.stack_overflow", {}
    if kind == "Error":
        module = re.match(r"Cannot find module '(.+?)'", message)
        if module:
            return "javascript.module_not_found", {"module": module[1]}
    return "exception", {"exception": kind, "message": message}


_PARSERS: dict[str, Callable[[str, _Files], list[Explanation]]] = {
    "python3": _python, "c": _gcc, "cpp": _gcc, "java": _java, "javascript": _javascript,
}
