"""The pool page and exam sections built from the exam form."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.db import Database
from exam_engine.models import Exam, ExamItem
from item_bank import banks, workflow
from item_bank import service as items
from item_bank.models import ItemPool
from item_bank.workflow import ItemStatus
from tests.conftest import Auth
from tests.factories import School
from tests.web.test_item_authoring import csrf


def published_items(app_db: Database, world: School, count: int) -> None:
    with app_db.session() as session:
        for n in range(count):
            version = items.create_item(session, world.school.id, "true_false", f"Vrai {n}", {
                "stem": {"fr": f"Affirmation {n}"}, "correct": True},
                author_id=world.teacher.id)
            workflow.set_metadata(session, version.item_id, {"tags": ["sec4", "fractions"],
                                                             "difficulty": 1 + n % 3})
            for status in (ItemStatus.REVIEWED, ItemStatus.PUBLISHED):
                workflow.change_status(session, version.item_id, status, world.grader.id)


def test_a_teacher_creates_a_pool_and_sees_what_it_holds(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    published_items(app_db, world, 5)
    auth.login(world.teacher.username)
    token = csrf(client.get("/teacher/pools").get_data(as_text=True))
    made = client.post("/teacher/pools", data={"csrf_token": token, "name": "Fractions",
                                               "tags": "Fractions, sec4"})
    assert made.status_code == 302
    page = html.unescape(client.get("/teacher/pools").get_data(as_text=True))
    row = re.search(r"<th scope=\"row\">Fractions</th>.*?</tr>", page, re.S)
    assert row is not None
    assert "<td>5</td>" in row.group(0)  # five published items carry both tags
    assert "1 : 2" in row.group(0) and "3 : 1" in row.group(0)  # by difficulty

    again = client.post("/teacher/pools", data={"csrf_token": token, "name": "Fractions",
                                                "tags": "sec4"})
    assert again.status_code == 422 and "existe déjà" in again.get_data(as_text=True)
    empty = client.post("/teacher/pools", data={"csrf_token": token, "name": "Vide",
                                                "tags": " , "})
    text = html.unescape(empty.get_data(as_text=True))
    assert empty.status_code == 422 and "étiquettes" in text and 'value="Vide"' in text
    with app_db.session() as session:
        assert session.scalars(select(ItemPool.name)).all() == ["Fractions"]


def test_a_pool_cannot_take_a_bank_the_teacher_does_not_see(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    with app_db.session() as session:
        secret = banks.create_bank(session, world.school.id, "Ministère", True, world.admin.id)
    auth.login(world.teacher.username)
    token = csrf(client.get("/teacher/pools").get_data(as_text=True))
    refused = client.post("/teacher/pools", data={"csrf_token": token, "name": "Volé",
                                                  "tags": "sec4", "bank_id": secret.id})
    assert refused.status_code == 422
    with app_db.session() as session:
        assert session.scalar(select(ItemPool)) is None


def test_the_exam_form_adds_a_section_drawing_from_a_pool(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    published_items(app_db, world, 5)
    auth.login(world.teacher.username)
    token = csrf(client.get("/teacher/pools").get_data(as_text=True))
    client.post("/teacher/pools", data={"csrf_token": token, "name": "Fractions",
                                        "tags": "fractions"})
    with app_db.session() as session:
        pool_id = session.scalar(select(ItemPool.id))
    form = client.get("/teacher/exams/new").get_data(as_text=True)
    assert "Fractions (fractions)" in html.unescape(form)
    too_many = client.post("/teacher/exams/new", data={
        "csrf_token": csrf(form), "title": "Tirage", "section0_pool": pool_id,
        "section0_count": "4", "section0_low": "2", "section0_high": "3"})
    text = html.unescape(too_many.get_data(as_text=True))
    assert too_many.status_code == 422 and "3 questions publiées" in text
    with app_db.session() as session:
        assert session.scalar(select(Exam).where(Exam.title == "Tirage")) is None
    saved = client.post("/teacher/exams/new", data={
        "csrf_token": csrf(form), "title": "Tirage", "section0_pool": pool_id,
        "section0_count": "2", "section0_low": "2", "section0_high": "3"})
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))
    with app_db.session() as session:
        exam = session.scalar(select(Exam).where(Exam.title == "Tirage"))
        assert exam is not None
        entry = session.scalar(select(ExamItem).where(ExamItem.exam_id == exam.id))
        assert entry is not None
        assert (entry.pool_id, entry.draw_count, entry.difficulty_min,
                entry.difficulty_max, entry.item_version_id) == (pool_id, 2, 2, 3, None)
