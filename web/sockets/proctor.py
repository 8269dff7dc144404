"""The ``/proctor`` namespace: a sitting's proctors follow its integrity events live.

A proctor (or teacher) of the sitting's school joins the sitting's room with
``sitting:join {sitting_id}`` and gets back each attempt's flags and tally; from then on,
every stored integrity event of the sitting arrives as ``proctor:event`` (pushed by the
``/exam`` namespace, through the Redis message queue when there are several web nodes).
Students never join these rooms: an event of one student reaches only the sitting's staff.
"""

from __future__ import annotations

from typing import Any

import socketio
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from ardoise.clock import iso
from ardoise.errors import DomainError, Forbidden
from exam_engine import sittings
from proctoring.models import IntegrityFlag, IntegrityTally
from student_records import service as records
from web.access import SUPERVISING, may_staff
from web.messages import message_for
from web.sockets.common import authenticate

NAMESPACE = "/proctor"


def sitting_room(sitting_id: str) -> str:
    return f"proctor:{sitting_id}"


class ProctorNamespace(socketio.Namespace):
    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app
        self.database = app.extensions["ardoise.db"]

    def trigger_event(self, event: str, *args: Any) -> Any:
        return super().trigger_event(event.replace(":", "_"), *args)

    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user, _device, locale = authenticate(self.app, self.database, environ, auth)
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthenticated")
        self.save_session(sid, {"user_id": user.id, "locale": locale})

    def on_sitting_join(self, sid: str, data: Any) -> dict[str, Any]:
        state = self.get_session(sid)
        try:
            if not isinstance(data, dict) or not isinstance(data.get("sitting_id"), str):
                raise Forbidden("forbidden")
            with self.database.session() as session:
                person = records.get_person(session, state["user_id"])
                sitting = sittings.get_sitting(session, data["sitting_id"])
                if not may_staff(session, person, sitting.organisation_id, SUPERVISING):
                    raise Forbidden("forbidden")
                snapshot = _snapshot(session, sitting.id)
        except DomainError as error:
            with self.app.app_context(), force_locale(state.get("locale", "fr")):
                message = message_for(error.code, error.params)
            return {"ok": False, "error": error.code, "message": message}
        self.enter_room(sid, sitting_room(data["sitting_id"]))
        return {"ok": True, "sitting_id": data["sitting_id"], "attempts": snapshot}


def _snapshot(session: Any, sitting_id: str) -> list[dict[str, Any]]:
    """Each attempt's integrity so far: its tally and its flags."""
    flags: dict[str, list[dict[str, Any]]] = {}
    for flag in session.scalars(select(IntegrityFlag).where(
            IntegrityFlag.sitting_id == sitting_id).order_by(IntegrityFlag.raised_at)):
        flags.setdefault(flag.attempt_id, []).append(
            {"rule": flag.rule, "raised_at": iso(flag.raised_at), "paused": flag.paused})
    return [{"attempt_id": t.attempt_id, "counts": dict(t.counts or {}), "away_ms": t.away_ms,
             "suppressed": t.suppressed, "flags": flags.get(t.attempt_id, [])}
            for t in session.scalars(select(IntegrityTally).where(
                IntegrityTally.sitting_id == sitting_id))]
