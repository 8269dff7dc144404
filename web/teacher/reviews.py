"""Integrity after the sitting: the list of attempts with their flags and reviews, each
student's integrity report with its review and second review, notes, and the CSV export.

The sitting's proctors and teachers read reports and add notes; teachers (and admins above
the school) review. Every note and review is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.errors import DomainError
from exam_engine import attempts, sittings
from exam_engine.models import Attempt, Sitting
from proctoring import reviews
from proctoring.events import flags_by_attempt
from proctoring.models import IntegrityReview
from student_records import service as records
from student_records.models import Person, Role
from web.access import AUTHORING, SUPERVISING, role_required, staff_orgs
from web.context import unit_of_work
from web.messages import message_for
from web.teacher.integrity import EVENT_NAMES, FLAG_BADGES
from web.teacher.review_pdf import report_pdf
from web.teacher.views import bp

STATUS_LABELS = {
    "not_reviewed": lazy_gettext("Not reviewed"), "no_issue": lazy_gettext("No issue"),
    "suspicious": lazy_gettext("Suspicious"), "violation": lazy_gettext("Violation"),
}
#: Staff actions named in a timeline beside the events (``EVENT_NAMES``).
ACTION_NAMES = {
    "announce_one": lazy_gettext("Message to the student"),
    "end_attempt": lazy_gettext("Exam ended by a proctor"),
}


def _sitting(db: Any, sitting_id: str, roles: tuple[Role, ...]) -> Sitting:
    sitting = sittings.get_sitting(db, sitting_id)
    if sitting.organisation_id not in staff_orgs(db, g.user, roles):
        abort(404)
    return sitting


def _attempt(db: Any, attempt_id: str, roles: tuple[Role, ...]) -> tuple[Attempt, Sitting]:
    attempt = attempts.get_attempt(db, attempt_id)
    return attempt, _sitting(db, attempt.sitting_id, roles)


def event_name(kind: str) -> str:
    """An event's or a staff action's name in a timeline, in the current language."""
    return str(EVENT_NAMES.get(kind) or ACTION_NAMES.get(kind) or kind)


def _helpers() -> dict[str, Any]:
    return {"status_label": lambda s: STATUS_LABELS.get(s, s),
            "flag_label": lambda r: FLAG_BADGES.get(r, r),
            "event_name": event_name, "statuses": reviews.STATUSES[1:],
            "max_note": reviews.MAX_PROCTOR_NOTE}


@bp.get("/sittings/<sitting_id>/reviews")
@role_required(Role.TEACHER, Role.PROCTOR)
def sitting_reviews(sitting_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        sitting = _sitting(db, sitting_id, SUPERVISING)
        rows = db.execute(select(Attempt, Person).join(Person, Person.id == Attempt.student_id)
                          .where(Attempt.sitting_id == sitting.id)
                          .order_by(Person.username)).all()
        flags = flags_by_attempt(db, sitting.id)
        stored = {r.attempt_id: r for r in db.scalars(select(IntegrityReview).where(
            IntegrityReview.sitting_id == sitting.id))}
        ordered = sorted(rows, key=lambda row: (-len(flags.get(row[0].id, [])),
                                                row[1].username))
        listed = [{"attempt": a, "student": p, "flags": flags.get(a.id, []),
                   "review": stored.get(a.id)} for a, p in ordered]
        return render_template("teacher/reviews.html", sitting=sitting, rows=listed,
                               **_helpers())


@bp.get("/sittings/<sitting_id>/integrity.csv")
@role_required(Role.TEACHER, Role.PROCTOR)
def sitting_reviews_csv(sitting_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        sitting = _sitting(db, sitting_id, SUPERVISING)
        text = reviews.sitting_csv(db, sitting)
        records.audit(db, g.user, "export_integrity", "sitting", sitting.id,
                      sitting.organisation_id)
    response = Response("\ufeff" + text, mimetype="text/csv")  # a BOM: spreadsheets read UTF-8
    response.headers["Content-Disposition"] = f'attachment; filename="integrity-{sitting_id}.csv"'
    return response


def _report_page(attempt_id: str, status: int = 200,
                 form: dict[str, str] | None = None) -> ResponseReturnValue:
    with unit_of_work() as db:
        attempt, sitting = _attempt(db, attempt_id, SUPERVISING)
        found = reviews.report(db, attempt)
        people = {p.id: p.display_name for p in db.scalars(select(Person).where(Person.id.in_(
            [i for i in (found.review.reviewed_by, found.review.second_by) if i])))}
        return render_template(
            "teacher/integrity_report.html", sitting=sitting, report=found, people=people,
            timeline=reviews.timeline(found),
            may_review=sitting.organisation_id in staff_orgs(db, g.user, AUTHORING),
            form=form or {}, **_helpers()), status


@bp.get("/attempts/<attempt_id>/integrity")
@role_required(Role.TEACHER, Role.PROCTOR)
def attempt_integrity(attempt_id: str) -> ResponseReturnValue:
    return _report_page(attempt_id)


@bp.post("/attempts/<attempt_id>/review")
@role_required(Role.TEACHER)
def attempt_review(attempt_id: str) -> ResponseReturnValue:
    form = request.form
    second = form.get("which") == "second"
    try:
        with unit_of_work() as db:
            attempt, sitting = _attempt(db, attempt_id, AUTHORING)
            review = reviews.record_review(db, attempt, g.user, form.get("status", ""),
                                           form.get("note", ""), utcnow(), second=second)
            records.audit(db, g.user, "second_review" if second else "review", "attempt",
                          attempt.id, sitting.organisation_id,
                          status=review.second_status if second else review.status)
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
        return _report_page(attempt_id, 422, {"status": form.get("status", ""),
                                              "note": form.get("note", ""),
                                              "which": "second" if second else "first"})
    flash(_("Review saved."), "success")
    return redirect(url_for("teacher.attempt_integrity", attempt_id=attempt_id))


@bp.post("/attempts/<attempt_id>/note")
@role_required(Role.TEACHER, Role.PROCTOR)
def attempt_note(attempt_id: str) -> ResponseReturnValue:
    text = request.form.get("text", "")
    try:
        with unit_of_work() as db:
            attempt, sitting = _attempt(db, attempt_id, SUPERVISING)
            reviews.add_note(db, sitting, attempt, g.user, text)
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
        return _report_page(attempt_id, 422, {"note_text": text})
    flash(_("Note added."), "success")
    return redirect(url_for("teacher.attempt_integrity", attempt_id=attempt_id))


@bp.get("/attempts/<attempt_id>/integrity.pdf")
@role_required(Role.TEACHER, Role.PROCTOR)
def attempt_integrity_pdf(attempt_id: str) -> ResponseReturnValue:
    """The student's integrity report as a PDF (audited: it leaves the system)."""
    with unit_of_work() as db:
        attempt, sitting = _attempt(db, attempt_id, SUPERVISING)
        found = reviews.report(db, attempt)

        def label(key: str) -> str:
            kind, _sep, name = key.partition(":")
            return str(FLAG_BADGES.get(name, name)) if kind == "flag" else event_name(name)

        data = report_pdf(found, sitting.title, reviews.timeline(found), label,
                          lambda s: str(STATUS_LABELS.get(s, s)),
                          lambda moment: format_datetime(moment, "medium"))
        records.audit(db, g.user, "export_integrity", "attempt", attempt.id,
                      sitting.organisation_id)
        name = found.student.username
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="integrity-{name}.pdf"'
    return response
