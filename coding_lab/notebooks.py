"""Notebook assignments: nbgrader-style teacher notebooks, student versions, restored
submissions, grading in the sandbox and feedback (docs/coding-lab-notebooks.md).

The teacher's notebook marks its cells with ``metadata.nbgrader`` (``grade_id``, ``points``,
``solution``, ``grade``, ``locked``). :func:`load_assignment` reads and checks it;
:func:`student_version` removes the solutions and the hidden tests; :func:`restore_submission`
takes a student's notebook, keeps their answers and puts back every locked and test cell of
the teacher's (hidden tests included), saying which ones the student altered;
:func:`execute` runs the restored notebook cell by cell with a real kernel inside the sandbox
and :func:`score` turns what came back into a Gradescope-shaped report with a feedback
notebook and its HTML view. :func:`grade_notebook` does all of it.

Nothing here runs notebook code on the host: the only code that runs is inside
``sandbox.run``, and what comes back from it is treated as untrusted.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import math
import re
import secrets
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

import sandbox
from ardoise.errors import Invalid
from sandbox.spec import Limits, RunResult, RunSpec, Status

#: A teacher's or a student's notebook larger than this is refused before it is parsed.
MAX_NOTEBOOK_BYTES = 8 * 1024 * 1024
MAX_CELLS = 500
DEFAULT_CELL_TIMEOUT = 10.0
MIN_CELL_TIMEOUT = 1.0
MAX_CELL_TIMEOUT = 60.0

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_PLACEHOLDER = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_PLACEHOLDER = "YOUR ANSWER HERE"
#: What a hidden region becomes in the feedback notebook (the student never sees its code).
HIDDEN_PLACEHOLDER = "# (hidden tests)"

_GRADE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")

# The sandbox run: its file names, limits and the bounds on what comes back.
RUNNER_FILE = "main.py"
NOTEBOOK_FILE = "notebook.ipynb"
CONFIG_FILE = "grading.json"
KEY_FILE = "grading.key"
RESULTS_FILE = "results.json"
KERNEL_START_SECONDS = 25.0
RUN_MARGIN_SECONDS = 15.0
MAX_RUNNER_BUDGET = 200.0
MAX_RESULTS_BYTES = 8 * 1024 * 1024
MAX_OUTPUT_CHARS = 16 * 1024
MAX_OUTPUTS_PER_CELL = 64
MAX_IMAGE_CHARS = 512 * 1024
CELL_STATUSES = ("ok", "error", "timeout", "dead", "not_run")
#: How much of a test's output reaches the report.
MAX_REPORT_OUTPUT = 8 * 1024


class NotebookError(Invalid):
    """A notebook that cannot be used; ``code`` says why, ``params`` name the cell."""

    code = "notebook_invalid"


class NotebookRunError(RuntimeError):
    """The sandbox could not run the notebook at all (not the student's doing)."""


# Reading and checking notebooks.

def read_notebook(data: bytes | str, what: str = "notebook") -> NotebookNode:
    """A version-4 notebook from ``data``, bounded in size and validated by nbformat.

    :raises NotebookError: too large, not JSON, not a notebook, or not a valid one.
    """
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise NotebookError("notebook_too_large",
                            f"the {what} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB",
                            what=what, limit=MAX_NOTEBOOK_BYTES)
    try:
        text = raw.decode("utf-8")
        parsed = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise NotebookError("notebook_malformed", f"the {what} is not a JSON file: {error}",
                            what=what) from None
    if not isinstance(parsed, dict) or "cells" not in parsed or "nbformat" not in parsed:
        raise NotebookError("notebook_malformed", f"the {what} is not a Jupyter notebook",
                            what=what)
    try:
        with warnings.catch_warnings():  # nbformat warns as it repairs (missing cell ids…)
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except Exception as error:  # nbformat raises several kinds (ValidationError, KeyError…)
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise NotebookError("notebook_malformed", f"the {what} is not a valid notebook: "
                            f"{message}", what=what) from None
    if len(notebook.cells) > MAX_CELLS:
        raise NotebookError("notebook_too_many_cells",
                            f"the {what} has more than {MAX_CELLS} cells", what=what,
                            limit=MAX_CELLS)
    return notebook


@dataclass(frozen=True)
class GradedCell:
    """A cell of the teacher's notebook that carries nbgrader metadata.

    ``kind``: ``answer`` (solution, not graded), ``autograded_answer`` (solution code cell
    graded by running it), ``manual_answer`` (solution Markdown cell graded by a person),
    ``test`` (graded code cell, locked), ``locked`` (read-only cell, not graded).
    """

    grade_id: str
    index: int
    cell_type: str
    kind: str
    points: float
    hidden: bool = False

    @property
    def autograded(self) -> bool:
        return self.kind in ("test", "autograded_answer")

    @property
    def restored(self) -> bool:
        """Taken from the teacher's notebook whatever the student sent."""
        return self.kind in ("test", "locked")


@dataclass(frozen=True)
class Assignment:
    """A checked teacher notebook (outputs cleared) and its graded cells, in order."""

    teacher: NotebookNode
    cells: tuple[GradedCell, ...]

    def cell(self, grade_id: str) -> GradedCell:
        return next(c for c in self.cells if c.grade_id == grade_id)

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.cells if c.autograded)


