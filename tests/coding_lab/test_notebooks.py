"""Notebook assignments: teacher notebooks checked, student versions, restored submissions and
real grading with a kernel inside the sandbox (a missing backend fails, never skips)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from click.testing import CliRunner, Result
from nbformat import NotebookNode

from ardoise.cli.commands import cli
from coding_lab import notebooks
from coding_lab.notebooks import GradingReport, NotebookError
from sandbox.backends.docker import DockerBackend
from sandbox.backends.process import ProcessBackend

FILES = Path(__file__).parent / "files"
TEACHER = (FILES / "functions-teacher.ipynb").read_bytes()
#: Cells run for a second each at most here: the timeouts of the tests cost little.
CELL_TIMEOUT = 3.0

RIGHT = {
    "square": 'def square(x):\n    """The square of x."""\n    return x ** 2\n',
    "mean": "def mean(values):\n    return sum(values) / len(values)\n",
    "hypotenuse": "hyp = math.sqrt(3 ** 2 + 4 ** 2)\nassert hyp == 5",
    "explain": "Because len([]) is 0.",
}
HIDDEN_MARKS = ("HIDDEN_CASE_ONE_TWO", "hidden secret", "mean([-4, 4])")


def student_copy() -> NotebookNode:
    """What a student receives, as a student's notebook program would hand it back."""
    assignment = notebooks.load_assignment(TEACHER)
    return nbformat.reads(notebooks.student_version_bytes(assignment).decode(), as_version=4)


def answered(answers: dict[str, str], notebook: NotebookNode | None = None) -> NotebookNode:
    notebook = notebook if notebook is not None else student_copy()
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return notebook


def cell_of(notebook: NotebookNode, grade_id: str) -> NotebookNode:
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def grade(submission: NotebookNode, backend: str = "process") -> GradingReport:
    return notebooks.grade_notebook(TEACHER, nbformat.writes(submission), CELL_TIMEOUT,
                                    backend=backend, language="en")


def verdicts_of(report: GradingReport) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in report.results["tests"]}


def student_facing(report: GradingReport) -> list[str]:
    """Everything of a report a student may see."""
    return [json.dumps(report.results, ensure_ascii=False), report.html,
            nbformat.writes(report.feedback)]


@pytest.fixture(scope="module", autouse=True)
def process_backend() -> None:
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"


# The teacher's notebook and the student version (no sandbox).

def test_the_teacher_notebook_is_read_with_its_graded_cells() -> None:
    assignment = notebooks.load_assignment(TEACHER)
    kinds = {c.grade_id: (c.kind, c.points, c.hidden) for c in assignment.cells}
    assert kinds["square"] == ("answer", 0.0, False)
    assert kinds["test_square"] == ("test", 2.0, False)
    assert kinds["test_mean_hidden"] == ("test", 2.0, True)
    assert kinds["hypotenuse"] == ("autograded_answer", 1.0, False)
    assert kinds["explain"] == ("manual_answer", 2.0, False)
    assert kinds["setup"] == ("locked", 0.0, False)
    assert assignment.max_score == 6


def test_the_student_version_has_no_solution_no_hidden_test_and_no_output() -> None:
    teacher = nbformat.reads(TEACHER.decode(), as_version=4)
    teacher.cells[3].outputs = [nbformat.v4.new_output("stream", text="teacher's 9\n")]
    assignment = notebooks.load_assignment(nbformat.writes(teacher))
    version = notebooks.student_version(assignment)
    text = nbformat.writes(version)
    for secret in ("return x * x", "sum(values) / len(values)", "math.hypot",
                   "Division by zero", "BEGIN SOLUTION", "END SOLUTION", "teacher's 9",
                   *HIDDEN_MARKS, "BEGIN HIDDEN"):
        assert secret not in text
    assert cell_of(version, "square").source == (
        'def square(x):\n    """The square of x."""\n    # YOUR CODE HERE\n'
        "    raise NotImplementedError()")
    assert cell_of(version, "hypotenuse").source == (
        "# Store the hypotenuse of a 3-4-5 triangle in hyp\n# YOUR CODE HERE\n"
        "raise NotImplementedError()\nassert hyp == 5")
    assert cell_of(version, "explain").source.endswith("YOUR ANSWER HERE")
    assert cell_of(version, "test_mean_hidden").source == "# The mean of other lists"
    assert cell_of(version, "test_square").metadata["editable"] is False
    assert all(c.get("outputs", []) == [] for c in version.cells)
    nbformat.validate(version)


