"""File upload: the student hands in a file (a scan, a report, a project), marked by a person.

The file itself never travels through the answer path: the student's page uploads it to
the attempt's upload route, which checks it and keeps it in the data dir, and the
response saved for the slot is a small reference to it (see ``response_schema``).
"""

from __future__ import annotations

import re
from typing import Any

from ardoise.errors import Invalid
from item_bank.types.base import STEM_SCHEMA, Content, ItemType, Score, points_of, text_map

#: What each kind of file accepts as file name extensions. The kind itself is told from
#: the file's content when it is uploaded (see ``exam_engine.uploads.kind_of``).
KIND_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "image": (".png", ".jpg", ".jpeg", ".gif", ".webp"),
    "office": (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".doc", ".xls", ".ppt"),
    "text": (".txt", ".csv", ".tsv", ".md", ".json", ".py", ".java", ".c", ".h", ".cpp",
             ".js", ".sql"),
    "zip": (".zip",),
}
KINDS = tuple(KIND_EXTENSIONS)
#: The largest file any item may accept, whatever its author asks: what a school's
#: network and the data dir can take for a cohort.
SERVER_MAX_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME_LENGTH = 120
SHA256 = re.compile(r"[0-9a-f]{64}")


def accept_list(kinds: list[str]) -> str:
    """The extensions of ``kinds`` for a file input's ``accept`` attribute."""
    return ",".join(ext for kind in kinds for ext in KIND_EXTENSIONS[kind])


class FileUpload(ItemType):
    name = "file_upload"
    render_schema = {
        "type": "object",
        "required": ["stem", "kinds", "max_bytes", "accept"],
        "properties": {
            "stem": STEM_SCHEMA,
            "kinds": {"type": "array", "items": {"type": "string", "enum": list(KINDS)},
                      "description": "the kinds of file accepted, told from the content"},
            "max_bytes": {"type": "integer", "maximum": SERVER_MAX_BYTES,
                          "description": "the largest file accepted, in bytes"},
            "accept": {"type": "string",
                       "description": "file name extensions, for the file input's accept"},
        },
    }
    response_schema = {
        "type": ["object", "null"],
        "description": "The file uploaded with POST /api/v1/attempts/{id}/answers/{slot}/file "
                       "and saved as the slot's answer: the reference that route returned.",
        "required": ["file", "name", "size", "kind"],
        "additionalProperties": False,
        "properties": {
            "file": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                     "description": "SHA-256 of the file's bytes, lowercase hex"},
            "name": {"type": "string", "maxLength": MAX_NAME_LENGTH,
                     "description": "the file name, made safe by the server"},
            "size": {"type": "integer", "minimum": 1, "description": "bytes"},
            "kind": {"type": "string", "enum": list(KINDS)},
        },
    }

    def validate(self, content: Content) -> Content:
        kinds = content.get("kinds", ["pdf"])
        if not isinstance(kinds, list) or not kinds or \
                any(not isinstance(k, str) or k not in KIND_EXTENSIONS for k in kinds):
            raise Invalid("item_invalid", field="kinds")
        max_bytes = content.get("max_bytes", DEFAULT_MAX_BYTES)
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or \
                not 1 <= max_bytes <= SERVER_MAX_BYTES:
            raise Invalid("upload_limit_invalid", field="max_bytes",
                          max=SERVER_MAX_BYTES // (1024 * 1024))
        clean: Content = {"stem": text_map(content.get("stem"), "stem"),
                          "kinds": [k for k in KINDS if k in kinds],
                          "max_bytes": max_bytes, "points": points_of(content)}
        if content.get("rubric") is not None:
            clean["rubric"] = text_map(content["rubric"], "rubric")  # for graders only
        return clean

    def render(self, content: Content, seed: int | None = None) -> dict[str, Any]:
        return {"stem": content["stem"], "kinds": list(content["kinds"]),
                "max_bytes": content["max_bytes"], "accept": accept_list(content["kinds"])}

    def check_response(self, content: Content, response: Any) -> None:
        if response is None:
            return
        if not isinstance(response, dict) or set(response) != {"file", "name", "size", "kind"}:
            raise Invalid("invalid_response")
        digest, name, size, kind = (response[k] for k in ("file", "name", "size", "kind"))
        if not isinstance(digest, str) or not SHA256.fullmatch(digest) or \
                not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_LENGTH or \
                isinstance(size, bool) or not isinstance(size, int) or \
                not 1 <= size <= content["max_bytes"] or kind not in content["kinds"]:
            raise Invalid("invalid_response")

    def score(self, content: Content, response: Any) -> Score:
        points = content["points"]
        if not isinstance(response, dict) or not isinstance(response.get("file"), str):
            return Score(0.0, points, False)  # nothing handed in: nothing to mark
        return Score(0.0, points, False, {"fr": "En attente de correction.",
                                          "en": "Awaiting marking."}, manual=True)
