"""Authoring every item type through the teacher form, and its student-view preview."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.db import Database
from item_bank.models import Item, ItemVersion
from item_bank.registry import default_registry
from tests.conftest import Auth
from tests.factories import School
from web.teacher.forms import AUTHORED_TYPES


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


# A filled form for each new type, and the content it must store.
FORMS: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "inline_choice": (
        {"text_fr": "Le chat {{gap1}} la souris et {{gap2}}.",
         "text_en": "The cat {{gap1}} the mouse and {{gap2}}.",
         "gap0_option0_fr": "mange", "gap0_option0_en": "eats",
         "gap0_option1_fr": "chasse", "gap0_option1_en": "chases",
         "gap0_correct": "b",
         "gap1_option0_fr": "dort", "gap1_option0_en": "sleeps",
         "gap1_option1_fr": "court", "gap1_option1_en": "runs",
         "gap1_option2_fr": "miaule", "gap1_option2_en": "meows",
         "gap1_correct": "c", "shuffle": "on", "points": "2"},
        {"text": {"fr": "Le chat {{gap1}} la souris et {{gap2}}.",
                  "en": "The cat {{gap1}} the mouse and {{gap2}}."},
         "gaps": [{"id": "gap1", "correct": "b",
                   "options": [{"id": "a", "text": {"fr": "mange", "en": "eats"}},
                               {"id": "b", "text": {"fr": "chasse", "en": "chases"}}]},
                  {"id": "gap2", "correct": "c",
                   "options": [{"id": "a", "text": {"fr": "dort", "en": "sleeps"}},
                               {"id": "b", "text": {"fr": "court", "en": "runs"}},
                               {"id": "c", "text": {"fr": "miaule", "en": "meows"}}]}],
         "points": 2.0, "shuffle": True}),
    "matching": (
        {"stem_fr": "Associez chaque pays à sa capitale.",
         "stem_en": "Match each country with its capital.",
         "premise0_fr": "Canada", "premise0_match": "r2",
         "premise1_fr": "France", "premise1_match": "r3",
         "response0_fr": "Rome", "response1_fr": "Ottawa", "response2_fr": "Paris",
         "points": "1"},
        {"stem": {"fr": "Associez chaque pays à sa capitale.",
                  "en": "Match each country with its capital."},
         "premises": [{"id": "p1", "text": {"fr": "Canada"}},
                      {"id": "p2", "text": {"fr": "France"}}],
         "responses": [{"id": "r1", "text": {"fr": "Rome"}},
                       {"id": "r2", "text": {"fr": "Ottawa"}},
                       {"id": "r3", "text": {"fr": "Paris"}}],
         "pairs": {"p1": "r2", "p2": "r3"}, "points": 1.0}),
    "ordering": (
        {"stem_fr": "Du plus petit au plus grand.", "stem_en": "Smallest to largest.",
         "step0_fr": "Atome", "step0_en": "Atom", "step1_fr": "Cellule", "step1_en": "Cell",
         "step2_fr": "Organe", "step2_en": "Organ", "step3_fr": "Corps", "step3_en": "Body",
         "scoring": "all_or_nothing", "points": "3"},
        {"stem": {"fr": "Du plus petit au plus grand.", "en": "Smallest to largest."},
         "scoring": "all_or_nothing", "points": 3.0}),
    "hot_text": (
        {"stem_fr": "Sélectionnez les verbes.", "stem_en": "Select the verbs.",
         "passage_fr": "Le [[n1:chat]] [[v1:mange]] puis [[v2:dort]].",
         "passage_en": "The [[n1:cat]] [[v1:eats]] then [[v2:sleeps]].",
         "correct": "v1, v2", "max_selections": "2", "points": "1"},
        {"stem": {"fr": "Sélectionnez les verbes.", "en": "Select the verbs."},
         "passage": {"fr": "Le [[n1:chat]] [[v1:mange]] puis [[v2:dort]].",
                     "en": "The [[n1:cat]] [[v1:eats]] then [[v2:sleeps]]."},
         "correct": ["v1", "v2"], "max_selections": 2, "points": 1.0}),
    "extended_text": (
        {"stem_fr": "Décrivez l'hiver québécois.", "expected_words": "150",
         "max_length": "2 000", "rubric_fr": "Trois idées; la langue compte pour 20 %.",
         "rubric_en": "Three ideas; language counts for 20%.", "points": "10"},
        {"stem": {"fr": "Décrivez l'hiver québécois."}, "expected_words": 150,
         "max_length": 2000, "rubric": {"fr": "Trois idées; la langue compte pour 20 %.",
                                        "en": "Three ideas; language counts for 20%."},
         "points": 10.0}),
}

ORDER_FR = ["Atome", "Cellule", "Organe", "Corps"]


def open_form(auth: Auth, client: FlaskClient, world: School, item_type: str) -> str:
    auth.login(world.teacher.username)
    page = client.get(f"/teacher/items/new?type={item_type}")
    assert page.status_code == 200
    return csrf(page.get_data(as_text=True))


def preview_of(page: str) -> str:
    """The preview section of a page, where nothing of the key may appear."""
    start = page.index('<section class="preview"')
    return page[start:page.rindex("</section>")]


@pytest.mark.parametrize("item_type", sorted(FORMS))
def test_create_each_new_type_through_the_form(item_type: str, auth: Auth, client: FlaskClient,
                                               app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, item_type)
    fields, expected = FORMS[item_type]
    saved = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": item_type, "title": f"New {item_type}", **fields})
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))
    with app_db.session() as session:
        item = session.scalar(select(Item).where(Item.title == f"New {item_type}"))
        assert item is not None and item.item_type == item_type
        version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
        assert version is not None
        content = version.content
    if item_type == "ordering":
        assert [i["text"]["fr"] for i in content.pop("items")] == ORDER_FR
    assert content == expected


@pytest.mark.parametrize("item_type, field, broken, message", [
    ("inline_choice", "gap1_correct", "", "champ : bonne réponse"),
    ("inline_choice", "text_en", "The cat {{gap1}} the mouse.", "champ : texte à trous"),
    ("matching", "premise1_match", "", "champ : réponses associées"),
    ("ordering", "scoring", "random", "champ : notation"),
    ("hot_text", "correct", "v9", "champ : bonne réponse"),
    ("hot_text", "passage_en", "The [[n1:cat]] eats.", "champ : passage"),
    ("extended_text", "max_length", "beaucoup", "champ : réponse la plus longue"),
])
def test_a_bad_form_keeps_the_input_and_names_the_field(
        item_type: str, field: str, broken: str, message: str, auth: Auth,
        client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, item_type)
    fields = {**FORMS[item_type][0], field: broken}
    refused = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": item_type, "title": "Gardé", **fields})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert message in text
    assert 'value="Gardé"' in text
    for name, value in fields.items():
        if item_type == "hot_text" and name == "correct" and field != "correct":
            # The passage has spans: the names come back as ticked boxes.
            assert 'value="v1" checked' in text and 'value="v2" checked' in text
            assert 'value="n1" checked' not in text
        # A select cannot show a value it does not offer.
        elif value and name not in ("shuffle", "scoring"):
            # A text input, a textarea, a checked radio or a selected option.
            assert value in text, name
    assert 'class="flash flash-error"' in text
    # The field at fault is marked too: its inputs, or the group of rows it names.
    assert re.search(r'aria-invalid="true"|class="[^"]*\binvalid\b', text)
    with app_db.session() as session:
        assert session.scalar(select(Item).where(Item.title == "Gardé")) is None


@pytest.mark.parametrize("item_type", sorted(FORMS))
def test_preview_shows_the_student_view_in_both_languages_without_the_key(
        item_type: str, auth: Auth, client: FlaskClient, app_db: Database,
        world: School) -> None:
    token = open_form(auth, client, world, item_type)
    fields = FORMS[item_type][0]
    shown = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": item_type, "title": "", "action": "preview", **fields})
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    preview = html.unescape(preview_of(page))
    assert 'id="preview-fr"' in preview and 'id="preview-en"' in preview
    assert 'lang="fr-CA"' in preview and 'lang="en"' in preview
    assert "Question 1 sur 1" in preview and "Question 1 of 1" in preview
    # Nothing is chosen, ticked or pressed, and no id of the key reaches the page.
    assert not re.search(r"\bselected\b|\bchecked\b|aria-pressed=\"true\"", preview)
    assert "correct" not in preview
    with app_db.session() as session:  # a preview saves nothing
        assert session.scalar(select(Item).where(Item.item_type == item_type)) is None
    if item_type == "inline_choice":
        assert "Le chat " in preview and "The cat " in preview
        assert "— Choisir —" in preview and "— Choose —" in preview
        assert "{{gap1}}" not in preview
    elif item_type == "matching":
        assert "Associez chaque pays" in preview and "Match each country" in preview
        assert "r2" not in preview and "p1" not in preview  # the pairs are ids: none shown
    elif item_type == "ordering":
        shown_fr = re.findall(r'<span class="order-text">([^<]+)</span>', preview)
        assert sorted(shown_fr[:4]) == sorted(ORDER_FR) and shown_fr[:4] != ORDER_FR
        assert "Atom" in preview and "Smallest to largest." in preview
    elif item_type == "hot_text":
        assert ">mange</button>" in preview and ">eats</button>" in preview
        assert "v1" not in preview and "[[" not in preview
        assert "Sélectionnez jusqu’à 2 passages." in preview or "2 passages" in preview
    elif item_type == "extended_text":
        assert "Trois idées" not in preview and "Three ideas" not in preview
        assert "150" in preview and "2\u202f000" in preview and "2,000" in preview
        # An item written in French only: the English view says it shows the French text.
        assert "no English text" in preview or "aucun texte en anglais" in preview


@pytest.mark.parametrize("item_type, fields, secret", [
    ("single_choice", {"stem_fr": "Capitale?", "option0_fr": "Ottawa", "option1_fr": "Rome",
                       "correct": "a", "shuffle": "on"}, 'value="a"'),
    ("true_false", {"stem_fr": "La Terre est ronde.", "correct": "true"}, 'value="true"'),
    ("numeric", {"stem_fr": "π?", "answer": "3,1416", "tolerance": "0,01", "unit": "rad"},
     "3,1416"),
    ("short_text", {"stem_fr": "Fleuve?", "answers": "Saint-Laurent"}, "Saint-Laurent"),
])
def test_preview_of_the_first_types_keeps_the_key_out(
        item_type: str, fields: dict[str, str], secret: str, auth: Auth, client: FlaskClient,
        world: School) -> None:
    token = open_form(auth, client, world, item_type)
    shown = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": item_type, "action": "preview", **fields})
    assert shown.status_code == 200
    preview = html.unescape(preview_of(shown.get_data(as_text=True)))
    assert fields["stem_fr"] in preview and 'id="preview-en"' in preview
    assert secret not in preview and "checked" not in preview


def test_preview_of_a_bad_form_shows_the_error_and_no_preview(
        auth: Auth, client: FlaskClient, world: School) -> None:
    token = open_form(auth, client, world, "matching")
    fields = {**FORMS["matching"][0], "premise0_match": "r6"}
    shown = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "matching", "action": "preview", **fields})
    text = html.unescape(shown.get_data(as_text=True))
    assert shown.status_code == 422
    assert "champ : réponses associées" in text and 'id="preview"' not in text
    assert 'value="Canada"' in text


def test_hot_text_spans_become_boxes_to_tick(auth: Auth, client: FlaskClient,
                                            app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "hot_text")
    fields = {**FORMS["hot_text"][0], "correct": ""}
    shown = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "hot_text", "action": "preview", **fields})
    text = html.unescape(shown.get_data(as_text=True))
    assert shown.status_code == 422  # nothing ticked yet
    for name in ("n1", "v1", "v2"):
        assert f'type="checkbox" name="correct" value="{name}">' in text
    ticked = {**fields, "title": "Verbes", "correct": ["v1", "v2"]}
    saved = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "hot_text", **ticked})
    assert saved.status_code == 302
    with app_db.session() as session:
        item = session.scalar(select(Item).where(Item.title == "Verbes"))
        assert item is not None
        version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
        assert version is not None and version.content["correct"] == ["v1", "v2"]


def test_the_chooser_lists_exactly_the_supported_types(auth: Auth, client: FlaskClient,
                                                       world: School) -> None:
    auth.login(world.teacher.username)
    page = client.get("/teacher/items").get_data(as_text=True)
    offered = re.findall(r'href="/teacher/items/new\?type=([a-z_]+)"', page)
    assert offered == [t for t in AUTHORED_TYPES if t in default_registry()]
    # Every type this product ships has a form; a plugin's type without one is not offered.
    assert offered == list(AUTHORED_TYPES)
    assert not set(offered) - set(default_registry().names())
    for label in ("Texte à trous", "Association", "Mise en ordre", "Texte à sélectionner",
                  "Réponse développée"):
        assert label in html.unescape(page)
    assert client.get("/teacher/items/new?type=code").status_code == 404


def test_an_existing_item_page_shows_its_student_view(auth: Auth, client: FlaskClient,
                                                      app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "extended_text")
    client.post("/teacher/items/new", data={"csrf_token": token, "type": "extended_text",
                                            "title": "Essai", **FORMS["extended_text"][0]})
    with app_db.session() as session:
        item_id = session.scalar(select(Item.id).where(Item.title == "Essai"))
    listing = client.get("/teacher/items").get_data(as_text=True)
    assert f'href="/teacher/items/{item_id}"' in listing
    page = client.get(f"/teacher/items/{item_id}")
    assert page.status_code == 200
    preview = html.unescape(preview_of(page.get_data(as_text=True)))
    assert "Décrivez l'hiver québécois." in preview and "Trois idées" not in preview
    assert client.get("/teacher/items/nope").status_code == 404


def test_another_schools_item_page_is_not_found(auth: Auth, client: FlaskClient,
                                                app_db: Database, world: School,
                                                other_world: School) -> None:
    with app_db.session() as session:
        item_id = session.scalar(select(Item.id).where(
            Item.organisation_id == other_world.school.id))
    auth.login(world.teacher.username)
    assert client.get(f"/teacher/items/{item_id}").status_code == 404
