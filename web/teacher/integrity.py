"""A sitting's integrity settings: access rules (exam room, one device, Safe Exam Browser and
its keys) and the integrity policy (events counted, thresholds, warning, pause, retention).

Teachers of the sitting's school (and admins above it) change them; its proctors read them.
Every change is audited. A ``.seb`` settings file uploaded here gives its Config Key (the
file itself is not kept); a ``.seb`` start file for the sitting can be downloaded.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from ardoise.clock import utcnow
from ardoise.errors import DomainError, Invalid
from exam_engine import sittings
from exam_engine.models import Sitting
from proctoring import access, policies, seb
from proctoring.policies import CLIENT_EVENTS, DEFAULT_COUNTED, DEFAULT_THRESHOLDS, RULES
from student_records import service as records
from student_records.models import Role
from web.access import AUTHORING, SUPERVISING, role_required, staff_orgs
from web.context import unit_of_work
from web.messages import message_for
from web.teacher.views import _invalid_marker, bp

EVENT_LABELS = {
    "tab_hidden": lazy_gettext("Leaving the exam tab"),
    "window_blur": lazy_gettext("Leaving the browser window"),
    "fullscreen_exit": lazy_gettext("Leaving full screen"),
    "copy": lazy_gettext("Copy"), "paste": lazy_gettext("Paste"), "cut": lazy_gettext("Cut"),
    "context_menu": lazy_gettext("Context menu"), "print": lazy_gettext("Printing"),
    "reload": lazy_gettext("Reloading the page"),
    "network_down": lazy_gettext("Losing the network"),
}
RULE_LABELS = {
    "focus_losses": lazy_gettext("Times the student left the page"),
    "away_seconds": lazy_gettext("Seconds away at once"),
    "copy_paste": lazy_gettext("Copies, cuts and pastes"),
    "fullscreen_exits": lazy_gettext("Full-screen exits"),
    "print_attempts": lazy_gettext("Print attempts"),
    "reloads": lazy_gettext("Reloads"),
    "network_drops": lazy_gettext("Network losses"),
    "ip_changes": lazy_gettext("Address changes"),
    "new_devices": lazy_gettext("Second devices"),
    "time_anomalies": lazy_gettext("Clock anomalies"),
    "key_mismatches": lazy_gettext("Safe Exam Browser key mismatches"),
}
#: Every event's name in a report's timeline.
EVENT_NAMES = {
    "tab_hidden": lazy_gettext("Left the exam tab"), "tab_visible": lazy_gettext("Came back"),
    "window_blur": lazy_gettext("Left the window"),
    "window_focus": lazy_gettext("Back in the window"),
    "fullscreen_exit": lazy_gettext("Left full screen"), "copy": lazy_gettext("Copy"),
    "paste": lazy_gettext("Paste"), "cut": lazy_gettext("Cut"),
    "context_menu": lazy_gettext("Context menu"), "print": lazy_gettext("Printing"),
    "reload": lazy_gettext("Reloading the page"), "network_down": lazy_gettext("Network lost"),
    "network_up": lazy_gettext("Network back"), "ip_change": lazy_gettext("Address changed"),
    "new_device": lazy_gettext("Another device refused"),
    "new_session": lazy_gettext("New session"), "clock_skew": lazy_gettext("Clock anomaly"),
    "key_mismatch": lazy_gettext("Safe Exam Browser keys did not match"),
    "pause": lazy_gettext("Paused"), "resume": lazy_gettext("Resumed"),
    "extend": lazy_gettext("Time extended"), "unlock": lazy_gettext("Device unlocked"),
    "note": lazy_gettext("Note"),
}
#: The rules' short names, for the proctor's flag badges.
FLAG_BADGES = {
    "focus_losses": lazy_gettext("Left the page"),
    "away_seconds": lazy_gettext("Long absence"),
    "copy_paste": lazy_gettext("Copy/paste"),
    "fullscreen_exits": lazy_gettext("Left full screen"),
    "print_attempts": lazy_gettext("Printing"),
    "reloads": lazy_gettext("Reloads"),
    "network_drops": lazy_gettext("Network losses"),
    "ip_changes": lazy_gettext("Address changes"),
    "new_devices": lazy_gettext("Second devices"),
    "time_anomalies": lazy_gettext("Clock anomalies"),
    "key_mismatches": lazy_gettext("SEB keys"),
}
#: Client events a teacher may count (their companions are counted with them).
COUNTABLE = [e for e in CLIENT_EVENTS if e in EVENT_LABELS]
MAX_SEB_UPLOAD = seb.MAX_SETTINGS_BYTES


def _sitting(db: Any, sitting_id: str, roles: tuple[Role, ...]) -> Sitting:
    sitting = sittings.get_sitting(db, sitting_id)
    if sitting.organisation_id not in staff_orgs(db, g.user, roles):
        abort(404)
    return sitting


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def _saved_forms(db: Any, sitting_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    rules = access.get_access(db, sitting_id)
    policy = policies.get_policy(db, sitting_id)
    access_form = {
        "ip_ranges": "\n".join(rules.ip_ranges) if rules else "",
        "one_device": bool(rules and rules.one_device),
        "seb_required": bool(rules and rules.seb_required),
        "config_keys": "\n".join(rules.config_keys) if rules else "",
        "browser_exam_keys": "\n".join(rules.browser_exam_keys) if rules else "",
    }
    counted = policy.counted if policy else list(DEFAULT_COUNTED)
    thresholds = policy.thresholds if policy else DEFAULT_THRESHOLDS
    policy_form = {
        "enabled": policy is not None,
        "counted": set(counted),
        **{f"rule_{name}": f"{value:g}" for name, value in thresholds.items()},
        "warn_student": policy.warn_student if policy else True,
        "pause_on_flag": policy.pause_on_flag if policy else False,
        "retention_days": str(policy.retention_days if policy else 365),
    }
    return access_form, policy_form


def _page(sitting_id: str, status: int = 200, access_form: dict[str, Any] | None = None,
          policy_form: dict[str, Any] | None = None,
          error_field: str | None = None) -> ResponseReturnValue:
    with unit_of_work() as db:
        sitting = _sitting(db, sitting_id, SUPERVISING)
        saved_access, saved_policy = _saved_forms(db, sitting_id)
        may_change = sitting.organisation_id in staff_orgs(db, g.user, AUTHORING)
        return render_template(
            "teacher/integrity.html", sitting=sitting, may_change=may_change,
            access_form=access_form or saved_access, policy_form=policy_form or saved_policy,
            events=[(e, EVENT_LABELS[e]) for e in COUNTABLE],
            rules=[(r, RULE_LABELS[r]) for r in RULES], invalid=_invalid_marker(error_field),
        ), status


@bp.get("/sittings/<sitting_id>/integrity")
@role_required(Role.TEACHER, Role.PROCTOR)
def sitting_integrity(sitting_id: str) -> ResponseReturnValue:
    return _page(sitting_id)


def _flash_error(error: DomainError) -> str | None:
    flash(message_for(error.code, error.params), "error")
    field = error.params.get("field")
    return str(field) if field else None


@bp.post("/sittings/<sitting_id>/access")
@role_required(Role.TEACHER)
def sitting_access(sitting_id: str) -> ResponseReturnValue:
    form = request.form
    typed: dict[str, Any] = {"ip_ranges": form.get("ip_ranges", ""),
             "one_device": bool(form.get("one_device")),
             "seb_required": bool(form.get("seb_required")),
             "config_keys": form.get("config_keys", ""),
             "browser_exam_keys": form.get("browser_exam_keys", "")}
    try:
        config_keys = _lines(typed["config_keys"])
        uploaded = request.files.get("seb_file")
        if uploaded is not None and uploaded.filename:
            data = uploaded.read(MAX_SEB_UPLOAD + 1)
            key = seb.config_key_of_file(data)
            config_keys.append(key)
            typed["config_keys"] = "\n".join(dict.fromkeys(config_keys))
        with unit_of_work() as db:
            sitting = _sitting(db, sitting_id, AUTHORING)
            rules = access.set_access(
                db, sitting.id, ip_ranges=_lines(typed["ip_ranges"]),
                one_device=typed["one_device"], seb_required=typed["seb_required"],
                config_keys=config_keys, browser_exam_keys=_lines(typed["browser_exam_keys"]),
                author_id=g.user.id, now=utcnow())
            records.audit(db, g.user, "set_access_rules", "sitting", sitting.id,
                          sitting.organisation_id, ip_ranges=rules.ip_ranges,
                          one_device=rules.one_device, seb_required=rules.seb_required,
                          config_keys=len(rules.config_keys),
                          browser_exam_keys=len(rules.browser_exam_keys))
    except DomainError as error:
        field = _flash_error(error)
        if error.code.startswith("seb_settings"):
            field = "seb_file"
        return _page(sitting_id, 422, access_form=typed, error_field=field)
    flash(_("Access rules saved."), "success")
    return redirect(url_for("teacher.sitting_integrity", sitting_id=sitting_id))


def _threshold(text: str, name: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise Invalid("integrity_policy_invalid", field="thresholds", rule=name) from None


@bp.post("/sittings/<sitting_id>/policy")
@role_required(Role.TEACHER)
def sitting_policy(sitting_id: str) -> ResponseReturnValue:
    form = request.form
    counted = [e for e in form.getlist("counted") if e in COUNTABLE]
    typed: dict[str, Any] = {
        "enabled": True, "counted": set(counted),
        **{f"rule_{name}": form.get(f"rule_{name}", "") for name in RULES},
        "warn_student": bool(form.get("warn_student")),
        "pause_on_flag": bool(form.get("pause_on_flag")),
        "retention_days": form.get("retention_days", ""),
    }
    try:
        thresholds = {name: value for name in RULES
                      if (value := _threshold(typed[f"rule_{name}"], name)) is not None}
        days_text = str(typed["retention_days"]).strip()
        if not days_text.isdigit():
            raise Invalid("integrity_policy_invalid", field="retention_days")
        with unit_of_work() as db:
            sitting = _sitting(db, sitting_id, AUTHORING)
            policy = policies.set_policy(
                db, sitting.id, counted=counted, thresholds=thresholds,
                warn_student=typed["warn_student"], pause_on_flag=typed["pause_on_flag"],
                retention_days=int(days_text), author_id=g.user.id, now=utcnow())
            records.audit(db, g.user, "set_integrity_policy", "sitting", sitting.id,
                          sitting.organisation_id, counted=policy.counted,
                          thresholds=policy.thresholds, pause_on_flag=policy.pause_on_flag,
                          retention_days=policy.retention_days)
    except DomainError as error:
        return _page(sitting_id, 422, policy_form=typed, error_field=_flash_error(error))
    flash(_("Integrity policy saved."), "success")
    return redirect(url_for("teacher.sitting_integrity", sitting_id=sitting_id))


@bp.get("/sittings/<sitting_id>/start.seb")
@role_required(Role.TEACHER)
def sitting_start_file(sitting_id: str) -> ResponseReturnValue:
    """A Safe Exam Browser start file that opens Ardoise's student page."""
    with unit_of_work() as db:
        sitting = _sitting(db, sitting_id, AUTHORING)
        title = sitting.title
    data = seb.start_file(url_for("student.index", _external=True))
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in title).strip("-")[:60]
    response = Response(data, mimetype="application/seb")
    response.headers["Content-Disposition"] = f'attachment; filename="{safe or "examen"}.seb"'
    return response

