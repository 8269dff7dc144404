"""Uploads and patterns through QTI: our export reads back equal; QTI 2.1 items import."""

from __future__ import annotations

from item_bank.interop.detect import parse
from item_bank.interop.model import ParsedItem
from item_bank.interop.qti3 import item_to_xml
from item_bank.types.file_upload import KINDS, FileUpload
from item_bank.types.short_text import ShortText

QTI21_UPLOAD = b"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="rapport-21"
    title="Rapport de stage" adaptive="false" timeDependent="false" xml:lang="fr-CA">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="file"/>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"
      normalMaximum="10"/>
  <itemBody>
    <p>D\xc3\xa9posez votre rapport de stage.</p>
    <uploadInteraction responseIdentifier="RESPONSE" type="application/pdf"/>
  </itemBody>
</assessmentItem>
"""


def test_our_export_reads_back_equal() -> None:
    content = FileUpload().validate({"stem": {"fr": "Rapport"}, "kinds": ["pdf", "image"],
                                     "max_bytes": 5000, "rubric": {"fr": "Clarté"},
                                     "points": 3})
    xml = item_to_xml(ParsedItem("fu-1", "file_upload", "Rapport", content))
    assert b"qti-upload-interaction" in xml and b'base-type="file"' in xml
    [item] = parse(xml, "rapport.xml").items
    assert (item.item_type, item.content) == ("file_upload", content)


def test_a_qti21_upload_interaction_imports_with_its_mime_type() -> None:
    [item] = parse(QTI21_UPLOAD, "rapport-21.xml").items
    assert item.item_type == "file_upload" and item.source_id == "rapport-21"
    assert item.content["kinds"] == ["pdf"] and item.content["points"] == 10.0
    assert "Déposez votre rapport de stage." in item.content["stem"]["fr"]
    untyped = QTI21_UPLOAD.replace(b' type="application/pdf"', b"")
    assert parse(untyped, "any.xml").items[0].content["kinds"] == list(KINDS)


QTI21_PATTERN = b"""<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="code-postal"
    title="Code postal" adaptive="false" timeDependent="false" xml:lang="fr-CA">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">
    <defaultValue><value>0</value></defaultValue></outcomeDeclaration>
  <itemBody><p>\xc3\x89crivez un code postal de Montr\xc3\xa9al.</p>
    <textEntryInteraction responseIdentifier="RESPONSE" expectedLength="7"/></itemBody>
  <responseProcessing>
    <responseCondition><responseIf>
      <patternMatch pattern="H[0-9][A-Z] ?[0-9][A-Z][0-9]">
        <variable identifier="RESPONSE"/></patternMatch>
      <setOutcomeValue identifier="SCORE"><baseValue baseType="float">1</baseValue>
      </setOutcomeValue>
    </responseIf></responseCondition>
  </responseProcessing>
</assessmentItem>
"""


def test_a_qti21_pattern_match_becomes_a_short_text_pattern() -> None:
    [item] = parse(QTI21_PATTERN, "code-postal.xml").items
    assert item.item_type == "short_text"
    assert item.content["answers"] == [{"pattern": "H[0-9][A-Z] ?[0-9][A-Z][0-9]"}]
    kind = ShortText()
    assert item.content["case_sensitive"] is True  # as QTI's patternMatch is
    assert kind.score(item.content, {"text": " H2X  1Y4"}).correct
    assert not kind.score(item.content, {"text": "h2x 1y4"}).correct
    assert not kind.score(item.content, {"text": "G1A 1A1"}).correct
