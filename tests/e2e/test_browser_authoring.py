"""A teacher in headless Chromium authors a matching item: preview first, then save."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.e2e.live import LiveServer, product_env

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = os.environ.get("ARDOISE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The product on its embedded default with the demo school."""
    data_dir = tmp_path_factory.mktemp("authoring")
    url = f"sqlite:///{data_dir / 'ardoise.db'}"
    env = product_env(data_dir, url, None)
    subprocess.run([sys.executable, "-m", "ardoise", "--data-dir", str(data_dir), "demo",
                    "--seed-only"], env=env, check=True, capture_output=True)
    live = LiveServer(data_dir, env)
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"Chromium is required at {CHROMIUM}"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


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
