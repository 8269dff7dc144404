"""The harness's fork server: Python tests forked from one zygote behave as ``python3 main.py``,
and the zygote gives a student program no way to the report."""

from __future__ import annotations

import pytest

from coding_lab.explain import explain
from coding_lab.harness import TestCase, TestLimits, grade
from sandbox.api import Limits, RunSpec
from sandbox.api import run as sandbox_run
from sandbox.backends.docker import DockerBackend
from sandbox.backends.process import ProcessBackend


@pytest.fixture(scope="module", autouse=True)
def process_backend() -> None:
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"


def plain_run(program: str, stdin: str = "") -> tuple[str, str, int | None]:
    """The same program as its own ``python3 main.py`` sandbox run."""
    result = sandbox_run(RunSpec(language="python3", files={"main.py": program}, stdin=stdin,
                                 limits=Limits(cpu_seconds=2)), backend="process")
    return result.stdout, result.stderr, result.exit_code


def test_tests_share_one_interpreter_start_up() -> None:
    # A forked test's interpreter was started for the harness, not for the test.
    program = "import sys\nprint('_ardoise_harness.py' in ' '.join(sys.orig_argv))\n"
    graded = grade("python3", {"main.py": program}, [TestCase("un", "", "True\n")] * 3,
                   backend="process")
    assert [t.verdict for t in graded.tests] == ["passed"] * 3


@pytest.mark.parametrize("program", [
    "def mean(values):\n    return sum(values) / len(values)\n\nprint(mean([]))\n",
    "print('(', end='')\nprint(\n",  # a syntax error: no frame at all
    "try:\n    {}['k']\nexcept KeyError as error:\n    raise ValueError('v') from error\n",
    "def down(n):\n    return down(n + 1)\n\ndown(0)\n",  # as deep as a plain run
    "import sys\nprint('bye')\nsys.exit(3)\n",
    "import sys\nsys.exit('a message')\n",
    "import atexit, threading, time\natexit.register(print, 'atexit')\n"
    "threading.Thread(target=lambda: (time.sleep(0.2), print('thread'))).start()\n"
    "print('main', __name__, __file__)\n",
    "import os, sys\nline = input()\nprint(line[::-1], sys.argv, sys.path[0], os.getcwd())\n"
    "print(sys.stdout.encoding, sys.stdin.errors, sys.stderr.line_buffering)\n",
])
def test_a_forked_test_prints_what_python3_main_py_prints(program: str) -> None:
    graded = grade("python3", {"main.py": program}, [TestCase("un", "héllo wörld\n", "")],
                   backend="process")
    stdout, stderr, exit_code = plain_run(program, "héllo wörld\n")
    test = graded.tests[0]
    assert (test.stdout, test.stderr) == (stdout, stderr)
    assert test.verdict == ("failed" if exit_code == 0 else "runtime_error")


def test_tracebacks_have_no_harness_frames_and_explain_reads_them() -> None:
    program = "values = []\nprint(sum(values) / len(values))\n"
    graded = grade("python3", {"main.py": program}, [TestCase("un", "", "0\n")],
                   backend="process")
    stderr = graded.tests[0].stderr
    assert stderr.startswith("Traceback (most recent call last):\n  File \"/work/main.py\"")
    assert "harness" not in stderr and "runpy" not in stderr
    explained = explain("python3", stderr, ["main.py"])
    assert explained and explained[0].file == "main.py" and explained[0].line == 2


def test_limits_give_the_same_verdicts_in_forked_tests() -> None:
    program = ("import sys\nn = int(input())\n"
               "if n == 1:\n    while True: pass\n"
               "if n == 2:\n    hog = bytearray(2 * 1024 ** 3)\n"
               "if n == 3:\n    sys.stdout.write('x' * 10_000_000)\n"
               "if n == 4:\n    raise SystemExit(0)\n"
               "print(n)\n")
    tests = [TestCase(str(n), f"{n}\n", f"{n}\n") for n in (1, 2, 3, 4, 5)]
    graded = grade("python3", {"main.py": program}, tests,
                   limits=TestLimits(cpu_seconds=1, memory_mb=64), backend="process")
    assert [t.verdict for t in graded.tests] == [
        "time_limit", "memory_limit", "output_limit", "failed", "passed"]


def test_a_program_cannot_forge_the_report_through_the_zygote() -> None:
    # Its parent is the zygote: it tries the parent's and the harness's descriptors and
    # memory, every descriptor it inherited, and the zygote's control socket.
    forger = (
        "import os\n"
        "found = []\n"
        "parent = os.getppid()\n"
        "grandparent = int(open(f'/proc/{parent}/stat').read().split(')')[1].split()[1])\n"
        "for pid in (parent, grandparent):\n"
        "    for what in ('fd/0', 'fd/1', 'fd/3', 'fd/4', 'mem', 'environ'):\n"
        "        try:\n"
        "            fd = os.open(f'/proc/{pid}/{what}', os.O_RDWR if what.startswith('fd/')"
        " and what != 'fd/0' else os.O_RDONLY)\n"
        "            found.append(f'{pid} {what}')\n"
        "            os.write(fd, b'forged\\n')\n"
        "        except OSError:\n"
        "            pass\n"
        "    try:\n"
        "        found.extend(os.listdir(f'/proc/{pid}/fd'))\n"
        "    except OSError:\n"
        "        pass\n"
        "for fd in range(3, 64):\n"
        "    try:\n"
        "        os.write(fd, b'forged\\n')\n"
        "        found.append(f'fd {fd}')\n"
        "    except OSError:\n"
        "        pass\n"
        "print(found)\n")
    for backend in ("process", "docker"):
        if backend == "docker":
            missing = DockerBackend().missing()
            assert not missing, f"the docker backend cannot run here: {missing}"
        graded = grade("python3", {"main.py": forger}, [TestCase("un", "", "[]\n")] * 2,
                       backend=backend)
        assert [(t.verdict, t.stdout) for t in graded.tests] == [("passed", "[]\n")] * 2


@pytest.mark.parametrize("signal", ["SIGSTOP", "SIGKILL"])
def test_a_program_that_stops_or_kills_the_zygote_only_loses_its_own_test(signal: str) -> None:
    program = ("import os, signal\nn = int(input())\n"
               f"if n == 1:\n    os.kill(os.getppid(), signal.{signal})\n"
               "print(n * 2)\n")
    tests = [TestCase("stop", "1\n", "2\n"), TestCase("after", "3\n", "6\n"),
             TestCase("function", code="from main import n\n\ndef test_n():\n    assert n\n")]
    graded = grade("python3", {"main.py": program}, tests,
                   limits=TestLimits(cpu_seconds=1), backend="process")
    # Its own end is then unknown (its parent reports it): it fails. The zygote gives way
    # to one process per test for the rest, graded as before (importing main reads stdin:
    # EOFError).
    assert [t.verdict for t in graded.tests] == ["runtime_error", "passed", "runtime_error"]
    assert "EOFError" in graded.tests[2].stderr and graded.harness_status == "ok"
