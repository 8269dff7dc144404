"""A student in headless Chromium opens an exercise, types a solution in the editor, runs it,
submits it and sees the verdicts, on the embedded default server (in-process tasks, process
sandbox) with the demo school."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab.models import CodeDraft, Submission
from student_records import service as records
from student_records.models import SchoolClass
from tests.e2e.browser import open_watched, seed_demo
from tests.e2e.live import LiveServer, product_env
from tests.lab_seed import seed_assignment

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = Path(os.environ.get("ARDOISE_SCREENSHOTS", "test-artifacts"))

WRONG = 'print("<i>" + str(int(input()) * 3))'
RIGHT = "n = int(input())\nprint(n * 2)"


@dataclass
class LabServer:
    server: LiveServer
    database: Database
    assignment_id: str
    patient_id: str  # at least ten minutes between two submits


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The demo school, plus an exercise given to its class, seeded through the coding lab."""
    data_dir = tmp_path_factory.mktemp("lab")
    url = f"sqlite:///{data_dir / 'ardoise.db'}"
    env = {**product_env(data_dir, url, None), "ARDOISE_SANDBOX_BACKEND": "process"}
    seed_demo(data_dir, env)
    database = Database(url)
    with database.session() as session:
        school = records.find_organisation(session, "demo-school")
        assert school is not None
        klass = session.scalar(select(SchoolClass).where(SchoolClass.code == "MAT4-01"))
        teacher = records.person_by_username(session, "enseignant")
        assert klass is not None
        assignment_id = seed_assignment(session, school.id, klass.id, teacher.id, utcnow(),
                                        title="Le double", attempt_limit=5).id
        patient_id = seed_assignment(session, school.id, klass.id, teacher.id, utcnow(),
                                     title="Patience", attempt_limit=2,
                                     min_delay_seconds=600).id
    live = LiveServer(data_dir, env)
    live.start()
    yield LabServer(live, database, assignment_id, patient_id)
    live.stop()
    database.dispose()


def log_in(browser: Browser, base: str, username: str, problems: list[str]) -> Page:
    return open_watched(browser, base, username, problems)


def replace_code(page: Page, code: str) -> None:
    """Select everything in the editor and type ``code`` key by key."""
    content = page.locator("#editor .cm-content")
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    for number, line in enumerate(code.split("\n")):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.type(line)


