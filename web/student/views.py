"""Student pages; every view works on the caller's own attempts only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ardoise.clock import utcnow
from ardoise.errors import DomainError
from exam_engine import attempts, sittings
from exam_engine.grading import released_result
from exam_engine.models import Attempt, AttemptState
from proctoring.access import AccessRefused
from proctoring.policies import counted_types, get_policy
from student_records.models import Role
from web import answering
from web.access import role_required
from web.context import unit_of_work
from web.exam_access import check_request, lock_mid_exam
from web.i18n import select_locale
from web.messages import message_for

bp = Blueprint("student", __name__, template_folder="templates")


@bp.get("/student/")
@role_required(Role.STUDENT)
def index() -> ResponseReturnValue:
    now = utcnow()
    with unit_of_work() as db:
        mine = {a.sitting_id: a for a in db.scalars(
            select(Attempt).where(Attempt.student_id == g.user.id))}
        rows = []
        for sitting in sittings.sittings_for_student(db, g.user.id):
            attempt = mine.get(sitting.id)
            if attempt is None:
                status = "open" if sittings.is_open(sitting, now) else (
                    "upcoming" if now < sitting.opens_at else "missed")
            elif attempt.state is AttemptState.IN_PROGRESS:
                status = "in_progress"
            else:
                status = "released" if sitting.released_at else "submitted"
            rows.append({"sitting": sitting, "attempt": attempt, "status": status})
    return render_template("student/index.html", rows=rows)


@bp.post("/student/sittings/<sitting_id>/start")
@role_required(Role.STUDENT)
def start(sitting_id: str) -> ResponseReturnValue:
    try:
        with unit_of_work() as db:
            check_request(db, sitting_id)  # the sitting's access rules (room, SEB)
            attempt = attempts.start_or_resume(db, sitting_id, g.user.id, utcnow(),
                                               access_code=request.form.get("access_code"))
            attempt_id = attempt.id
    except DomainError as error:
        flash(message_for(error.code, error.params), "error")
        return redirect(url_for("student.index"))
    return redirect(url_for("student.exam", attempt_id=attempt_id))


def integrity_settings(db: Any, sitting_id: str) -> dict[str, Any] | None:
    """What the exam page watches for the sitting's integrity policy (None: nothing)."""
    policy = get_policy(db, sitting_id)
    if policy is None:
        return None
    return {"counted": sorted(counted_types(policy.counted))}


