"""Beginner-friendly errors: real faulty programs through the real sandbox, explained.

Every covered error of every language is produced by a program run in the ``process``
backend (a machine that cannot run it fails these tests: nothing is skipped), and its
explanation is checked for its code, its place in the student's file and its parameters.
Captured outputs cover the edge cases; the texts are checked in French and English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, force_locale

from coding_lab.explain import (
    CODES,
    MAX_EXPLANATIONS,
    Explanation,
    explain,
    explain_result,
    explain_status,
)
from coding_lab.harness import TestCase, grade
from sandbox import Limits, RunResult, RunSpec, Status, run
from sandbox.backends.process import ProcessBackend
from web.lab_messages import LAB_TEXTS, explanation_text, location_text

ENTRY = {"python3": "main.py", "c": "main.c", "cpp": "main.cpp", "java": "Main.java",
         "javascript": "main.js"}


@dataclass(frozen=True)
class Case:
    """A faulty program and what its first explanation must say."""

    language: str
    source: str
    code: str
    line: int | None
    params: dict[str, str] = field(default_factory=dict)
    column: int | None = None
    stdin: str = ""
    status: Status | None = None


def main_class(body: str, imports: str = "") -> str:
    return f"{imports}public class Main {{\n    public static void main(String[] args) {{\n" \
           f"{body}    }}\n}}\n"


CASES: dict[str, Case] = {
    # Python: syntax and indentation.
    "py_missing_colon": Case("python3", "x = 3\nif x > 2\n    print(x)\n",
                             "python.missing_colon", 2, column=9),
    "py_unclosed_bracket": Case("python3", "total = 0\nprint((total + 2)\n",
                                "python.unclosed_bracket", 2, {"bracket": "("}, column=6),
    "py_unmatched_bracket": Case("python3", "print(1))\n", "python.unmatched_bracket", 1,
                                 {"bracket": ")"}),
    "py_mismatched_bracket": Case("python3", "x = (1, 2]\n", "python.mismatched_bracket", 1,
                                  {"closing": "]", "opening": "("}),
    "py_unterminated_string": Case("python3", "print('bonjour)\n",
                                   "python.unterminated_string", 1),
    "py_assign_in_condition": Case("python3", "x = 2\nif x = 3:\n    pass\n",
                                   "python.assign_in_condition", 2),
    "py_print_parentheses": Case("python3", "print 'bonjour'\n", "python.print_parentheses", 1),
    "py_syntax_error": Case("python3", "x = = 3\n", "python.syntax_error", 1,
                            {"message": "invalid syntax"}),
    "py_unexpected_indent": Case("python3", "x = 1\n    y = 2\n", "python.unexpected_indent", 2),
    "py_expected_indent": Case("python3", "for i in range(3):\nprint(i)\n",
                               "python.expected_indent", 2,
                               {"statement": "for", "after_line": "1"}),
    "py_expected_indent_def": Case("python3", "def f():\nreturn 1\n", "python.expected_indent",
                                   2, {"statement": "def", "after_line": "1"}),
    "py_unindent_mismatch": Case("python3", "if True:\n        x = 1\n    y = 2\n",
                                 "python.unindent_mismatch", 3),
    "py_indentation_error": Case("python3", "".join(" " * i + "if True:\n" for i in range(101))
                                 + " " * 101 + "x = 1\n", "python.indentation_error", 101,
                                 {"message": "too many levels of indentation"}),
    "py_tab_error": Case("python3", "if True:\n\tx = 1\n        y = 2\n", "python.tab_error", 3),
    # Python: run time.
    "py_name_error": Case("python3", "nombre = 3\nprint(nombr)\n", "python.name_error", 2,
                          {"name": "nombr", "suggestion": "nombre"}, column=7),
    "py_name_error_accents": Case("python3", "élève = 'Zoé'\n\nprint(élèves)\n",
                                  "python.name_error", 3, {"name": "élèves"}),
    "py_unbound_local": Case("python3", "x = 0\ndef f():\n    x += 1\nf()\n",
                             "python.unbound_local", 3, {"name": "x"}, column=5),
    "py_unsupported_operand": Case("python3", "n = input()\nprint(n - 1)\n",
                                   "python.unsupported_operand", 2,
                                   {"operator": "-", "left": "str", "right": "int"}, stdin="4\n"),
    "py_concatenate": Case("python3", "age = 12\nprint('âge : ' + age)\n", "python.concatenate", 2,
                           {"left": "str", "right": "int"}),
    "py_not_callable": Case("python3", "x = 2\nprint(x(3 + 4))\n", "python.not_callable", 2,
                            {"type": "int"}),
    "py_missing_argument": Case("python3", "def aire(l, h):\n    return l * h\n\nprint(aire(3))\n",
                                "python.missing_argument", 4, {"function": "aire", "names": "h"}),
    "py_too_many_arguments": Case("python3", "def carre(n):\n    return n * n\ncarre(1, 2)\n",
                                  "python.too_many_arguments", 3,
                                  {"function": "carre", "expected": "1", "given": "2"}),
    "py_not_subscriptable": Case("python3", "x = 5\nprint(x[0])\n", "python.not_subscriptable",
                                 2, {"type": "int"}),
    "py_not_integer": Case("python3", "n = input()\nfor i in range(n):\n    print(i)\n",
                           "python.not_integer", 2, {"type": "str"}, stdin="3\n"),
    "py_index_type": Case("python3", "t = [1, 2]\ni = input()\nprint(t[i])\n",
                          "python.index_type", 3, {"sequence": "list", "type": "str"},
                          stdin="1\n"),
    "py_unorderable": Case("python3", "n = input()\nif n > 10:\n    print('grand')\n",
                           "python.unorderable", 2,
                           {"operator": ">", "left": "str", "right": "int"}, stdin="12\n"),
    "py_type_error": Case("python3", "d = {[1]: 2}\n", "python.type_error", 1,
                          {"message": "unhashable type: 'list'"}),
    "py_value_int": Case("python3", "n = int(input())\n", "python.value_conversion", 1,
                         {"function": "int", "value": "douze"}, column=5, stdin="douze\n"),
    "py_value_float": Case("python3", "x = float(input())\n", "python.value_conversion", 1,
                           {"function": "float", "value": "3,5"}, stdin="3,5\n"),
    "py_value_error": Case("python3", "import math\nmath.sqrt(-1)\n", "python.value_error", 2,
                           {"message": "math domain error"}),
    "py_index_error": Case("python3", "notes = [1, 2, 3]\nfor i in range(4):\n"
                                      "    print(notes[i])\n",
                           "python.index_error", 3, {"sequence": "list"}, column=16),
    "py_key_error": Case("python3", "d = {'clé': 1}\nprint(d['cle'])\n", "python.key_error", 2,
                         {"key": "cle"}),
    "py_attribute_error": Case("python3", "x = 3\nx.append(2)\n", "python.attribute_error", 2,
                               {"type": "int", "name": "append"}),
    "py_attribute_suggestion": Case("python3", "l = []\nl.apend(2)\n", "python.attribute_error",
                                    2, {"type": "list", "name": "apend", "suggestion": "append"}),
    "py_module_attribute": Case("python3", "import math\nmath.squareroot(2)\n",
                                "python.module_attribute", 2,
                                {"module": "math", "name": "squareroot"}),
    "py_zero_division": Case("python3", "def moyenne(t):\n    return sum(t) / len(t)\n\n"
                                        "print(moyenne([]))\n", "python.zero_division", 2,
                             column=19),
    "py_recursion": Case("python3", "def f(n):\n    return f(n + 1)\n\nf(0)\n",
                         "python.recursion_error", 2),
    "py_eof": Case("python3", "a = input()\nb = input()\n", "python.eof_error", 2, stdin="1\n"),
    "py_module_not_found": Case("python3", "import numpyy\n", "python.module_not_found", 1,
                                {"module": "numpyy"}),
    "py_import_name": Case("python3", "from math import sqroot\n", "python.import_name", 1,
                           {"name": "sqroot", "module": "math"}),
    "py_memory": Case("python3", "x = [0] * (10 ** 10)\n", "python.memory_error", 1,
                      status=Status.MEMORY_LIMIT),
    "py_assertion": Case("python3", "x = 1\nassert x == 2, 'x vaut 1'\n",
                         "python.assertion_error", 2, {"message": "x vaut 1"}),
    "py_other_exception": Case("python3", "raise LookupError('rien')\n", "exception", 1,
                               {"exception": "LookupError", "message": "rien"}),
    "py_infinite_loop": Case("python3", "while True:\n    pass\n", "run.time_limit", None,
                             status=Status.TIME_LIMIT),
    "py_output_flood": Case("python3", "while True:\n    print('encore')\n", "run.output_limit",
                            None, status=Status.OUTPUT_LIMIT),
    # C.
    "c_undeclared": Case("c", "#include <stdio.h>\nint main(void) {\n    int total = 0;\n"
                              "    printf(\"%d\\n\", totl);\n    return 0;\n}\n",
                         "c.undeclared_identifier", 4, {"name": "totl", "suggestion": "total"},
                         column=20),
    "c_missing_header": Case("c", "#include <stdio>\nint main(void) {\n    return 0;\n}\n",
                             "c.missing_header", 1, {"header": "stdio"}, column=10),
    "c_semicolon": Case("c", "#include <stdio.h>\nint main(void) {\n    int x = 3\n"
                             "    printf(\"%d\\n\", x);\n    return 0;\n}\n",
                        "c.expected_semicolon", 4, {"before": "printf"}, column=5),
    "c_expected": Case("c", "int main(void) {\n    int x = (1 + 2;\n    return x;\n}\n",
                       "c.expected", 2, {"expected": ")", "before": ";"}),
    "c_end_of_input": Case("c", "int main(void) {\n    return 0;\n", "c.end_of_input", 2),
    "c_implicit": Case("c", "int main(void) {\n    int x = carre(3);\n    return x;\n}\n",
                       "c.implicit_declaration", 2, {"function": "carre"}, column=13),
    "c_conflicting": Case("c", "int f(int a);\nfloat f(int a) { return a; }\n"
                               "int main(void) { return f(1); }\n", "c.conflicting_types", 2,
                          {"name": "f"}),
    "c_too_few": Case("c", "int f(int a, int b) { return a + b; }\nint main(void) {\n"
                           "    return f(1);\n}\n", "c.too_few_arguments", 3, {"function": "f"}),
    "c_too_many": Case("c", "int f(int a) { return a; }\nint main(void) {\n"
                            "    return f(1, 2);\n}\n",
                       "c.too_many_arguments", 3, {"function": "f"}),
    "c_undefined_reference": Case("c", "int carre(int x);\nint main(void) {\n"
                                       "    return carre(2);\n}\n", "c.undefined_reference",
                                  None, {"name": "carre"}),
    "c_no_main": Case("c", "int f(void) { return 1; }\n", "c.no_main", None),
    "c_assert": Case("c", "#include <assert.h>\nint main(void) {\n    int n = 1;\n"
                          "    assert(n == 2);\n    return 0;\n}\n", "c.assertion_failed", 4,
                     {"expression": "n == 2"}),
    "c_segfault": Case("c", "#include <stdio.h>\nint main(void) {\n    int *p = 0;\n    *p = 3;\n"
                            "    printf(\"%d\\n\", *p);\n    return 0;\n}\n",
                       "run.segmentation_fault", None, {"signal": "11"}),
    "c_division_by_zero": Case("c", "#include <stdio.h>\nint main(void) {\n    int n;\n"
                                    "    scanf(\"%d\", &n);\n    printf(\"%d\\n\", 10 / n);\n"
                                    "    return 0;\n}\n", "run.arithmetic_signal", None,
                               {"signal": "8"}, stdin="0\n"),
    "c_infinite_loop": Case("c", "int main(void) {\n    for (;;) {}\n}\n", "run.time_limit", None,
                            status=Status.TIME_LIMIT),
    # C++.
    "cpp_undeclared": Case("cpp", "#include <iostream>\nint main() {\n    int total = 0;\n"
                                  "    std::cout << totl;\n    return 0;\n}\n",
                           "c.undeclared_identifier", 4, {"name": "totl", "suggestion": "total"},
                           column=18),
    "cpp_missing_std": Case("cpp", "#include <iostream>\nint main() {\n    cout << 1;\n"
                                   "    return 0;\n}\n", "c.missing_std", 3, {"name": "cout"}),
    "cpp_semicolon": Case("cpp", "#include <iostream>\nint main() {\n    int x = 3\n"
                                 "    std::cout << x;\n    return 0;\n}\n",
                          "c.expected_semicolon", 4, {"before": "std"}),
    "cpp_too_few": Case("cpp", "int f(int a, int b) { return a + b; }\nint main() {\n"
                               "    return f(1);\n}\n", "c.too_few_arguments", 3,
                        {"function": "int f(int, int)"}),
    "cpp_too_many": Case("cpp", "int f(int a) { return a; }\nint main() {\n"
                                "    return f(1, 2);\n}\n",
                         "c.too_many_arguments", 3, {"function": "int f(int)"}),
    "cpp_conflicting": Case("cpp", "int f(int a);\nfloat f(int a) { return a; }\n"
                                   "int main() { return f(1); }\n", "c.conflicting_types", 2),
    "cpp_undefined_reference": Case("cpp", "int carre(int x);\nint main() {\n"
                                           "    return carre(2);\n}\n", "c.undefined_reference",
                                    None, {"name": "carre(int)"}),
    "cpp_segfault": Case("cpp", "#include <iostream>\nint main() {\n    int *p = nullptr;\n"
                                "    std::cout << *p;\n    return 0;\n}\n",
                         "run.segmentation_fault", None),
    # Java: compile errors.
    "java_cannot_find_symbol": Case("java", main_class("        int total = 0;\n"
                                                       "        System.out.println(totl);\n"),
                                    "java.cannot_find_symbol", 4,
                                    {"kind": "variable", "name": "totl"}, column=28),
    "java_cannot_find_method": Case("java", main_class("        int x = carre(3);\n"),
                                    "java.cannot_find_symbol", 3,
                                    {"kind": "method", "name": "carre"}),
    "java_accents": Case("java", main_class("        int élève = 1;\n"
                                            "        System.out.println(élèves);\n"),
                         "java.cannot_find_symbol", 4, {"kind": "variable", "name": "élèves"}),
    "java_missing_import": Case("java",
                                main_class("        Scanner sc = new Scanner(System.in);\n"),
                                "java.missing_import", 3,
                                {"name": "Scanner", "package": "java.util"}),
    "java_missing_semicolon": Case("java", main_class("        int x = 3\n"
                                                      "        System.out.println(x);\n"),
                                   "java.missing_semicolon", 3, column=18),
    "java_expected": Case("java", main_class("        System.out.println(1;\n"), "java.expected",
                          3, {"expected": ")"}),
    "java_incompatible": Case("java", main_class("        int x = \"trois\";\n"),
                              "java.incompatible_types", 3,
                              {"found": "String", "required": "int"}),
    "java_lossy": Case("java", main_class("        int x = 3.5;\n"), "java.lossy_conversion", 3,
                       {"found": "double", "required": "int"}),
    "java_missing_return": Case("java", "public class Main {\n    static int signe(int a) {\n"
                                        "        if (a > 0) {\n            return 1;\n        }\n"
                                        "    }\n    public static void main(String[] args) {\n"
                                        "        signe(1);\n    }\n}\n",
                                "java.missing_return", 6),
    "java_public_class_file": Case("java", "public class Programme {\n"
                                           "    public static void main(String[] args) {\n"
                                           "    }\n}\n", "java.public_class_file", 1,
                                   {"name": "Programme", "file": "Programme.java",
                                    "current": "Main.java"}),
    "java_unreported": Case("java", main_class("        Thread.sleep(10);\n"),
                            "java.unreported_exception", 3,
                            {"exception": "InterruptedException"}),
    "java_uninitialized": Case("java",
                               main_class("        int x;\n        System.out.println(x);\n"),
                               "java.uninitialized_variable", 4, {"name": "x"}),
    "java_unclosed_string": Case("java", main_class("        System.out.println(\"abc);\n"),
                                 "java.unclosed_string", 3),
    "java_end_of_file": Case("java", "public class Main {\n"
                                     "    public static void main(String[] args) {\n"
                                     "        System.out.println(1);\n    }\n",
                             "java.end_of_file", 4),
    "java_wrong_arguments": Case("java", "public class Main {\n"
                                         "    static int f(int a) { return a; }\n"
                                         "    public static void main(String[] args) {\n"
                                         "        f(1, 2);\n    }\n}\n",
                                 "java.wrong_arguments", 4, {"method": "f"}),
    # Java: run time.
    "java_null_pointer": Case("java", main_class("        String s = null;\n"
                                                 "        System.out.println(s.length());\n"),
                              "java.null_pointer", 4),
    "java_array_index": Case("java", "public class Main {\n    static int get(int[] t) {\n"
                                     "        return t[5];\n    }\n"
                                     "    public static void main(String[] args) {\n"
                                     "        System.out.println(get(new int[3]));\n    }\n}\n",
                             "java.array_index", 3, {"index": "5", "length": "3"}),
    "java_string_index": Case("java",
                              main_class("        System.out.println(\"abc\".charAt(5));\n"),
                              "java.string_index", 3, {"index": "5"}),
    "java_input_mismatch": Case("java", main_class("        Scanner sc = new Scanner(System.in);\n"
                                                   "        int n = sc.nextInt();\n",
                                                   "import java.util.Scanner;\n"),
                                "java.input_mismatch", 5, stdin="douze\n"),
    "java_no_such_element": Case("java", main_class("        Scanner sc = new Scanner(System.in);\n"
                                                    "        int a = sc.nextInt();\n"
                                                    "        int b = sc.nextInt();\n",
                                                    "import java.util.Scanner;\n"),
                                 "java.no_such_element", 6, stdin="4\n"),
    "java_number_format": Case("java", main_class("        int n = Integer.parseInt(\"douze\");\n"),
                               "java.number_format", 3, {"value": "douze"}),
    "java_division_by_zero": Case("java", main_class("        int z = 0;\n"
                                                     "        System.out.println(3 / z);\n"),
                                  "java.division_by_zero", 4),
    "java_stack_overflow": Case("java", "public class Main {\n"
                                        "    static int f(int n) { return f(n + 1); }\n"
                                        "    public static void main(String[] args) {\n"
                                        "        f(0);\n    }\n}\n", "java.stack_overflow", 2,
                                status=Status.OUTPUT_LIMIT),  # the trace outgrows the limit
    "java_main_class_missing": Case("java", "class Programme {\n"
                                            "    public static void main(String[] args) {}\n}\n",
                                    "java.main_class_missing", None),
    # JavaScript.
    "js_reference": Case("javascript", "const total = 0;\nconsole.log(totl);\n",
                         "javascript.reference_error", 2, {"name": "totl"}, column=13),
    "js_accents": Case("javascript", "const café = 1;\nconsole.log(cafés);\n",
                       "javascript.reference_error", 2, {"name": "cafés"}),
    "js_uninitialized": Case("javascript", "console.log(a);\nlet a = 3;\n",
                             "javascript.uninitialized", 1, {"name": "a"}),
    "js_undefined_property": Case("javascript", "function inner(o) {\n  return o.x.y;\n}\n"
                                                "function outer() {\n  return inner({});\n}\n"
                                                "outer();\n", "javascript.undefined_property", 2,
                                  {"value": "undefined", "property": "y"}, column=14),
    "js_null_property": Case("javascript", "const o = null;\nconsole.log(o.nom);\n",
                             "javascript.undefined_property", 2,
                             {"value": "null", "property": "nom"}),
    "js_not_a_function": Case("javascript", "const t = [1];\nt.push2(3);\n",
                              "javascript.not_a_function", 2, {"name": "t.push2"}),
    "js_const_assignment": Case("javascript", "const x = 3;\nx = 4;\n",
                                "javascript.const_assignment", 2),
    "js_syntax": Case("javascript", "function f( {\n  return 1;\n}\n", "javascript.syntax_error",
                      2, {"message": "Unexpected number"}),
    "js_unexpected_end": Case("javascript", "function f() {\n  return 1;\n",
                              "javascript.unexpected_end", 3),
    "js_stack_overflow": Case("javascript", "function f(n) { return f(n + 1); }\nf(0);\n",
                              "javascript.stack_overflow", 1),
    "js_module_not_found": Case("javascript", "const _ = require('lodashh');\n",
                                "javascript.module_not_found", 1, {"module": "lodashh"}),
    "js_thrown": Case("javascript", "\nthrow new Error('oups');\n", "exception", 2,
                      {"exception": "Error", "message": "oups"}),
    "js_infinite_loop": Case("javascript", "while (true) {}\n", "run.time_limit", None,
                             status=Status.TIME_LIMIT),
}


@pytest.fixture(scope="module")
def backend() -> str:
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"
    return "process"


def sandbox_run(backend: str, language: str, files: dict[str, str], stdin: str = "",
                entry: str | None = None) -> RunResult:
    limits = Limits(cpu_seconds=2, memory_mb=256, output_bytes=16 * 1024)
    return run(RunSpec(language=language, files=files, entry=entry, stdin=stdin, limits=limits),
               backend=backend)


@pytest.fixture(scope="module")
def results(backend: str) -> dict[str, RunResult]:
    """Every case run once, several at a time (the backend gives each run its own uid)."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = {name: pool.submit(sandbox_run, backend, case.language,
                                     {ENTRY[case.language]: case.source}, case.stdin)
                   for name, case in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


