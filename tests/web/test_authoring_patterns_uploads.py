"""Authoring short-text patterns and file-upload questions through the teacher form."""

from __future__ import annotations

import html

from flask.testing import FlaskClient
from sqlalchemy import select

from ardoise.db import Database
from item_bank.models import Item, ItemVersion
from tests.conftest import Auth
from tests.factories import School
from tests.web.test_item_authoring import open_form, preview_of


def _latest(app_db: Database, title: str) -> dict[str, object]:
    with app_db.session() as session:
        item = session.scalar(select(Item).where(Item.title == title))
        assert item is not None
        version = session.scalar(select(ItemVersion).where(ItemVersion.item_id == item.id))
        assert version is not None
        return dict(version.content)


def test_short_text_patterns_are_saved_from_the_form(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "short_text")
    saved = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "short_text", "title": "Fleuve", "stem_fr": "Fleuve?",
        "answers": "Saint-Laurent", "patterns": "(le )?fleuve Saint-Laurent\n\\d+ km"})
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))
    assert _latest(app_db, "Fleuve")["answers"] == [
        "Saint-Laurent", {"pattern": "(le )?fleuve Saint-Laurent"}, {"pattern": "\\d+ km"}]


def test_an_invalid_pattern_is_refused_in_french_and_the_form_kept(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "short_text")
    refused = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "short_text", "title": "Gardé", "stem_fr": "Fleuve?",
        "answers": "Saint-Laurent", "patterns": "fleuve (Saint"})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "L’expression régulière « fleuve (Saint » n’est pas valide" in text
    assert "fleuve (Saint</textarea>" in text and 'value="Gardé"' in text
    with app_db.session() as session:
        assert session.scalar(select(Item).where(Item.title == "Gardé")) is None


def test_a_file_upload_question_is_authored_and_previewed(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "file_upload")
    fields = {"stem_fr": "Remettez votre rapport.", "stem_en": "Hand in your report.",
              "kinds": ["pdf", "office"], "max_mb": "2,5", "points": "4",
              "rubric_fr": "Clarté et sources"}
    shown = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "file_upload", "action": "preview", **fields})
    assert shown.status_code == 200
    page = html.unescape(shown.get_data(as_text=True))
    preview = preview_of(page)
    assert 'type="file"' in preview and 'accept=".pdf,.docx,' in preview
    assert "Fichiers acceptés : .pdf, .docx" in preview and "Accepted files: .pdf" in preview
    assert "2,5 Mo" in preview and "2.5 MB" in preview
    assert "Clarté et sources" not in preview  # the marking guide is for graders only
    saved = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "file_upload", "title": "Rapport", **fields})
    assert saved.status_code == 302, html.unescape(saved.get_data(as_text=True))
    assert _latest(app_db, "Rapport") == {
        "stem": {"fr": "Remettez votre rapport.", "en": "Hand in your report."},
        "kinds": ["pdf", "office"], "max_bytes": 2621440, "points": 4.0,
        "rubric": {"fr": "Clarté et sources"}}


def test_a_file_upload_question_beyond_the_server_limit_is_refused(
        auth: Auth, client: FlaskClient, app_db: Database, world: School) -> None:
    token = open_form(auth, client, world, "file_upload")
    refused = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "file_upload", "title": "Trop gros",
        "stem_fr": "Un fichier", "kinds": "pdf", "max_mb": "500"})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "au plus 25 Mo (champ : taille maximale du fichier)" in text
    assert 'value="500"' in text and 'aria-invalid="true"' in text
    no_kind = client.post("/teacher/items/new", data={
        "csrf_token": token, "type": "file_upload", "title": "Sans sorte",
        "stem_fr": "Un fichier", "max_mb": "5"})
    assert "champ : sortes de fichiers acceptées" in html.unescape(no_kind.get_data(as_text=True))
