"""A code item in an exam, in Chromium: the student types a program in the answer box, no
test reaches the page, and the Celery worker grades it in the sandbox after submitting."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Response, expect
from playwright.sync_api import Error as PlaywrightError

from ardoise.clock import utcnow
from exam_engine import exams, sittings
from exam_engine.models import DisplayMode
from item_bank import service as items
from tests.e2e.conftest import Stack
from tests.e2e.helpers import unique_prefix
from tests.e2e.test_browser_item_types import graded_slots, wait_saved
from tests.factories import PASSWORD, make_school

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.postgres]

CODE: dict[str, Any] = {
    "stem": {"fr": "Écrivez `carre(n)`, qui renvoie le carré de `n`.",
             "en": "Write `carre(n)`, which returns the square of `n`."},
    "language": "python3",
    "starter": "def carre(n):\n    pass\n",
    "tests": [{"name": "petit", "testcode": "print(carre(-7))", "expected": "49"},
              {"name": "zero", "testcode": "print(carre(0))", "expected": "0"},
              {"name": "grand", "testcode": "print(carre(98765))", "expected": "9754525225",
               "hidden": True, "weight": 2}],
    "points": 4,
}


def test_a_student_answers_a_code_item_and_the_worker_grades_it(stack: Stack,
                                                                browser: Browser) -> None:
    prefix = unique_prefix()
    with stack.database.session() as session:
        world = make_school(session, prefix, students=1)
        item_id = items.get_version(session, items.create_item(
            session, world.school.id, "code", f"{prefix}carré", CODE,
            author_id=world.teacher.id).id).item_id
        exam = exams.create_exam(session, world.school.id, f"{prefix}Code", world.teacher.id,
                                 [item_id])
        now = utcnow()
        sittings.schedule_sitting(
            session, exam, title="Code", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
            class_id=world.klass.id, display_mode=DisplayMode.ALL_ON_ONE,
            author_id=world.teacher.id)
        username = world.students[0].username

    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sent: list[str] = []

    def keep(response: Response) -> None:
        if "json" in (response.headers.get("content-type") or ""):
            try:
                sent.append(response.text())
            except PlaywrightError:  # a body the browser no longer holds
                pass

    page.on("response", keep)
    page.goto(stack.server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.get_by_role("button", name="Commencer l'épreuve").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    block = page.locator(".question[data-item-type=code]")
    box = block.get_by_label("Écrivez carre(n), qui renvoie le carré de n.")
    expect(box).to_have_value("def carre(n):\n    pass\n")  # the starter code
    expect(block.locator(".hint")).to_contain_text("Python 3")
    assert box.evaluate("(node) => getComputedStyle(node).fontFamily").lower().find(
        "mono") >= 0
    # Right for the visible tests, wrong for the large hidden one.
    box.fill("def carre(n):\n    return n * n if n < 1000 else -1\n")
    box.blur()
    wait_saved(page)
    page.screenshot(path=str(stack.data_dir / f"code-item-{username}.png"), full_page=True)
    page.reload()
    expect(box).to_have_value("def carre(n):\n    return n * n if n < 1000 else -1\n",
                              timeout=15_000)
    # Nothing the page received names a test, its code or its output.
    received = json.dumps(sent) + page.content()
    for secret in ("98765", "9754525225", "carre(-7)", "carre(0)"):
        assert secret not in received, secret
    page.locator("#submit-button").click()
    page.locator("#confirm-submit").click()
    expect(page.locator("#submitted-view")).to_be_visible(timeout=15_000)
    context.close()

    attempt, by_type = graded_slots(stack, username)
    slot = by_type["code"]
    assert (slot.points, slot.correct, slot.max_points) == (2.0, False, 4.0)
    assert (attempt.score, attempt.max_score) == (2.0, 4.0)
