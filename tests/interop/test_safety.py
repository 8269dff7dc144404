"""Hostile files are refused: entity bombs, external entities, deep nesting, bad zips."""

from __future__ import annotations

import io
import zipfile

import pytest

from item_bank.interop.detect import MAX_PACKAGE_BYTES, parse
from item_bank.interop.model import ImportInvalid
from item_bank.interop.safe_xml import UnsafeXml, parse_xml
from tests.interop.conftest import sample


def test_xml_bomb_is_refused() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("xml_bomb.xml"), "xml_bomb.xml")
    assert caught.value.params["reason"] == "forbidden_xml"
    assert "xml_bomb.xml" in str(caught.value)


def test_external_entity_is_refused_and_nothing_is_read() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(sample("external_entity.xml"), "external_entity.xml")
    assert caught.value.params["reason"] == "forbidden_xml"
    assert "root:" not in str(caught.value)


def test_too_deep_and_too_large_documents_are_refused() -> None:
    with pytest.raises(UnsafeXml, match="too_deep"):
        parse_xml(b"<a>" * 1000 + b"</a>" * 1000)
    with pytest.raises(UnsafeXml, match="too_large"):
        parse_xml(b"<a>" + b" " * 2000 + b"</a>", max_bytes=1000)


def package(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_zip_with_a_path_out_of_the_package_is_refused() -> None:
    with pytest.raises(ImportInvalid, match="unsafe entry name"):
        parse(package({"imsmanifest.xml": b"<manifest/>", "../../etc/cron.d/x": b"x"}),
              "evil.zip")


def test_zip_without_manifest_is_refused() -> None:
    with pytest.raises(ImportInvalid, match="no imsmanifest.xml"):
        parse(package({"items/a.xml": b"<a/>"}), "sans-manifeste.zip")


def test_bomb_inside_a_package_names_the_entry() -> None:
    data = package({"imsmanifest.xml": b'<manifest><resources><resource type="imsqti_item_'
                    b'xmlv2p1" href="bomb.xml"/></resources></manifest>',
                    "bomb.xml": sample("xml_bomb.xml")})
    with pytest.raises(ImportInvalid, match="bomb.xml"):
        parse(data, "paquet.zip")


def test_zip_that_unpacks_too_large_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("imsmanifest.xml", b"<manifest/>")
        with archive.open("zeros.bin", "w", force_zip64=True) as big:
            chunk = bytes(1024 * 1024)
            for _ in range(MAX_PACKAGE_BYTES // len(chunk) + 1):
                big.write(chunk)
    with pytest.raises(ImportInvalid, match="unpacked"):
        parse(out.getvalue(), "bombe.zip")


def test_unknown_content_is_refused() -> None:
    with pytest.raises(ImportInvalid) as caught:
        parse(b"<html><body>Bonjour</body></html>", "page.html")
    assert caught.value.params["reason"] == "unknown_format"
    with pytest.raises(ImportInvalid):
        parse(b"juste du texte", "notes.txt")


def test_unknown_encoding_and_non_finite_numbers_are_refused_cleanly() -> None:
    with pytest.raises(ImportInvalid, match="not_well_formed"):
        parse(b'<?xml version="1.0" encoding="UTF-8val"?><quiz/>', "enc.xml")
    quiz = b"""<quiz><question type="truefalse"><name><text>NaN</text></name>
      <questiontext><text>Vrai?</text></questiontext><defaultgrade>nan</defaultgrade>
      <answer fraction="100"><text>true</text></answer></question></quiz>"""
    with pytest.raises(ImportInvalid, match="defaultgrade"):
        parse(quiz, "nan.xml")


def test_items_named_only_by_the_test_are_read_but_never_outside_the_package() -> None:
    manifest = (b'<manifest><resources><resource type="imsqti_test_xmlv3p0" '
                b'href="tests/t.xml"/></resources></manifest>')
    test = (b'<qti-assessment-test xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" '
            b'identifier="t" title="T"><qti-test-part identifier="p"><qti-assessment-section '
            b'identifier="s" title="S"><qti-assessment-item-ref identifier="r" '
            b'href="../items/a%20b.xml"/></qti-assessment-section></qti-test-part>'
            b'</qti-assessment-test>')
    item = sample("malformed_qti3_item.xml").replace(b"choix_inexistant", b"co2")
    result = parse(package({"imsmanifest.xml": manifest, "tests/t.xml": test,
                            "items/a b.xml": item}), "t.zip")
    assert result.tests[0].item_source_ids == ("sci-mauvaise-cle",)
    escape = test.replace(b"../items/a%20b.xml", b"../../../etc/passwd")
    with pytest.raises(ImportInvalid, match="not in the package"):
        parse(package({"imsmanifest.xml": manifest, "tests/t.xml": escape}), "t.zip")
