"""Rich item texts in Chromium: a teacher adds an image and a formula to a question, the
preview typesets it with KaTeX, and the student's exam page shows both under the CSP."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    FilePayload,
    Page,
    expect,
)
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.db import Database
from exam_engine import attempts, exams, sittings
from exam_engine.models import DisplayMode
from item_bank import service as items
from item_bank.models import Item
from student_records.models import Organisation, Person, SchoolClass
from tests.e2e.browser import log_in, start_demo_server
from tests.e2e.live import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

PASSWORD = "ardoise-demo"
ALT = "Triangle rectangle de côtés 3, 4 et 5"


STRUCTURED = [
    ("inline_choice", "Pythagore à trous", {
        "stem": {"fr": "Complétez l’énoncé du **théorème**."},
        "text": {"fr": "Selon **Pythagore**, le carré de {{cote}} vaut la somme des "
                       "{{puissance}} des autres côtés : $c^2 = a^2 + b^2$."},
        "gaps": [{"id": "cote", "correct": "hyp",
                  "options": [{"id": "hyp", "text": "l’hypoténuse"},
                              {"id": "leg", "text": "un côté de l’angle droit"}]},
                 {"id": "puissance", "correct": "carre",
                  "options": [{"id": "carre", "text": "carrés"},
                              {"id": "cube", "text": "cubes"}]}]}),
    ("hot_text", "Nombres premiers", {
        "stem": {"fr": "Sélectionnez les nombres *premiers*."},
        "passage": {"fr": "Parmi les nombres *premiers* : [[p7:$7$]], [[p9:$9$]] et "
                          "[[p6:six]]."},
        "correct": ["p7"], "max_selections": 2}),
]


def png(width: int = 120, height: int = 80) -> bytes:
    """A real PNG: a blue rectangle with a red diagonal."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + \
            struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b""
    for y in range(height):
        row = bytearray(b"\x00")
        for x in range(width):
            row += b"\xd0\x20\x20" if abs(x * height - y * width) < width else b"\x30\x60\xc0"
        rows += bytes(row)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The product on its embedded default with the demo school."""
    live = start_demo_server(tmp_path_factory.mktemp("rich"))
    yield live
    live.stop()


def csp_violations(page: Page) -> list[str]:
    """Console messages of the page that report a Content Security Policy refusal."""
    found: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in \
                message.text:
            found.append(message.text)
    page.on("console", record)
    return found




def test_a_formula_and_an_image_reach_the_students_page_typeset(
        server: LiveServer, browser: Browser) -> None:
    shots = server.log_path.parent
    teacher_page = browser.new_context(locale="fr-CA",
                                       viewport={"width": 1280, "height": 900}).new_page()
    refused = csp_violations(teacher_page)
    log_in(teacher_page, server.url, "enseignant")
    teacher_page.goto(server.url + "/teacher/items/new?type=single_choice")
    teacher_page.fill("#title", "Pythagore illustré")
    teacher_page.fill("#stem_fr", "Dans ce triangle, que vaut $c$ si $a^2 + b^2 = c^2$ ?\n\n")
    teacher_page.locator("#stem_fr").blur()

    # The image: refused without a description, then stored and written into the question.
    teacher_page.locator("#media-upload summary").click()
    image_file: FilePayload = {"name": "triangle.png", "mimeType": "image/png", "buffer": png()}
    teacher_page.set_input_files("#media-file", files=[image_file])
    teacher_page.click("#media-add")
    expect(teacher_page.locator("#media-status")).to_have_attribute("data-state", "error")
    teacher_page.fill("#media-alt", ALT)
    teacher_page.click("#media-add")
    expect(teacher_page.locator("#media-status")).to_have_attribute("data-state", "ok")
    expect(teacher_page.locator("#stem_fr")).to_have_value(
        re.compile(r"\$a\^2 \+ b\^2 = c\^2\$ \?\n\n!\[" + ALT
                                 + r"\]\(/media/[0-9a-z]+/[0-9a-f]{64}\.png\)$"))
    teacher_page.fill("[name=option0_fr]", "$\\sqrt{a^2 + b^2}$")
    teacher_page.fill("[name=option1_fr]", "$a + b$")
    teacher_page.check("#correct-a")
    teacher_page.locator("#item-form").screenshot(path=str(shots / "rich-form.png"))

    teacher_page.get_by_role("button", name="Aperçu").click()
    stem = teacher_page.locator("#preview-fr .stem")
    expect(stem.locator(".katex")).to_have_count(2)
    expect(stem.locator(".katex-mathml annotation").first).to_have_text("c")
    expect(teacher_page.locator("#preview-fr .option .katex")).to_have_count(2)
    expect(teacher_page.locator("#preview-fr .option .katex .sqrt")).to_have_count(1)
    image = stem.get_by_role("img", name=ALT)
    expect(image).to_be_visible()
    assert image.evaluate("(img) => img.complete && img.naturalWidth") == 120
    teacher_page.locator("#preview").screenshot(path=str(shots / "rich-preview.png"))
    teacher_page.get_by_role("button", name="Enregistrer la question").click()
    expect(teacher_page.locator(".flash-success")).to_be_visible()
    assert refused == []

    # The student's exam page, under the same CSP.
    database = Database(f"sqlite:///{server.log_path.parent / 'ardoise.db'}")
    try:
        with database.session() as session:
            item = session.scalar(select(Item).where(Item.title == "Pythagore illustré"))
            assert item is not None
            school = session.get(Organisation, item.organisation_id)
            assert school is not None
            klass = session.scalar(select(SchoolClass).where(SchoolClass.code == "MAT4-01"))
            student = session.scalar(select(Person).where(Person.username == "eleve02"))
            assert klass is not None and student is not None
            structured = [items.create_item(session, school.id, kind, title, content,
                                            author_id=item.created_by).item_id
                          for kind, title, content in STRUCTURED]
            exam = exams.create_exam(session, school.id, "Géométrie", item.created_by,
                                     [item.id, *structured], shuffle_questions=False)
            now = utcnow()
            sitting = sittings.schedule_sitting(
                session, exam, title="Géométrie", opens_at=now - timedelta(minutes=1),
                closes_at=now + timedelta(hours=1), time_limit_seconds=3600,
                class_id=klass.id, display_mode=DisplayMode.ALL_ON_ONE,
                author_id=item.created_by)
            attempt_id = attempts.start_or_resume(session, sitting.id, student.id, now).id
    finally:
        database.dispose()

    student_page = browser.new_context(locale="fr-CA",
                                       viewport={"width": 1280, "height": 900}).new_page()
    refused_student = csp_violations(student_page)
    log_in(student_page, server.url, "eleve02")
    student_page.goto(f"{server.url}/exam/{attempt_id}")
    question = student_page.locator(".question[data-item-type=single_choice]")
    expect(question.locator(".stem .katex")).to_have_count(2)
    expect(question.locator(".stem .katex-html").first).to_be_visible()
    expect(question.locator(".stem .katex-mathml annotation").nth(1)).to_have_text(
        "a^2 + b^2 = c^2")
    expect(question.locator(".option .katex")).to_have_count(2)
    shown = question.get_by_role("img", name=ALT)
    expect(shown).to_be_visible()
    assert shown.evaluate("(img) => img.complete && img.naturalWidth") == 120
    # The choices still answer as before: the label of a typeset choice ticks its radio.
    question.locator(".option label").first.click()
    expect(question.locator("input[type=radio]").first).to_be_checked()

    # Gaps and spans keep working inside Markdown and math.
    cloze = student_page.locator(".question[data-item-type=inline_choice]")
    expect(cloze.locator(".cloze strong")).to_have_text("Pythagore")
    expect(cloze.locator(".cloze .katex")).to_have_count(1)
    cloze.get_by_label("Espace 1").select_option("hyp")
    cloze.get_by_label("Espace 2").select_option("carre")
    expect(cloze.locator("select[data-gap=cote] option[value=hyp]")).to_have_text("l’hypoténuse")
    hot = student_page.locator(".question[data-item-type=hot_text]")
    expect(hot.locator(".hot-span .katex")).to_have_count(2)
    expect(hot.locator(".hot-passage em")).to_have_text("premiers")
    hot.locator(".hot-span[data-span=p7]").click()
    expect(hot.locator(".hot-span[data-span=p7]")).to_have_attribute("aria-pressed", "true")
    student_page.screenshot(path=str(shots / "rich-exam.png"), full_page=True)
    assert refused_student == []
