"""Editing an item through its form: every type fills the form back, saving adds a version."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ardoise.db import Database
from item_bank import banks, workflow
from item_bank import service as items
from item_bank.models import Item, ItemVersion
from item_bank.registry import default_registry
from item_bank.workflow import ItemStatus
from tests.conftest import Auth
from tests.factories import ITEMS, School
from tests.web.test_item_authoring import FORMS, csrf
from web.teacher.edit import DoesNotFit, form_from_content
from web.teacher.forms import content_from_form

MORE: list[tuple[str, dict[str, Any]]] = [
    ("numeric", {"stem": {"fr": "{{a}} + 1 ?"}, "answer": "{{b}}", "tolerance": 0.5,
                 "tolerance_mode": "relative", "unit": "cm",
                 "generator": "def generate():\n    a = rng.randint(1, 9)\n"
                              "    return {'a': a, 'b': a + 1}\n"}),
    ("short_text", {"stem": {"fr": "Fleuve ?"}, "answers": ["Saint-Laurent", "St-Laurent"],
                    "case_sensitive": True}),
    ("multiple_response", {"stem": {"fr": "Nombres pairs ?"}, "correct": ["B", "D"],
                           "shuffle": False,
                           "options": [{"id": "A", "text": {"fr": "1"}},
                                       {"id": "B", "text": {"fr": "2"}},
                                       {"id": "C", "text": {"fr": "3"}},
                                       {"id": "D", "text": {"fr": "4"}}]}),
    ("inline_choice", {"text": {"fr": "Le {{RESPONSE_1}} est bleu."},
                       "gaps": [{"id": "RESPONSE_1", "correct": "ciel",
                                 "options": [{"id": "terre", "text": {"fr": "sol"}},
                                             {"id": "ciel", "text": {"fr": "ciel"}}]}]}),
]
CASES = [*ITEMS, *MORE, *((kind, content) for kind, (_form, content) in FORMS.items()
                          if kind != "ordering"),
         ("ordering", {"stem": {"fr": "Ordre"}, "items": [
             {"text": {"fr": "un"}}, {"text": {"fr": "deux"}}, {"text": {"fr": "trois"}}],
             "scoring": "all_or_nothing"})]


def comparable(kind: str, content: dict[str, Any]) -> Any:
    """What a version's key means, whatever ids the form renamed: texts and the key by text."""
    clean = default_registry().get(kind).validate(content)
    if kind in ("single_choice", "multiple_response"):
        texts = {o["id"]: o["text"]["fr"] for o in clean["options"]}
        correct = clean["correct"] if isinstance(clean["correct"], list) else [clean["correct"]]
        clean["options"] = [texts[o["id"]] for o in clean["options"]]
        clean["correct"] = sorted(texts[c] for c in correct)
    if kind == "inline_choice":
        gaps = clean.pop("gaps")
        clean["text"] = {lang: re.sub(r"\{\{[^}]+\}\}", "[]", t)
                         for lang, t in clean["text"].items()}
        clean["gaps"] = [([o["text"] for o in g["options"]],
                          next(o["text"] for o in g["options"] if o["id"] == g["correct"]))
                         for g in gaps]
    return clean


@pytest.mark.parametrize("kind, content", CASES, ids=[f"{k}-{n}" for n, (k, _c)
                                                       in enumerate(CASES)])
def test_the_form_gives_back_the_content_it_was_filled_from(
        kind: str, content: dict[str, Any]) -> None:
    form = form_from_content(kind, content)
    again = content_from_form(kind, form)
    if content.get("generator"):
        assert again.pop("generator") == content["generator"]
        assert again["answer"] == "{{b}}"
        return
    assert comparable(kind, again) == comparable(kind, content)


def test_content_larger_than_the_form_is_said_so() -> None:
    many = {"stem": {"fr": "?"}, "correct": "o0",
            "options": [{"id": f"o{n}", "text": {"fr": str(n)}} for n in range(9)]}
    with pytest.raises(DoesNotFit):
        form_from_content("single_choice", many)


