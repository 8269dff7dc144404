"""A teacher in headless Chromium writes an exercise, sees its solution verified, publishes it,
gives it to a class, follows the results and regrades them, on the embedded default server
(in-process tasks, process sandbox) with the demo school."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from coding_lab import assignments
from coding_lab.models import Assignment, Submission
from student_records import service as records
from tests.e2e.browser import open_watched, seed_demo
from tests.e2e.live import LiveServer, product_env

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = Path(os.environ.get("ARDOISE_SCREENSHOTS", "test-artifacts"))

SOLUTION = "n = int(input())\ntotal = 0\nfor i in range(1, n + 1):\n    total += i\nprint(total)"


@dataclass
class LabServer:
    server: LiveServer
    database: Database


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    data_dir = tmp_path_factory.mktemp("lab-teacher")
    url = f"sqlite:///{data_dir / 'ardoise.db'}"
    env = {**product_env(data_dir, url, None), "ARDOISE_SANDBOX_BACKEND": "process"}
    seed_demo(data_dir, env)
    live = LiveServer(data_dir, env)
    live.start()
    database = Database(url)
    yield LabServer(live, database)
    live.stop()
    database.dispose()


def log_in(browser: Browser, base: str, username: str, problems: list[str]) -> Page:
    return open_watched(browser, base, username, problems)


def test_a_teacher_authors_gives_follows_and_regrades_an_exercise(
        lab: LabServer, browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    page = log_in(browser, lab.server.url, "enseignant", problems)
    page.get_by_role("link", name="Labo de programmation").click()
    page.get_by_role("link", name="Nouvel exercice", exact=True).click()

    # A first try with a test missing its name: refused, everything typed kept.
    page.fill("#title", "Somme jusqu’à n")
    page.fill("#statement_fr", "Lisez $n$ et affichez $1 + 2 + … + n$.")
    page.fill("#solution", SOLUTION)
    page.fill("#test0_stdin", "3\n")
    page.fill("#test0_expected", "6\n")
    page.click("#save-exercise")
    expect(page.locator(".flash-error")).to_contain_text("nom")
    expect(page.locator("#test-row-0")).to_have_class("lab-test invalid")
    expect(page.locator("#solution")).to_have_value(SOLUTION)

    page.fill("#test0_name", "trois")
    page.fill("#test1_name", "cent")
    page.fill("#test1_stdin", "100\n")
    page.fill("#test1_expected", "5050\n")
    page.check("input[name=test1_hidden]")
    page.fill("#test1_weight", "2")
    page.click("#save-exercise")
    expect(page.locator("#verification-summary")).to_contain_text("réussit tous les tests")
    expect(page.locator("#verification tbody tr[data-verdict=passed]")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "lab-teacher-exercise.png"), full_page=True)
    page.click("#publish-exercise")
    expect(page.locator("#exercise-status")).to_have_text("Publiée")

    page.select_option("#class_id", index=0)
    page.fill("#a-title", "Devoir — sommes")
    page.fill("#late_penalty", "10")
    page.click("#give-exercise")
    expect(page.locator("h1")).to_have_text("Devoir — sommes")
    assignment_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    # Two students submit (one right, one wrong), graded in the sandbox.
    with lab.database.session() as session:
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        students = records.class_members(session, assignment.class_id)[:2]
        for student, code in zip(students, (SOLUTION, "print(6)"), strict=True):
            submitted = assignments.submit(session, assignment_id, student.id, code, utcnow())
            assignments.grade_submission(session, submitted.id, utcnow(), backend="process")

    page.reload()
    expect(page.locator("#pass-rate-chart rect")).to_have_count(2)
    expect(page.locator("#score-chart")).to_contain_text("2 corrigés")
    expect(page.locator("#regrade-count")).to_have_text("2/2")
    page.screenshot(path=str(ARTIFACTS / "lab-teacher-assignment.png"), full_page=True)

    page.click("#regrade-button")
    expect(page.locator(".flash-success")).to_contain_text("2")
    expect(page.locator("#regrade-count")).to_have_text("2/2")
    with lab.database.session() as session:
        statuses = session.scalars(select(Submission.status).where(
            Submission.assignment_id == assignment_id)).all()
        assert sorted(statuses) == ["graded", "graded"]

    page.get_by_role("link", name=students[1].given_name, exact=False).first.click()
    expect(page.locator("#shown-tests")).to_contain_text("Échec")
    page.go_back()
    page.click("#similarity-link")
    expect(page.locator("h1")).to_have_text("Rapport de similarité")
    # The refused form answered 422 on purpose; nothing else may go wrong in the console.
    assert [p for p in problems if "status of 422" not in p] == []