def test_every_code_of_a_language_is_produced_by_a_real_program() -> None:
    produced = {case.code for case in CASES.values()}
    never = {"compile_error", "unknown", "run.signal", "run.aborted", "run.memory_limit",
             "run.sandbox_error", "java.out_of_memory"}  # each covered by its own test below
    assert set(CODES) - produced == never


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_faulty_program_is_explained_at_its_line(results: dict[str, RunResult],
                                                   name: str) -> None:
    case = CASES[name]
    result = results[name]
    assert result.status is not Status.SANDBOX_ERROR, result.stderr
    if case.status is not None:
        assert result.status is case.status, result
    entry = ENTRY[case.language]
    found = explain_result(case.language, result, [entry], {entry: case.source})
    assert found, result
    first = found[0]
    assert first.code == case.code, (first, result.stderr, result.compile_output)
    assert first.line == case.line, (first, result.stderr, result.compile_output)
    assert first.file == (entry if case.line is not None else first.file)
    for key, value in case.params.items():
        assert first.params.get(key) == value, first
    if case.column is not None:
        assert first.column == case.column, first
    if not first.code.startswith("run."):
        assert first.raw and first.raw in (result.stderr + result.compile_output)


def test_a_c_program_that_aborts_without_saying_why_is_explained_by_its_signal(
        backend: str) -> None:
    result = sandbox_run(backend, "c", {"main.c": "#include <stdlib.h>\n"
                                                  "int main(void) { abort(); }\n"})
    assert result.signal == 6
    assert [e.code for e in explain_result("c", result, ["main.c"])] == ["run.aborted"]