def _teacher_with(change: Any) -> bytes:
    notebook = nbformat.reads(TEACHER.decode(), as_version=4)
    change(notebook)
    return nbformat.writes(notebook).encode()


@pytest.mark.parametrize(("change", "code", "words"), [
    (lambda nb: nb.cells[5].metadata["nbgrader"].update(grade_id="test_square"),
     "notebook_duplicate_grade_id", "cell 6 ('test_square'): grade_id already used by cell 4"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(points=-1),
     "notebook_points", "cell 4 ('test_square'): points must be 0 or more"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].pop("points"),
     "notebook_points", "cell 4 ('test_square'): a graded cell needs"),
    (lambda nb: nb.cells[3].metadata["nbgrader"].update(grade_id="no spaces"),
     "notebook_grade_id", "cell 4: metadata.nbgrader.grade_id"),
    (lambda nb: setattr(nb.cells[2], "source", "### BEGIN SOLUTION\nx = 1\n"),
     "notebook_markers", "cell 3 ('square'): '### BEGIN SOLUTION' is never closed"),
    (lambda nb: nb.cells.append(nbformat.v4.new_code_cell(
        "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS")),
     "notebook_markers", "cell 10: '### BEGIN HIDDEN TESTS' in a cell without nbgrader"),
    (lambda nb: setattr(nb.cells[2], "source",
                        "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"),
     "notebook_markers", "cell 3 ('square'): '### BEGIN HIDDEN TESTS' outside a test cell"),
])
def test_a_bad_teacher_notebook_is_refused_naming_the_cell(change: Any, code: str,
                                                           words: str) -> None:
    with pytest.raises(NotebookError) as caught:
        notebooks.load_assignment(_teacher_with(change))
    assert caught.value.code == code
    assert words in caught.value.detail


@pytest.mark.parametrize(("data", "code"), [
    (b"\x89PNG\r\n", "notebook_malformed"),
    (b'{"cells": [}', "notebook_malformed"),
    (b'{"hello": "world"}', "notebook_malformed"),
    (b'{"cells": [{"cell_type": "code"}], "nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
     "notebook_malformed"),
    (b" " * (notebooks.MAX_NOTEBOOK_BYTES + 1), "notebook_too_large"),
])
def test_a_malformed_submission_is_refused_clearly(data: bytes, code: str) -> None:
    with pytest.raises(NotebookError) as caught:
        notebooks.prepare(TEACHER, data)
    assert caught.value.code == code
    assert "submission" in caught.value.detail


def test_restoring_puts_back_locked_and_test_cells_and_keeps_answers_and_own_cells() -> None:
    assignment = notebooks.load_assignment(TEACHER)
    submission = answered(RIGHT)
    cell_of(submission, "setup").source = "import math\n\nNOMBRES = [2, 2, 2]"
    cell_of(submission, "test_mean").source = "pass"
    own = nbformat.v4.new_code_cell("print('my own check')")
    submission.cells.insert(3, own)
    # The student moves the hidden test cell first and deletes the visible square test.
    hidden = cell_of(submission, "test_mean_hidden")
    submission.cells.remove(hidden)
    submission.cells.insert(0, hidden)
    submission.cells.remove(cell_of(submission, "test_square"))
    restored = notebooks.restore_submission(assignment, submission)
    assert sorted(restored.tampered) == ["setup", "test_mean", "test_square"]
    cells = restored.notebook.cells
    order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]
    assert order == ["intro", "setup", "square", None, "test_square", "mean", "test_mean",
                     "test_mean_hidden", "hypotenuse", "explain"]
    assert cells[restored.positions["setup"]].source == "import math\n\nNOMBRES = [1, 2, 3]"
    assert "HIDDEN_CASE_ONE_TWO" in cells[restored.positions["test_mean_hidden"]].source
    assert cells[restored.positions["mean"]].source == RIGHT["mean"]
    assert cells[3].source == "print('my own check')"


# Grading in the sandbox (process backend), one kernel run per submission.

@pytest.fixture(scope="module")
def full() -> GradingReport:
    return grade(answered(RIGHT))


@pytest.fixture(scope="module")
def partial() -> GradingReport:
    # The mean floors: right on the visible test, wrong on the hidden ones; no hypotenuse.
    return grade(answered({"square": RIGHT["square"],
                           "mean": "def mean(values):\n    return sum(values) // len(values)\n",
                           "hypotenuse": "hyp = 4\nassert hyp == 5"}))


