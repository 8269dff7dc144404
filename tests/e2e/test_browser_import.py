"""A teacher in headless Chromium imports a QTI package on the bulk import page, watches the
progress bar finish and follows a link to an imported question; on the production-shaped
stack (PostgreSQL, Redis, a Celery worker) and on the embedded default (SQLite, the task
in the server's own process)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import func, select

from ardoise.db import Database
from bench.item_scoring_data import make_exam
from item_bank.interop.detect import parse
from item_bank.interop.model import ParsedItem
from item_bank.interop.qti3 import export_package
from item_bank.models import Item, ItemImport
from item_bank.registry import default_registry
from tests.e2e.browser import start_demo_server
from tests.e2e.conftest import Stack
from tests.e2e.helpers import seed_school
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Big enough (300 items, every objective type) that the page is up and polling well
# before the import ends.
PACKAGE = export_package(
    ParsedItem(source_id=f"e2e-{n:03d}", item_type=item.item_type, title=f"Question {n + 1}",
               content=item.content, tags=("e2e",))
    for n, item in enumerate(make_exam(default_registry(), 2026, 300)))
TITLES = [item.title for item in parse(PACKAGE, "sciences.zip").items]


@dataclass
class Site:
    url: str
    database: Database
    username: str
    password: str


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("import-embedded")
    server = start_demo_server(data_dir)
    database = Database(f"sqlite:///{data_dir / 'ardoise.db'}")
    yield Site(server.url, database, "enseignant", "ardoise-demo")
    server.stop()
    database.dispose()


@pytest.fixture
def production(stack: Stack) -> Site:
    seeded = seed_school(stack.database, students=1)
    return Site(stack.server.url, stack.database, seeded.teacher.username, PASSWORD)


@pytest.mark.parametrize("deployment", ["production", "embedded"])
def test_teacher_uploads_a_package_and_sees_the_progress_finish_and_the_items(
        deployment: str, request: pytest.FixtureRequest, browser: Browser,
        tmp_path: Path) -> None:
    site: Site = request.getfixturevalue(deployment)
    upload = tmp_path / "sciences.zip"
    upload.write_bytes(PACKAGE)
    context = browser.new_context(locale="fr-CA", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    polls: list[int] = []
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.on("response", lambda r: polls.append(r.status) if r.url.endswith("/progress")
            else None)
    page.goto(site.url + "/login")
    page.fill("#username", site.username)
    page.fill("#password", site.password)
    page.click("form.stack button[type=submit]")
    page.goto(site.url + "/teacher/items")
    page.get_by_role("link", name="Importer un fichier de questions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer des questions")
    page.set_input_files("#import-file", str(upload))
    page.get_by_role("button", name="Importer", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Importation de sciences.zip")
    bar = page.locator("#import-bar")
    expect(page.locator("#import-status")).to_have_text("Terminée", timeout=60_000)
    expect(bar).to_have_attribute("max", str(len(TITLES)))
    expect(bar).to_have_attribute("value", str(len(TITLES)))
    expect(page.locator("#import-count")).to_have_text(
        f"Questions : {len(TITLES)} sur {len(TITLES)}")
    rows = page.locator("#imported-items tbody tr")
    expect(rows).to_have_count(len(TITLES))
    for title in (TITLES[0], TITLES[-1]):
        expect(page.locator("#imported-items")).to_contain_text(title)
    if deployment == "production":  # on SQLite the upload's request runs the import
        assert polls and set(polls) == {200}  # the script followed the import to its end
    assert errors == []  # the page, its script and its progress polls
    page.locator("#imported-items a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLES[0])
    with site.database.session() as session:
        job = session.scalars(select(ItemImport).order_by(ItemImport.created_at.desc())).first()
        assert job is not None and (job.status, job.done, job.total) == (
            "done", len(TITLES), len(TITLES))
        assert session.scalar(select(func.count()).select_from(Item).where(
            Item.id.in_([entry["id"] for entry in (job.result or {})["items"]]))) == len(TITLES)
    context.close()
