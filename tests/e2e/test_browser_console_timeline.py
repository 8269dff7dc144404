"""A student's timeline on the proctor's console, in Chromium on the live stack: the proctor
opens it beneath the student's row, the student leaves the exam tab and comes back, and both
events appear in the open timeline as they arrive (``proctor:event``), with the time away;
the proctor adds a note (an empty one is refused and its text kept), sees it listed, and
finds it on the student's integrity report. The table's refresh leaves the open timeline and
the note being typed alone.

Leaving the tab is what the browser tells the page when it happens (see
``test_browser_integrity``): ``document.visibilityState`` becomes ``hidden`` and
``visibilitychange`` fires."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ardoise.clock import utcnow
from exam_engine import attempts
from exam_engine.models import Attempt
from proctoring import events
from proctoring.models import IntegrityEvent
from student_records.models import AuditEntry
from tests.e2e.browser import open_watched
from tests.e2e.conftest import Stack
from tests.e2e.helpers import wait_until, watched_sitting
from tests.e2e.test_browser_integrity import LEAVE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.postgres]

ARTIFACTS = Path(os.environ.get("ARDOISE_SCREENSHOTS", "test-artifacts"))
PAUSE = """async (url) => {
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(url, {method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRFToken": token}, body: "{}"});
  return response.status;
}"""


def watched(browser: Browser, base: str, username: str, problems: list[str]) -> Page:
    """A French browser context logged in as ``username`` (the factories' password), its
    console errors and page errors appended to ``problems``."""
    return open_watched(browser, base, username, problems, password=PASSWORD)


def test_a_proctor_follows_a_students_timeline_and_adds_a_note(
        stack: Stack, browser: Browser) -> None:
    world, sitting_id = watched_sitting(stack.database, "Chronologie", focus_losses=5)
    student = world.students[0]
    username, name, proctor = student.username, student.display_name, world.proctor.username

    problems: list[str] = []
    console = watched(browser, stack.server.url, proctor, problems)
    page = watched(browser, stack.server.url, username, [])
    page.get_by_role("button", name="Commencer l'épreuve").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    with stack.database.session() as session:
        attempt_id = session.scalar(select(Attempt.id).where(
            Attempt.sitting_id == sitting_id, Attempt.student_id == student.id))
    assert attempt_id is not None

    console.goto(f"{stack.server.url}/teacher/sittings/{sitting_id}")
    rows = console.locator("#progress tbody tr[data-person-id]")
    row = console.locator(f'#progress tbody tr[data-attempt-id="{attempt_id}"]')
    expect(row).to_have_attribute("data-state", "in_progress", timeout=15_000)
    toggle = row.get_by_role("button", name=f"Chronologie — {name}")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # A student who has not started has no timeline to open.
    waiting = console.locator('#progress tbody tr[data-attempt-id=""]')
    expect(waiting).to_have_count(1)
    expect(waiting.locator(".watch-timeline")).to_have_count(0)
    # Time left under the deadline (the sitting gives an hour), none for the other.
    expect(row.locator(".time-left")).to_have_text(re.compile(r"^(5\d|60) min restantes$"))
    expect(waiting.locator(".time-left")).to_have_count(0)
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    detail = console.locator(f"#timeline-{attempt_id}")
    assert toggle.get_attribute("aria-controls") == f"timeline-{attempt_id}"
    expect(detail).to_be_visible()
    # The timeline row sits right beneath the student's.
    expect(console.locator(f'#progress tbody tr[data-attempt-id="{attempt_id}"] + tr')
           ).to_have_id(f"timeline-{attempt_id}")
    expect(detail.locator(".empty")).to_have_text("Rien n'a encore été consigné.")
    expect(detail.get_by_role("region", name=f"Chronologie de {name}")).to_be_visible()

    def stored() -> list[str]:
        with stack.database.session() as session:
            return list(session.scalars(select(IntegrityEvent.type).where(
                IntegrityEvent.attempt_id == attempt_id).order_by(IntegrityEvent.id)))

    page.evaluate(LEAVE, "hidden")
    wait_until(lambda: "tab_hidden" in stored(), timeout=15)
    hidden = detail.locator('li[data-kind="tab_hidden"]')
    expect(hidden).to_have_count(1)  # pushed to the open timeline, not polled
    expect(hidden.locator(".timeline-label")).to_have_text("Onglet de l’examen quitté")
    expect(hidden.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(hidden).to_have_class(re.compile(r"\bseverity-(info|warning|alert)\b"))
    page.evaluate(LEAVE, "visible")
    back = detail.locator('li[data-kind="tab_visible"]')
    expect(back).to_have_count(1)
    expect(back).to_contain_text(re.compile(r"Retour \(absent \d+ s\)"))
    expect(detail.locator(".empty")).to_be_hidden()

    # A note: an empty one is refused, its text kept; then one is saved and listed.
    note = detail.get_by_label("Ajouter une note")
    button = detail.get_by_role("button", name="Ajouter la note")
    status = detail.locator(".note-status")
    note.fill("   ")
    button.click()
    expect(status).to_have_text("Une note compte de 1 à 2 000 caractères.")
    expect(note).to_have_value("   ")
    note.fill("Vu l’élève quitter l’onglet deux fois; rappel donné.")
    button.click()
    expect(status).to_have_text("Note enregistrée.")
    expect(note).to_have_value("")
    noted = detail.locator('li[data-kind="note"]')
    expect(noted).to_have_count(1)
    expect(noted).to_have_class(re.compile(r"\bseverity-staff\b"))
    expect(noted.locator(".timeline-text")).to_have_text(
        "Vu l’élève quitter l’onglet deux fois; rappel donné.")
    expect(noted.locator(".timeline-by")).to_contain_text(world.proctor.display_name)
    with stack.database.session() as session:
        assert session.scalar(select(AuditEntry.detail).where(
            AuditEntry.object_id == attempt_id, AuditEntry.action == "note")) is not None

    # The table refreshes in place: the open timeline and the note being typed stay put.
    note.fill("Deuxième note en cours")
    note.focus()
    before = console.locator("#progress").get_attribute("data-updated-at")
    wait_until(lambda: console.locator("#progress").get_attribute("data-updated-at") != before,
               timeout=20)
    expect(note).to_be_focused()
    expect(note).to_have_value("Deuxième note en cours")
    expect(detail).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console.screenshot(path=str(ARTIFACTS / "proctor-console-timeline-fr.png"), full_page=True)

    # Paused elsewhere (another proctor): Pause becomes Resume in the row's actions, and the
    # focused Timeline button keeps the focus through that change.
    toggle.focus()
    assert console.evaluate(PAUSE, f"/api/v1/attempts/{attempt_id}/pause") == 200
    expect(row).to_have_attribute("data-state", "paused", timeout=15_000)
    expect(row.get_by_role("button", name=f"Reprendre — {name}")).to_be_visible()
    expect(toggle).to_be_focused()
    # The open timeline follows what the table learnt: the pause is listed.
    expect(detail.locator('li[data-kind="pause"]')).to_have_count(1)
    expect(detail.locator('li[data-kind="pause"] .timeline-by')).to_contain_text(
        world.proctor.display_name)

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(detail).to_be_hidden()

    # Another student, flagged while the proctor types a note in their timeline, moves to the
    # top of the table with it; the note keeps the focus and its text.
    with stack.database.session() as session:
        other = attempts.start_or_resume(session, sitting_id, world.students[1].id, utcnow())
        other_id = other.id
    other_row = console.locator(f'#progress tbody tr[data-attempt-id="{other_id}"]')
    expect(other_row.locator(".watch-timeline")).to_be_visible(timeout=15_000)
    expect(rows.first).to_have_attribute("data-attempt-id", attempt_id)
    other_row.locator(".watch-timeline").click()
    other_note = console.locator(f"#timeline-{other_id} textarea")
    other_note.fill("Élève deux : ")
    other_note.focus()
    with stack.database.session() as session:
        other = attempts.get_attempt(session, other_id)
        for _n in range(5):  # the policy's five absences
            events.record_event(session, other, "tab_hidden", now=utcnow())
            events.record_event(session, other, "tab_visible", now=utcnow())
    expect(rows.first).to_have_attribute("data-attempt-id", other_id, timeout=15_000)
    expect(console.locator(f'#progress tbody tr[data-attempt-id="{other_id}"] + tr')
           ).to_have_id(f"timeline-{other_id}")
    expect(other_note).to_be_focused()
    # Events the server recorded without a push reach the open timeline with the flag.
    expect(console.locator(f'#timeline-{other_id} li[data-kind="tab_hidden"]')).to_have_count(5)
    expect(other_note).to_be_focused()
    other_note.press("End")
    other_note.type("malaise")
    expect(other_note).to_have_value("Élève deux : malaise")
    console.screenshot(path=str(ARTIFACTS / "proctor-console-timeline-moved-fr.png"),
                       full_page=True)

    # The note is the integrity report's note too.
    console.goto(f"{stack.server.url}/teacher/attempts/{attempt_id}/integrity")
    expect(console.locator('#timeline li[data-kind="note"]')).to_contain_text(
        "Vu l’élève quitter l’onglet deux fois; rappel donné.")
    console.screenshot(path=str(ARTIFACTS / "integrity-report-timeline-fr.png"),
                       full_page=True)
    page.context.close()
    console.context.close()
    # The browser reports the refused empty note (422) itself; nothing else went wrong.
    assert [p for p in problems if "status of 422" not in p] == []
