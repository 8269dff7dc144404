"""``ardoise lab``: the coding lab from the command line (notebook grading)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from ardoise.cli.options import data_dir_option
from ardoise.cli.sandbox import EXIT_UNAVAILABLE, configured_backend
from ardoise.config import SANDBOX_BACKENDS
from coding_lab import notebooks
from sandbox import SandboxUnavailable

#: Exit status for unusable notebooks or options (click's own usage errors are 2 as well).
EXIT_BAD_INPUT = 2
#: Exit status when the sandbox failed to run the notebook (not the student's doing).
EXIT_RUN_FAILED = 1


@click.group("lab")
def lab_group() -> None:
    """The coding lab: grade notebook assignments in the sandbox."""


def _read(path: Path, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(notebooks.MAX_NOTEBOOK_BYTES + 1)
    except OSError as error:
        _fail(f"cannot read {what} {path}: {error.strerror}")
    return data


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"ardoise lab: {message}", err=True)
    sys.exit(status)


@lab_group.command("grade-notebook")
@data_dir_option
@click.option("--source", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The teacher's notebook (nbgrader metadata, solutions, hidden tests).")
@click.option("--submission", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The student's notebook.")
@click.option("--cell-timeout", type=float, default=notebooks.DEFAULT_CELL_TIMEOUT,
              show_default=True, metavar="S",
              help="Seconds a cell may run before it is stopped and the kernel restarted.")
@click.option("--backend", "backend_name", type=click.Choice(SANDBOX_BACKENDS),
              help="Default: ARDOISE_SANDBOX_BACKEND, else auto.")
@click.option("--feedback", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the feedback notebook (.ipynb) there.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the feedback notebook's HTML view there.")
@click.option("--language", type=click.Choice(["fr", "en"]), default="fr", show_default=True,
              help="Language of the notes in the feedback notebook.")
def grade_notebook(source: Path, submission: Path, cell_timeout: float,
                   backend_name: str | None, feedback: Path | None, html_path: Path | None,
                   language: str) -> None:
    """Grade a student's notebook against the teacher's, in the sandbox, and print one JSON
    object in the Gradescope results.json shape plus "tampered".

    Exit status: 0 when the notebook was graded (whatever its score); 2 for an unusable
    notebook or option (the reason on stderr); 3 when no sandbox can run code here; 1 when
    the sandbox failed to run it.
    """
    teacher = _read(source, "the teacher's notebook")
    student = _read(submission, "the submission")
    try:
        report = notebooks.grade_notebook(teacher, student, cell_timeout,
                                          backend=backend_name or configured_backend(),
                                          language=language)
    except notebooks.NotebookError as error:
        _fail(error.detail or error.code)
    except SandboxUnavailable as error:
        _fail(str(error), EXIT_UNAVAILABLE)
    except notebooks.NotebookRunError as error:
        _fail(str(error), EXIT_RUN_FAILED)
    try:
        if feedback is not None:
            feedback.write_bytes(report.feedback_bytes())
        if html_path is not None:
            html_path.write_text(report.html, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write the feedback: {error.strerror}", EXIT_RUN_FAILED)
    click.echo(json.dumps(report.results, ensure_ascii=False))


@lab_group.command("student-version")
@data_dir_option
@click.option("--source", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The teacher's notebook.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def student_version(source: Path, out: Path) -> None:
    """Write to OUT the notebook students receive: solutions replaced by placeholders,
    hidden tests removed, outputs cleared."""
    try:
        assignment = notebooks.load_assignment(_read(source, "the teacher's notebook"))
    except notebooks.NotebookError as error:
        _fail(error.detail or error.code)
    try:
        out.write_bytes(notebooks.student_version_bytes(assignment))
    except OSError as error:
        _fail(f"cannot write {out}: {error.strerror}", EXIT_RUN_FAILED)
    click.echo(json.dumps({"student_version": str(out),
                           "graded": [c.grade_id for c in assignment.cells if c.autograded],
                           "max_score": assignment.max_score}))


def _register_import() -> None:
    # ``ardoise lab import DIR`` lives in its own module (exercises kept as files).
    from ardoise.cli.lab_import import lab_import

    lab_group.add_command(lab_import)


_register_import()