def test_a_program_killed_by_another_signal_names_it(backend: str) -> None:
    result = sandbox_run(backend, "c", {"main.c": "#include <signal.h>\n"
                                                  "int main(void) { raise(SIGTERM); }\n"})
    assert result.signal == 15
    found = explain_result("c", result, ["main.c"])
    assert [(e.code, dict(e.params)) for e in found] == [("run.signal", {"signal": "15"})]


def test_a_c_program_using_too_much_memory_gets_the_memory_verdict(backend: str) -> None:
    source = ("#include <stdlib.h>\n#include <string.h>\n#include <stdio.h>\nint main(void) {\n"
              "    for (;;) {\n        char *p = malloc(1 << 20);\n        if (!p) return 1;\n"
              "        memset(p, 1, 1 << 20);\n    }\n"
              "}\n")
    result = sandbox_run(backend, "c", {"main.c": source})
    assert result.status is Status.MEMORY_LIMIT, result
    assert [e.code for e in explain_result("c", result, ["main.c"])] == ["run.memory_limit"]


def test_java_running_out_of_heap_is_explained_at_its_line(backend: str) -> None:
    source = main_class("        long[][] t = new long[100000][];\n"
                        "        for (int i = 0; i < t.length; i++) t[i] = new long[100000];\n")
    result = sandbox_run(backend, "java", {"Main.java": source})
    assert result.status is Status.MEMORY_LIMIT, result
    found = explain_result("java", result, ["Main.java"])
    assert [(e.code, e.line) for e in found] == [("java.out_of_memory", 4)]