def _cell_error(code: str, index: int, grade_id: str | None, problem: str) -> NotebookError:
    name = f"cell {index + 1}" + (f" ({grade_id!r})" if grade_id else "")
    return NotebookError(code, f"{name}: {problem}", cell=index + 1, grade_id=grade_id or "")


def _regions(source: str, begin: str, end: str, index: int, grade_id: str) -> int:
    """How many ``begin``/``end`` regions ``source`` holds; unbalanced or nested ones refused."""
    count, inside = 0, False
    for line in source.splitlines():
        marker = line.strip()
        if marker.startswith(begin):
            if inside:
                raise _cell_error("notebook_markers", index, grade_id,
                                  f"{begin!r} inside another region")
            inside, count = True, count + 1
        elif marker.startswith(end):
            if not inside:
                raise _cell_error("notebook_markers", index, grade_id,
                                  f"{end!r} without {begin!r}")
            inside = False
    if inside:
        raise _cell_error("notebook_markers", index, grade_id, f"{begin!r} is never closed")
    return count


def _flag(meta: Mapping[str, Any], name: str, index: int) -> bool:
    value = meta.get(name, False)
    if not isinstance(value, bool):
        raise _cell_error("notebook_metadata", index, None,
                          f"metadata.nbgrader.{name} must be true or false")
    return value


def _graded_cell(cell: NotebookNode, index: int) -> GradedCell | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if meta is None:
        return None
    if not isinstance(meta, Mapping):
        raise _cell_error("notebook_metadata", index, None, "metadata.nbgrader is not an object")
    solution, grade = _flag(meta, "solution", index), _flag(meta, "grade", index)
    locked, task = _flag(meta, "locked", index), _flag(meta, "task", index)
    if not (solution or grade or locked or task):
        return None  # nbgrader writes its metadata on ordinary cells too
    grade_id = meta.get("grade_id")
    if not isinstance(grade_id, str) or not _GRADE_ID.match(grade_id):
        raise _cell_error("notebook_grade_id", index, None,
                          "metadata.nbgrader.grade_id must be 1 to 100 letters, digits, "
                          "'_', '.' or '-'")
    points = 0.0
    if grade or task:
        raw = meta.get("points")
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise _cell_error("notebook_points", index, grade_id,
                              "a graded cell needs metadata.nbgrader.points (a number)")
        points = float(raw)
        if not math.isfinite(points) or points < 0:
            raise _cell_error("notebook_points", index, grade_id, "points must be 0 or more")
    source, cell_type = cell.source, cell.cell_type
    hidden = _regions(source, BEGIN_HIDDEN, END_HIDDEN, index, grade_id) > 0
    has_solution = _regions(source, BEGIN_SOLUTION, END_SOLUTION, index, grade_id) > 0
    if task:
        if cell_type != "markdown":
            raise _cell_error("notebook_cell_type", index, grade_id, "a task cell is Markdown")
        kind = "manual_answer"
    elif solution and grade:
        if cell_type == "raw":
            raise _cell_error("notebook_cell_type", index, grade_id,
                              "an answer cell is code or Markdown")
        kind = "autograded_answer" if cell_type == "code" else "manual_answer"
    elif solution:
        if cell_type == "raw":
            raise _cell_error("notebook_cell_type", index, grade_id,
                              "an answer cell is code or Markdown")
        kind = "answer"
    elif grade:
        if cell_type != "code":
            raise _cell_error("notebook_cell_type", index, grade_id,
                              "a graded cell without a solution must be a code cell (a test)")
        if not source.strip():
            raise _cell_error("notebook_empty_test", index, grade_id, "the test cell is empty")
        kind = "test"
    else:
        kind = "locked"
    if has_solution and not solution:
        raise _cell_error("notebook_markers", index, grade_id,
                          f"{BEGIN_SOLUTION!r} in a cell that is not a solution cell")
    if hidden and kind != "test":
        raise _cell_error("notebook_markers", index, grade_id,
                          f"{BEGIN_HIDDEN!r} outside a test cell")
    return GradedCell(grade_id, index, cell_type, kind, points, hidden)


