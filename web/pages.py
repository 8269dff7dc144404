"""The front door: home by role, and the health check."""

from __future__ import annotations

from flask import Blueprint, Flask, g, redirect, url_for
from sqlalchemy import text
from werkzeug.wrappers import Response

from student_records.models import Role
from web.context import unit_of_work

bp = Blueprint("pages", __name__)


def home() -> Response:
    user = g.get("user")
    if user is None:
        return redirect(url_for("auth.login"))
    roles = {ra.role for ra in user.roles}
    if Role.ADMIN in roles:
        return redirect(url_for("admin.index"))
    if roles & {Role.TEACHER, Role.PROCTOR, Role.GRADER}:
        return redirect(url_for("teacher.index"))
    return redirect(url_for("student.index"))


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    with unit_of_work() as db:
        db.execute(text("SELECT 1"))
    return {"status": "ok"}, 200


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_url_rule("/", endpoint="home", view_func=home)