def test_an_unknown_compile_error_keeps_the_compilers_words(backend: str) -> None:
    source = "int main(void) {\n    int x = 1;\n    x.champ = 2;\n    return 0;\n}\n"
    result = sandbox_run(backend, "c", {"main.c": source})
    found = explain_result("c", result, ["main.c"])
    assert found[0].code == "compile_error" and found[0].line == 3
    assert "request for member" in found[0].params["message"]


def test_javac_reports_each_error_in_order(backend: str) -> None:
    source = main_class("        int x = \"un\";\n        String s = 3;\n"
                        "        System.out.println(y);\n")
    result = sandbox_run(backend, "java", {"Main.java": source})
    found = explain_result("java", result, ["Main.java"])
    assert [(e.code, e.line) for e in found] == [
        ("java.incompatible_types", 3), ("java.incompatible_types", 4),
        ("java.cannot_find_symbol", 5)]
    assert [e.params["found"] for e in found[:2]] == ["String", "int"]
    assert all(e.raw.startswith("Main.java:") and "error" not in e.raw.splitlines()[-1]
               for e in found)


# -- Harness frames: only the student's files count -------------------------------------

STUDENT = "def moyenne(notes):\n    total = 0\n    for n in notes:\n        total += n\n" \
          "    return total / len(notes)\n"