def _stray_markers(cell: NotebookNode, index: int) -> None:
    """A cell without nbgrader marks must not carry solutions or hidden tests (they would
    reach the student as they are)."""
    for marker in (BEGIN_SOLUTION, BEGIN_HIDDEN):
        if any(line.strip().startswith(marker) for line in cell.source.splitlines()):
            raise _cell_error("notebook_markers", index, None,
                              f"{marker!r} in a cell without nbgrader metadata")


def _clean(notebook: NotebookNode) -> NotebookNode:
    """A copy without outputs, execution counts or attachments on code cells, and with only
    the kernel's metadata at the top."""
    clean = copy.deepcopy(notebook)
    clean.metadata = NotebookNode({k: clean.metadata[k] for k in ("kernelspec", "language_info")
                                   if k in clean.metadata})
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return clean


def load_assignment(data: bytes | str) -> Assignment:
    """Read and check a teacher's notebook.

    :raises NotebookError: malformed, a grade_id missing or used twice, negative or missing
        points, solution or hidden-test markers out of place; the message names the cell.
    """
    notebook = _clean(read_notebook(data, "teacher's notebook"))
    cells: list[GradedCell] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        graded = _graded_cell(cell, index)
        if graded is None:
            _stray_markers(cell, index)
            continue
        if graded.grade_id in seen:
            raise _cell_error("notebook_duplicate_grade_id", index, graded.grade_id,
                              f"grade_id already used by cell {seen[graded.grade_id] + 1}")
        seen[graded.grade_id] = index
        cells.append(graded)
    if not any(c.autograded for c in cells):
        raise NotebookError("notebook_nothing_graded",
                            "the teacher's notebook has no graded code cell "
                            "(metadata.nbgrader.grade true)")
    return Assignment(notebook, tuple(cells))


# The student version.

def _replace_regions(source: str, begin: str, end: str, replacement: tuple[str, ...]) -> str:
    kept: list[str] = []
    inside = False
    for line in source.splitlines():
        marker = line.strip()
        if marker.startswith(begin):
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept += [indent + r for r in replacement]
        elif marker.startswith(end):
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def _student_source(graded: GradedCell, source: str) -> str:
    """What the student is given of one graded cell."""
    if graded.kind in ("answer", "autograded_answer", "manual_answer"):
        placeholder = CODE_PLACEHOLDER if graded.cell_type == "code" else (MARKDOWN_PLACEHOLDER,)
        if BEGIN_SOLUTION not in source:
            return "\n".join(placeholder)
        return _replace_regions(source, BEGIN_SOLUTION, END_SOLUTION, placeholder)
    if graded.hidden:
        return _replace_regions(source, BEGIN_HIDDEN, END_HIDDEN, ()).rstrip("\n")
    return source


def _nbgrader_metadata(graded: GradedCell) -> dict[str, Any]:
    return {"grade": graded.autograded or graded.kind == "manual_answer",
            "grade_id": graded.grade_id, "locked": graded.restored, "points": graded.points,
            "schema_version": 3,
            "solution": graded.kind in ("answer", "autograded_answer", "manual_answer"),
            "task": False}


def student_version(assignment: Assignment) -> NotebookNode:
    """The notebook the student receives: every solution replaced by a placeholder, hidden
    tests removed, outputs cleared, locked and test cells marked read-only."""
    notebook = copy.deepcopy(assignment.teacher)
    for graded in assignment.cells:
        cell = notebook.cells[graded.index]
        cell.source = _student_source(graded, cell.source)
        cell.metadata["nbgrader"] = _nbgrader_metadata(graded)
        if graded.restored:
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    return notebook


def student_version_bytes(assignment: Assignment) -> bytes:
    return nbformat.writes(student_version(assignment)).encode()


# Restoring a submission.

@dataclass(frozen=True)
class Restored:
    """The notebook that is run: the student's answers and free cells, the teacher's locked
    and test cells. ``positions`` maps each grade_id to its index in ``notebook``."""

    notebook: NotebookNode
    positions: Mapping[str, int]
    tampered: tuple[str, ...]
    #: grade_ids of answer cells the student's notebook did not have (the placeholder is run).
    missing_answers: tuple[str, ...] = ()


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip("\n").splitlines()).strip()


def _free_cell(cell: NotebookNode) -> NotebookNode:
    """A student's own cell, kept by its type and source only (no metadata, no outputs)."""
    if cell.cell_type == "code":
        return nbformat.v4.new_code_cell(cell.source)
    if cell.cell_type == "markdown":
        return nbformat.v4.new_markdown_cell(cell.source)
    return nbformat.v4.new_raw_cell(cell.source)