def exam_strings() -> dict[str, str]:
    """The exam page's interface strings, translated for the page's language."""
    return {
        "question_n": _("Question %(n)s of %(total)s", n="%(n)s", total="%(total)s"),
        "previous": _("Previous"), "next": _("Next"),
        "flag": _("Flag for review"), "unflag": _("Remove flag"), "flagged": _("Flagged"),
        "answered": _("Answered"), "unanswered": _("Not answered"),
        "navigation": _("Questions"), "submit": _("Submit my exam"),
        "submit_confirm_title": _("Submit your exam?"),
        "submit_confirm_body": _("Once submitted, you can no longer change your answers."),
        "unanswered_list": _("Not answered:"), "flagged_list": _("Flagged for review:"),
        "confirm_submit": _("Yes, submit"), "cancel": _("Keep working"),
        "time_left": _("Time left"),
        "integrity_notice": _("Reminder"),
        "warning_5": _("5 minutes left."), "warning_1": _("1 minute left."),
        "online": _("Connected"), "offline": _("Offline: your answers are kept on this "
                                               "computer and will be sent when the "
                                               "connection returns."),
        "reconnecting": _("Reconnecting…"), "saving": _("Saving…"), "saved": _("Saved"),
        "pending_n": _("%(n)s answers waiting to be sent", n="%(n)s"),
        "all_saved": _("All answers saved"),
        "paused_banner": _("The exam is paused by the proctor. The clock is stopped."),
        "closed_banner": _("The exam is closed."),
        "submitted_title": _("Your exam is submitted"),
        "receipt": _("Receipt (keep it: it proves what you submitted)"),
        "true": _("True"), "false": _("False"),
        "number_placeholder": _("Your answer (a number)"),
        "text_placeholder": _("Your answer"),
        "late_refused": message_for("late"),
        "back_home": _("Back to my sittings"),
        "points": _("points"),
        "clear_answer": _("Clear my answer"),
        "locked_banner": message_for("locked"),
        "dismiss": _("Dismiss"),
        "announcement": _("Message from the proctor"),
        "point": _("point"),
        "save_failed": _("This answer could not be saved yet; it will be sent again."),
        "submit_failed": _("The exam could not be submitted yet. Your answers are kept; try "
                           "again."),
        "logout_confirm": _("Some answers have not reached the server yet. If you log out now, "
                            "they will be lost. Log out anyway?"),
        "offline_submit": _("You are offline. Your answers are still waiting to be sent; stay "
                            "on this page until the connection returns."),
        "choose": _("— Choose —"),
        "gap_n": _("Blank %(n)s", n="%(n)s"),
        "move_up": _("Move up: %(item)s", item="%(item)s"),
        "move_down": _("Move down: %(item)s", item="%(item)s"),
        "moved_to": _("Moved to position %(n)s of %(total)s.", n="%(n)s", total="%(total)s"),
        "order_hint": _("Use the arrow buttons to put the items in order."),
        "order_keep": _("Keep this order as my answer"),
        "select_up_to": _("Select up to %(n)s passages.", n="%(n)s"),
        "max_selections": _("You can select at most %(n)s passages. Unselect one first.",
                            n="%(n)s"),
        "expected_words": _("Expected length: about %(n)s words.", n="%(n)s"),
        "characters": _("%(n)s / %(max)s characters", n="%(n)s", max="%(max)s"),
        "upload_hint": _("Accepted files: %(kinds)s. At most %(max)s.", kinds="%(kinds)s",
                         max="%(max)s"),
        "uploading": _("Sending the file…"),
        "uploaded": _("File handed in: %(name)s (%(size)s)", name="%(name)s", size="%(size)s"),
        "no_file": _("No file handed in yet."),
        "upload_failed": _("The file could not be sent. Check the connection and choose it "
                           "again."),
        "upload_too_big": _("This file is too large: at most %(max)s.", max="%(max)s"),
        "remove_file": _("Remove my file"),
        "size_kb": _("%(n)s kB", n="%(n)s"), "size_mb": _("%(n)s MB", n="%(n)s"),
        "code_hint": _("Your program, in %(language)s. It is run against the teacher's tests "
                       "once you submit your exam.", language="%(language)s"),
    }


@bp.get("/exam/<attempt_id>")
@role_required(Role.STUDENT)
def exam(attempt_id: str) -> ResponseReturnValue:
    try:
        with unit_of_work() as db:
            attempt = attempts.attempt_for_student(db, attempt_id, g.user.id)
            if attempt.state is AttemptState.IN_PROGRESS:
                check_request(db, attempt.sitting_id)  # on every exam request, as on start
    except AccessRefused as refused:
        if refused.code == "seb_mismatch":
            lock_mid_exam(attempt_id)
        raise
    with unit_of_work() as db:
        attempt = attempts.attempt_for_student(db, attempt_id, g.user.id)
        sitting = sittings.get_sitting(db, attempt.sitting_id)
        view = answering.attempt_view(db, attempt, with_slots=True)
        exam_data: dict[str, Any] = {
            "attempt_id": attempt.id,
            "user_id": g.user.id,
            "title": sitting.title,
            "display_mode": sitting.display_mode.value,
            "lang": select_locale(),
            "state": attempt.state.value,
            **answering.clock_view(attempt),
            "integrity": integrity_settings(db, attempt.sitting_id),
            "receipt": attempt.receipt,
            "slots": view["slots"],
            "answers": view["answers"],
            "strings": exam_strings(),
            "home_url": url_for("student.index"),
            "results_url": url_for("student.results", attempt_id=attempt.id),
            "csrf_token": generate_csrf(),
        }
    return render_template("student/exam.html", exam_data=exam_data, title=sitting.title)


@bp.get("/student/attempts/<attempt_id>/results")
@role_required(Role.STUDENT)
def results(attempt_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        attempt = attempts.attempt_for_student(db, attempt_id, g.user.id)
        sitting = sittings.get_sitting(db, attempt.sitting_id)
        result = released_result(db, attempt, sitting)
        slots = attempts.render_slots(db, attempt) if result else []
    return render_template("student/results.html", attempt=attempt, sitting=sitting,
                           result=result, slots=slots)
