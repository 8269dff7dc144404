"""Authoring a parametrised item: its generator, the preview of several variants, errors."""

from __future__ import annotations

import html
import re

from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.db import Database
from item_bank import variants
from item_bank.models import Item, ItemVariant, ItemVersion
from tests.conftest import Auth
from tests.factories import School
from tests.web.test_item_authoring import open_form

GENERATOR = ("def generate():\n    a = rng.randint(11, 99)\n    b = rng.randint(11, 99)\n"
             "    return {'a': a, 'b': b, 'somme': a + b}\n")
FORM = {"stem_fr": "Combien font {{a}} + {{b}} ?", "stem_en": "What is {{a}} + {{b}}?",
        "answer": "{{somme}}", "tolerance": "0", "tolerance_mode": "absolute", "points": "2",
        "generator": GENERATOR}


def variant_articles(page: str) -> list[str]:
    return re.findall(r'<article class="variant".*?</article>', page, re.S)


def test_the_preview_shows_three_variants_with_their_numbers(
        auth: Auth, client: FlaskClient, world: School) -> None:
    token = open_form(auth, client, world, "numeric")
    page = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "numeric", "action": "preview", **FORM})
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    shown = variant_articles(text)
    assert len(shown) == 3
    for seed, article in zip((1, 2, 3), shown, strict=True):
        params = variants.generate(GENERATOR, [seed])[0]
        assert f"Combien font {params['a']} + {params['b']} ?" in article
        assert f"What is {params['a']} + {params['b']}?" in article
        # The author sees the parameters, the answer among them.
        assert re.search(rf"<code>somme</code></dt><dd>{params['somme']}</dd>", article)
        assert "{{" not in article
    # The form keeps the generator for the save.
    assert "rng.randint(11, 99)" in text

    others = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "numeric", "variant_start": "4", **FORM})
    assert others.status_code == 200
    later = variant_articles(html.unescape(others.get_data(as_text=True)))
    assert [re.findall(r'id="variant(\d+)-heading"', a) for a in later] == [["4"], ["5"], ["6"]]


def test_saving_stores_the_generator_and_the_item_page_previews_variants(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "numeric")
    saved = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "numeric", "title": "Somme", **FORM})
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))
    with app_db.session() as session:
        item = session.scalar(select(Item).where(Item.title == "Somme"))
        assert item is not None
        version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
        assert version is not None
        assert version.content["answer"] == "{{somme}}"
        assert version.content["generator"].startswith("def generate():")
    page = html.unescape(client.get(f"/teacher/items/{item.id}").get_data(as_text=True))
    assert len(variant_articles(page)) == 3


def test_a_broken_generator_keeps_the_form_and_says_why(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "numeric")
    broken = GENERATOR.replace("a + b", "a + c")
    page = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "numeric", "title": "Cassé", **FORM,
        "generator": broken})
    assert page.status_code == 422
    text = html.unescape(page.get_data(as_text=True))
    assert "champ : générateur" in text
    assert "NameError" in text and "Line 4" in text  # Python's own words, with the line
    assert "a + c" in text and 'aria-invalid="true"' in text
    with app_db.session() as session:
        assert session.scalar(select(Item).where(Item.title == "Cassé")) is None


def test_the_sitting_page_prepares_the_students_not_prepared_yet(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    from exam_engine import exams
    from item_bank import service as items
    from tests.factories import open_sitting

    with app_db.session() as session:
        version = items.create_item(session, world.school.id, "numeric", "Somme", {
            "stem": {"fr": "{{a}} + {{b}} ?"}, "answer": "{{somme}}",
            "generator": GENERATOR}, author_id=world.teacher.id)
        world.exam = exams.create_exam(session, world.school.id, "Variantes",
                                       world.teacher.id, [version.item_id])
        sitting = open_sitting(session, world)
    auth.login(world.teacher.username)
    page = html.unescape(client.get(f"/teacher/sittings/{sitting.id}").get_data(as_text=True))
    assert "pour 0 des 2 élèves" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    done = client.post(f"/teacher/sittings/{sitting.id}/prepare", data={"csrf_token": token})
    assert done.status_code == 302
    page = html.unescape(client.get(f"/teacher/sittings/{sitting.id}").get_data(as_text=True))
    assert "pour 2 des 2 élèves" in page and "Préparer les autres" not in page
    with app_db.session() as session:
        stored = session.scalars(select(ItemVariant.params)).all()
    assert stored and all(p["somme"] == p["a"] + p["b"] for p in stored)


def test_the_marking_sheet_shows_each_student_their_own_variant(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    from ardoise.clock import utcnow
    from exam_engine import answer_log, attempts, exams, grading
    from item_bank import service as items
    from tests.factories import open_sitting

    essay = {"stem": {"fr": "Expliquez pourquoi {{n}} est divisible par {{d}}."},
             "points": 4, "generator": "def generate():\n    d = rng.randint(3, 9)\n"
                                       "    return {'d': d, 'n': d * rng.randint(11, 99)}\n"}
    with app_db.session() as session:
        version = items.create_item(session, world.school.id, "extended_text", "Divisible",
                                    essay, author_id=world.teacher.id)
        world.exam = exams.create_exam(session, world.school.id, "Essai", world.teacher.id,
                                       [version.item_id])
        sitting = open_sitting(session, world)
        now = utcnow()
        seen = []
        for student in world.students:
            attempt = attempts.start_or_resume(session, sitting.id, student.id, now)
            variant = attempts.slots_of(session, attempt.id)[0].variant
            assert variant is not None
            seen.append(f"Expliquez pourquoi {variant['n']} est divisible par {variant['d']}.")
            answer_log.save(session, attempt.id, student.id, slot=0, seq=1,
                            response={"text": "Parce que."}, now=now, grace_seconds=2.0)
            attempts.submit(session, attempt, now, "student", 2.0)
            grading.grade_attempt(session, attempt.id, now)
    auth.login(world.teacher.username)
    sheet = html.unescape(client.get(f"/teacher/sittings/{sitting.id}/marking")
                          .get_data(as_text=True))
    for stem in seen:
        assert stem in sheet
    assert "{{n}}" not in sheet.split('class="mark-answer', 1)[1]
