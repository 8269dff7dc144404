"""Admin pages, scoped to the organisations the admin governs."""

from __future__ import annotations

import json

from flask import Blueprint, g, render_template, request
from flask.typing import ResponseReturnValue

from student_records import service as records
from student_records.models import Person, Role
from web.access import role_required
from web.context import unit_of_work

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/")
@role_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    object_id = request.args.get("object_id") or None
    with unit_of_work() as db:
        scope = records.admin_scope(db, g.user)
        entries = records.audit_entries(db, sorted(scope), limit=300, object_id=object_id) \
            if records.has_role(g.user, Role.ADMIN) else []
        actors = {p.id: p for p in db.query(Person).filter(
            Person.id.in_({e.actor_id for e in entries if e.actor_id}))}
        rows = [{"entry": e, "actor": actors.get(e.actor_id or ""),
                 "detail": json.loads(e.detail or "{}")} for e in entries]
    return render_template("admin/index.html", rows=rows, object_id=object_id)
