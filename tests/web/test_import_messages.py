"""Import refusals in words: the file, the question and the reason, in French and English."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from item_bank.interop.detect import parse
from item_bank.interop.model import PROBLEMS, ImportInvalid
from tests.conftest import Auth
from tests.factories import School
from tests.interop.conftest import sample
from tests.web.test_item_imports import finished, upload
from web.import_messages import IMPORT_PROBLEMS, IMPORT_REASONS
from web.messages import message_for

INTEROP = Path(__file__).resolve().parents[2] / "item_bank" / "interop"


def refusal(data: bytes, name: str) -> ImportInvalid:
    with pytest.raises(ImportInvalid) as caught:
        parse(data, name)
    return caught.value


def in_language(app: Flask, lang: str, code: str, params: dict[str, Any]) -> str:
    with app.test_request_context(headers={"Accept-Language": lang}):
        return message_for(code, params)


@pytest.mark.parametrize("data, name, french, english", [
    (sample("malformed_moodle.xml"), "histoire.xml",
     "Fichier « histoire.xml », question « Fondateur sans bonne réponse » : la question est "
     "incomplète ou erronée (aucune réponse ne rapporte de points).",
     "File “histoire.xml”, question “Fondateur sans bonne réponse”: the question is "
     "incomplete or wrong (no answer is worth any points)."),
    (sample("malformed.gift"), "français.gift",
     "Fichier « français.gift », question « Accolade oubliée » : la question est mal écrite "
     "(un bloc de réponses sans son } fermant).",
     "File “français.gift”, question “Accolade oubliée”: the question is badly written "
     "(an answer block without its closing })."),
    (sample("moodle_unsupported.xml"), "sciences.xml",
     "Fichier « sciences.xml », question « Vitesse calculée » : cette sorte de question n’est "
     "pas prise en charge (le type de question Moodle 'calculated').",
     "File “sciences.xml”, question “Vitesse calculée”: this kind of question is not "
     "supported (the Moodle question type 'calculated')."),
    (sample("xml_bomb.xml"), "bombe.xml",
     "Fichier « bombe.xml » : le XML déclare une DTD ou des entités, refusées par sécurité "
     "(les DTD et les entités sont refusées).",
     "File “bombe.xml”: the XML declares a DTD or entities, refused for safety (DTDs and "
     "entities are refused)."),
    (b"plain words, no question", "notes.txt",
     "Fichier « notes.txt » : ce n’est pas un format qu’Ardoise importe (QTI, Moodle XML, "
     "GIFT) (aucune question GIFT trouvée).",
     "File “notes.txt”: this is not a format Ardoise imports (QTI, Moodle XML, GIFT) (no "
     "GIFT question found)."),
    (sample("malformed_qti3_item.xml"), "item.xml",
     "Fichier « item.xml », question « Clé introuvable » : la question est incomplète ou "
     "erronée (Choix unique, champ : bonne réponse).",
     "File “item.xml”, question “Clé introuvable”: the question is incomplete or wrong "
     "(Single choice, field: correct answer)."),
])
def test_a_refused_file_is_explained_in_both_languages(
        app: Flask, data: bytes, name: str, french: str, english: str) -> None:
    error = refusal(data, name)
    assert in_language(app, "fr", error.code, error.params) == french
    assert in_language(app, "en", error.code, error.params) == english
    assert str(error).startswith(name)  # the command line keeps its English words


def test_a_syntax_error_keeps_the_parser_position(app: Flask) -> None:
    error = refusal(sample("broken_qti21_item.xml"), "tao.xml")
    french = in_language(app, "fr", error.code, error.params)
    assert french.startswith("Fichier « tao.xml » : le XML n’est pas bien formé (erreur XML : ")
    assert re.search(r"line \d+, column \d+", french)


def test_an_item_refused_on_storing_names_the_file(app: Flask) -> None:
    params = {"file": "banque.zip", "item": "Q7", "reason": "item_invalid", "field": "points"}
    assert in_language(app, "fr", "import_item_invalid", params) == (
        "Fichier « banque.zip », question « Q7 » : La question est incomplète ou erronée "
        "(champ : points).")
    changed = {"file": "banque.zip", "item": "Q7", "reason": "import_type_changed"}
    assert in_language(app, "en", "import_item_invalid", changed) == (
        "File “banque.zip”, question “Q7”: it was imported before as another type of "
        "question, so it cannot become a new version of it.")


def test_an_export_refusal_is_explained(app: Flask) -> None:
    params = {"item": "code-1", "reason": "unsupported_type", "problem": "no_qti_form",
              "type": "code"}
    assert in_language(app, "fr", "export_unsupported", params) == (
        "La question « code-1 » ne peut pas être exportée en QTI : cette sorte de question "
        "n’est pas prise en charge (Code n’a pas de forme QTI).")


def test_every_problem_and_reason_of_the_readers_is_translated() -> None:
    assert set(IMPORT_PROBLEMS) == set(PROBLEMS)
    source = "\n".join(p.read_text() for p in INTEROP.glob("*.py"))
    reasons = set(re.findall(r'(?:ItemProblem|ImportInvalid|UnsafeXml|Skipped\.of)\(\s*'
                             r'(?:[\w.]+,\s*){0,3}"([a-z_]+)",\s*"[a-z_]+"', source))
    assert reasons and reasons <= set(IMPORT_REASONS), reasons - set(IMPORT_REASONS)
    problems = set(re.findall(r'(?:ItemProblem|ImportInvalid|UnsafeXml|Skipped\.of)\([^)]*?'
                              r'"[a-z_]+",\s*"([a-z_]+)"', source))
    assert problems and problems <= set(PROBLEMS), problems - set(PROBLEMS)


def test_the_import_page_says_why_in_french(client: FlaskClient, auth: Auth,
                                            world: School) -> None:
    auth.login(world.teacher.username)
    sent = upload(client, sample("malformed.gift"), "dictée.gift",
                  organisation_id=world.school.id)
    assert finished(client, sent.headers["Location"])["status"] == "failed"
    page = html.unescape(client.get(sent.headers["Location"]).get_data(as_text=True))
    assert ("Fichier « dictée.gift », question « Accolade oubliée » : la question est mal "
            "écrite (un bloc de réponses sans son } fermant).") in page


def test_the_import_page_says_in_french_why_questions_were_skipped(
        client: FlaskClient, auth: Auth, world: School) -> None:
    auth.login(world.teacher.username)
    sent = upload(client, sample("moodle_unsupported.xml"), "sciences.xml",
                  organisation_id=world.school.id, skip_unsupported="on")
    assert finished(client, sent.headers["Location"])["status"] == "done"
    page = html.unescape(client.get(sent.headers["Location"]).get_data(as_text=True))
    skipped = page[page.index('id="skipped-items"'):]
    assert "cette sorte de question n’est pas prise en charge" in skipped
    assert "le type de question Moodle 'calculated'" in skipped
    assert ("un trou de texte à trous de type SHORTANSWER (seuls les trous MULTICHOICE sont "
            "pris en charge)") in skipped
    assert "Moodle question type" not in skipped  # no English left on a French page
