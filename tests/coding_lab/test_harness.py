"""All tests of a submission in one real sandbox run: verdicts, partial credit, privacy."""

from __future__ import annotations

import json

import pytest

from coding_lab.comparison import Comparison
from coding_lab.harness import TestCase, TestLimits, build_run, grade
from sandbox.backends.process import ProcessBackend

DOUBLE = ("def double(n):\n    return n * 2\n\n"
          "if __name__ == '__main__':\n    print(double(int(input())))\n")
TESTS = [
    TestCase("trois", "3\n", "6\n"),
    TestCase("cinq", "5\n", "10\n", weight=2),
    TestCase("cache", "7\n", "14\n", hidden=True, weight=3),
    TestCase("fonction", code="from main import double\n\ndef test_double():\n"
                                "    assert double(4) == 8\n    assert double(-1) == -2\n"),
]


@pytest.fixture(scope="module", autouse=True)
def process_backend() -> None:
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"


def test_a_right_program_passes_every_test_in_one_run() -> None:
    graded = grade("python3", {"main.py": DOUBLE}, TESTS, points=10, backend="process")
    assert [t.verdict for t in graded.tests] == ["passed"] * 4
    assert graded.score == 10 and graded.max_score == 10 and graded.harness_status == "ok"


def test_partial_credit_follows_the_weights_of_the_passed_tests() -> None:
    # Right for small numbers only: 3 and 5 pass (weights 1 + 2), 7 and the function fail.
    program = ("def double(n):\n    return n\n\nif __name__ == '__main__':\n"
               "    n = int(input())\n    print(n * 2 if n < 6 else n)\n")
    graded = grade("python3", {"main.py": program}, TESTS, points=14, backend="process")
    assert [t.verdict for t in graded.tests] == ["passed", "passed", "failed", "failed"]
    assert graded.score == pytest.approx(14 * 3 / 7)
    failed = graded.tests[3]
    assert failed.assertion == "assert double(4) == 8"
    # A program that reads its input when imported fails the function test by its error.
    eager = "n = int(input())\nprint(n * 2)\ndef double(n):\n    return n * 2\n"
    graded = grade("python3", {"main.py": eager}, TESTS, points=14, backend="process")
    assert graded.tests[3].verdict == "runtime_error" and "EOFError" in graded.tests[3].stderr


def test_each_failure_gets_its_own_verdict_and_the_others_still_run() -> None:
    program = ("import sys\nn = int(input())\n"
               "if n == 3:\n    while True: pass\n"
               "if n == 5:\n    print(1 / 0)\n"
               "if n == 7:\n    sys.stdout.write('x' * 10_000_000)\n"
               "print(n * 2)\n")
    tests = [*TESTS[:3], TestCase("huit", "8\n", "16\n")]
    graded = grade("python3", {"main.py": program}, tests,
                   limits=TestLimits(cpu_seconds=1), backend="process")
    assert [t.verdict for t in graded.tests] == [
        "time_limit", "runtime_error", "output_limit", "passed"]
    assert "ZeroDivisionError" in graded.tests[1].stderr


def test_a_failure_that_stops_makes_the_rest_not_run() -> None:
    tests = [TestCase("un", "1\n", "2\n", stop_on_failure=True), *TESTS[:2]]
    graded = grade("python3", {"main.py": "print(0)\n"}, tests, backend="process")
    assert [t.verdict for t in graded.tests] == ["failed", "not_run", "not_run"]
    assert graded.score == 0


def test_compiled_languages_compile_once_and_report_compile_errors() -> None:
    c_program = ("#include <stdio.h>\nint main(void) { int n; scanf(\"%d\", &n);"
                 " printf(\"%d\\n\", n * 2); return 0; }\n")
    graded = grade("c", {"main.c": c_program}, TESTS[:3], backend="process")
    assert [t.verdict for t in graded.tests] == ["passed"] * 3
    java = ("public class Main { public static void main(String[] a) {"
            " System.out.println(new java.util.Scanner(System.in).nextInt() * 2) } }")
    broken = grade("java", {"Main.java": java}, TESTS[:2], backend="process")
    assert [t.verdict for t in broken.tests] == ["compile_error"] * 2
    assert "';' expected" in broken.compile_output and broken.score == 0


def test_comparison_modes_apply_per_test_or_from_the_exercise() -> None:
    program = "print('Aire :', 3.14159)\n"
    tests = [TestCase("défaut", "", "aire : 3.1416\n"),
             TestCase("propre", "", "Aire : 3.1416", comparison=Comparison(
                 "numbers", tolerance=0.001))]
    graded = grade("python3", {"main.py": program}, tests,
                   comparison=Comparison("ignore_case"), backend="process")
    assert [t.verdict for t in graded.tests] == ["failed", "passed"]


def test_expected_outputs_never_enter_the_sandbox() -> None:
    spec, _nonce = build_run("python3", {"main.py": DOUBLE}, TESTS, TestLimits())
    shipped = json.dumps({**spec.files, "stdin": spec.stdin}, ensure_ascii=False)
    assert "14\\n" not in shipped and '"expected"' not in shipped
    # A program that looks for them finds nothing: it cannot pass a hidden test by reading.
    snoop = ("import os\nfound = '?'\n"
             "for name in os.listdir('.'):\n"
             "    if name != 'main.py' and os.path.isfile(name):\n"
             "        text = open(name, errors='replace').read()\n"
             "        if 'secret-' + '4242' in text:\n"
             "            found = 'secret-' + '4242'\n"
             "print(found)\n")
    hidden = TestCase("cache", "", "secret-4242\n", hidden=True)
    graded = grade("python3", {"main.py": snoop}, [hidden], backend="process")
    assert graded.tests[0].verdict == "failed" and graded.tests[0].stdout == "?\n"


def test_a_program_cannot_forge_the_harness_report() -> None:
    forger = ("import os, json\n"
              "for pid in os.listdir('/proc'):\n"
              "    try:\n"
              "        fd = os.open(f'/proc/{pid}/fd/1', os.O_WRONLY)\n"
              "        os.write(fd, b'forged\\n')\n"
              "    except (OSError, ValueError):\n"
              "        pass\n"
              "print('nope')\n")
    graded = grade("python3", {"main.py": forger}, TESTS[:2], backend="process")
    assert [t.verdict for t in graded.tests] == ["failed", "failed"]
    assert graded.score == 0