def test_a_student_types_runs_submits_and_sees_the_verdicts(lab: LabServer,
                                                             browser: Browser) -> None:
    problems: list[str] = []
    base = lab.server.url
    page = log_in(browser, base, "eleve01", problems)
    page.get_by_role("link", name="Mes exercices").click()
    page.get_by_role("link", name="Le double").click()

    # The statement, its math typeset; the editor with the starter code and its language.
    expect(page.locator("#statement")).to_contain_text("son double")
    expect(page.locator("#statement .katex").first).to_be_visible()
    editor = page.locator("#editor .cm-content")
    expect(editor).to_contain_text("Lis un entier")
    expect(editor).to_have_attribute("aria-label", "Votre code (Python 3)")
    expect(page.locator("#editor .cm-lineNumbers")).to_be_visible()
    expect(page.locator(".lab-editor-head .lab-language")).to_have_text("Python 3")
    expect(page.locator("#visible-tests")).to_contain_text("1 test(s) caché(s)")

    # A wrong program, typed key by key: highlighted, autosaved.
    replace_code(page, WRONG)
    expect(editor).to_have_text(WRONG)
    expect(editor.locator("span").first).to_be_visible()  # highlighting wraps tokens
    expect(page.locator("#save-status")).to_contain_text("Brouillon enregistré à")

    # Run: the visible tests fail with a diff, the hint, and the output shown as text.
    page.get_by_role("button", name="Exécuter les tests visibles").click()
    results = page.locator("#results")
    expect(results.locator("h2")).to_have_text("Résultats des tests visibles (non enregistrés)")
    expect(results.locator(".lab-test")).to_have_count(2)
    first = results.locator(".lab-test").first
    expect(first.locator(".lab-verdict")).to_have_text("Échec")
    expect(first.locator(".lab-diff-expected .lab-diff-text")).to_have_text("Attendu : 6")
    expect(first.locator(".lab-diff-actual .lab-diff-text")).to_have_text("Le vôtre : <i>9")
    expect(first.locator(".lab-hint")).to_contain_text("Multiplie par 2")
    expect(results.locator("i")).to_have_count(0)  # program output never parsed as HTML
    expect(results).to_contain_text("0 tests réussis sur 2")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "lab-run-fr.png"), full_page=True)

    # Keyboard only: Tab indents inside the editor; Escape then Tab leaves it.
    editor.click()
    page.keyboard.press("End")
    page.keyboard.press("Tab")
    expect(editor).to_have_text(WRONG + "    ")
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Exécuter les tests visibles")).to_be_focused()

    # The right program; the student's own input first.
    replace_code(page, RIGHT)
    page.locator(".lab-stdin summary").click()
    page.fill("#stdin", "7")
    page.get_by_role("button", name="Exécuter avec ces données").click()
    expect(results.locator("h2")).to_have_text("Exécution avec mes données")
    expect(results.locator(".lab-stdout")).to_have_text("14\n")
    expect(results).to_contain_text("terminé normalement")

    # Submit: live status, then the verdicts: visible tests whole, the hidden one by verdict.
    page.get_by_role("button", name="Soumettre").click()
    expect(results.locator("h2")).to_have_text("Résultats de la soumission 1")
    expect(results.locator(".lab-total")).to_contain_text("10 / 10")
    expect(results.locator(".lab-test")).to_have_count(3)
    hidden = results.locator(".lab-test", has_text="Test caché")
    expect(hidden.locator(".lab-verdict")).to_have_text("Réussi")
    expect(hidden.locator(".lab-test-body")).to_have_count(0)
    assert "-10" not in page.locator("#lab-app").inner_text()  # hidden test's I/O never shown
    history = page.locator("#history li").first
    expect(history).to_contain_text("Soumission 1")
    expect(history).to_contain_text("Corrigée")
    expect(page.locator("#attempts-used")).to_have_text("1 sur 5 utilisées")
    page.screenshot(path=str(ARTIFACTS / "lab-student-fr.png"), full_page=True)

    with lab.database.session() as session:
        submission = session.scalar(select(Submission).where(
            Submission.assignment_id == lab.assignment_id))
        draft = session.scalar(select(CodeDraft).where(
            CodeDraft.assignment_id == lab.assignment_id))
        assert submission is not None and submission.status == "graded"
        assert submission.score == 10 and submission.files == {"main.py": RIGHT}
        assert draft is not None and draft.files == {"main.py": RIGHT}

    # Reloaded, in English: the draft is back, and the last submission's verdicts too.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Run the visible tests")).to_be_visible()
    expect(editor).to_have_text(RIGHT.replace("\n", ""))
    expect(results.locator("h2")).to_have_text("Results of submission 1")
    expect(results.locator(".lab-test").first.locator(".lab-verdict")).to_have_text("Passed")
    expect(page.locator("#statement")).to_contain_text("its double")
    page.screenshot(path=str(ARTIFACTS / "lab-student-en.png"), full_page=True)

    page.goto(base + "/lab/")
    row = page.locator("tr", has_text="Le double")
    expect(row).to_contain_text("10 / 10")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], \
        problems
    assert not problems, problems


