"""Files of file-upload questions: the student's upload, the marker's download."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request, send_file
from flask.typing import ResponseReturnValue

from ardoise.clock import utcnow
from ardoise.errors import Invalid
from exam_engine import uploads
from item_bank.types.file_upload import SERVER_MAX_BYTES
from student_records.models import Role
from web.access import login_required, role_required
from web.context import config, unit_of_work
from web.extensions import limiter

bp = Blueprint("uploads", __name__)

# Room for the multipart envelope around the largest file an item may accept.
ENVELOPE_BYTES = 256 * 1024
# Per attempt: plenty for a student who changes their mind, not enough to fill a disk.
UPLOAD_LIMIT = "40 per hour"


def _attempt_key() -> str:
    # Per caller too: someone else's refused requests never use up the student's allowance.
    user = g.get("user")
    attempt_id = (request.view_args or {}).get("attempt_id", "")
    return f"answer-upload:{user.id if user is not None else '-'}:{attempt_id}"


@bp.url_value_preprocessor
def _allow_large_bodies(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    # Runs before the request hooks parse the form for the CSRF token, so the
    # application's smaller body limit does not refuse a file the item accepts.
    if endpoint == "uploads.upload":
        request.max_content_length = SERVER_MAX_BYTES + ENVELOPE_BYTES


@bp.post("/api/v1/attempts/<attempt_id>/answers/<int:slot>/file")
@login_required
@limiter.limit(UPLOAD_LIMIT, key_func=_attempt_key)
def upload(attempt_id: str, slot: int) -> ResponseReturnValue:
    """Keep the file for the caller's file-upload slot; the page then saves the returned
    reference as the slot's answer through the normal save path."""
    sent = request.files.get("file")
    if sent is None:
        raise Invalid("upload_empty")
    data = sent.read(SERVER_MAX_BYTES + 1)
    with unit_of_work() as db:
        ref = uploads.store_upload(
            db, config().data_dir, attempt_id, g.user.id, slot, sent.filename or "", data,
            now=utcnow(), grace_seconds=config().save_grace_seconds)
    return jsonify({"ok": True, "response": ref.as_response()}), 201


@bp.get("/teacher/sittings/<sitting_id>/marking/<attempt_id>/<int:slot>/file")
@role_required(Role.TEACHER, Role.GRADER)
def download(sitting_id: str, attempt_id: str, slot: int) -> ResponseReturnValue:
    with unit_of_work() as db:
        found = uploads.file_for_marker(db, g.user, config().data_dir, sitting_id,
                                        attempt_id, slot)
    response = send_file(found.path, mimetype=uploads.content_type(found.name, found.kind),
                         as_attachment=True, download_name=found.name, max_age=0)
    # A student's file is never run by the browser, whatever it claims to be.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
