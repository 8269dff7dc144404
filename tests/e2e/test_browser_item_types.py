"""A student answers each several-part item type in Chromium; grading gives partial credit."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from ardoise.clock import utcnow
from exam_engine import exams, sittings
from exam_engine.models import Attempt, AttemptSlot, DisplayMode
from item_bank import service as items
from item_bank.models import ItemVersion
from student_records.models import Person
from tests.e2e.conftest import Stack
from tests.e2e.helpers import slot_rows, unique_prefix, wait_graded
from tests.factories import PASSWORD, make_school

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.postgres]



def text(fr: str, en: str) -> dict[str, str]:
    return {"fr": fr, "en": en}


NEW_ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("inline_choice", {
        "stem": text("Complétez la phrase.", "Complete the sentence."),
        "text": text("Le {{fleuve}} se jette dans {{mer}}.", "The {{fleuve}} flows into {{mer}}."),
        "gaps": [{"id": "fleuve", "correct": "sl",
                  "options": [{"id": "sl", "text": text("Saint-Laurent", "St. Lawrence")},
                              {"id": "ot", "text": text("Outaouais", "Ottawa")}]},
                 {"id": "mer", "correct": "golfe",
                  "options": [{"id": "golfe", "text": text("le golfe", "the gulf")},
                              {"id": "lac", "text": text("le lac Érié", "Lake Erie")}]}],
        "points": 2}),
    ("matching", {
        "stem": text("Associez chaque province à sa capitale.",
                     "Match each province to its capital."),
        "premises": [{"id": "qc", "text": text("Québec", "Quebec")},
                     {"id": "on", "text": text("Ontario", "Ontario")},
                     {"id": "mb", "text": text("Manitoba", "Manitoba")}],
        "responses": [{"id": "quebec", "text": text("Québec (ville)", "Quebec City")},
                      {"id": "toronto", "text": text("Toronto", "Toronto")},
                      {"id": "winnipeg", "text": text("Winnipeg", "Winnipeg")},
                      {"id": "regina", "text": text("Regina", "Regina")}],
        "pairs": {"qc": "quebec", "on": "toronto", "mb": "winnipeg"}, "points": 3}),
    ("ordering", {
        "stem": text("Placez les planètes du Soleil vers l'extérieur.",
                     "Order the planets outwards from the Sun."),
        "items": [{"id": "mercure", "text": text("Mercure", "Mercury")},
                  {"id": "venus", "text": text("Vénus", "Venus")},
                  {"id": "terre", "text": text("Terre", "Earth")},
                  {"id": "mars", "text": text("Mars", "Mars")}],
        "points": 3}),
    ("hot_text", {
        "stem": text("Sélectionnez les verbes.", "Select the verbs."),
        "passage": text("Le chat [[s1:mange]] une [[s2:souris]] puis [[s3:dort]] au [[s4:soleil]].",
                        "The cat [[s1:eats]] a [[s2:mouse]] then [[s3:sleeps]] in the [[s4:sun]]."),
        "correct": ["s1", "s3"], "max_selections": 3, "points": 2}),
    ("extended_text", {
        "stem": text("Décrivez le cycle de l'eau.", "Describe the water cycle."),
        "expected_words": 100, "max_length": 1500,
        "rubric": text("3 étapes nommées", "3 named stages"), "points": 5}),
]


def seed_sitting(stack: Stack) -> str:
    """A school of its own with a sitting of the five types, all on one page; the username."""
    prefix = unique_prefix()
    with stack.database.session() as session:
        world = make_school(session, prefix, students=1)
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, kind, f"{prefix}{kind}", content,
            author_id=world.teacher.id).id).item_id for kind, content in NEW_ITEMS]
        exam = exams.create_exam(session, world.school.id, f"{prefix}Types", world.teacher.id,
                                 item_ids)
        now = utcnow()
        sittings.schedule_sitting(
            session, exam, title="Types", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
            class_id=world.klass.id, display_mode=DisplayMode.ALL_ON_ONE,
            author_id=world.teacher.id)
        return world.students[0].username


def question(page: Page, kind: str) -> Locator:
    return page.locator(f".question[data-item-type={kind}]")


def put_in_order(block: Locator, wanted: list[str]) -> None:
    """With the up buttons alone, as a keyboard user would press them."""
    for target, item_id in enumerate(wanted):
        row = block.locator(f".order-item[data-item={item_id}]")
        current = block.locator(".order-item").evaluate_all(
            "(rows) => rows.map((row) => row.dataset.item)").index(item_id)
        for _ in range(current - target):
            row.locator("button[data-move=up]").focus()
            row.page.keyboard.press("Enter")


def wait_saved(page: Page) -> None:
    expect(page.locator("#pending-count")).to_have_attribute("data-count", "0", timeout=15_000)
    expect(page.locator(".save-state[data-save-state=pending]")).to_have_count(0, timeout=15_000)


def test_student_answers_the_new_types_and_gets_partial_credit(stack: Stack,
                                                               browser: Browser) -> None:
    username = seed_sitting(stack)
    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.get_by_role("button", name="Commencer l'épreuve").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)

    cloze = question(page, "inline_choice")
    cloze.get_by_label("Espace 1").select_option("sl")
    cloze.get_by_label("Espace 2").select_option("golfe")

    pairs = question(page, "matching")
    pairs.locator("select[data-premise=qc]").select_option("quebec")
    pairs.locator("select[data-premise=on]").select_option("toronto")
    pairs.locator("select[data-premise=mb]").select_option("regina")  # the one wrong pair

    steps = question(page, "ordering")
    expect(steps.locator(".order-keep")).to_be_visible()
    put_in_order(steps, ["mercure", "venus", "terre", "mars"])
    expect(steps.locator(".order-keep")).to_be_hidden()

    hot = question(page, "hot_text")
    for span in ("s1", "s3"):
        hot.locator(f"button[data-span={span}]").click()
    expect(hot.locator("button[data-span=s1]")).to_have_attribute("aria-pressed", "true")
    expect(hot.locator("button[data-span=s2]")).to_have_attribute("aria-pressed", "false")

    essay = question(page, "extended_text").locator("textarea")
    essay.fill("L'eau s'évapore, se condense en nuages puis tombe en pluie.")
    essay.blur()
    expect(question(page, "extended_text").locator(".char-count")).to_have_text(
        re.compile(r"^59 / 1\s?500 caractères$"))
    wait_saved(page)

    # Every answer comes back after a reload, from the server's view of the slots.
    page.reload()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    expect(cloze.get_by_label("Espace 1")).to_have_value("sl")
    expect(pairs.locator("select[data-premise=mb]")).to_have_value("regina")
    expect(steps.locator(".order-item").first).to_have_attribute("data-item", "mercure")
    expect(steps.locator(".order-item").last).to_have_attribute("data-item", "mars")
    expect(hot.locator("button[data-span=s3]")).to_have_attribute("aria-pressed", "true")
    expect(essay).to_have_value(re.compile(r"^L'eau s'évapore"))
    page.screenshot(path=str(stack.data_dir / f"item-types-{username}.png"), full_page=True)

    page.locator("#submit-button").click()
    page.locator("#confirm-submit").click()
    expect(page.locator("#submitted-view")).to_be_visible(timeout=15_000)
    context.close()

    attempt, by_type = graded_slots(stack, username)
    assert by_type["inline_choice"].points == 2 and by_type["inline_choice"].correct is True
    assert by_type["matching"].points == 2 and by_type["matching"].correct is False
    assert by_type["ordering"].points == 3 and by_type["ordering"].correct is True
    assert by_type["hot_text"].points == 2 and by_type["hot_text"].correct is True
    essay_row = by_type["extended_text"]
    assert essay_row.points is None and essay_row.correct is None  # awaiting a grader
    assert essay_row.max_points == 5
    assert essay_row.response == {"text": "L'eau s'évapore, se condense en nuages puis tombe "
                                          "en pluie."}
    assert attempt.score == 9 and attempt.max_score == 15



def graded_slots(stack: Stack, username: str) -> tuple[Attempt, dict[str, AttemptSlot]]:
    """The student's attempt once graded, and its slots by item type."""
    with stack.database.session() as session:
        student = session.scalar(select(Person).where(Person.username == username))
        assert student is not None
        attempt_id = session.scalar(select(Attempt.id).where(Attempt.student_id == student.id))
        assert attempt_id is not None
    attempt = wait_graded(stack.database, attempt_id)
    rows = slot_rows(stack.database, attempt_id)
    with stack.database.session() as session:
        found = session.execute(select(ItemVersion.id, ItemVersion.item_type).where(
            ItemVersion.id.in_([r.item_version_id for r in rows.values()])))
        kinds = {version_id: kind for version_id, kind in found}
    return attempt, {kinds[r.item_version_id]: r for r in rows.values()}
