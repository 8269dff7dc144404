"""Files handed in for file-upload questions: checked, kept in the data dir, read back.

Layout: ``<data_dir>/uploads/<attempt_id>/<slot>/<sha256>``, one file per distinct
content; the file name, size and kind travel in the slot's saved response (a reference,
see ``item_bank.types.file_upload``), so no table is needed. A file is written once and
never changed; an upload that replaces another leaves the old file for the answer log.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Forbidden, Invalid, NotFound
from exam_engine.attempts import AttemptRefused, get_attempt, is_paused
from exam_engine.deadline import is_late
from exam_engine.marking import may_mark
from exam_engine.models import Attempt, AttemptSlot, AttemptState
from exam_engine.sittings import get_sitting
from item_bank.service import version_type_and_content
from item_bank.types.file_upload import KIND_EXTENSIONS, MAX_NAME_LENGTH, SHA256, FileUpload
from student_records.models import Person

UPLOADS = "uploads"
PNG = b"\x89PNG\r\n\x1a\n"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc, .xls, .ppt
CONTENT_TYPES = {
    ".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".zip": "application/zip",
}
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
UNSAFE_NAME = re.compile(r"[^\w .,()+\-]")


@dataclass(frozen=True)
class FileRef:
    """What the slot's response holds about a stored file."""

    file: str
    name: str
    size: int
    kind: str

    def as_response(self) -> dict[str, Any]:
        return {"file": self.file, "name": self.name, "size": self.size, "kind": self.kind}


def _zip_names(data: bytes) -> list[str] | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _is_text(data: bytes) -> bool:
    """UTF-8 without control characters other than tabs, line and page breaks."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return CONTROL.search(data) is None


def kind_of(data: bytes) -> str | None:
    """The kind of file ``data`` is, told from its bytes alone; ``None`` for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(PNG) or data.startswith(b"\xff\xd8\xff") or \
            data[:6] in (b"GIF87a", b"GIF89a") or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    if data.startswith(OLE2):
        return "office"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        names = _zip_names(data)
        if names is None:
            return None
        if "[Content_Types].xml" in names and \
                any(n.startswith(("word/", "xl/", "ppt/")) for n in names):
            return "office"
        if names[:1] == ["mimetype"] and \
                data[30:38] == b"mimetype" and b"opendocument" in data[38:120]:
            return "office"
        return "zip"
    if _is_text(data):
        return "text"
    return None


def safe_name(name: str, kind: str) -> str:
    """The file's base name without path, control or odd characters, at most 120 characters."""
    base = unicodedata.normalize("NFC", re.split(r"[/\\]", name or "")[-1]).strip(" .")
    base = UNSAFE_NAME.sub("_", base)
    stem, ext = os.path.splitext(base)
    ext = ext.lower()
    if ext not in KIND_EXTENSIONS[kind]:
        stem, ext = base, KIND_EXTENSIONS[kind][0]
    stem = stem.strip(" .") or "fichier"
    return stem[:MAX_NAME_LENGTH - len(ext)] + ext


def content_type(name: str, kind: str) -> str:
    """What a download is served as: text as plain text, office and other files as bytes."""
    ext = os.path.splitext(name)[1].lower()
    if kind == "text":
        return "text/plain; charset=utf-8"
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def stored_path(data_dir: Path, attempt_id: str, slot: int, digest: str) -> Path:
    if not SHA256.fullmatch(digest) or not re.fullmatch(r"[\w-]{1,64}", attempt_id):
        raise NotFound("answer_not_found")
    return Path(data_dir) / UPLOADS / attempt_id / str(int(slot)) / digest


def _upload_item(session: Session, attempt_id: str, slot: int
                 ) -> tuple[FileUpload, dict[str, Any]] | None:
    row = session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id,
                                                   AttemptSlot.slot == slot))
    if row is None:
        return None
    item_type, content = version_type_and_content(session, row.item_version_id)
    return (FileUpload(), content) if item_type == FileUpload.name else None


