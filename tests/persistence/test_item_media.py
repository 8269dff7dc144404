"""Item images in the data dir, and which items show a file (both databases)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ardoise.db import Database
from ardoise.errors import Invalid, NotFound
from item_bank import media
from item_bank import service as items
from tests.factories import make_school

GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00" \
      b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00" \
       b"\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def content(url: str, alt: str = "Une figure") -> dict[str, object]:
    return {"stem": {"fr": f"Voyez ![{alt}]({url})"}, "correct": "a",
            "options": [{"id": "a", "text": {"fr": "Oui"}}, {"id": "b", "text": {"fr": "Non"}}]}


def test_files_are_kept_by_their_content_and_kind(tmp_path: Path) -> None:
    for data, ext, kind in ((GIF, "gif", "image/gif"), (WEBP, "webp", "image/webp"),
                            (JPEG, "jpg", "image/jpeg")):
        stored = media.store(tmp_path, "org1", data)
        assert stored.name == f"{hashlib.sha256(data).hexdigest()}.{ext}"
        assert stored.content_type == kind and stored.url == f"/media/org1/{stored.name}"
        assert media.stored_path(tmp_path, "org1", stored.name) == (
            tmp_path / "media" / "org1" / stored.name, kind)
    assert not list((tmp_path / "media" / "org1").glob(".upload-*"))
    for refused in (b"<svg/>", b"%PDF-1.7", b"RIFF\x00\x00\x00\x00WAVEfmt "):
        with pytest.raises(Invalid) as error:
            media.store(tmp_path, "org1", refused)
        assert error.value.code == "media_kind"
    for name in ("../ardoise.db", "x.png", hashlib.sha256(b"x").hexdigest() + ".png"):
        with pytest.raises(NotFound):
            media.stored_path(tmp_path, "org1", name)
    with pytest.raises(NotFound):
        media.stored_path(tmp_path, "../org1", f"{hashlib.sha256(GIF).hexdigest()}.gif")


def test_the_items_showing_a_file_are_found_in_their_versions(database: Database,
                                                              tmp_path: Path) -> None:
    with database.session() as session:
        world = make_school(session, students=0)
        other = make_school(session, prefix="o-", students=0)
        shown = media.store(tmp_path, world.school.id, GIF)
        unused = media.store(tmp_path, world.school.id, JPEG)
        first = items.create_item(session, world.school.id, "single_choice", "Avec",
                                  content(shown.url))
        # A later version without the image: the item still showed it once.
        items.revise_item(session, first.item_id, content("/media/x/none.png"))
        items.create_item(session, world.school.id, "single_choice", "Sans",
                          content("/media/elsewhere.png"))
        # Another school's item naming the same file under its own organisation.
        items.create_item(session, other.school.id, "single_choice", "Ailleurs",
                          content(media.media_url(other.school.id, shown.name)))
        found = media.items_showing(session, world.school.id, shown.name)
        assert [item.id for item in found] == [first.item_id]
        assert media.items_showing(session, world.school.id, unused.name) == []
        version = items.get_version(session, first.id)
        assert media.mentions(version.content, world.school.id, shown.name)
        assert not media.mentions(version.content, other.school.id, shown.name)
