"""QTI 3.0 and 2.1 packages import; a QTI 3.0 export imports back to the same items."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from ardoise.errors import Invalid
from item_bank.interop.detect import parse
from item_bank.interop.model import ImportInvalid, ImportResult, ParsedItem, ParsedTest
from item_bank.interop.qti3 import export_package, item_to_xml
from item_bank.registry import default_registry
from tests.interop.conftest import sample, zipped


def by_id(result: ImportResult) -> dict[str, ParsedItem]:
    return {item.source_id: item for item in result.items}


def test_qti3_package_gives_every_interaction_and_the_test_in_order() -> None:
    result = parse(zipped("qti3_package"), "sciences.zip")
    items = by_id(result)
    assert {i.item_type for i in result.items} == {
        "single_choice", "multiple_response", "numeric", "short_text", "ordering", "matching",
        "inline_choice", "extended_text"}
    cell = items["sci-cellule-01"]
    assert cell.content["correct"] == "noyau" and cell.content["points"] == 2.0
    assert 'alt="Schéma d' in cell.content["stem"]["fr"]  # the image stays in the stem
    assert cell.language == "fr" and cell.metadata["response_processing"] == "match_correct"
    # No maximum declared: what the map_response mapping can give at most.
    assert items["sci-planetes"].content["points"] == 2.0
    assert items["sci-densite"].content["tolerance"] == 0.05
    assert items["sci-symbole-fer"].content["case_sensitive"] is True
    assert [i["id"] for i in items["sci-phases-lune"].content["items"]] == [
        "nouvelle", "premier", "pleine", "dernier"]
    assert items["sci-organes"].content["pairs"]["coeur"] == "circulatoire"
    eau = items["sci-etats-eau"].content
    assert "{{ETAT1}}" in eau["text"]["fr"] and eau["gaps"][1]["correct"] == "gazeux"
    assert "glucose" in items["sci-photosynthese"].content["rubric"]["fr"]
    assert "glucose" not in items["sci-photosynthese"].content["stem"]["fr"]
    assert result.tests == (ParsedTest(
        "test-sciences-sec4", "Science et technologie — Secondaire 4",
        ("sci-cellule-01", "sci-organes", "sci-photosynthese", "sci-densite", "sci-etats-eau")),)


def test_qti21_package_from_tao_maps_templates_and_tolerance() -> None:
    result = parse(zipped("qti21_tao_package"), "tao-export.zip")
    items = by_id(result)
    assert items["i1001"].content["stem"]["fr"] == "Quelle est la capitale du Canada?"
    # map_response without a correct response: the positively mapped choices are right.
    assert items["i1002"].content["correct"] == ["choice_1", "choice_2", "choice_4"]
    assert items["i1002"].content["points"] == 3.0  # from MAXSCORE
    assert items["i1003"].content["answers"] == ["Saint-Laurent", "St-Laurent"]
    assert items["i1003"].content["case_sensitive"] is False
    assert items["i1004"].item_type == "hot_text"
    assert "[[hottext_1:court]]" in items["i1004"].content["passage"]["fr"]
    assert [i["id"] for i in items["i1005"].content["items"]] == ["choice_a", "choice_b",
                                                                  "choice_c"]
    # QTI's relative tolerance is in percent; ours is a fraction.
    assert items["i1006"].content["tolerance"] == 0.1
    assert items["i1006"].content["tolerance_mode"] == "relative"
    assert {i.metadata["format"] for i in result.items} == {"qti2"}
    assert result.tests[0].item_source_ids == ("i1001", "i1002", "i1003")


def test_every_parsed_item_passes_its_type_validation() -> None:
    registry = default_registry()
    for folder in ("qti3_package", "qti21_tao_package"):
        for item in parse(zipped(folder), folder).items:
            assert registry.get(item.item_type).validate(item.content) == item.content


def test_export_then_import_gives_the_same_items_and_test() -> None:
    first = parse(zipped("qti3_package"), "a.zip")
    tao = parse(zipped("qti21_tao_package"), "b.zip")
    items = first.items + tao.items
    package = export_package(items, first.tests)
    again = parse(package, "export.zip")
    assert [(i.source_id, i.item_type, i.title, i.content, i.language) for i in again.items] \
        == [(i.source_id, i.item_type, i.title, i.content, i.language) for i in items]
    assert again.tests == first.tests
    # And once more: the export of an export is byte for byte the same.
    assert export_package(again.items, again.tests) == package


def test_single_qti_item_file_imports() -> None:
    item = parse(zipped("qti3_package"), "a.zip").items[0]
    result = parse(item_to_xml(item), "un-item.xml")
    assert result.items[0].content == item.content


def test_invalid_item_names_file_item_and_reason() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("malformed_qti3_item.xml"), "malformed_qti3_item.xml")
    error = caught.value
    assert error.code == "import_invalid"
    assert error.params == {"file": "malformed_qti3_item.xml", "item": "Clé introuvable",
                            "reason": "invalid_content", "problem": "invalid_field",
                            "type": "single_choice", "field": "correct"}
    assert "malformed_qti3_item.xml" in str(error) and "Clé introuvable" in str(error)


def test_item_not_well_formed_names_the_file() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("broken_qti21_item.xml"), "broken_qti21_item.xml")
    assert caught.value.params["reason"] == "not_well_formed"
    assert "broken_qti21_item.xml" in str(caught.value) and "line" in str(caught.value)


def test_html_that_is_not_xml_exports_as_well_formed_qti() -> None:
    gift = "::Html::[html]<p>Ligne un<br>ligne&nbsp;deux<img src=\"a.png\" alt=\"a\"></p>{T}"
    item = parse(gift.encode(), "h.gift").items[0]
    xml = item_to_xml(item)
    assert b"<br />" in xml and b"\xc2\xa0deux" in xml  # parsed as HTML, written as XML
    assert parse(xml, "h.xml").items[0].content == item.content


def test_an_item_qti_cannot_carry_is_refused_on_export() -> None:
    item = ParsedItem("code-1", "code", "Programme", {"stem": {"fr": "Écris"}, "points": 1})
    with pytest.raises(Invalid) as caught:
        item_to_xml(item)
    assert caught.value.code == "export_unsupported"
    assert caught.value.params == {"item": "code-1", "reason": "unsupported_type",
                                   "problem": "no_qti_form", "type": "code"}


def bilingual(source_id: str, item_type: str, content: dict[str, Any]) -> ParsedItem:
    clean = default_registry().get(item_type).validate(content)
    return ParsedItem(source_id, item_type, source_id, clean, (), {}, "fr")


def test_a_bilingual_item_exports_one_qti_item_per_language_and_imports_whole() -> None:
    items = [
        bilingual("bi-choix", "single_choice", {
            "stem": {"fr": "<p>Capitale?</p>", "en": "<p>Capital?</p>"},
            "options": [{"id": "a", "text": {"fr": "Québec", "en": "Quebec City"}},
                        {"id": "b", "text": {"fr": "Montréal", "en": "Montreal"}}],
            "correct": "a"}),
        bilingual("bi-lacunes", "inline_choice", {
            "text": {"fr": "<p>Le ciel est {{g}}.</p>", "en": "<p>The sky is {{g}}.</p>"},
            "gaps": [{"id": "g", "correct": "b", "options": [
                {"id": "a", "text": {"fr": "vert", "en": "green"}},
                {"id": "b", "text": {"fr": "bleu", "en": "blue"}}]}]}),
        bilingual("bi-mots", "hot_text", {
            "stem": {"fr": "Les verbes", "en": "The verbs"},
            "passage": {"fr": "Il [[v:court]] et [[n:chat]]", "en": "He [[v:runs]], [[n:cat]]"},
            "correct": ["v"]}),
    ]
    package = export_package(items)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = sorted(archive.namelist())
    assert "items/bi-choix.xml" in names and "items/bi-choix.en.xml" in names
    again = parse(package, "bilingue.zip")
    assert [(i.source_id, i.content, i.language) for i in again.items] == \
        [(i.source_id, i.content, i.language) for i in items]
    # Another tool sees two ordinary one-language items; alone, each imports as itself.
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        english = parse(archive.read("items/bi-choix.en.xml"), "en.xml").items[0]
    assert english.language == "en" and english.content["stem"] == {"en": "<p>Capital?</p>"}
