"""The proctor's actions beyond pause, resume, extend and unlock (``web.api.routes``): a
message to one student, an extension for every student in progress (minutes or a percentage
of the time limit), ending one attempt, and a note on an attempt. Each checks that the caller
supervises the sitting's school and is audited; those that concern the student reach their
page over ``/exam``. An attempt's timeline (its integrity events and the staff's actions and
notes, as in its integrity report) is read by the same people."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ardoise.clock import iso, utcnow
from ardoise.errors import Invalid
from ardoise.worker.tasks import grade_attempt
from exam_engine import attempts, sittings
from exam_engine.attempts import AttemptRefused
from exam_engine.models import Attempt, AttemptState, Sitting
from proctoring import reviews
from student_records import service as records
from web import answering
from web.access import SUPERVISING, login_required, may_staff
from web.api.routes import _user, bp
from web.context import config, unit_of_work
from web.sockets import emit_to_attempt
from web.supervision import MAX_ANNOUNCEMENT, extension_seconds
from web.teacher.reviews import event_name


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _supervised(db: Any, sitting_id: str) -> Sitting:
    sitting = sittings.get_sitting(db, sitting_id)
    if not may_staff(db, _user(), sitting.organisation_id, SUPERVISING):
        raise AttemptRefused("forbidden")
    return sitting


@bp.post("/sittings/<sitting_id>/extend")
@login_required
def extend_all(sitting_id: str) -> ResponseReturnValue:
    """Extend every attempt of the sitting that is in progress (paused ones included)."""
    body = _body()
    with unit_of_work() as db:
        sitting = _supervised(db, sitting_id)
        seconds = extension_seconds(body, sitting.time_limit_seconds)
        ids = list(db.scalars(select(Attempt.id).where(
            Attempt.sitting_id == sitting.id, Attempt.state == AttemptState.IN_PROGRESS)))
        clocks = {}
        for attempt_id in ids:
            attempt = attempts.get_attempt(db, attempt_id, for_update=True)
            attempts.extend(db, attempt, seconds)
            clocks[attempt_id] = answering.clock_view(attempt)
        records.audit(db, _user(), "extend_all", "sitting", sitting.id, sitting.organisation_id,
                      seconds=seconds, attempts=len(ids), **body)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    for attempt_id, clock in clocks.items():
        emit_to_attempt(app, attempt_id, "timer:sync", clock)
    return jsonify({"ok": True, "seconds": seconds, "attempts": len(ids)})


@bp.post("/attempts/<attempt_id>/announce")
@login_required
def announce_one(attempt_id: str) -> ResponseReturnValue:
    """A message to one student (their page only)."""
    text = str(_body().get("text") or "").strip()
    if not text or len(text) > MAX_ANNOUNCEMENT:
        raise Invalid("announcement_invalid")
    with unit_of_work() as db:
        attempt = attempts.get_attempt(db, attempt_id)
        sitting = _supervised(db, attempt.sitting_id)
        records.audit(db, _user(), "announce_one", "attempt", attempt.id,
                      sitting.organisation_id, text=text, student_id=attempt.student_id)
    payload = {"text": text, "at": iso(utcnow())}
    emit_to_attempt(current_app._get_current_object(),  # type: ignore[attr-defined]
                    attempt_id, "announcement", payload)
    return jsonify({"ok": True, **payload})


@bp.post("/attempts/<attempt_id>/end")
@login_required
def end_attempt(attempt_id: str) -> ResponseReturnValue:
    """End the attempt now, as if the student submitted it (a person's decision, audited):
    every answer saved so far is kept and graded."""
    with unit_of_work() as db:
        attempt = attempts.get_attempt(db, attempt_id, for_update=True)
        sitting = _supervised(db, attempt.sitting_id)
        already = attempt.state is AttemptState.SUBMITTED
        receipt = attempts.submit(db, attempt, utcnow(), "proctor", config().save_grace_seconds)
        if not already:
            records.audit(db, _user(), "end_attempt", "attempt", attempt.id,
                          sitting.organisation_id, student_id=attempt.student_id)
    if not already:
        grade_attempt.delay(attempt_id)
        emit_to_attempt(current_app._get_current_object(),  # type: ignore[attr-defined]
                        attempt_id, "attempt:closed", {"reason": "proctor"})
    return jsonify({"ok": True, "receipt": receipt})


def _timeline_entry(entry: dict[str, Any]) -> dict[str, Any]:
    return {"at": iso(entry["at"]), "client_at": iso(entry["client_at"]),
            "type": entry["kind"], "source": entry["source"], "severity": entry["severity"],
            "label": event_name(entry["kind"]), "by": entry["by"],
            "duration_ms": entry["duration_ms"], "detail": entry["detail"]}


@bp.get("/attempts/<attempt_id>/timeline")
@login_required
def attempt_timeline(attempt_id: str) -> ResponseReturnValue:
    """The attempt's integrity events and the staff's actions and notes, oldest first."""
    with unit_of_work() as db:
        attempt = attempts.get_attempt(db, attempt_id)
        _supervised(db, attempt.sitting_id)
        entries = [_timeline_entry(entry) for entry in reviews.attempt_timeline(db, attempt)]
    return jsonify({"attempt_id": attempt_id, "server_now": iso(utcnow()),
                    "max_note": reviews.MAX_PROCTOR_NOTE, "entries": entries})


@bp.post("/attempts/<attempt_id>/notes")
@login_required
def add_note(attempt_id: str) -> ResponseReturnValue:
    """``{"text": ...}``: a proctor's note on the attempt, as on its integrity report."""
    text = _body().get("text")
    with unit_of_work() as db:
        attempt = attempts.get_attempt(db, attempt_id)
        sitting = _supervised(db, attempt.sitting_id)
        kept = reviews.add_note(db, sitting, attempt, _user(), text if isinstance(text, str)
                                else "")
    return jsonify({"ok": True, "text": kept}), 201
