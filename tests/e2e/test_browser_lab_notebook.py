"""A notebook assignment in Chromium, on the production-shaped stack (PostgreSQL, Redis, a
real Celery worker): a student downloads the notebook, hands in a completed .ipynb, watches
its status change live without reloading by hand, and reads the verdicts and the feedback;
the hidden test's code never reaches the browser."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Browser, expect

from ardoise.clock import utcnow
from coding_lab import assignments, exercises, notebook_exercises
from coding_lab.notebook_exercises import NotebookSpec
from tests.e2e.browser import log_in
from tests.e2e.conftest import Stack
from tests.e2e.helpers import unique_prefix
from tests.factories import PASSWORD, make_school

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.postgres]

ARTIFACTS = Path(os.environ.get("ARDOISE_SCREENSHOTS", "test-artifacts"))
TEACHER = (Path(__file__).parent.parent / "coding_lab" / "files"
           / "functions-teacher.ipynb").read_bytes()
HIDDEN_MARK = "HIDDEN_CASE_ONE_TWO"
ANSWERS = {
    "square": "def square(x):\n    return x ** 2\n",
    # Integer division: right for mean([1, 2, 3]), wrong for the hidden mean([1, 2]).
    "mean": "def mean(values):\n    return sum(values) // len(values)\n",
    "hypotenuse": "hyp = math.sqrt(3 ** 2 + 4 ** 2)\nassert hyp == 5",
}


def test_a_student_hands_in_a_notebook_and_sees_it_graded_live(
        stack: Stack, browser: Browser, tmp_path: Path) -> None:
    prefix = unique_prefix()
    now = utcnow()
    with stack.database.session() as session:
        world = make_school(session, prefix, students=1)
        exercise = notebook_exercises.create_notebook_exercise(
            session, world.school.id, NotebookSpec(
                title=f"{prefix}Fonctions", statement={"fr": "Complétez les **fonctions**."},
                source=TEACHER, cell_timeout=5.0),
            world.teacher.id, now, backend="process")
        exercises.publish(session, exercise.id)
        assignments.create_assignment(
            session, exercise.id, world.klass.id, opens_at=now - timedelta(hours=1),
            due_at=now + timedelta(days=2), author_id=world.teacher.id)
        username = world.students[0].username

    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(page, stack.server.url, username, PASSWORD)
    page.goto(f"{stack.server.url}/lab/")
    page.get_by_role("link", name=f"{prefix}Fonctions").click()
    expect(page.locator("#statement strong")).to_have_text("fonctions")

    # The student version, downloaded as a file: no solution, no hidden test.
    with page.expect_download() as downloaded:
        page.get_by_role("link", name="Télécharger le carnet").click()
    saved = tmp_path / "fonctions.ipynb"
    downloaded.value.save_as(saved)
    notebook = nbformat.read(saved, as_version=4)
    assert HIDDEN_MARK not in nbformat.writes(notebook)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in ANSWERS:
            cell.source = ANSWERS[grade_id]
    nbformat.write(notebook, saved)

    # Handed in: queued on the sandbox queue; the page follows it to "graded" by itself.
    page.set_input_files("#notebook-file", str(saved))
    page.get_by_role("button", name="Remettre le carnet").click()
    expect(page.locator(".flash-success")).to_contain_text("Carnet remis (soumission 1)")
    article = page.locator("#submission-1")
    expect(article).to_have_attribute("data-status", "graded", timeout=120_000)
    expect(article.locator(".lab-score")).to_have_text("Note : 4 / 6")
    cells = article.locator("table.lab-cells tbody tr")
    expect(cells).to_have_count(4)
    expect(article.locator('tr[data-grade-id="test_mean_hidden"]')).to_have_attribute(
        "data-verdict", "failed")
    expect(article.locator('tr[data-grade-id="test_square"]')).to_have_attribute(
        "data-verdict", "passed")
    assert HIDDEN_MARK not in page.content()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab-notebook-fr.png"), full_page=True)

    # The feedback notebook: every graded cell's verdict, the hidden test's code withheld.
    page.get_by_role("link", name="Lire le carnet de rétroaction").click()
    expect(page.locator("body")).to_contain_text("test_square")
    assert HIDDEN_MARK not in page.content()
    page.screenshot(path=str(ARTIFACTS / "lab-notebook-feedback-fr.png"), full_page=True)
    context.close()
    assert problems == []
