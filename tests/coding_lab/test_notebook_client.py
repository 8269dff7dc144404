"""The notebook runner's own Jupyter client: outputs as a notebook shows them, a fresh
kernel's modules, and a kernel that dies or never answers."""

from __future__ import annotations

import nbformat
import pytest

from coding_lab import notebooks
from sandbox.backends.process import ProcessBackend

CELL_TIMEOUT = 3.0


def nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False,
             points: int | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"grade": grade, "grade_id": grade_id, "locked": not solution,
                               "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def graded(*cells: tuple[str, str]) -> notebooks.GradingReport:
    """A notebook of one answer cell (``cells`` handed in after it) and one test cell."""
    teacher = nbformat.v4.new_notebook()
    teacher.cells = [
        nbformat.v4.new_code_cell("### BEGIN SOLUTION\nANSWER = 1\n### END SOLUTION",
                                  metadata=nbgrader("answer", solution=True)),
        nbformat.v4.new_code_cell("assert ANSWER == 1", metadata=nbgrader(
            "test_answer", grade=True, points=1))]
    source = nbformat.writes(teacher)
    submission = nbformat.reads(notebooks.student_version_bytes(
        notebooks.load_assignment(source)).decode(), as_version=4)
    submission.cells[0].source = "ANSWER = 1"
    for kind, text in cells:
        new = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        submission.cells.insert(1, new(text))
    return notebooks.grade_notebook(source, nbformat.writes(submission), CELL_TIMEOUT,
                                    backend="process")


@pytest.fixture(scope="module", autouse=True)
def process_backend() -> None:
    missing = ProcessBackend().missing()
    assert not missing, f"the process backend cannot run here: {missing}"


def test_outputs_come_back_as_a_notebook_shows_them() -> None:
    report = graded(("code", (
        "from IPython.display import clear_output, display\n"
        "import sys\n"
        "print('gone')\n"
        "clear_output()\n"
        "print('one', end='')\n"
        "print(' two')\n"
        "print('warned', file=sys.stderr)\n"
        "display('shown')\n"
        "import jedi  # kept out of IPython's start only\n"
        "6 * 7")))
    cell = report.feedback.cells[2]  # after the score note and the answer
    assert [o["output_type"] for o in cell.outputs] == [
        "stream", "stream", "display_data", "execute_result"]
    assert cell.outputs[0]["text"] == "one two\n" and cell.outputs[1]["name"] == "stderr"
    assert cell.outputs[2]["data"]["text/plain"] == "'shown'"
    assert cell.outputs[3]["data"]["text/plain"] == "42"
    assert report.results["score"] == 1


def test_a_kernel_that_dies_is_replaced_and_the_rest_still_runs() -> None:
    report = graded(("code", "import os\nos._exit(3)"))
    assert report.results["score"] == 1
    assert report.results["extra_data"]["kernel_restarts"] == 1


def test_a_cell_that_displays_without_end_keeps_a_bounded_list_of_outputs() -> None:
    report = graded(("code", "from IPython.display import display\n"
                             "for n in range(500):\n    display(n)"))
    outputs = report.feedback.cells[2].outputs
    assert len(outputs) == notebooks.MAX_OUTPUTS_PER_CELL
    assert outputs[-1]["text"] == "[... more output not kept]"
    assert report.results["score"] == 1