def test_an_error_in_the_students_function_called_by_a_harness_points_into_the_student_file(
        backend: str) -> None:
    harness = ("import solution\n\n\ndef test():\n    return solution.moyenne([])\n\n\n"
               "print(test())\n")
    result = sandbox_run(backend, "python3", {"solution.py": STUDENT, "harness.py": harness},
                         entry="harness.py")
    found = explain_result("python3", result, ["solution.py"])
    assert [(e.code, e.file, e.line) for e in found] == [("python.zero_division", "solution.py", 5)]
    # Without saying which files are the student's, the innermost frame of the work
    # directory is the place.
    assert explain("python3", result.stderr)[0].file == "solution.py"


def test_an_error_raised_in_the_harness_itself_has_no_student_line(backend: str) -> None:
    harness = "import solution\n\nresult = solution.moyenne([2, 4])\nprint(result + 'x')\n"
    result = sandbox_run(backend, "python3", {"solution.py": STUDENT, "harness.py": harness},
                         entry="harness.py")
    found = explain_result("python3", result, ["solution.py"])
    assert len(found) == 1
    assert (found[0].code, found[0].file, found[0].line) == ("python.unsupported_operand", None,
                                                             None)
    assert "harness.py" in found[0].raw  # the raw text stays whole, one click away