def restore_submission(assignment: Assignment, submission: NotebookNode) -> Restored:
    """Match the student's cells to the teacher's by grade_id.

    Locked and test cells come from the teacher (hidden tests included); one the student
    changed (source or type), or deleted, is reported in ``tampered``. Answer cells keep the
    student's source; the student's own cells stay after the graded cell they followed. The
    graded cells are in the teacher's order.
    """
    known = {c.grade_id: c for c in assignment.cells}
    anchors: dict[str, NotebookNode] = {}
    prefix: list[NotebookNode] = []
    after: dict[str, list[NotebookNode]] = {}
    current: list[NotebookNode] = prefix
    for cell in submission.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, Mapping) else None
        if isinstance(grade_id, str) and grade_id in known and grade_id not in anchors:
            anchors[grade_id] = cell
            current = after.setdefault(grade_id, [])
        else:
            current.append(_free_cell(cell))
    given = student_version(assignment)
    cells: list[NotebookNode] = list(prefix)
    positions: dict[str, int] = {}
    tampered: list[str] = []
    missing: list[str] = []
    for graded in assignment.cells:
        theirs = anchors.get(graded.grade_id)
        if graded.restored:
            cell = copy.deepcopy(assignment.teacher.cells[graded.index])
            handed_out = given.cells[graded.index]
            if (theirs is None or theirs.cell_type != graded.cell_type
                    or _normalised(theirs.source) != _normalised(handed_out.source)):
                tampered.append(graded.grade_id)
        else:
            cell = copy.deepcopy(given.cells[graded.index])
            if theirs is None:
                missing.append(graded.grade_id)
            else:
                cell.source = theirs.source
        cell.metadata["nbgrader"] = _nbgrader_metadata(graded)
        positions[graded.grade_id] = len(cells)
        cells.append(cell)
        cells.extend(after.get(graded.grade_id, ()))
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(
        assignment.teacher.metadata))
    return Restored(notebook, positions, tuple(tampered), tuple(missing))


# Running inside the sandbox.

@dataclass(frozen=True)
class CellRun:
    """One code cell as the kernel ran it (``status`` one of :data:`CELL_STATUSES`)."""

    index: int
    status: str
    outputs: tuple[dict[str, Any], ...] = ()
    execution_count: int | None = None
    message: str = ""


@dataclass(frozen=True)
class Execution:
    """What came back from the sandbox. ``problem`` is set when the run gave no usable
    results (the notebook broke the run: every cell then counts as not run)."""

    cells: Mapping[int, CellRun]
    kernel_restarts: int
    run_status: str
    problem: str | None = None
    cell_timeout: float = DEFAULT_CELL_TIMEOUT


def runner_source() -> str:
    """The script that runs inside the sandbox (standard library, pyzmq, and ipykernel for the
    kernel it starts)."""
    return (Path(__file__).with_name("notebook_runner.py")).read_text()


def run_limits(code_cells: int, cell_timeout: float) -> tuple[float, Limits]:
    """The runner's own time budget and the sandbox limits, sized from the number of cells."""
    budget = min(MAX_RUNNER_BUDGET,
                 KERNEL_START_SECONDS + code_cells * cell_timeout + 2 * cell_timeout)
    wall = budget + RUN_MARGIN_SECONDS
    limits = Limits(cpu_seconds=min(60.0, wall), wall_seconds=wall, memory_mb=768,
                    processes=256, output_bytes=1024 * 1024,
                    file_size_bytes=MAX_RESULTS_BYTES, disk_bytes=128 * 1024 * 1024)
    return budget, limits


def _check_timeout(cell_timeout: float) -> float:
    if (isinstance(cell_timeout, bool) or not isinstance(cell_timeout, int | float)
            or not MIN_CELL_TIMEOUT <= cell_timeout <= MAX_CELL_TIMEOUT):
        raise NotebookError("notebook_cell_timeout",
                            f"the cell timeout must be between {MIN_CELL_TIMEOUT:g} and "
                            f"{MAX_CELL_TIMEOUT:g} seconds",
                            low=MIN_CELL_TIMEOUT, high=MAX_CELL_TIMEOUT)
    return float(cell_timeout)


