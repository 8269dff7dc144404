"""The ``/lab`` namespace: a submission's status pushed live to its student's pages.

On connect, a logged-in person (session cookie, or ``auth={"token": ...}`` like ``/exam``)
joins ``student:<their id>`` and no other student room: only their own submissions'
``submission:status`` reach them. A teacher of an assignment's class (or school) may join
``assignment:<id>`` with ``assignment:join`` to follow a bulk regrade
(``regrade:progress``). The events are emitted by :mod:`ardoise.worker.lab_events`.
"""

from __future__ import annotations

from typing import Any

import socketio
from flask import Flask
from flask_babel import force_locale

from ardoise.errors import DomainError, Forbidden, NotFound
from ardoise.worker.lab_events import assignment_room, student_room
from coding_lab import assignments
from student_records import service as records
from web.lab_access import teaches
from web.messages import message_for
from web.sockets.common import authenticate


class LabNamespace(socketio.Namespace):
    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app
        self.database = app.extensions["ardoise.db"]

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Contract events are named "assignment:join"; handlers are "on_assignment_join".
        return super().trigger_event(event.replace(":", "_"), *args)

    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user, _device, locale = authenticate(self.app, self.database, environ, auth)
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthenticated")
        self.save_session(sid, {"user_id": user.id, "locale": locale})
        self.enter_room(sid, student_room(user.id))

    def on_assignment_join(self, sid: str, data: Any) -> dict[str, Any]:
        """Follow an assignment's regrade progress: its class's teachers only."""
        state = self.get_session(sid)
        try:
            if not isinstance(data, dict) or not isinstance(data.get("assignment_id"), str):
                raise NotFound("assignment_not_found")
            with self.database.session() as session:
                person = records.get_person(session, state["user_id"])
                assignment = assignments.get_assignment(session, data["assignment_id"])
                if not teaches(session, person, assignment):
                    raise Forbidden("forbidden")
        except DomainError as error:
            with self.app.app_context(), force_locale(state.get("locale", "fr")):
                message = message_for(error.code, error.params)
            return {"ok": False, "error": error.code, "message": message}
        self.enter_room(sid, assignment_room(data["assignment_id"]))
        return {"ok": True, "assignment_id": data["assignment_id"]}