def test_typing_survives_a_failed_save_and_verdicts_come_without_the_socket(
        lab: LabServer, browser: Browser) -> None:
    problems: list[str] = []
    base = lab.server.url
    page = log_in(browser, base, "eleve02", problems)
    # No live connection at all: no WebSocket, and Socket.IO's long polling refused.
    page.add_init_script("window.WebSocket = undefined;")
    page.route("**/socket.io/**", lambda route: route.abort())
    # The server takes no draft for now.
    page.route("**/draft", lambda route: route.abort())
    page.goto(f"{base}/lab/assignments/{lab.assignment_id}")
    editor = page.locator("#editor .cm-content")
    expect(editor).to_contain_text("Lis un entier")
    replace_code(page, RIGHT)
    status = page.locator("#save-status")
    expect(status).to_contain_text("n'a pas pu être enregistré")

    # Reloaded before any save went through: the code typed is put back from this computer.
    page.reload()
    expect(editor).to_have_text(RIGHT.replace("\n", ""))
    expect(page.locator("#lab-message")).to_contain_text("remises dans l'éditeur")
    page.unroute("**/draft")
    expect(status).to_contain_text("Brouillon enregistré à", timeout=15000)
    with lab.database.session() as session:
        student = records.person_by_username(session, "eleve02")
        draft = session.scalar(select(CodeDraft).where(
            CodeDraft.assignment_id == lab.assignment_id, CodeDraft.student_id == student.id))
        assert draft is not None and draft.files == {"main.py": RIGHT}

    # An error explained in words, the raw message one click away.
    replace_code(page, "n = int(input())\nprint(n * 2")
    page.get_by_role("button", name="Exécuter les tests visibles").click()
    explanation = page.locator("#results .lab-explanation").first
    expect(explanation).to_contain_text("Ligne 2")
    raw = explanation.locator(".lab-raw pre")
    expect(raw).to_be_hidden()
    explanation.locator(".lab-raw summary").click()
    expect(raw).to_contain_text("SyntaxError")
    explanation.get_by_role("button", name="Aller à la ligne 2 dans l'éditeur").click()
    expect(editor).to_be_focused()
    expect(page.locator("#editor .cm-activeLine")).to_have_text("print(n * 2")
    replace_code(page, RIGHT)

    # Submitted with the socket down: the page asks for the verdicts itself.
    page.get_by_role("button", name="Soumettre").click()
    results = page.locator("#results")
    expect(results.locator("h2")).to_have_text("Résultats de la soumission 1")
    expect(results.locator(".lab-total")).to_contain_text("10 / 10")
    expect(page.locator("#history li").first).to_contain_text("Corrigée")
    page.screenshot(path=str(ARTIFACTS / "lab-offline-fr.png"), full_page=True)
    # The only errors are the refused requests of this test.
    assert all("net::ERR_FAILED" in p or "Failed to load resource" in p for p in problems), \
        problems


def test_a_refused_submit_says_why_in_the_students_language(lab: LabServer,
                                                            browser: Browser) -> None:
    problems: list[str] = []
    page = log_in(browser, lab.server.url, "eleve03", problems)
    page.goto(f"{lab.server.url}/lab/assignments/{lab.patient_id}")
    expect(page.locator("#editor .cm-content")).to_contain_text("Lis un entier")
    replace_code(page, RIGHT)
    submit = page.get_by_role("button", name="Soumettre")
    submit.click()
    expect(page.locator("#results .lab-total")).to_contain_text("10 / 10")
    expect(page.locator("#attempts-used")).to_have_text("1 sur 2 utilisées")

    submit.click()
    message = page.locator("#lab-message")
    expect(message).to_have_text(re.compile(r"Attendez (59\d|600) secondes avant de soumettre "
                                            r"de nouveau\."))
    expect(submit).to_be_disabled()  # for the seconds the server asked to wait
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#attempts-used")).to_have_text("1 sur 2 utilisées")
    with lab.database.session() as session:
        student = records.person_by_username(session, "eleve03")
        assert len(list(session.scalars(select(Submission).where(
            Submission.assignment_id == lab.patient_id,
            Submission.student_id == student.id)))) == 1
    # The browser logs the refused request (HTTP 409); nothing else went wrong.
    assert all("409" in p for p in problems), problems