def test_a_syntax_error_in_a_student_module_imported_by_the_harness(backend: str) -> None:
    harness = "import solution\nprint(solution.moyenne([1]))\n"
    broken = "def moyenne(notes)\n    return sum(notes) / len(notes)\n"
    result = sandbox_run(backend, "python3", {"solution.py": broken, "harness.py": harness},
                         entry="harness.py")
    found = explain_result("python3", result, ["solution.py"])
    assert [(e.code, e.file, e.line) for e in found] == [("python.missing_colon", "solution.py", 1)]


def test_a_javascript_harness_frame_is_skipped(backend: str) -> None:
    student = "function premier(t) {\n  return t[0].nom;\n}\nmodule.exports = { premier };\n"
    harness = "const { premier } = require('./solution.js');\nconsole.log(premier([]));\n"
    result = sandbox_run(backend, "javascript", {"solution.js": student, "harness.js": harness},
                         entry="harness.js")
    found = explain_result("javascript", result, ["solution.js"])
    assert [(e.code, e.file, e.line) for e in found] == [
        ("javascript.undefined_property", "solution.js", 2)]


def test_a_java_helper_class_of_the_harness_is_skipped(backend: str) -> None:
    student = "public class Calcul {\n    public static int diviser(int a, int b) {\n" \
              "        return a / b;\n    }\n}\n"
    harness = main_class("        System.out.println(Calcul.diviser(1, 0));\n")
    result = run(RunSpec(language="java", files={"Main.java": harness, "Calcul.java": student}),
                 backend=backend)
    found = explain_result("java", result, ["Calcul.java"])
    assert [(e.code, e.file, e.line) for e in found] == [
        ("java.division_by_zero", "Calcul.java", 3)]
    found = explain_result("java", result, ["Main.java"])
    assert [(e.file, e.line) for e in found] == [("Main.java", 3)]


# -- Captured outputs: edge cases -------------------------------------------------------

CHAINED = """Traceback (most recent call last):
  File "/work/main.py", line 3, in <module>
    valeur = int(texte)
             ^^^^^^^^^^
ValueError: invalid literal for int() with base 10: 'x'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/work/main.py", line 5, in <module>
    print(reponse)
          ^^^^^^^
NameError: name 'reponse' is not defined
"""

THROUGH_LIBRARY = """Traceback (most recent call last):
  File "/work/harness.py", line 12, in run_test
    value = student.tirage([])
            ^^^^^^^^^^^^^^^^^^
  File "/work/main.py", line 4, in tirage
    return random.choice(valeurs)
           ^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/lib/python3.11/random.py", line 373, in choice
    raise IndexError('Cannot choose from an empty sequence')
IndexError: Cannot choose from an empty sequence
"""

NON_ASCII_KEY = """Traceback (most recent call last):
  File "/work/main.py", line 2, in <module>
    print(capitales['Québec'])
          ~~~~~~~~~^^^^^^^^^^
KeyError: 'Québec'
"""

