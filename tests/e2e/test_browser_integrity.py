"""The exam page's integrity events in Chromium, on the live stack: a student leaves the exam
tab twice, the events are stored with the time away, the policy's threshold raises a flag,
the student reads the calm warning in French, and the proctor's console, open in a second
browser context, shows the flag live with that student moved to the top.

Headless Chromium keeps every tab visible (bringing another tab to the front or minimising
the window changes nothing), so leaving the tab is what the browser tells the page when it
happens: ``document.visibilityState`` becomes ``hidden`` and ``visibilitychange`` fires. The
page's own code takes it from there, over the real Socket.IO connection."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from exam_engine.models import Attempt
from proctoring.models import IntegrityEvent, IntegrityFlag
from tests.e2e.conftest import Stack
from tests.e2e.helpers import wait_until, watched_sitting
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.postgres]

ARTIFACTS = Path(os.environ.get("ARDOISE_SCREENSHOTS", "test-artifacts"))
# What the browser does when the student switches tabs, and back.
LEAVE = """(state) => {
  Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
  Object.defineProperty(document, "hidden", {value: state === "hidden", configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_a_student_who_leaves_the_tab_is_recorded_flagged_and_warned(
        stack: Stack, browser: Browser) -> None:
    world, sitting_id = watched_sitting(stack.database, "Intégrité", focus_losses=2)
    username, proctor = world.students[1].username, world.proctor.username

    console_context = browser.new_context(locale="fr-CA",
                                          viewport={"width": 1280, "height": 900})
    console = console_context.new_page()
    console.goto(stack.server.url + "/login")
    console.fill("#username", proctor)
    console.fill("#password", PASSWORD)
    console.click("form.stack button[type=submit]")
    console.goto(f"{stack.server.url}/teacher/sittings/{sitting_id}")
    rows = console.locator("#progress tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-flags", "0")

    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(stack.server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.get_by_role("button", name="Commencer l'épreuve").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    with stack.database.session() as session:
        attempt_id = session.scalar(select(Attempt.id).where(Attempt.sitting_id == sitting_id))
    assert attempt_id is not None

    def stored() -> list[IntegrityEvent]:
        with stack.database.session() as session:
            return list(session.scalars(select(IntegrityEvent).where(
                IntegrityEvent.attempt_id == attempt_id).order_by(IntegrityEvent.id)))

    for absence in (1, 2):
        page.evaluate(LEAVE, "hidden")
        wait_until(lambda n=absence: len([e for e in stored() if e.type == "tab_hidden"]) >= n,
                   timeout=15)
        page.evaluate(LEAVE, "visible")
        wait_until(lambda n=absence: len([e for e in stored() if e.type == "tab_visible"]) >= n,
                   timeout=15)
    # A copy is not counted by this policy: nothing of it is stored.
    page.evaluate("() => document.dispatchEvent(new Event('copy'))")

    warning = page.locator(".announcement").filter(has_text="Rappel")
    expect(warning).to_contain_text("Vous avez quitté la page de l’examen plusieurs fois")
    events = stored()
    assert [e.type for e in events] == ["tab_hidden", "tab_visible"] * 2
    assert all(e.client_at is not None for e in events)
    assert all(e.duration_ms is not None and e.duration_ms >= 0
               for e in events if e.type == "tab_visible")
    with stack.database.session() as session:
        flags = list(session.scalars(select(IntegrityFlag.rule).where(
            IntegrityFlag.attempt_id == attempt_id)))
    assert flags == ["focus_losses"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "exam-integrity-warning-fr.png"), full_page=True)

    # The proctor's console: the flag, live, and the student moved to the top.
    flagged = console.locator("#progress tbody tr.flagged")
    expect(flagged).to_have_count(1, timeout=15_000)
    expect(rows.first).to_have_attribute("data-attempt-id", attempt_id)
    expect(rows.first.locator(".badge.flag")).to_have_text("A quitté la page")
    expect(rows.first.locator("th")).to_have_text(username)
    console.screenshot(path=str(ARTIFACTS / "proctor-console-flag-fr.png"), full_page=True)

    # The proctor extends everyone by 10 %, then ends this student's exam (after confirming).
    console.select_option("#extend-unit", "percent")
    console.fill("#extend-amount", "10")
    console.click("#extend-all-button")
    expect(console.locator("#extend-all [role=status]")).to_have_text("Prolongé pour 1 élèves.")
    # A message to this student alone.
    console.once("dialog", lambda dialog: dialog.accept("Restez sur la page, s’il vous plaît."))
    rows.first.get_by_role("button", name=re.compile("^Message")).click()
    expect(page.locator(".announcement").filter(has_text="Restez sur la page")).to_be_visible()
    # The student's report, from their name.
    assert (rows.first.locator("th a").get_attribute("href") or "").endswith(
        f"/teacher/attempts/{attempt_id}/integrity")
    console.on("dialog", lambda dialog: dialog.accept())
    rows.first.get_by_role("button", name=re.compile("^Terminer l’examen")).click()
    expect(page.locator("#submitted-view")).to_be_visible(timeout=15_000)
    with stack.database.session() as session:
        ended = session.get(Attempt, attempt_id)
        assert ended is not None and ended.submitted_reason == "proctor"
        assert ended.extension_seconds == 360
    context.close()
    console_context.close()
    assert problems == []
