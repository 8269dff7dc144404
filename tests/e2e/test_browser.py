"""A demo student in headless Chromium: answers survive a server outage, submit, logout wipe."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ardoise.db import Database
from exam_engine import answer_log, chain
from exam_engine.models import Attempt, AttemptSlot, AttemptState
from student_records.models import Person
from tests.e2e.browser import log_in, start_demo_server
from tests.e2e.live import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]



@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    """The product on its embedded default (SQLite, in-process tasks) with the demo school."""
    data_dir = tmp_path_factory.mktemp("demo")
    server = start_demo_server(data_dir)
    database = Database(f"sqlite:///{data_dir / 'ardoise.db'}")
    yield server, database
    server.stop()
    database.dispose()




def answer_current_question(page: Page, index: int) -> None:
    """Answer whatever question is on screen, the way a student would."""
    question = page.locator(".question:visible").first
    radios = question.locator("input[type=radio]")
    checkboxes = question.locator("input[type=checkbox]")
    texts = question.locator("input[type=text], input[inputmode=decimal], textarea")
    if radios.count():
        radios.nth(index % radios.count()).check()
    elif checkboxes.count():
        checkboxes.first.check()
    else:
        texts.first.fill(f"{index + 1},5")
        texts.first.blur()


def test_answers_survive_an_outage_and_logout_wipes_the_outbox(
        demo: tuple[LiveServer, Database], browser: Browser) -> None:
    server, database = demo
    context = browser.new_context(locale="fr-CA", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    log_in(page, server.url, "eleve01")
    page.get_by_role("button", name="Commencer l'épreuve").click()
    status = page.locator("#connection-status")
    expect(status).to_have_attribute("data-state", "online", timeout=15_000)

    answer_current_question(page, 0)
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0",
                                                             timeout=10_000)

    server.stop()  # the school's Wi-Fi drops, or the server restarts
    expect(status).to_have_attribute("data-state", "offline", timeout=30_000)
    for index in range(1, 5):
        page.get_by_role("button", name="Suivante").click()
        answer_current_question(page, index)
    # The four offline answers wait in the outbox (the page's CSP forbids polled page scripts).
    expect(page.locator("#pending-count")).to_have_attribute("data-count",
                                                             re.compile(r"^([4-9]|\d\d+)$"))
    page.screenshot(path=str(server.log_path.parent / "offline.png"))

    server.start()
    expect(status).to_have_attribute("data-state", "online", timeout=30_000)
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0",
                                                             timeout=20_000)

    page.locator("#submit-button").click()
    expect(page.locator("#submit-dialog")).to_be_visible()
    page.locator("#confirm-submit").click()
    expect(page.locator("#submitted-view")).to_be_visible(timeout=15_000)
    receipt = page.locator("#receipt").inner_text().strip()

    with database.session() as session:
        student = session.scalar(select(Person).where(Person.username == "eleve01"))
        assert student is not None
        attempt = session.scalar(select(Attempt).where(Attempt.student_id == student.id))
        assert attempt is not None and attempt.state is AttemptState.SUBMITTED
        answered = session.scalars(select(AttemptSlot.slot).where(
            AttemptSlot.attempt_id == attempt.id, AttemptSlot.seq > 0)).all()
        entries = answer_log.log_entries(session, attempt)
        user_id = student.id
        assert receipt == attempt.receipt
    assert sorted(answered) == [0, 1, 2, 3, 4]  # every answer arrived, offline ones included
    assert chain.verify(attempt.id, [e.__dict__ for e in entries]) == receipt

    page.locator(".logout-form button").click()
    page.wait_for_selector("#outbox-wipe[data-done=true]", state="attached", timeout=10_000)
    names = page.evaluate("async () => (await indexedDB.databases()).map(d => d.name)")
    assert f"ardoise-outbox-{user_id}" not in names
    context.close()


def test_english_student_page_and_keyboard_only(demo: tuple[LiveServer, Database],
                                                browser: Browser) -> None:
    server, _database = demo
    context = browser.new_context(locale="en-CA")
    page = context.new_page()
    page.goto(server.url + "/lang/en")
    log_in(page, server.url, "eleve02")
    page.get_by_role("button", name="Start the exam").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    expect(page.locator("#timer")).to_be_visible()
    # Reach an answer with the keyboard alone and choose it.
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement && document.activeElement.type")
        if focused in ("radio", "checkbox", "text", "textarea"):
            break
    else:
        pytest.fail("no answer input reachable with Tab")
    if focused in ("text", "textarea"):
        page.keyboard.type("42")
        page.keyboard.press("Tab")
    else:
        page.keyboard.press("Space")
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0",
                                                             timeout=10_000)
    expect(page.locator("#nav-0")).to_contain_text("Answered")
    context.close()
