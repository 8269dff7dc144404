"""The marking page of a sitting: a teacher or grader marks each manually graded answer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from ardoise.clock import utcnow
from ardoise.errors import Invalid
from exam_engine import marking
from exam_engine.models import Sitting
from student_records.models import Role
from web.access import role_required
from web.context import current_user, unit_of_work
from web.messages import message_for

bp = Blueprint("marking", __name__, url_prefix="/teacher", template_folder="templates")


def points_text(value: float | None) -> str:
    """Points as a person of the page's language writes them (``3,5`` in French)."""
    return "" if value is None else str(format_decimal(value, "0.##"))


def answer_key(attempt_id: str, slot: int) -> str:
    return f"{attempt_id}-{slot}"


def in_language(texts: dict[str, str]) -> str:
    """The text in the page's language, else in the other one."""
    locale = str(get_locale() or "fr")
    return texts.get(locale) or next(iter(texts.values()), "")


def _next_awaiting(sheet: marking.MarkingSheet, after: str) -> str | None:
    """The next answer still awaiting marking after ``after`` (then from the top)."""
    keys = [(answer_key(a.attempt_id, a.slot), a.awaiting)
            for q in sheet.questions for a in q.answers]
    names = [k for k, _awaiting in keys]
    start = names.index(after) + 1 if after in names else 0
    for key, awaiting in keys[start:] + keys[:start]:
        if awaiting:
            return key
    return None


def _sheet_page(sitting_id: str, errors: dict[str, str], kept: dict[str, dict[str, str]],
                status: int = 200) -> ResponseReturnValue:
    with unit_of_work() as db:
        sheet = marking.marking_sheet(db, g.user, sitting_id)
    return render_template("marking/sheet.html", sheet=sheet, errors=errors, kept=kept,
                           answer_key=answer_key, in_language=in_language), status


@bp.get("/sittings/<sitting_id>/marking")
@role_required(Role.TEACHER, Role.GRADER)
def sheet(sitting_id: str) -> ResponseReturnValue:
    return _sheet_page(sitting_id, {}, {})


@bp.post("/sittings/<sitting_id>/marking/<attempt_id>/<int:slot>")
@role_required(Role.TEACHER, Role.GRADER)
def mark(sitting_id: str, attempt_id: str, slot: int) -> ResponseReturnValue:
    key = answer_key(attempt_id, slot)
    points, comment = request.form.get("points", ""), request.form.get("comment", "")
    try:
        with unit_of_work() as db:
            outcome = marking.award_mark(db, g.user, sitting_id, attempt_id, slot, points,
                                         comment, utcnow())
            sheet_now = marking.marking_sheet(db, g.user, sitting_id)
    except Invalid as error:
        message = message_for(error.code, error.params)
        flash(message, "error")
        return _sheet_page(sitting_id, {key: message},
                           {key: {"points": points, "comment": comment}}, 422)
    flash(_("Mark saved: %(points)s points.", points=points_text(outcome.points)), "success")
    following = _next_awaiting(sheet_now, key)
    return redirect(url_for("marking.sheet", sitting_id=sitting_id)
                    + f"#answer-{following or key}")


def marking_summary(sitting: Sitting) -> marking.MarkingProgress:
    """For the sitting's results page (already access-checked): how far marking is."""
    with unit_of_work() as db:
        return marking.marking_progress(db, sitting)


def may_mark(sitting: Sitting) -> bool:
    user = current_user()
    return user is not None and marking.may_mark(user, sitting)


bp.add_app_template_filter(points_text, "points")


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"marking_summary": marking_summary, "may_mark": may_mark}