def store_upload(session: Session, data_dir: Path, attempt_id: str, student_id: str,
                 slot: int, filename: str, data: bytes, *, now: datetime,
                 grace_seconds: float) -> FileRef:
    """Check and keep a file for the student's own file-upload slot; return its reference.

    The same refusals as a save, in the same order (``forbidden``, ``submitted``,
    ``paused``, ``late``), then the slot (``upload_wrong_slot``), the size
    (``upload_empty``, ``upload_too_big``) and the kind told by the content
    (``upload_wrong_kind``). Nothing is written unless every check passes.
    """
    attempt = get_attempt(session, attempt_id)
    if attempt.student_id != student_id:
        raise AttemptRefused("forbidden")
    if attempt.state is AttemptState.SUBMITTED:
        raise AttemptRefused("submitted")
    if is_paused(attempt):
        raise AttemptRefused("paused")
    if is_late(now, attempt.deadline, grace_seconds):
        raise AttemptRefused("late")
    found = _upload_item(session, attempt.id, slot)
    if found is None:
        raise Invalid("upload_wrong_slot")
    _item, content = found
    if not data:
        raise Invalid("upload_empty")
    if len(data) > content["max_bytes"]:
        raise Invalid("upload_too_big", max=megabytes(content["max_bytes"]))
    kind = kind_of(data)
    extension = os.path.splitext(filename or "")[1].lower()
    if kind is None or kind not in content["kinds"] or extension not in KIND_EXTENSIONS[kind]:
        raise Invalid("upload_wrong_kind", kinds=", ".join(
            ext for k in content["kinds"] for ext in KIND_EXTENSIONS[k]))
    digest = hashlib.sha256(data).hexdigest()
    target = stored_path(data_dir, attempt.id, slot, digest)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written aside then renamed: a reader never sees half a file.
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return FileRef(digest, safe_name(filename, kind), len(data), kind)


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def check_saved_reference(session: Session, data_dir: Path, attempt_id: str, slot: Any,
                          response: Any) -> None:
    """Refuse (``invalid_response``) a file-upload answer naming a file that this attempt's
    slot never received: the type checks the shape, only the server knows its files."""
    if not isinstance(response, dict) or "file" not in response or \
            isinstance(slot, bool) or not isinstance(slot, int):
        return
    if _upload_item(session, attempt_id, slot) is None:
        return  # not a file-upload slot: the item type has refused the shape already
    digest, size = response.get("file"), response.get("size")
    if not isinstance(digest, str) or not SHA256.fullmatch(digest):
        raise AttemptRefused("invalid_response")
    path = stored_path(data_dir, attempt_id, slot, digest)
    if not path.is_file() or path.stat().st_size != size:
        raise AttemptRefused("invalid_response")


@dataclass(frozen=True)
class FileToMark:
    path: Path
    name: str
    kind: str
    size: int


def file_for_marker(session: Session, person: Person, data_dir: Path, sitting_id: str,
                    attempt_id: str, slot: int) -> FileToMark:
    """The file handed in for one answer, for a teacher or grader of the sitting's school.

    Who asks is checked before anything about the attempt is revealed; an attempt of
    another sitting, one still open, or an answer without a file is not found.
    """
    sitting = get_sitting(session, sitting_id)
    if not may_mark(person, sitting):
        raise Forbidden("forbidden")
    attempt = session.scalar(select(Attempt).where(Attempt.id == attempt_id,
                                                   Attempt.sitting_id == sitting.id))
    if attempt is None or attempt.state is not AttemptState.SUBMITTED:
        raise NotFound("answer_not_found")
    row = session.scalar(select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id,
                                                   AttemptSlot.slot == slot))
    response = row.response if row is not None else None
    if _upload_item(session, attempt.id, slot) is None or not isinstance(response, dict):
        raise NotFound("answer_not_found")
    path = stored_path(data_dir, attempt.id, slot, str(response.get("file", "")))
    if not path.is_file():
        raise NotFound("answer_not_found")
    return FileToMark(path, str(response.get("name") or path.name),
                      str(response.get("kind") or ""), path.stat().st_size)
