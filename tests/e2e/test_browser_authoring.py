"""A teacher in headless Chromium authors a matching item: preview first, then save."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import start_demo_server
from tests.e2e.live import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]



@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The product on its embedded default with the demo school."""
    live = start_demo_server(tmp_path_factory.mktemp("authoring"))
    yield live
    live.stop()


def test_teacher_previews_then_saves_a_matching_item(server: LiveServer,
                                                     browser: Browser) -> None:
    context = browser.new_context(locale="fr-CA", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(server.url + "/login")
    page.fill("#username", "enseignant")
    page.fill("#password", "ardoise-demo")
    page.click("form.stack button[type=submit]")
    page.goto(server.url + "/teacher/items")
    page.get_by_role("link", name="Association").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Association")

    page.fill("#stem_fr", "Associez chaque pays à sa capitale.")
    page.fill("[name=premise0_fr]", "Canada")
    page.fill("[name=premise1_fr]", "France")
    page.fill("[name=response0_fr]", "Ottawa")
    page.fill("[name=response1_fr]", "Paris")
    page.fill("[name=response2_fr]", "Rome")
    page.select_option("[name=premise0_match]", "r1")
    page.select_option("[name=premise1_match]", "r2")
    # No title yet: a preview does not need one.
    page.get_by_role("button", name="Aperçu").click()
    preview = page.locator("#preview")
    expect(preview).to_be_visible()
    expect(preview.locator("#preview-fr .question-title")).to_have_text("Question 1 sur 1")
    expect(preview.locator("#preview-en .question-title")).to_have_text("Question 1 of 1")
    expect(preview.locator("#preview-fr .match-premise")).to_have_count(2)
    expect(preview.locator("#preview-fr select").first).to_have_value("")
    expect(page.locator("[name=premise1_match]")).to_have_value("r2")  # the form kept it

    page.fill("#title", "Capitales")
    page.get_by_role("button", name="Enregistrer la question").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.get_by_role("link", name="Capitales").click()
    expect(page.locator("#preview-fr .stem")).to_have_text(
        "Associez chaque pays à sa capitale.")
    context.close()


GENERATOR = """def generate():
    a = rng.randint(12, 49)
    b = rng.randint(12, 49)
    return {"a": a, "b": b, "produit": a * b}
"""


def log_in(browser: Browser, base: str, username: str) -> Page:
    context = browser.new_context(locale="fr-CA", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", "ardoise-demo")
    page.click("form.stack button[type=submit]")
    return page


def test_a_parametrised_item_is_previewed_published_and_sat_in_an_exam(
        server: LiveServer, browser: Browser, tmp_path: Path) -> None:
    teacher = log_in(browser, server.url, "enseignant")
    teacher.goto(server.url + "/teacher/items/new?type=numeric")
    teacher.fill("#stem_fr", "Combien font {{a}} × {{b}} ?")
    teacher.fill("#stem_en", "What is {{a}} × {{b}}?")
    teacher.fill("#answer", "{{produit}}")
    teacher.locator("details.generator summary").click()
    teacher.fill("#generator", GENERATOR)
    teacher.get_by_role("button", name="Aperçu").click()

    variants = teacher.locator("article.variant")
    expect(variants).to_have_count(3)
    stems = [variants.nth(n).locator(".stem").first.inner_text() for n in range(3)]
    for stem in stems:
        assert re.fullmatch(r"Combien font \d\d × \d\d \?", stem.strip()), stem
    assert len(set(stems)) > 1  # three seeds, not three times the same numbers
    expect(variants.first.locator("dl.params")).to_contain_text("produit")
    teacher.screenshot(path=str(tmp_path / "variants.png"), full_page=True)

    teacher.fill("#title", "Produit paramétré")
    teacher.get_by_role("button", name="Enregistrer la question").click()
    expect(teacher.locator(".flash-success")).to_be_visible()

    # A colleague reviews it (nobody reviews their own question), then its author publishes.
    colleague = log_in(browser, server.url, "enseignant2")
    colleague.goto(server.url + "/teacher/items")
    colleague.get_by_role("link", name="Produit paramétré").click()
    colleague.get_by_role("button", name="Marquer comme révisée").click()
    expect(colleague.locator(".flash-success")).to_be_visible()
    teacher.goto(server.url + "/teacher/items")
    teacher.get_by_role("link", name="Produit paramétré").click()
    expect(teacher.locator("article.variant")).to_have_count(3)
    teacher.get_by_role("button", name="Marquer comme publiée").click()
    expect(teacher.locator(".status-published").first).to_be_visible()

    # It appears in the exam form, published, and goes into an exam and a sitting.
    teacher.goto(server.url + "/teacher/exams/new")
    entry = teacher.locator("label.check", has_text="Produit paramétré")
    expect(entry).to_contain_text("Publiée")
    teacher.fill("#title", "Calcul mental")
    entry.locator("input").check()
    teacher.get_by_role("button", name="Enregistrer l'épreuve").click()
    expect(teacher.locator(".flash-success")).to_be_visible()
    now = datetime.now(ZoneInfo("America/Montreal"))
    teacher.select_option("#exam_id", label="Calcul mental")
    teacher.fill("#title", "Calcul mental — variantes")
    teacher.fill("#opens_at", (now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"))
    teacher.fill("#closes_at", (now + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    teacher.select_option("#class_id", index=1)
    teacher.get_by_role("button", name="Planifier", exact=True).click()
    expect(teacher.locator(".flash-success")).to_be_visible()

    # A student sits it and gets a variant: numbers, never the braces or the answer.
    student = log_in(browser, server.url, "eleve05")
    card = student.locator("li.card", has_text="Calcul mental — variantes")
    card.get_by_role("button", name="Commencer l'épreuve").click()
    stem = student.locator(".question:visible .stem").first
    expect(stem).to_have_text(re.compile(r"Combien font \d\d × \d\d \?"))
    a, b = (int(n) for n in re.findall(r"\d\d", stem.inner_text()))
    assert str(a * b) not in student.content()
    student.screenshot(path=str(tmp_path / "student-variant.png"), full_page=True)