JAVA_CAUSED_BY = """Exception in thread "main" java.lang.RuntimeException: \
java.lang.NumberFormatException: For input string: "x"
\tat Main.main(Main.java:9)
Caused by: java.lang.NumberFormatException: For input string: "x"
\tat java.base/java.lang.NumberFormatException.forInputString(NumberFormatException.java:67)
\tat java.base/java.lang.Integer.parseInt(Integer.java:668)
\tat Main.lire(Main.java:14)
\t... 1 more
"""


def test_the_last_exception_of_a_chain_is_the_one_explained() -> None:
    found = explain("python3", CHAINED, ["main.py"])
    assert [(e.code, e.line, dict(e.params)) for e in found] == [
        ("python.name_error", 5, {"name": "reponse"})]
    assert found[0].raw == CHAINED.strip("\n")


def test_a_library_frame_below_the_students_code_points_at_the_students_call() -> None:
    found = explain("python3", THROUGH_LIBRARY, ["main.py"],
                    {"main.py": "import random\n\ndef tirage(valeurs):\n"
                                "    return random.choice(valeurs)\n"})
    assert [(e.code, e.file, e.line, e.column) for e in found] == [
        ("python.index_error", "main.py", 4, 12)]
    assert found[0].params == {}  # not a message of the usual shape


MULTI_LINE_MESSAGE = """Traceback (most recent call last):
  File "/work/main.py", line 3, in <module>
    lire(texte)
  File "/work/main.py", line 2, in lire
    raise ValueError("première ligne\\nseconde: ligne")
ValueError: première ligne
seconde: ligne
"""


def test_a_message_over_several_lines_keeps_its_exception() -> None:
    found = explain("python3", MULTI_LINE_MESSAGE, ["main.py"])
    assert [(e.code, e.line, dict(e.params)) for e in found] == [
        ("python.value_error", 2, {"message": "première ligne"})]


def test_non_ascii_names_survive() -> None:
    found = explain("python3", NON_ASCII_KEY, ["main.py"])
    assert (found[0].code, found[0].params["key"]) == ("python.key_error", "Québec")


def test_the_root_cause_of_a_java_chain_is_explained_at_its_student_frame() -> None:
    found = explain("java", JAVA_CAUSED_BY, ["Main.java"])
    assert [(e.code, e.line, dict(e.params)) for e in found] == [
        ("java.number_format", 14, {"value": "x"})]


def test_a_cascade_of_compiler_errors_is_capped() -> None:
    output = "".join(f"main.c:{n}:5: error: ‘v{n}’ undeclared (first use in this function)\n"
                     f"    {n} |     v{n} = 1;\n      |     ^~\n" for n in range(1, 30))
    found = explain("c", output, ["main.c"])
    assert len(found) == MAX_EXPLANATIONS
    assert [e.line for e in found] == list(range(1, MAX_EXPLANATIONS + 1))
    assert found[0].raw == "main.c:1:5: error: ‘v1’ undeclared (first use in this function)\n" \
                           "    1 |     v1 = 1;\n      |     ^~"


def test_a_diagnostic_in_a_header_of_the_system_has_no_student_place() -> None:
    output = ("In file included from main.cpp:1:\n/usr/include/c++/12/bits/stl_vector.h:5:3: "
              "error: expected ‘;’ before ‘}’ token\n")
    found = explain("cpp", output, ["main.cpp"])
    assert [(e.code, e.file, e.line) for e in found] == [("c.expected_semicolon", None, None)]


def test_unrecognised_text_gets_the_generic_explanation_with_the_raw_text() -> None:
    for language in ("python3", "c", "cpp", "java", "javascript"):
        found = explain(language, "quelque chose s’est mal passé\n", [ENTRY[language]])
        assert [(e.code, e.raw, e.line) for e in found] == [
            ("unknown", "quelque chose s’est mal passé", None)]
    assert explain("python3", "  \n") == []


def test_a_hostile_error_output_is_read_whole_as_unknown() -> None:
    # A program controls its stderr: a long line built to make a pattern backtrack
    # (it took seconds before lines were cut and the assertion pattern anchored).
    hostile = "x: y:1: " * 8000 + "\n"
    found = explain("c", hostile, ["main.c"])
    assert [(e.code, e.raw) for e in found] == [("unknown", hostile.strip("\n"))]


def test_a_line_the_program_printed_is_not_taken_for_an_exception() -> None:
    assert [e.code for e in explain("python3", "attention\n")] == ["unknown"]


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError):
        explain("cobol", "error")


@pytest.mark.parametrize("status, signal, code", [
    (Status.TIME_LIMIT, None, "run.time_limit"), (Status.MEMORY_LIMIT, None, "run.memory_limit"),
    (Status.OUTPUT_LIMIT, None, "run.output_limit"),
    (Status.SANDBOX_ERROR, None, "run.sandbox_error"),
    ("runtime_error", 11, "run.segmentation_fault"), (Status.RUNTIME_ERROR, 8,
                                                      "run.arithmetic_signal"),
    (Status.RUNTIME_ERROR, 6, "run.aborted"), (Status.RUNTIME_ERROR, 9, "run.signal"),
    (Status.RUNTIME_ERROR, None, None), (Status.OK, None, None),
    (Status.COMPILE_ERROR, None, None),
])
def test_a_verdict_is_explained_by_itself(status: Status | str, signal: int | None,
                                          code: str | None) -> None:
    explained = explain_status(status, signal)
    assert (explained.code if explained else None) == code