def execute(restored: Restored, assignment: Assignment,
            cell_timeout: float = DEFAULT_CELL_TIMEOUT, backend: str = "auto") -> Execution:
    """Run the restored notebook in the sandbox, cell by cell, with a real kernel.

    :raises NotebookRunError: the sandbox could not run it (machinery, or the kernel never
        started); :class:`sandbox.SandboxUnavailable` when no backend can confine code.
    """
    cell_timeout = _check_timeout(cell_timeout)
    notebook = restored.notebook
    code = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    hidden = sorted(restored.positions[c.grade_id] for c in assignment.cells if c.hidden)
    tests = sorted(restored.positions[c.grade_id] for c in assignment.cells if c.kind == "test")
    budget, limits = run_limits(len(code), cell_timeout)
    key = secrets.token_bytes(32)
    config = {"cell_timeout": cell_timeout, "budget": budget, "hidden": hidden, "tests": tests,
              "max_output_chars": MAX_OUTPUT_CHARS, "max_outputs": MAX_OUTPUTS_PER_CELL,
              "max_image_chars": MAX_IMAGE_CHARS}
    spec = RunSpec(language="python3",
                   files={RUNNER_FILE: runner_source(),
                          NOTEBOOK_FILE: nbformat.writes(notebook),
                          CONFIG_FILE: json.dumps(config),
                          KEY_FILE: key.hex()},
                   entry=RUNNER_FILE, limits=limits, collect=(RESULTS_FILE,))
    result = sandbox.run(spec, backend)
    if result.status == Status.SANDBOX_ERROR:
        raise NotebookRunError(f"the sandbox failed: {result.stderr.strip()[:2000]}")
    return _read_results(result, key, set(code), cell_timeout)


def _not_run(code: Iterable[int], result: RunResult, problem: str,
             cell_timeout: float) -> Execution:
    return Execution({i: CellRun(i, "not_run", message=problem) for i in code}, 0,
                     str(result.status), problem, cell_timeout)


def _text(value: Any, limit: int = MAX_OUTPUT_CHARS) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value[:limit]


def _output(raw: Any) -> dict[str, Any]:
    """One output from the runner, checked field by field; anything else is refused."""
    if not isinstance(raw, dict):
        raise ValueError("an output is not an object")
    kind = raw.get("output_type")
    if kind == "stream":
        name = raw.get("name")
        if name not in ("stdout", "stderr"):
            raise ValueError("bad stream name")
        return {"output_type": "stream", "name": name, "text": _text(raw.get("text"))}
    if kind == "error":
        traceback = raw.get("traceback", [])
        if not isinstance(traceback, list) or len(traceback) > 200:
            raise ValueError("bad traceback")
        return {"output_type": "error", "ename": _text(raw.get("ename"), 200),
                "evalue": _text(raw.get("evalue")),
                "traceback": [_text(line) for line in traceback]}
    if kind in ("execute_result", "display_data"):
        data = raw.get("data")
        if not isinstance(data, dict) or not set(data) <= {"text/plain", "image/png"}:
            raise ValueError("bad display data")
        clean: dict[str, str] = {}
        if "text/plain" in data:
            clean["text/plain"] = _text(data["text/plain"])
        if "image/png" in data:
            png = _text(data["image/png"], MAX_IMAGE_CHARS)
            if not re.fullmatch(r"[A-Za-z0-9+/=\s]*", png):
                raise ValueError("bad image")
            clean["image/png"] = png
        return {"output_type": kind, "data": clean}
    raise ValueError(f"unknown output type {kind!r}")


