"""REST endpoints: each adapts HTTP to a domain service in a few lines."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from flask.typing import ResponseReturnValue

from ardoise.clock import iso, utcnow
from exam_engine import attempts, sittings
from exam_engine.answer_log import log_entries
from exam_engine.attempts import AttemptRefused
from exam_engine.chain import genesis
from exam_engine.models import Attempt, AttemptState, Sitting
from proctoring import events as integrity
from student_records import service as records
from student_records.models import Person, Role
from web import answering, supervision
from web.access import SUPERVISING, login_required, may_staff, staff_orgs
from web.api.openapi import openapi_document
from web.context import config, database, unit_of_work
from web.exam_access import check_request
from web.sockets import emit_to_attempt

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _user() -> Person:
    return g.user


def _device() -> str:
    """A token is its own device; a browser session names its device in the body."""
    if g.get("token_id"):
        return f"token:{g.token_id}"
    device = _body().get("device_id")
    return str(device)[:64] if isinstance(device, str) and device else "web-session"


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def sitting_view(sitting: Sitting, attempt: Attempt | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": sitting.id,
        "title": sitting.title,
        "exam_id": sitting.exam_id,
        "opens_at": iso(sitting.opens_at),
        "closes_at": iso(sitting.closes_at),
        "time_limit_seconds": sitting.time_limit_seconds,
        "access_code_required": bool(sitting.access_code),
        "display_mode": sitting.display_mode.value,
        "released": sitting.released_at is not None,
    }
    if attempt is not None or records.has_role(_user(), Role.STUDENT):
        view["attempt_id"] = attempt.id if attempt else None
        view["attempt_state"] = attempt.state.value if attempt else "not_started"
    return view


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


@bp.get("/sittings")
@login_required
def list_sittings() -> ResponseReturnValue:
    user, now = _user(), utcnow()
    with unit_of_work() as db:
        views = []
        staff_scope = staff_orgs(db, user, (Role.TEACHER, Role.PROCTOR, Role.GRADER))
        if staff_scope:
            views = [sitting_view(s) for s in sittings.sittings_of(db, staff_scope)]
        else:
            mine = {a.sitting_id: a for a in db.query(Attempt).filter_by(student_id=user.id)}
            for sitting in sittings.sittings_for_student(db, user.id):
                attempt = mine.get(sitting.id)
                takeable = sittings.is_open(sitting, now) and (
                    attempt is None or attempt.state is AttemptState.IN_PROGRESS)
                resumable = attempt is not None and attempt.state is AttemptState.IN_PROGRESS
                if takeable or resumable:
                    views.append(sitting_view(sitting, attempt))
    return jsonify({"sittings": views})


@bp.post("/sittings/<sitting_id>/attempts")
@login_required
def start_attempt(sitting_id: str) -> ResponseReturnValue:
    code = _body().get("access_code")
    now = utcnow()
    with unit_of_work() as db:
        check_request(db, sitting_id)  # the sitting's access rules (room, SEB)
        attempt = attempts.start_or_resume(db, sitting_id, _user().id, now,
                                           access_code=code if isinstance(code, str) else None)
        created = attempt.started_at == now
        if g.get("token_id") and attempt.state is AttemptState.IN_PROGRESS:
            attempts.claim_device(attempt, _device(), now)
        view = answering.attempt_view(db, attempt, with_slots=True)
    view["attempt_id"] = view["id"]
    return jsonify(view), 201 if created else 200


@bp.get("/attempts/<attempt_id>")
@login_required
def get_attempt(attempt_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        attempt = answering.readable_attempt(db, _user(), attempt_id)
        return jsonify(answering.attempt_view(db, attempt,
                                              with_slots=attempt.student_id == _user().id))


@bp.get("/attempts/<attempt_id>/log")
@login_required
def attempt_log(attempt_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        attempt = answering.readable_attempt(db, _user(), attempt_id)
        entries = [
            {"seq": e.seq, "slot": e.slot, "response": e.response, "saved_at": e.saved_at,
             "hash": e.hash, "applied": e.applied}
            for e in log_entries(db, attempt)
        ]
        return jsonify({"attempt_id": attempt.id, "genesis": genesis(attempt.id),
                        "entries": entries, "last_hash": attempt.last_hash,
                        "receipt": attempt.receipt})


@bp.post("/attempts/<attempt_id>/answers")
@login_required
def save_answer(attempt_id: str) -> ResponseReturnValue:
    """The REST twin of ``attempt:save`` for scripted clients."""
    payload = {**_body(), "attempt_id": attempt_id}
    return jsonify(answering.save(database(), config().save_grace_seconds, _user(), payload,
                                  _device(), data_dir=config().data_dir))


@bp.post("/attempts/<attempt_id>/submit")
@login_required
def submit_attempt(attempt_id: str) -> ResponseReturnValue:
    ack, closed_now = answering.submit(database(), config().save_grace_seconds, _user(),
                                       attempt_id, _device())
    if closed_now:
        emit_to_attempt(current_app._get_current_object(),  # type: ignore[attr-defined]
                        attempt_id, "attempt:closed", {"reason": "submitted"})
    return jsonify(ack)


@bp.post("/sittings/<sitting_id>/release")
@login_required
def release(sitting_id: str) -> ResponseReturnValue:
    return jsonify({"id": sitting_id, "released_at": supervision.release(_user(), sitting_id)})


@bp.get("/sittings/<sitting_id>/progress")
@login_required
def progress(sitting_id: str) -> ResponseReturnValue:
    with unit_of_work() as db:
        sitting = sittings.get_sitting(db, sitting_id)
        if not may_staff(db, _user(), sitting.organisation_id, SUPERVISING):
            raise AttemptRefused("forbidden")
        flags = integrity.flags_by_attempt(db, sitting.id)
        present = integrity.presence(db, sitting.id)
        now = utcnow()
        rows: list[dict[str, Any]] = [
            {"person_id": r.person_id, "username": r.username, "name": r.name,
             "attempt_id": r.attempt_id,
             "state": live_state(r.state, present.get(r.attempt_id or ""), r.last_saved_at,
                                 now),
             "answered": r.answered,
             "total": r.total, "last_saved_at": iso(r.last_saved_at),
             "deadline": iso(r.deadline), "remaining_ms": time_left_ms(r, now),
             "score": r.score, "max_score": r.max_score,
             "flags": flags.get(r.attempt_id or "", [])}
            for r in sittings.progress(db, sitting)
        ]
        # Flagged students first (most flags first), otherwise in the sitting's order.
        rows.sort(key=lambda row: -len(row["flags"]))
    return jsonify({"sitting_id": sitting_id, "server_now": iso(utcnow()), "candidates": rows})


def time_left_ms(row: sittings.CandidateProgress, now: datetime) -> int | None:
    """An open attempt's time left on the proctor's table: to its deadline from now, or from
    when its clock stopped (paused, locked); none for the others."""
    if row.deadline is None or row.state not in ("in_progress", "paused", "locked"):
        return None
    stopped = row.paused_at or now
    return max(0, round((row.deadline - stopped).total_seconds() * 1000))


#: In progress with no save, event or join for this long: idle on the proctor's table.
IDLE_AFTER = timedelta(minutes=5)


def live_state(state: str, present: integrity.Presence | None, last_saved_at: datetime | None,
               now: datetime) -> str:
    """The proctor's view of an attempt in progress: ``disconnected`` when no exam page
    holds it open any more, ``idle`` when nothing came from it for a while."""
    if state != "in_progress" or present is None:
        return state
    if present.connections == 0:
        return "disconnected"
    signs = [moment for moment in (present.last_seen_at, last_saved_at) if moment]
    if signs and now - max(signs) > IDLE_AFTER:
        return "idle"
    return state


def _supervise(attempt_id: str, action: str, body: dict[str, Any] | None = None
               ) -> ResponseReturnValue:
    """Pause, resume or extend an attempt as a proctor or teacher of its school."""
    now = utcnow()
    with unit_of_work() as db:
        attempt = attempts.get_attempt(db, attempt_id, for_update=True)
        sitting = sittings.get_sitting(db, attempt.sitting_id)
        if not may_staff(db, _user(), sitting.organisation_id, SUPERVISING):
            raise AttemptRefused("forbidden")
        if action == "pause":
            attempts.pause(db, attempt, now)
        elif action == "resume":
            attempts.resume(db, attempt, now)
        elif action == "unlock":
            attempts.release_device(attempt)
        else:
            attempts.extend(db, attempt,
                            supervision.extension_seconds(body or {}, sitting.time_limit_seconds))
        records.audit(db, _user(), action, "attempt", attempt.id, sitting.organisation_id,
                      student_id=attempt.student_id, **(body or {}))
        clock = answering.clock_view(attempt)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if action in ("pause", "resume", "unlock"):
        state = {"pause": "paused", "resume": "resumed", "unlock": "unlocked"}[action]
        emit_to_attempt(app, attempt_id, "attempt:state", {"state": state, "reason": "proctor"})
    emit_to_attempt(app, attempt_id, "timer:sync", clock)
    return jsonify({"ok": True, **clock})


@bp.post("/attempts/<attempt_id>/unlock")
@login_required
def unlock(attempt_id: str) -> ResponseReturnValue:
    """Free the attempt from its device: the next browser that joins it holds it."""
    return _supervise(attempt_id, "unlock")


@bp.post("/attempts/<attempt_id>/pause")
@login_required
def pause(attempt_id: str) -> ResponseReturnValue:
    return _supervise(attempt_id, "pause")


@bp.post("/attempts/<attempt_id>/resume")
@login_required
def resume(attempt_id: str) -> ResponseReturnValue:
    return _supervise(attempt_id, "resume")


@bp.post("/attempts/<attempt_id>/extend")
@login_required
def extend(attempt_id: str) -> ResponseReturnValue:
    """``{"minutes": n}`` or ``{"percent": p}`` of the sitting's time limit."""
    body = _body()
    return _supervise(attempt_id, "extend", {k: body[k] for k in ("minutes", "percent")
                                             if k in body})



@bp.post("/sittings/<sitting_id>/announcements")
@login_required
def announce(sitting_id: str) -> ResponseReturnValue:
    """A proctor's message to every student in the sitting (shown on their exam page)."""
    text = _body().get("text")
    payload = supervision.announce(_user(), sitting_id, text if isinstance(text, str) else "")
    return jsonify({"ok": True, **payload})