def test_an_explanation_survives_storage_as_json() -> None:
    explanation = explain("python3", CHAINED, ["main.py"])[0]
    assert Explanation.from_dict(explanation.to_dict()) == explanation
    assert explanation.to_dict()["params"] == {"name": "reponse"}


# -- The words ------------------------------------------------------------------------

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


@pytest.fixture(scope="module")
def words_app() -> Iterator[Flask]:
    app = Flask(__name__)
    Babel(app, default_locale="fr", default_translation_directories=str(TRANSLATIONS))
    with app.app_context():
        yield app


def placeholders(code: str) -> set[str]:
    """The parameters a code's texts use (the English texts are the catalogue's ids)."""
    texts = LAB_TEXTS[code]
    found: set[str] = set()
    with force_locale("en"):
        for text in (texts.title, texts.meaning, texts.cause, texts.hint, texts.suggestion):
            if text is not None:
                found |= set(re.findall(r"%\((\w+)\)s", str(text)))
    return found


def test_every_code_has_texts_and_no_text_lacks_a_code() -> None:
    assert set(LAB_TEXTS) == set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_code_reads_in_french_and_in_english(words_app: Flask, code: str) -> None:
    params = {name: f"«{name}»" for name in placeholders(code)}
    explanation = Explanation(code, params=params)
    with force_locale("en"):
        english = explanation_text(explanation)
    with force_locale("fr"):
        french = explanation_text(explanation)
    for words in (english, french):
        assert set(words) == {"title", "meaning", "cause", "hint"}
        for text in words.values():
            assert text.strip() and "%(" not in text
        for value in params.values():  # every parameter shows somewhere
            assert any(value in text for text in words.values()), (code, value, words)
    for key in ("title", "meaning", "cause", "hint"):
        assert english[key] != french[key], (code, key)


def test_a_suggested_name_replaces_the_hint(words_app: Flask, results: dict[str, RunResult]
                                            ) -> None:
    explanation = explain_result("python3", results["py_name_error"], ["main.py"])[0]
    with force_locale("fr"):
        words = explanation_text(explanation.to_dict())
    assert words["title"] == "« nombr » n’est pas défini"
    assert words["hint"] == ("Voulais-tu écrire « nombre » ? Python a trouvé un nom qui y "
                             "ressemble.")
    with force_locale("en"):
        plain = explanation_text(Explanation("python.name_error", params={"name": "nombr"}))
    assert plain["hint"].startswith("Check the spelling")


def test_an_unknown_code_reads_as_the_generic_explanation(words_app: Flask) -> None:
    with force_locale("en"):
        words = explanation_text({"code": "python.future_error", "params": {}})
    assert words["title"] == "Your program stopped with an error"


# -- Through the coding lab's harness -----------------------------------------------------

def test_errors_of_tests_run_by_the_harness_point_into_the_students_file(backend: str) -> None:
    student = "def moyenne(notes):\n    return sum(notes) / len(notes)\n\n\n" \
              "if __name__ == '__main__':\n" \
              "    print(moyenne([int(x) for x in input().split()]))\n"
    tests = [TestCase("io", stdin="2 4\n", expected="3.0\n"),
             TestCase("vide", stdin="\n", expected="0\n"),
             TestCase("fonction", code="from main import moyenne\n\n\ndef test_vide():\n"
                                       "    assert moyenne([]) == 0\n")]
    grading = grade("python3", {"main.py": student}, tests, backend=backend)
    verdicts = [t.verdict for t in grading.tests]
    assert verdicts == ["passed", "runtime_error", "runtime_error"], grading
    for test in grading.tests[1:]:
        found = explain("python3", test.stderr, ["main.py"])
        assert [(e.code, e.file, e.line) for e in found] == [
            ("python.zero_division", "main.py", 2)], test.stderr
    assert explain_status(grading.tests[0].verdict) is None


def test_a_compile_error_reported_by_the_harness_is_explained(backend: str) -> None:
    source = "#include <stdio.h>\nint main(void) {\n    printf(\"%d\\n\", n);\n    return 0;\n}\n"
    grading = grade("c", {"main.c": source}, [TestCase("un", expected="1\n")], backend=backend)
    found = explain("c", grading.compile_output, ["main.c"])
    assert [(e.code, e.line, dict(e.params)) for e in found] == [
        ("c.undeclared_identifier", 3, {"name": "n"})]


def test_the_place_reads_in_both_languages(words_app: Flask) -> None:
    explanation = Explanation("c.undeclared_identifier", file="main.c", line=4, column=20,
                              params={"name": "totl"})
    with force_locale("fr"):
        assert location_text(explanation) == "Ligne 4, colonne 20 de main.c"
        assert location_text({"code": "python.eof_error", "file": "main.py", "line": 2}) == \
            "Ligne 2 de main.py"
    with force_locale("en"):
        assert location_text(explanation.to_dict()) == "Line 4, column 20 of main.c"
        assert location_text(Explanation("c.undefined_reference", file="main.c")) == ""