def _read_results(result: RunResult, key: bytes, code: set[int],
                  cell_timeout: float) -> Execution:
    """Check the runner's signed results: size, signature, schema, one entry per code cell."""
    raw = result.files.get(RESULTS_FILE)
    if raw is None:
        return _not_run(code, result, f"the notebook stopped the grader ({result.status})",
                        cell_timeout)
    try:
        if len(raw) > MAX_RESULTS_BYTES:
            raise ValueError("results too large")
        envelope = json.loads(raw)
        payload, mac = envelope["payload"], envelope["mac"]
        if not isinstance(payload, str) or not isinstance(mac, str):
            raise ValueError("bad envelope")
        expected = hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, mac):
            raise ValueError("results not signed by the grader")
        data = json.loads(payload)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("unknown results version")
        if data.get("kernel_error") is not None:
            raise NotebookRunError(f"the kernel did not start in the sandbox: "
                                   f"{_text(data['kernel_error'], 2000)}")
        restarts = data.get("kernel_restarts")
        if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 0:
            raise ValueError("bad restart count")
        cells: dict[int, CellRun] = {}
        entries = data.get("cells")
        if not isinstance(entries, list):
            raise ValueError("cells is not a list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError("a cell is not an object")
            index, status = entry.get("index"), entry.get("status")
            if not isinstance(index, int) or index not in code or index in cells:
                raise ValueError("bad cell index")
            if status not in CELL_STATUSES:
                raise ValueError("bad cell status")
            outputs = entry.get("outputs", [])
            if not isinstance(outputs, list) or len(outputs) > MAX_OUTPUTS_PER_CELL:
                raise ValueError("bad outputs")
            count = entry.get("execution_count")
            if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
                raise ValueError("bad execution count")
            cells[index] = CellRun(index, status, tuple(_output(o) for o in outputs), count,
                                   _text(entry.get("message", ""), 1000))
        if set(cells) != code:
            raise ValueError("cells missing from the results")
    except NotebookRunError:
        raise
    except (ValueError, KeyError, TypeError) as error:
        return _not_run(code, result, f"the grader's results were unusable ({error})",
                        cell_timeout)
    return Execution(cells, restarts, str(result.status), None, cell_timeout)


# Scoring and feedback.

_NOTES = {
    "en": {
        "score": "**Score: {score} / {max_score}**",
        "passed": "passed", "failed": "failed",
        "graded": "**{grade_id}** — {score} / {points} point(s): {verdict}.",
        "hidden": "Hidden tests: {verdict}.",
        "tampered": "This cell was changed; the teacher's version was run.",
        "timeout": "This cell ran longer than {seconds} s: it was stopped and the kernel "
                   "restarted (the earlier cells were run again).",
        "dead": "The kernel stopped while running this cell; it was restarted.",
        "not_run": "Not run: {reason}",
        "manual": "**{grade_id}** — graded by the teacher ({points} point(s)).",
        "withheld": "[output withheld: it contained hidden test code]",
    },
    "fr": {
        "score": "**Note : {score} / {max_score}**",
        "passed": "réussi", "failed": "échoué",
        "graded": "**{grade_id}** — {score} / {points} point(s) : {verdict}.",
        "hidden": "Tests cachés : {verdict}.",
        "tampered": "Cette cellule a été modifiée ; la version de l'enseignant a été exécutée.",
        "timeout": "Cette cellule a dépassé {seconds} s : elle a été arrêtée et le noyau "
                   "redémarré (les cellules précédentes ont été exécutées de nouveau).",
        "dead": "Le noyau s'est arrêté pendant cette cellule ; il a été redémarré.",
        "not_run": "Non exécutée : {reason}",
        "manual": "**{grade_id}** — corrigée par l'enseignant ({points} point(s)).",
        "withheld": "[sortie masquée : elle contenait le code de tests cachés]",
    },
}


@dataclass(frozen=True)
class GradingReport:
    """``results``: the Gradescope ``results.json`` shape plus ``tampered``; the feedback
    notebook (hidden tests reduced to pass/fail) and its HTML view."""

    results: dict[str, Any]
    feedback: NotebookNode
    html: str

    def feedback_bytes(self) -> bytes:
        return nbformat.writes(self.feedback).encode()


def _number(value: float) -> float | int:
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def _hidden_lines(assignment: Assignment) -> list[str]:
    """The substantial lines of every hidden region (to withhold output that echoes them)."""
    lines: list[str] = []
    for graded in assignment.cells:
        if not graded.hidden:
            continue
        inside = False
        for line in assignment.teacher.cells[graded.index].source.splitlines():
            marker = line.strip()
            if marker.startswith(BEGIN_HIDDEN):
                inside = True
            elif marker.startswith(END_HIDDEN):
                inside = False
            elif inside and len(marker) >= 8 and not marker.startswith("#"):
                lines.append(marker)
    return lines


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _output_text(run: CellRun) -> str:
    parts: list[str] = []
    for output in run.outputs:
        kind = output["output_type"]
        if kind == "stream":
            parts.append(output["text"])
        elif kind == "error":
            parts.append("\n".join(output["traceback"]) or
                         f"{output['ename']}: {output['evalue']}")
        elif "text/plain" in output.get("data", {}):
            parts.append(output["data"]["text/plain"] + "\n")
    return _plain("".join(parts))


class _Withholder:
    def __init__(self, lines: list[str], note: str) -> None:
        self.lines, self.note = lines, note

    def __call__(self, text: str) -> str:
        return self.note if any(line in text for line in self.lines) else text

    def outputs(self, outputs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = []
        for output in outputs:
            if any(line in text for text in _strings(output) for line in self.lines):
                kept.append({"output_type": "stream", "name": "stdout", "text": self.note})
            else:
                kept.append(output)
        return kept


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield _plain(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _verdict_output(graded: GradedCell, run: CellRun | None, passed: bool,
                    notes: Mapping[str, str], withhold: _Withholder, timeout: float) -> str:
    if graded.hidden:
        return notes["hidden"].format(verdict=notes["passed" if passed else "failed"])
    if run is None:
        return notes["not_run"].format(reason="")
    if run.status == "timeout":
        text = notes["timeout"].format(seconds=f"{timeout:g}")
    elif run.status == "dead":
        text = notes["dead"]
    elif run.status == "not_run":
        text = notes["not_run"].format(reason=run.message)
    else:
        text = _output_text(run)
    text = withhold(text)
    return text[:MAX_REPORT_OUTPUT]


def score(assignment: Assignment, restored: Restored, execution: Execution,
          language: str = "en") -> GradingReport:
    """Points per graded cell by grade_id: a test cell or an autograded answer earns its
    points when it ran without error; Markdown answers are left to the teacher."""
    notes = _NOTES.get(language, _NOTES["en"])
    withhold = _Withholder(_hidden_lines(assignment), notes["withheld"])
    tests: list[dict[str, Any]] = []
    verdicts: dict[str, tuple[bool, float]] = {}
    manual: list[dict[str, Any]] = []
    for graded in assignment.cells:
        if graded.kind == "manual_answer":
            manual.append({"name": graded.grade_id, "max_score": _number(graded.points)})
            continue
        if not graded.autograded:
            continue
        run = execution.cells.get(restored.positions[graded.grade_id])
        passed = run is not None and run.status == "ok"
        earned = graded.points if passed else 0.0
        verdicts[graded.grade_id] = (passed, earned)
        tests.append({
            "name": graded.grade_id,
            "score": _number(earned),
            "max_score": _number(graded.points),
            "status": "passed" if passed else "failed",
            "output": _verdict_output(graded, run, passed, notes, withhold,
                                      execution.cell_timeout),
            "visibility": "after_published" if graded.hidden else "visible",
        })
    total = sum(earned for _, earned in verdicts.values())
    timeouts = sorted(i for i, r in execution.cells.items() if r.status == "timeout")
    hidden_positions = {restored.positions[c.grade_id] for c in assignment.cells if c.hidden}
    results: dict[str, Any] = {
        "score": _number(total),
        "max_score": _number(assignment.max_score),
        "tests": tests,
        "tampered": list(restored.tampered),
        "extra_data": {
            "kernel_restarts": execution.kernel_restarts,
            "timed_out_cells": [i + 1 for i in timeouts if i not in hidden_positions],
            "manual": manual,
            "missing_answers": list(restored.missing_answers),
            **({"problem": execution.problem} if execution.problem else {}),
        },
    }
    feedback = _feedback(assignment, restored, execution, verdicts, notes, withhold, results)
    return GradingReport(results, feedback, render_html(feedback, language))


def _note(text: str) -> NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["ardoise"] = {"feedback": True}
    return cell


def _notebook_output(output: Mapping[str, Any], run: CellRun | None) -> NotebookNode:
    kind = output["output_type"]
    if kind == "stream":
        return nbformat.v4.new_output("stream", name=output["name"], text=output["text"])
    if kind == "error":
        return nbformat.v4.new_output("error", ename=output["ename"], evalue=output["evalue"],
                                      traceback=list(output["traceback"]))
    if kind == "execute_result":
        return nbformat.v4.new_output("execute_result", data=dict(output["data"]),
                                      execution_count=run.execution_count if run else None)
    return nbformat.v4.new_output("display_data", data=dict(output["data"]))


def _feedback(assignment: Assignment, restored: Restored, execution: Execution,
              verdicts: Mapping[str, tuple[bool, float]], notes: Mapping[str, str],
              withhold: _Withholder, results: Mapping[str, Any]) -> NotebookNode:
    """The executed notebook as the student may see it: outputs, and a note under every
    graded cell; hidden test code and output never appear."""
    by_position = {restored.positions[c.grade_id]: c for c in assignment.cells}
    cells: list[NotebookNode] = [_note(notes["score"].format(
        score=results["score"], max_score=results["max_score"]))]
    for index, original in enumerate(restored.notebook.cells):
        cell = copy.deepcopy(original)
        graded = by_position.get(index)
        run = execution.cells.get(index)
        if graded is not None and graded.hidden:
            cell.source = _replace_regions(assignment.teacher.cells[graded.index].source,
                                           BEGIN_HIDDEN, END_HIDDEN, (HIDDEN_PLACEHOLDER,))
            cell.outputs = []
        elif cell.cell_type == "code":
            cell.outputs = [_notebook_output(o, run) for o in withhold.outputs(
                run.outputs if run is not None else ())]
        if cell.cell_type == "code":
            cell.execution_count = run.execution_count if run is not None else None
        cells.append(cell)
        extra: list[str] = []
        if graded is not None and graded.grade_id in restored.tampered:
            extra.append(notes["tampered"])
        if run is not None and not (graded is not None and graded.hidden):
            if run.status == "timeout":
                extra.append(notes["timeout"].format(seconds=f"{execution.cell_timeout:g}"))
            elif run.status == "dead":
                extra.append(notes["dead"])
            elif run.status == "not_run":
                extra.append(notes["not_run"].format(reason=run.message))
        if graded is not None and graded.grade_id in verdicts:
            passed, earned = verdicts[graded.grade_id]
            verdict = notes["passed" if passed else "failed"]
            extra.append(notes["graded"].format(grade_id=graded.grade_id, score=_number(earned),
                                                points=_number(graded.points), verdict=verdict))
            if graded.hidden:
                extra.append(notes["hidden"].format(verdict=verdict))
        elif graded is not None and graded.kind == "manual_answer":
            extra.append(notes["manual"].format(grade_id=graded.grade_id,
                                                points=_number(graded.points)))
        if extra:
            cells.append(_note("\n\n".join(extra)))
    notebook = nbformat.v4.new_notebook(cells=cells,
                                        metadata=copy.deepcopy(restored.notebook.metadata))
    notebook.metadata["ardoise"] = {"score": results["score"],
                                    "max_score": results["max_score"]}
    return notebook


# The HTML view, rendered here from the notebook with everything escaped.

_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; \
style-src 'unsafe-inline'">
<title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}}
.cell{{margin:.75rem 0}} pre{{background:#f6f6f6;padding:.5rem;overflow-x:auto;\
white-space:pre-wrap}}
.input pre{{border-left:3px solid #5470c6}} .output pre{{border-left:3px solid #999}}
.error pre{{border-left:3px solid #c0392b}} .note{{background:#fff8dc;padding:.5rem}}
.markdown{{white-space:pre-wrap}}
</style></head><body>
{body}
</body></html>
"""


def _pre(text: str, css: str) -> str:
    return f'<div class="{css}"><pre>{html.escape(_plain(text))}</pre></div>'


def render_html(notebook: NotebookNode, language: str = "en") -> str:
    """A self-contained HTML page of ``notebook``: every text escaped (Markdown shown as
    text, never as HTML), images only as PNG data, and a CSP that forbids scripts."""
    from item_bank.rich_text import render_markdown

    parts: list[str] = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            css = "cell note" if cell.metadata.get("ardoise", {}).get("feedback") else "cell"
            parts.append(f'<div class="{css} markdown">{render_markdown(cell.source)}</div>')
            continue
        if cell.cell_type == "raw":
            parts.append(f'<div class="cell">{_pre(cell.source, "raw")}</div>')
            continue
        body = [_pre(cell.source, "input")]
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "stream":
                body.append(_pre(str(output.get("text", "")), "output"))
            elif kind == "error":
                body.append(_pre("\n".join(output.get("traceback", [])) or
                                 f"{output.get('ename')}: {output.get('evalue')}", "error"))
            else:
                data = output.get("data", {})
                png = data.get("image/png")
                if isinstance(png, str) and re.fullmatch(r"[A-Za-z0-9+/=\s]*", png):
                    clean = re.sub(r"\s", "", png)
                    body.append(f'<div class="output"><img alt="" '
                                f'src="data:image/png;base64,{clean}"></div>')
                elif isinstance(data.get("text/plain"), str):
                    body.append(_pre(data["text/plain"], "output"))
        parts.append(f'<div class="cell">{"".join(body)}</div>')
    title = "Notebook feedback" if language == "en" else "Rétroaction du carnet"
    return _PAGE.format(lang=html.escape(language), title=title, body="\n".join(parts))


# Everything at once.

@dataclass(frozen=True)
class Prepared:
    """A source and a submission, checked and matched, ready to run."""

    assignment: Assignment
    restored: Restored


def prepare(source: bytes | str, submission: bytes | str) -> Prepared:
    """Check both notebooks and restore the submission (nothing runs).

    :raises NotebookError: either notebook is unusable (the message says which and why).
    """
    assignment = load_assignment(source)
    student = read_notebook(submission, "submission")
    return Prepared(assignment, restore_submission(assignment, student))


def grade_notebook(source: bytes | str, submission: bytes | str,
                   cell_timeout: float = DEFAULT_CELL_TIMEOUT, backend: str = "auto",
                   language: str = "en") -> GradingReport:
    """Grade ``submission`` against the teacher's ``source`` in the sandbox.

    :raises NotebookError: bad input; :class:`NotebookRunError` or
        :class:`sandbox.SandboxUnavailable` when the sandbox cannot run it.
    """
    cell_timeout = _check_timeout(cell_timeout)
    prepared = prepare(source, submission)
    execution = execute(prepared.restored, prepared.assignment, cell_timeout, backend)
    return score(prepared.assignment, prepared.restored, execution, language)
