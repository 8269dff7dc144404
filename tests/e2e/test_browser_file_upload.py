"""A student hands in a file in Chromium; it is saved, survives a reload, and a marker gets it."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from ardoise.clock import utcnow
from exam_engine import exams, sittings
from exam_engine.models import Attempt, DisplayMode
from item_bank import service as items
from item_bank.models import Item
from student_records.models import Person
from tests.e2e.conftest import Stack
from tests.e2e.helpers import slot_rows, unique_prefix, wait_graded
from tests.e2e.test_browser_item_types import question, wait_saved
from tests.factories import PASSWORD, School, make_school

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.postgres]

UPLOAD = {"stem": {"fr": "Remettez votre rapport de laboratoire.",
                   "en": "Hand in your lab report."},
          "kinds": ["pdf", "image"], "max_bytes": 200_000, "points": 5,
          "rubric": {"fr": "Hypothèse, mesures, conclusion"}}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def seed(stack: Stack) -> tuple[School, str]:
    prefix = unique_prefix()
    with stack.database.session() as session:
        world = make_school(session, prefix, students=1)
        item_ids = [items.get_version(session, items.create_item(
            session, world.school.id, kind, f"{prefix}{kind}", content,
            author_id=world.teacher.id).id).item_id
            for kind, content in (("file_upload", UPLOAD), ("true_false", {
                "stem": {"fr": "L'eau bout à 100 °C.", "en": "Water boils at 100 °C."},
                "correct": True}))]
        exam = exams.create_exam(session, world.school.id, f"{prefix}Labo", world.teacher.id,
                                 item_ids, shuffle_questions=False)
        now = utcnow()
        sitting = sittings.schedule_sitting(
            session, exam, title="Labo", opens_at=now - timedelta(minutes=1),
            closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
            class_id=world.klass.id, display_mode=DisplayMode.ALL_ON_ONE,
            author_id=world.teacher.id)
        return world, sitting.id


def test_student_hands_in_a_file_and_a_marker_downloads_it(
        stack: Stack, browser: Browser, tmp_path: Path) -> None:
    world, sitting_id = seed(stack)
    report = tmp_path / "rapport-labo.pdf"
    report.write_bytes(PDF)
    program = tmp_path / "photo.png"
    program.write_bytes(b"MZ\x90\x00" + bytes(64))  # a program dressed as an image

    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.server.url + "/login")
    page.fill("#username", world.students[0].username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.get_by_role("button", name="Commencer l'épreuve").click()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    block = question(page, "file_upload")
    picker = block.get_by_label("Remettez votre rapport de laboratoire.")
    status = block.locator(".upload-status")
    expect(status).to_have_text("Aucun fichier remis pour l’instant.")
    expect(block.locator(".hint")).to_contain_text(".pdf, .png")
    # Keyboard: the file input takes the focus like any other field.
    picker.focus()
    expect(picker).to_be_focused()

    picker.set_input_files(str(program))
    expect(status).to_have_attribute("data-state", "error", timeout=15_000)
    expect(status).to_contain_text("Cette sorte de fichier n’est pas acceptée ici.")

    picker.set_input_files(str(report))
    expect(status).to_have_text(re.compile(r"^Fichier remis : rapport-labo\.pdf \(0,1 ko\)$"),
                                timeout=15_000)
    expect(block.locator(".upload-remove")).to_be_visible()
    wait_saved(page)

    page.reload()
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online",
                                                                 timeout=15_000)
    expect(status).to_have_text(re.compile(r"^Fichier remis : rapport-labo\.pdf"))
    page.screenshot(path=str(stack.data_dir / f"file-upload-{world.students[0].username}.png"),
                    full_page=True)
    page.locator("#submit-button").click()
    page.locator("#confirm-submit").click()
    expect(page.locator("#submitted-view")).to_be_visible(timeout=15_000)
    context.close()

    with stack.database.session() as session:
        student = session.scalar(select(Person).where(
            Person.username == world.students[0].username))
        assert student is not None
        attempt_id = session.scalar(select(Attempt.id).where(Attempt.student_id == student.id))
        assert attempt_id is not None
    attempt = wait_graded(stack.database, attempt_id)
    row = slot_rows(stack.database, attempt_id)[0]
    digest = hashlib.sha256(PDF).hexdigest()
    assert row.response == {"file": digest, "name": "rapport-labo.pdf", "size": len(PDF),
                            "kind": "pdf"}
    assert row.points is None and attempt.awaiting_marks == 1
    assert (stack.data_dir / "uploads" / attempt_id / "0" / digest).read_bytes() == PDF

    marker = browser.new_context(locale="fr-CA", accept_downloads=True)
    page = marker.new_page()
    page.goto(stack.server.url + "/login")
    page.fill("#username", world.teacher.username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(f"{stack.server.url}/teacher/sittings/{sitting_id}/marking")
    link = page.get_by_role("link", name="Télécharger le fichier : rapport-labo.pdf")
    with page.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.suggested_filename == "rapport-labo.pdf"
    assert Path(download.path()).read_bytes() == PDF
    page.screenshot(path=str(stack.data_dir / f"file-marking-{world.teacher.username}.png"),
                    full_page=True)
    marker.close()


def test_teacher_authors_a_file_upload_question_with_its_preview(
        stack: Stack, browser: Browser) -> None:
    world, _sitting_id = seed(stack)
    context = browser.new_context(locale="fr-CA", viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(stack.server.url + "/login")
    page.fill("#username", world.teacher.username)
    page.fill("#password", PASSWORD)
    page.click("form.stack button[type=submit]")
    page.goto(stack.server.url + "/teacher/items/new?type=file_upload")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dépôt de fichier")
    page.fill("#stem_fr", "Remettez votre plan de dissertation.")
    page.fill("#stem_en", "Hand in your essay outline.")
    kinds = page.get_by_role("group", name=re.compile("Sortes de fichiers acceptées"))
    expect(kinds.get_by_role("checkbox", name="PDF")).to_be_checked()
    kinds.get_by_role("checkbox", name=re.compile("^Documents bureautiques")).check()
    page.fill("#max_mb", "2,5")
    page.fill("#rubric_fr", "Thèse claire, trois arguments")
    page.get_by_role("button", name="Aperçu").click()
    preview = page.locator("#preview")
    expect(preview.locator("#preview-fr input[type=file]")).to_have_attribute(
        "accept", re.compile(r"^\.pdf,\.docx,"))
    expect(preview.locator("#preview-fr .hint")).to_contain_text("Au plus 2,5 Mo")
    expect(preview.locator("#preview-en .hint")).to_contain_text("At most 2.5 MB")
    expect(preview).not_to_contain_text("Thèse claire")
    page.screenshot(path=str(stack.data_dir / f"file-authoring-{world.teacher.username}.png"),
                    full_page=True)
    page.fill("#title", "Plan de dissertation")
    page.get_by_role("button", name="Enregistrer la question").click()
    expect(page.locator(".flash-success")).to_be_visible()
    context.close()
    with stack.database.session() as session:
        item = session.scalar(select(Item).where(Item.title == "Plan de dissertation",
                                                 Item.organisation_id == world.school.id))
        assert item is not None and item.item_type == "file_upload"