@pytest.fixture(scope="module")
def tampered() -> GradingReport:
    submission = answered({"square": RIGHT["square"],
                           "mean": "def mean(values):\n    return 2\n"})
    cell_of(submission, "setup").source = "import math\n\nNOMBRES = [2, 2, 2]"
    cell_of(submission, "test_mean").source = "print('mean of NOMBRES is right')"
    return grade(submission)


@pytest.fixture(scope="module")
def looping() -> GradingReport:
    submission = answered({**RIGHT, "hypotenuse": "while True:\n    pass"})
    position = submission.cells.index(cell_of(submission, "square")) + 1
    submission.cells.insert(position, nbformat.v4.new_code_cell(
        "print('before the loop', flush=True)\nwhile True:\n    pass"))
    return grade(submission)


def test_a_right_notebook_earns_full_marks(full: GradingReport) -> None:
    results = full.results
    assert results["score"] == 6 and results["max_score"] == 6
    assert results["tampered"] == []
    tests = verdicts_of(full)
    assert list(tests) == ["test_square", "test_mean", "test_mean_hidden", "hypotenuse"]
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in tests.values())
    assert tests["test_square"] == {"name": "test_square", "score": 2, "max_score": 2,
                                    "status": "passed", "output": "square(3) is right\n",
                                    "visibility": "visible"}
    assert tests["test_mean_hidden"]["visibility"] == "after_published"
    assert tests["test_mean_hidden"]["output"] == "Hidden tests: passed."
    assert results["extra_data"]["manual"] == [{"name": "explain", "max_score": 2}]
    assert results["extra_data"]["kernel_restarts"] == 0


def test_a_partly_right_notebook_earns_the_points_of_its_passing_tests(
        partial: GradingReport) -> None:
    tests = verdicts_of(partial)
    assert {n: (t["status"], t["score"]) for n, t in tests.items()} == {
        "test_square": ("passed", 2), "test_mean": ("passed", 1),
        "test_mean_hidden": ("failed", 0), "hypotenuse": ("failed", 0)}
    assert partial.results["score"] == 3 and partial.results["max_score"] == 6
    assert "AssertionError" in tests["hypotenuse"]["output"]
    assert tests["test_mean_hidden"]["output"] == "Hidden tests: failed."


