"""The top navigation, by the caller's roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, g, request, url_for
from flask_babel import gettext as _

from student_records.models import Role
from web.context import config


@dataclass(frozen=True)
class NavLink:
    url: str
    label: str
    active: bool


def nav_links() -> list[NavLink]:
    user = g.get("user")
    if user is None:
        return []
    roles = {ra.role for ra in user.roles}
    links: list[tuple[str, str]] = []
    if Role.STUDENT in roles:
        links.append((url_for("student.index"), _("My sittings")))
        links.append((url_for("lab.index"), _("My exercises")))
    if roles & {Role.TEACHER, Role.PROCTOR, Role.GRADER, Role.ADMIN}:
        links.append((url_for("teacher.index"), _("Sittings")))
    if roles & {Role.TEACHER, Role.ADMIN}:
        links.append((url_for("teacher.item_list"), _("Questions")))
        links.append((url_for("teacher.exam_new"), _("Build an exam")))
        links.append((url_for("teacher.lab_index"), _("Coding lab")))
    if Role.ADMIN in roles:
        links.append((url_for("admin.index"), _("Audit log")))
    return [NavLink(url, label, request.path.rstrip("/") == url.rstrip("/"))
            for url, label in links]


def _globals() -> dict[str, Any]:
    return {"nav_links": nav_links, "config_timezone": config().timezone}


def init_app(app: Flask) -> None:
    app.context_processor(_globals)
