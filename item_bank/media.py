"""Images stored with items: content-addressed files per organisation in the data dir.

A file is ``<data_dir>/media/<organisation_id>/<sha256>.<ext>``: the same image uploaded
twice is stored once, and a name never changes meaning, so an immutable item version
that shows ``/media/<organisation_id>/<name>`` shows the same image for ever. The kind
is decided from the bytes (PNG, JPEG, GIF, WebP), never from the name or the uploader's
word; SVG is refused (it can carry script). Which items use a file is found in their
contents: no table records it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid, NotFound
from item_bank.models import Item, ItemVersion

MAX_MEDIA_BYTES = 5 * 1024 * 1024
#: Extension -> content type of the kinds accepted.
KINDS = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
URL_PREFIX = "/media/"
_NAME = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg|gif|webp)$")
_ORGANISATION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class StoredMedia:
    organisation_id: str
    name: str
    content_type: str
    size: int

    @property
    def url(self) -> str:
        return media_url(self.organisation_id, self.name)


def media_url(organisation_id: str, name: str) -> str:
    """The path items use to show a file (served by the web layer's media route)."""
    return f"{URL_PREFIX}{organisation_id}/{name}"


def sniff(data: bytes) -> str | None:
    """The extension of the image kind ``data`` is, from its first bytes, or ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def media_dir(data_dir: Path, organisation_id: str) -> Path:
    if not _ORGANISATION.match(organisation_id):
        raise NotFound("media_not_found")
    return Path(data_dir) / "media" / organisation_id


def store(data_dir: Path, organisation_id: str, data: bytes) -> StoredMedia:
    """Keep ``data`` for ``organisation_id``; the same bytes give the same name.

    :raises Invalid: ``media_empty``, ``media_too_large`` (``max`` bytes) or
        ``media_kind`` (not a PNG, JPEG, GIF or WebP image).
    """
    if not data:
        raise Invalid("media_empty", field="file")
    if len(data) > MAX_MEDIA_BYTES:
        raise Invalid("media_too_large", field="file", max=MAX_MEDIA_BYTES // (1024 * 1024))
    ext = sniff(data)
    if ext is None:
        raise Invalid("media_kind", field="file")
    name = f"{hashlib.sha256(data).hexdigest()}.{ext}"
    folder = media_dir(data_dir, organisation_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        # Written whole then renamed: a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return StoredMedia(organisation_id, name, KINDS[ext], len(data))


def stored_path(data_dir: Path, organisation_id: str, name: str) -> tuple[Path, str]:
    """The file and its content type.

    :raises NotFound: a malformed name or a file that is not there.
    """
    if not _NAME.match(name):
        raise NotFound("media_not_found")
    path = media_dir(data_dir, organisation_id) / name
    if not path.is_file():
        raise NotFound("media_not_found")
    return path, KINDS[name.rsplit(".", 1)[1]]


def mentions(content: dict[str, Any], organisation_id: str, name: str) -> bool:
    """Whether an item version's content shows the file."""
    return media_url(organisation_id, name) in json.dumps(content, ensure_ascii=False)


def items_showing(session: Session, organisation_id: str, name: str) -> list[Item]:
    """The organisation's items any version of which shows the file."""
    url = media_url(organisation_id, name)
    showing = select(ItemVersion.item_id).where(
        cast(ItemVersion.content, String).contains(name, autoescape=True))
    candidates = session.scalars(select(Item).where(Item.organisation_id == organisation_id,
                                                    Item.id.in_(showing)))
    # The text match finds candidates; the exact URL in the content decides.
    return [item for item in candidates
            if any(url in json.dumps(v.content, ensure_ascii=False)
                   for v in session.scalars(select(ItemVersion)
                                            .where(ItemVersion.item_id == item.id)))]
