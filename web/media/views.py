"""Upload and serve item images (``item_bank.media``), with who may see which file.

A file is served to the staff of its organisation (teachers, graders, admins) unless every
item showing it is in a confidential bank they are not a member of; to a member of such a
bank; and to a student only while one of their own attempts shows it (in progress, or
after the results are released). Anything else is answered as if the file did not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request, send_file
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.errors import Invalid, NotFound
from exam_engine.models import Attempt, AttemptSlot, AttemptState, Sitting
from item_bank import banks, media
from item_bank.rich_text import render_text
from item_bank.service import version_type_and_content
from student_records.models import Person, Role
from web.access import role_required, staff_orgs
from web.context import config, unit_of_work
from web.extensions import client_address, limiter
from web.messages import message_for

bp = Blueprint("media", __name__, url_prefix="/media", template_folder="templates")

#: Who may upload (and see the files of their organisations).
UPLOADING = (Role.TEACHER,)
VIEWING = (Role.TEACHER, Role.GRADER)
#: Uploads per teacher: plenty for authoring, a bound on filling the data dir.
UPLOAD_LIMIT = "100 per hour"


def _uploader() -> str:
    user: Person | None = g.get("user")
    return f"media-upload:{user.id if user is not None else client_address()}"


@bp.app_template_filter("rich")
def rich(text: str | None) -> Markup:
    """A stored text (Markdown or HTML) as safe HTML for a page."""
    return Markup(render_text(text or ""))  # noqa: S704 - sanitised by render_text


@bp.post("/upload")
@limiter.limit(UPLOAD_LIMIT, key_func=_uploader)
@role_required(*UPLOADING)
def upload() -> ResponseReturnValue:
    """Store an image for a school; answers ``{"url", "name", "content_type", "size"}``."""
    school_id = request.form.get("school_id", "")
    file = request.files.get("file")
    with unit_of_work() as db:
        if school_id not in staff_orgs(db, g.user, UPLOADING):
            return _refused("forbidden", 403)
    if file is None:
        return _refused("media_empty", 422)
    data = file.stream.read(media.MAX_MEDIA_BYTES + 1)
    try:
        stored = media.store(config().data_dir, school_id, data)
    except Invalid as error:
        return _refused(error.code, 422, error.params)
    return jsonify({"url": stored.url, "name": stored.name,
                    "content_type": stored.content_type, "size": stored.size}), 201


@bp.get("/<organisation_id>/<name>")
def show(organisation_id: str, name: str) -> ResponseReturnValue:
    user: Person | None = g.get("user")
    if user is None:
        abort(404)
    try:
        path, content_type = media.stored_path(config().data_dir, organisation_id, name)
    except NotFound:
        abort(404)
    with unit_of_work() as db:
        if not (staff_may_see(db, user, organisation_id, name)
                or student_may_see(db, user, organisation_id, name)):
            abort(404)
    response = send_file(path, mimetype=content_type, conditional=True, etag=True,
                         max_age=300)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def staff_may_see(db: Session, user: Person, organisation_id: str, name: str) -> bool:
    """Staff of the organisation, unless every item showing the file is hidden from them by
    a confidential bank; members of a confidential bank whose item shows it."""
    orgs = staff_orgs(db, user, VIEWING)
    showing = media.items_showing(db, organisation_id, name)
    if not showing:  # just uploaded, not in an item yet
        return organisation_id in orgs
    for item in showing:
        if item.bank_id is None:
            if item.organisation_id in orgs:
                return True
        elif banks.can_see(db, banks.get_bank(db, item.bank_id), user.id, orgs):
            return True
    return False


def student_may_see(db: Session, user: Person, organisation_id: str, name: str) -> bool:
    """One of the student's own attempts shows the file, and is in progress or released."""
    rows = db.execute(
        select(AttemptSlot.item_version_id).distinct()
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .join(Sitting, Sitting.id == Attempt.sitting_id)
        .where(Attempt.student_id == user.id,
               (Attempt.state == AttemptState.IN_PROGRESS) | Sitting.released_at.is_not(None)))
    for (version_id,) in rows:
        _type, content = version_type_and_content(db, version_id)
        if media.mentions(content, organisation_id, name):
            return True
    return False


def _refused(code: str, status: int, params: dict[str, Any] | None = None
             ) -> ResponseReturnValue:
    return jsonify({"error": code, "message": message_for(code, params)}), status