def test_an_unanswered_notebook_earns_nothing(tmp_path: Path) -> None:
    submission = tmp_path / "student.ipynb"
    submission.write_text(nbformat.writes(student_copy()))
    source = tmp_path / "teacher.ipynb"
    source.write_bytes(TEACHER)
    done = subprocess.run(
        [sys.executable, "-m", "ardoise", "--data-dir", str(tmp_path / "var"), "lab",
         "grade-notebook", "--source", str(source), "--submission", str(submission),
         "--cell-timeout", "3", "--backend", "process",
         "--html", str(tmp_path / "feedback.html"), "--feedback", str(tmp_path / "fb.ipynb")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert set(results) == {"score", "max_score", "tests", "tampered", "extra_data"}
    assert results["score"] == 0 and results["max_score"] == 6
    assert all(t["status"] == "failed" and t["score"] == 0 for t in results["tests"])
    assert {t["name"] for t in results["tests"]} == {"test_square", "test_mean",
                                                     "test_mean_hidden", "hypotenuse"}
    assert "NotImplementedError" in next(t["output"] for t in results["tests"]
                                         if t["name"] == "test_square")
    html = (tmp_path / "feedback.html").read_text()
    feedback = nbformat.read(tmp_path / "fb.ipynb", as_version=4)
    nbformat.validate(feedback)
    assert "Note : 0 / 6" in html  # the notes' language defaults to French
    for text in (html, nbformat.writes(feedback), done.stdout):
        assert not any(mark in text for mark in HIDDEN_MARKS)


def test_a_tampered_locked_cell_is_reported_and_graded_from_the_teacher_version(
        tampered: GradingReport) -> None:
    assert tampered.results["tampered"] == ["setup", "test_mean"]
    tests = verdicts_of(tampered)
    # The teacher's NOMBRES [1, 2, 3] and assertion were run: mean() returning 2 passes it,
    # the hidden tests catch it.
    assert tests["test_mean"]["status"] == "passed"
    assert tests["test_mean_hidden"]["status"] == "failed"
    assert tampered.results["score"] == 3
    assert "the teacher&#x27;s version was run" in tampered.html or \
        "the teacher's version was run" in tampered.html


def test_an_infinite_loop_times_out_its_cell_and_the_others_are_graded(
        looping: GradingReport) -> None:
    tests = verdicts_of(looping)
    assert {n: t["status"] for n, t in tests.items()} == {
        "test_square": "passed", "test_mean": "passed", "test_mean_hidden": "passed",
        "hypotenuse": "failed"}
    assert "ran longer than 3 s" in tests["hypotenuse"]["output"]
    assert looping.results["score"] == 5
    extra = looping.results["extra_data"]
    assert extra["kernel_restarts"] == 2
    assert extra["timed_out_cells"] == [4, 9]  # the student's own loop, then the answer
    loop_cell = looping.feedback.cells[4]  # after the score note, intro, setup and square
    assert "while True" in loop_cell.source
    assert loop_cell.outputs[0]["text"] == "before the loop\n"
    assert "ran longer than 3 s" in looping.feedback.cells[5].source


def test_hidden_tests_never_reach_what_the_student_sees(
        full: GradingReport, partial: GradingReport, tampered: GradingReport,
        looping: GradingReport) -> None:
    for report in (full, partial, tampered, looping):
        for text in student_facing(report):
            for mark in HIDDEN_MARKS:
                assert mark not in text
        hidden_cell = next(c for c in report.feedback.cells if "The mean of other lists"
                           in c.source)
        assert hidden_cell.source == "# The mean of other lists\n# (hidden tests)"
        assert hidden_cell.outputs == []


def test_output_echoing_hidden_test_code_is_withheld() -> None:
    # The student's function reads its caller's code and prints it on every call; the
    # visible test's output and the student's own cell would carry the hidden lines.
    spy = ("import inspect, linecache\n"
           "def mean(values):\n"
           "    frame = inspect.currentframe().f_back\n"
           "    global SEEN\n"
           "    SEEN = SEEN + ''.join(linecache.getlines(frame.f_code.co_filename))\n"
           "    return sum(values) / len(values)\n"
           "SEEN = ''\n")
    submission = answered({**RIGHT, "mean": spy})
    submission.cells.append(nbformat.v4.new_code_cell("print(SEEN)"))
    report = grade(submission)
    assert report.results["score"] == 6
    for text in student_facing(report):
        for mark in HIDDEN_MARKS:
            assert mark not in text
    assert "output withheld" in nbformat.writes(report.feedback)


class Tags(HTMLParser):
    """Every element and attribute of a page, as a browser would parse them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_feedback_html_escapes_everything_the_notebook_says() -> None:
    submission = answered(RIGHT)
    submission.cells.append(nbformat.v4.new_code_cell(
        "from IPython.display import display\nprint('<script>alert(1)</script>')\n"
        "display({'text/html': '<img src=x onerror=alert(2)>', 'text/plain': '<b>plain</b>'}, "
        "raw=True)"))
    submission.cells.append(nbformat.v4.new_markdown_cell(
        "Some **bold** text <script>alert(3)</script> <img src=x onerror=alert(4)>"))
    report = grade(submission)
    page = report.html
    tags = Tags(page).tags
    assert not [t for t, _ in tags if t in ("script", "iframe", "object", "embed", "b")]
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;plain&lt;/b&gt;" in page  # the text/plain form; text/html never shown
    assert "<strong>bold</strong>" in page
    assert re.search(r"Content-Security-Policy\" content=\"default-src 'none'", page)


def test_a_notebook_cannot_forge_its_results() -> None:
    # The student's cell writes full marks and kills the grader: the unsigned results are
    # not believed, and every test counts as not run.
    forger = ("import json, os, signal\n"
              "open('results.json', 'w').write(json.dumps({'payload': json.dumps("
              "{'version': 1, 'kernel_error': None, 'kernel_restarts': 0, 'cells': []}), "
              "'mac': '0' * 64}))\n"
              "os.kill(os.getppid(), signal.SIGKILL)\n")
    submission = answered({**RIGHT, "square": RIGHT["square"] + forger})
    report = grade(submission)
    assert report.results["score"] == 0
    assert all(t["status"] == "failed" for t in report.results["tests"])
    assert "problem" in report.results["extra_data"]


#: A student's cell: a server on the sandbox's own loopback answers; the host's PostgreSQL
#: (127.0.0.1:5432 on the machine running the tests) is not there.
LOOPBACK = ("import socket\n"
            "server = socket.create_server(('127.0.0.1', 0))\n"
            "client = socket.create_connection(server.getsockname(), timeout=2)\n"
            "peer, _ = server.accept()\n"
            "client.sendall(b'ping')\n"
            "print('loopback', peer.recv(4).decode())\n"
            "try:\n"
            "    socket.create_connection(('127.0.0.1', 5432), timeout=2)\n"
            "    print('host service reached')\n"
            "except OSError:\n"
            "    print('host service unreachable')\n")


def test_the_kernel_cannot_read_the_grader_inputs() -> None:
    probe = ("import os\n"
             "print(sorted(n for n in os.listdir('.') if not n.startswith('.')))\n"
             "try:\n    open(f'/proc/{os.getppid()}/mem', 'rb').read(1)\n"
             "except OSError as error:\n    print('mem', type(error).__name__)\n")
    submission = answered(RIGHT)
    submission.cells.insert(0, nbformat.v4.new_code_cell(probe))
    submission.cells.insert(1, nbformat.v4.new_code_cell(LOOPBACK))
    report = grade(submission)
    text = report.feedback.cells[1].outputs[0]["text"]
    assert "notebook.ipynb" not in text and "grading.key" not in text
    assert "grading.json" not in text
    assert "mem PermissionError" in text
    assert report.feedback.cells[2].outputs[0]["text"] == (
        "loopback ping\nhost service unreachable\n")
    assert report.results["score"] == 6


def test_docker_backend_grades_the_same_with_its_own_loopback(full: GradingReport) -> None:
    missing = DockerBackend().missing()
    assert not missing, f"the docker backend cannot run here: {missing}"
    submission = answered(RIGHT)
    submission.cells.insert(0, nbformat.v4.new_code_cell(LOOPBACK))
    report = grade(submission, backend="docker")
    assert report.results["tests"] == full.results["tests"]
    assert report.results["score"] == 6
    assert report.feedback.cells[1].outputs[0]["text"] == (
        "loopback ping\nhost service unreachable\n")


def test_a_notebook_saved_without_cell_ids_is_accepted() -> None:
    data = json.loads(nbformat.writes(answered(RIGHT)))
    for cell in data["cells"]:
        cell.pop("id", None)
    prepared = notebooks.prepare(TEACHER, json.dumps(data))
    assert prepared.restored.tampered == ()
    assert prepared.restored.notebook.cells[prepared.restored.positions["mean"]].source == \
        RIGHT["mean"]


def test_the_cli_refuses_bad_input_on_stderr(tmp_path: Path) -> None:
    source = tmp_path / "teacher.ipynb"
    source.write_bytes(TEACHER)
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [')

    def lab(*args: str) -> Result:
        # In process (the command's code is the same; a real process is run above).
        return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "var"), "lab", *args])

    done = lab("grade-notebook", "--source", str(source), "--submission", str(broken))
    assert done.exit_code == 2 and done.stdout == ""
    assert "the submission is not a JSON file" in done.stderr
    done = lab("grade-notebook", "--source", str(broken), "--submission", str(source))
    assert done.exit_code == 2 and "teacher's notebook is not a JSON file" in done.stderr
    done = lab("grade-notebook", "--source", str(source), "--submission", str(source),
               "--cell-timeout", "0")
    assert done.exit_code == 2 and "cell timeout must be between 1 and 60" in done.stderr
    done = lab("grade-notebook", "--source", str(tmp_path / "absent.ipynb"),
               "--submission", str(source))
    assert done.exit_code == 2 and "cannot read" in done.stderr
    out = tmp_path / "student.ipynb"
    done = lab("student-version", "--source", str(source), str(out))
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["max_score"] == 6
    assert "return x * x" not in out.read_text()


def test_the_run_limits_grow_with_the_cells() -> None:
    small_budget, small = notebooks.run_limits(3, 10)
    big_budget, big = notebooks.run_limits(12, 10)
    assert small_budget < big_budget <= notebooks.MAX_RUNNER_BUDGET
    assert small.wall < big.wall
    huge_budget, huge = notebooks.run_limits(400, 60)
    assert huge_budget == notebooks.MAX_RUNNER_BUDGET
    huge.validate()
