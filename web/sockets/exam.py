"""The ``/exam`` namespace: join, save and submit, as ARCHITECTURE.md's contract says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio
from flask import Flask, g
from flask_babel import force_locale

from ardoise.clock import utcnow
from ardoise.errors import DomainError
from exam_engine import attempts
from exam_engine.attempts import AttemptRefused
from student_records import service as records
from student_records.models import Person
from web import answering
from web.auth import load_caller
from web.i18n import select_locale
from web.messages import message_for


class ExamNamespace(socketio.Namespace):
    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app
        self.database = app.extensions["ardoise.db"]
        self.config = app.extensions["ardoise.config"]

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Contract events are named "attempt:join"; handlers are "on_attempt_join".
        return super().trigger_event(event.replace(":", "_"), *args)

    # -- connection -------------------------------------------------------------------
    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user, device_prefix, locale = self._authenticate(environ, auth)
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthenticated")
        self.save_session(sid, {"user": user, "locale": locale, "token_device": device_prefix,
                                "joined": {}})

    def _authenticate(self, environ: dict[str, Any], auth: Any
                      ) -> tuple[Person | None, str | None, str]:
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            with self.database.session() as session:
                found = records.person_for_token(session, auth["token"])
            if not found:
                return None, None, "fr"
            person, token = found
            return person, f"token:{token.id}", person.locale
        with self.app.request_context(environ):
            load_caller()
            user = g.get("user")
            return user, None, select_locale()

    # -- helpers ----------------------------------------------------------------------
    def _refusal(self, sid: str, error: DomainError) -> dict[str, Any]:
        locale = self.get_session(sid).get("locale", "fr")
        with self.app.app_context(), force_locale(locale):
            message = message_for(error.code, error.params)
        return {"ok": False, "error": error.code, "message": message}

    def _guard(self, sid: str, action: Callable[[dict[str, Any]], dict[str, Any]]
               ) -> dict[str, Any]:
        try:
            return action(self.get_session(sid))
        except DomainError as error:
            return self._refusal(sid, error)
        except Exception:
            self.app.logger.exception("exam event failed")
            return self._refusal(sid, DomainError("server_error"))

    @staticmethod
    def _device(sid: str, state: dict[str, Any], attempt_id: Any) -> str:
        """The device this connection speaks for: the one its join claimed, else its own.

        A connection whose join was refused (another device holds the attempt) is
        therefore refused ``other_device`` on every save and submit too.
        """
        return str(state["joined"].get(attempt_id) or state["token_device"] or f"socket:{sid}")

    # -- events -----------------------------------------------------------------------
    def on_attempt_join(self, sid: str, data: Any) -> dict[str, Any]:
        def act(state: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(data, dict) or not isinstance(data.get("attempt_id"), str):
                raise AttemptRefused("not_found")
            user: Person = state["user"]
            device = state["token_device"] or str(data.get("device_id") or "")[:64] or sid
            with self.database.session() as session:
                attempt = attempts.get_attempt(session, data["attempt_id"], for_update=True)
                if attempt.student_id != user.id:
                    raise AttemptRefused("forbidden")
                if attempt.state.value == "in_progress":
                    attempts.claim_device(attempt, device, utcnow())
                view = answering.join_view(session, attempt)
                sitting_id = attempt.sitting_id
            state["joined"][data["attempt_id"]] = device
            self.enter_room(sid, f"attempt:{data['attempt_id']}")
            self.enter_room(sid, f"sitting:{sitting_id}")  # announcements to the whole room
            return view

        return self._guard(sid, act)

    def on_attempt_save(self, sid: str, data: Any) -> dict[str, Any]:
        def act(state: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(data, dict):
                raise AttemptRefused("invalid_response")
            return answering.save(self.database, self.config.save_grace_seconds, state["user"],
                                  data, self._device(sid, state, data.get("attempt_id")),
                                  data_dir=self.config.data_dir)

        return self._guard(sid, act)

    def on_attempt_submit(self, sid: str, data: Any) -> dict[str, Any]:
        def act(state: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(data, dict) or not isinstance(data.get("attempt_id"), str):
                raise AttemptRefused("not_found")
            attempt_id = data["attempt_id"]
            ack, closed_now = answering.submit(
                self.database, self.config.save_grace_seconds, state["user"], attempt_id,
                self._device(sid, state, attempt_id))
            if closed_now:
                self.emit("attempt:closed", {"reason": "submitted"}, room=f"attempt:{attempt_id}",
                          skip_sid=sid)
            return ack

        return self._guard(sid, act)