def make_item(app_db: Database, world: School, **extra: Any) -> str:
    kind, content = ITEMS[0]
    with app_db.session() as session:
        version = items.create_item(session, world.school.id, kind, "Capitale", content,
                                    author_id=world.teacher.id, **extra)
        workflow.set_metadata(session, version.item_id, {"subject": "Géographie",
                                                         "tags": ["canada"]})
        return version.item_id


def test_editing_adds_a_version_and_keeps_the_first(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    item_id = make_item(app_db, world)
    with app_db.session() as session:
        workflow.change_status(session, item_id, ItemStatus.REVIEWED, world.grader.id)
    auth.login(world.teacher.username)
    page = client.get(f"/teacher/items/{item_id}/edit")
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert 'value="Capitale"' in text and 'value="Géographie"' in text
    assert 'value="canada"' in text
    form = MultiDict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', text))
    assert form.get("option0_fr") and form.get("correct") is not None

    fields = form_from_content(ITEMS[0][0], ITEMS[0][1])
    fields["stem_fr"] = "Quelle est la capitale du Canada, déjà ?"
    saved = client.post(f"/teacher/items/{item_id}/edit", data={
        **fields.to_dict(flat=False), "title": "Capitale (révisée)", "subject": "Géographie",
        "level": "Secondaire 1", "difficulty": "2", "tags": "canada, capitales",
        "csrf_token": csrf(text)})
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))
    with app_db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None
        assert (item.title, item.latest_version, item.status) == (
            "Capitale (révisée)", 2, "draft")  # a reviewed question is reviewed again
        assert (item.level, item.difficulty, item.tags) == ("Secondaire 1", 2,
                                                            ["canada", "capitales"])
        first, second = session.scalars(select(ItemVersion).where(
            ItemVersion.item_id == item_id).order_by(ItemVersion.number))
        assert first.content["stem"] == ITEMS[0][1]["stem"]
        assert second.content["stem"]["fr"] == "Quelle est la capitale du Canada, déjà ?"


def test_a_bad_edit_keeps_the_input_and_changes_nothing(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    item_id = make_item(app_db, world)
    auth.login(world.teacher.username)
    token = csrf(client.get(f"/teacher/items/{item_id}/edit").get_data(as_text=True))
    fields = form_from_content(ITEMS[0][0], ITEMS[0][1])
    page = client.post(f"/teacher/items/{item_id}/edit", data={
        **fields.to_dict(flat=False), "title": "Capitale", "difficulty": "9",
        "stem_fr": "Texte tapé", "csrf_token": token})
    assert page.status_code == 422
    text = html.unescape(page.get_data(as_text=True))
    assert "Texte tapé" in text and "difficulté" in text
    with app_db.session() as session:
        item = session.get(Item, item_id)
        assert item is not None and item.latest_version == 1 and item.difficulty is None


def test_only_those_who_may_author_the_item_edit_it(
        auth: Auth, client: FlaskClient, app_db: Database, world: School,
        other_world: School) -> None:
    open_item = make_item(app_db, world)
    with app_db.session() as session:
        bank = banks.create_bank(session, world.school.id, "Ministère", True, world.admin.id)
    secret = make_item(app_db, world, bank_id=bank.id)
    auth.login(other_world.teacher.username)
    assert client.get(f"/teacher/items/{open_item}/edit").status_code in (403, 404)
    assert client.post(f"/teacher/items/{open_item}/edit", data={}).status_code in (400, 403,
                                                                                  404)
    client.post("/logout", data={"csrf_token": auth.csrf("/teacher/")})
    auth.login(world.teacher.username)  # staff of the school, not a member of the bank
    assert client.get(f"/teacher/items/{secret}/edit").status_code == 404
    assert client.get(f"/teacher/items/{open_item}/edit").status_code == 200
    auth.login(world.students[0].username)
    assert client.get(f"/teacher/items/{open_item}/edit").status_code in (302, 403)
