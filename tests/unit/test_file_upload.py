"""The file-upload item type and the checks on the files handed in."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ardoise.errors import Invalid
from exam_engine.uploads import content_type, kind_of, safe_name
from item_bank.registry import default_registry
from item_bank.types.file_upload import SERVER_MAX_BYTES, FileUpload

ITEM = FileUpload()
DIGEST = "ab" * 32


def content(**changes: object) -> dict[str, object]:
    return ITEM.validate({"stem": {"fr": "Remettez votre rapport.", "en": "Hand in your report."},
                          "kinds": ["pdf", "text"], "max_bytes": 2000, "points": 4,
                          "rubric": {"fr": "Clarté, sources"}, **changes})


def ref(**changes: object) -> dict[str, object]:
    return {"file": DIGEST, "name": "rapport.pdf", "size": 1200, "kind": "pdf", **changes}


def zipped(names: list[str], first: tuple[str, bytes] | None = None) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored, not deflated
        for name in names:
            archive.writestr(name, b"<x/>")
    return buffer.getvalue()


def test_registered_through_the_entry_point() -> None:
    assert isinstance(default_registry().get("file_upload"), FileUpload)


def test_validation_normalises_and_bounds() -> None:
    clean = content(kinds=["text", "pdf", "pdf"])
    assert clean["kinds"] == ["pdf", "text"] and clean["max_bytes"] == 2000
    assert clean["points"] == 4.0 and clean["rubric"] == {"fr": "Clarté, sources"}
    assert ITEM.validate({"stem": "Un fichier?"})["kinds"] == ["pdf"]
    for field, bad in (("kinds", []), ("kinds", ["exe"]), ("kinds", "pdf"), ("stem", ""),
                       ("max_bytes", 0), ("max_bytes", SERVER_MAX_BYTES + 1),
                       ("max_bytes", 10.5), ("max_bytes", True), ("points", -1)):
        with pytest.raises(Invalid) as caught:
            content(**{field: bad})
        assert caught.value.params["field"] == field
    assert content(max_bytes=SERVER_MAX_BYTES)["max_bytes"] == SERVER_MAX_BYTES


def test_render_gives_limits_and_no_rubric() -> None:
    payload = ITEM.render(content(), seed=7)
    assert payload == {"stem": {"fr": "Remettez votre rapport.", "en": "Hand in your report."},
                       "kinds": ["pdf", "text"], "max_bytes": 2000,
                       "accept": ".pdf,.txt,.csv,.tsv,.md,.json,.py,.java,.c,.h,.cpp,.js,.sql"}
    assert "Clarté" not in json.dumps(payload)


def test_check_response_accepts_only_a_fitting_reference() -> None:
    clean = content()
    ITEM.check_response(clean, None)
    ITEM.check_response(clean, ref())
    ITEM.check_response(clean, ref(kind="text", name="notes.txt", size=2000))
    for bad in (ref(file="AB" * 32), ref(file="ab"), ref(size=2001), ref(size=0),
                ref(size=True), ref(kind="image"), ref(name=""), ref(name="x" * 121),
                {**ref(), "path": "/etc/passwd"}, {"text": "rapport"}, "rapport.pdf", [ref()]):
        with pytest.raises(Invalid):
            ITEM.check_response(clean, bad)


def test_scoring_waits_for_a_person() -> None:
    clean = content()
    awaiting = ITEM.score(clean, ref())
    assert awaiting.manual and awaiting.points == 0.0 and awaiting.max_points == 4.0
    nothing = ITEM.score(clean, None)
    assert not nothing.manual and nothing.points == 0.0


@given(st.one_of(st.none(), st.text(), st.integers(), st.dictionaries(st.text(), st.text())))
def test_scoring_and_checking_never_crash(response: object) -> None:
    clean = content()
    assert ITEM.score(clean, response).points == 0.0
    try:
        ITEM.check_response(clean, response)
    except Invalid:
        pass


def test_kind_is_told_from_the_content() -> None:
    assert kind_of(b"%PDF-1.7\n...") == "pdf"
    assert kind_of(b"\x89PNG\r\n\x1a\n....") == "image"
    assert kind_of(b"\xff\xd8\xff\xe0JFIF") == "image"
    assert kind_of(b"GIF89a....") == "image"
    assert kind_of(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image"
    assert kind_of(zipped(["[Content_Types].xml", "word/document.xml"])) == "office"
    odt = zipped(["content.xml"], ("mimetype", b"application/vnd.oasis.opendocument.text"))
    assert kind_of(odt) == "office"
    assert kind_of(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)) == "office"
    assert kind_of(zipped(["src/main.py"])) == "zip"
    assert kind_of("Élève: réponse\tfinale\r\n".encode()) == "text"
    assert kind_of(b"MZ\x90\x00\x03\x00") is None  # a Windows program
    assert kind_of(b"PK\x03\x04 not really a zip") is None
    assert kind_of(b"\xff\xfe\x00") is None
    assert kind_of(b"text with a \x00 byte") is None


def test_names_are_made_safe() -> None:
    assert safe_name("C:\\Users\\élève\\Rapport final.PDF", "pdf") == "Rapport final.pdf"
    assert safe_name("../../etc/passwd", "text") == "passwd.txt"
    assert safe_name("<script>.txt", "text") == "_script_.txt"
    assert safe_name("a\x00b\nc.md", "text") == "a_b_c.md"
    assert len(safe_name("x" * 500 + ".pdf", "pdf")) == 120
    assert safe_name("....pdf", "pdf") == "pdf.pdf"
    assert safe_name("", "pdf") == "fichier.pdf" and safe_name("/", "zip") == "fichier.zip"


def test_downloads_are_never_served_as_html() -> None:
    assert content_type("page.html", "text") == "text/plain; charset=utf-8"
    assert content_type("a.pdf", "pdf") == "application/pdf"
    assert content_type("a.docx", "office") == "application/octet-stream"
