"""The ``/exam`` namespace: join, save and submit, as ARCHITECTURE.md's contract says."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import socketio
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from ardoise.batching import GroupCommit
from ardoise.clock import iso, parse_iso, utcnow
from ardoise.errors import DomainError
from exam_engine import attempts
from exam_engine.attempts import AttemptRefused
from exam_engine.models import Attempt
from proctoring import access
from proctoring import events as integrity
from proctoring.access import AccessRefused, SebProof
from student_records.models import Person
from web import answering
from web.exam_access import connection_facts
from web.messages import integrity_warning, message_for
from web.sockets.common import authenticate
from web.sockets.proctor import NAMESPACE as PROCTOR_NAMESPACE
from web.sockets.proctor import sitting_room


class ExamNamespace(socketio.Namespace):
    def __init__(self, namespace: str, app: Flask) -> None:
        super().__init__(namespace)
        self.app = app
        self.database = app.extensions["ardoise.db"]
        self.config = app.extensions["ardoise.config"]
        #: The process's group commit of integrity events (as the saves have theirs).
        self.event_group: GroupCommit[EventRequest, EventOutcome | None] = GroupCommit(
            self._record_events, max_batch=64, name="integrity events")

    def trigger_event(self, event: str, *args: Any) -> Any:
        # Contract events are named "attempt:join"; handlers are "on_attempt_join".
        return super().trigger_event(event.replace(":", "_"), *args)

    # -- connection -------------------------------------------------------------------
    def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user, device_prefix, locale = authenticate(self.app, self.database, environ, auth)
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthenticated")
        facts = connection_facts(environ, self.config.trusted_proxies)
        self.save_session(sid, {"user": user, "locale": locale, "token_device": device_prefix,
                                "joined": {}, "facts": facts})

    def on_disconnect(self, sid: str, *_reason: Any) -> None:
        """The page's connection closed: its attempts have one open connection fewer (the
        proctor sees a student with none as disconnected)."""
        try:
            joined = list(self.get_session(sid).get("joined", {}))
        except KeyError:  # never connected fully
            return
        for attempt_id in joined:
            try:
                with self.database.session() as session:
                    attempt = attempts.get_attempt(session, attempt_id)
                    integrity.connected(session, attempt, utcnow(), joined=False)
            except Exception:  # a closing connection must not raise into the server
                self.app.logger.exception("could not note a disconnect of %s", attempt_id)

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
                refusal, locked_now = None, False
                if attempt.state.value == "in_progress":
                    refusal, locked_now = self._admit(session, attempt, state["facts"], device,
                                                      SebProof.from_join(data.get("seb")))
                view = answering.join_view(session, attempt) if refusal is None else {}
                if refusal is None and attempt.state.value == "in_progress" and \
                        data["attempt_id"] not in state["joined"]:
                    integrity.connected(session, attempt, utcnow(), joined=True)
                sitting_id, clock = attempt.sitting_id, answering.clock_view(attempt)
            # Refused after the unit of work: the server events it recorded are kept.
            if locked_now:
                # A key that stops matching mid-exam locks it: the pages that hold it keep
                # their answers (their outbox) and wait for a proctor.
                room = f"attempt:{data['attempt_id']}"
                self.emit("attempt:state", {"state": "locked", "reason": "seb"}, room=room)
                self.emit("timer:sync", clock, room=room)
            if refusal == "other_device":
                raise AttemptRefused("other_device")
            if refusal is not None:
                raise AccessRefused(refusal)
            state["joined"][data["attempt_id"]] = device
            self.enter_room(sid, f"attempt:{data['attempt_id']}")
            self.enter_room(sid, f"sitting:{sitting_id}")  # announcements to the whole room
            return view

        return self._guard(sid, act)

    @staticmethod
    def _admit(session: Any, attempt: Any, facts: dict[str, Any], device: str,
               joined_proof: SebProof | None) -> tuple[str | None, bool]:
        """The sitting's access rules for this join: ``(None, False)`` to admit it (the
        device claimed), else the refusal's code, and whether the attempt was locked now.
        Records what the server saw (an address change, a second device, a key mismatch) as
        integrity events; a key mismatch on an attempt a device already holds (mid-exam)
        locks it for a proctor."""
        now = utcnow()
        rules = access.get_access(session, attempt.sitting_id)
        if not access.address_allowed(rules, facts["address"]):
            return "outside_range", False
        verdict = access.seb_verdict(rules, joined_proof or facts["proof"], facts["origin"])
        if verdict == "seb_mismatch":
            integrity.record_event(session, attempt, "key_mismatch", now=now, source="server",
                                   detail={"which": "seb"})
            mid_exam = attempt.device_id is not None
            return verdict, mid_exam and attempts.lock(session, attempt, now)
        if verdict is not None:
            return verdict, False
        integrity.seen_from(session, attempt, facts["address"], now)
        if rules is not None and rules.one_device and attempt.device_id not in (None, device):
            # One device per attempt: the first keeps it until a proctor unlocks it.
            integrity.record_event(session, attempt, "new_device", now=now, source="server",
                                   detail={"device": device[:16]})
            return "other_device", False
        attempts.claim_device(attempt, device, now)
        return None, False

    def on_integrity_event(self, sid: str, data: Any) -> dict[str, Any]:
        def act(state: dict[str, Any]) -> dict[str, Any]:
            if not isinstance(data, dict) or not isinstance(data.get("attempt_id"), str) or \
                    not isinstance(data.get("type"), str):
                raise AttemptRefused("invalid_response")
            attempt_id = data["attempt_id"]
            if attempt_id not in state["joined"]:
                raise AttemptRefused("forbidden")
            outcome = self.event_group.submit(EventRequest(
                attempt_id, state["user"].id, data["type"][:32], utcnow(),
                _client_time(data.get("client_ts")), data.get("detail")))
            if outcome is None:  # the attempt is no longer in progress: nothing to record
                return {"ok": True}
            recorded = outcome.recorded
            if recorded.warn:
                with self.app.app_context(), force_locale(state.get("locale", "fr")):
                    text = integrity_warning([f.rule for f in recorded.flags])
                self.emit("integrity:warning", {"text": text}, to=sid)
            if recorded.paused:
                self.emit("attempt:state", {"state": "paused", "reason": "integrity"},
                          room=f"attempt:{attempt_id}")
                self.emit("timer:sync", outcome.clock, room=f"attempt:{attempt_id}")
            if outcome.pushed is not None:
                self.server.emit("proctor:event", outcome.pushed,
                                 room=sitting_room(outcome.sitting_id),
                                 namespace=PROCTOR_NAMESPACE)
            return {"ok": True}

        return self._guard(sid, act)

    def _record_events(self, requests: Sequence[EventRequest]
                       ) -> list[EventOutcome | None | DomainError]:
        """A batch of pages' integrity events in one unit of work (``self.event_group``)."""
        with self.database.session() as session:
            found = {a.id: a for a in session.scalars(select(Attempt).where(
                Attempt.id.in_({r.attempt_id for r in requests})))}
            outcomes: list[EventOutcome | None | DomainError] = []
            taken: list[tuple[int, Attempt]] = []
            for request in requests:
                attempt = found.get(request.attempt_id)
                if attempt is None:
                    outcomes.append(AttemptRefused("not_found"))
                elif attempt.student_id != request.student_id:
                    outcomes.append(AttemptRefused("forbidden"))
                elif attempt.state.value != "in_progress":
                    outcomes.append(None)
                else:
                    outcomes.append(None)
                    taken.append((len(outcomes) - 1, attempt))
            recorded = integrity.record_client_events(session, [
                integrity.ClientEvent(attempt, requests[i].kind, requests[i].now,
                                      requests[i].client_at, requests[i].detail)
                for i, attempt in taken])
            for (index, attempt), result in zip(taken, recorded, strict=True):
                outcomes[index] = result if isinstance(result, DomainError) else EventOutcome(
                    result, attempt.sitting_id, answering.clock_view(attempt),
                    _proctor_view(result, attempt.id, attempt.student_id))
        return outcomes

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


@dataclass(frozen=True)
class EventRequest:
    """An exam page's ``integrity:event``, as the batch records it."""

    attempt_id: str
    student_id: str
    kind: str
    now: datetime
    client_at: datetime | None
    detail: Any


@dataclass(frozen=True)
class EventOutcome:
    """What became of a recorded event, and what its page and proctors are told."""

    recorded: integrity.Recorded
    sitting_id: str
    clock: dict[str, Any]
    pushed: dict[str, Any] | None


def _client_time(value: Any) -> datetime | None:
    """The page's clock as it sent it (ISO 8601, or milliseconds since the epoch), when it
    reads as a time at all."""
    if isinstance(value, str):
        try:
            return parse_iso(value[:40])
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not 0 < value < 10**14:
        return None
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _proctor_view(recorded: integrity.Recorded, attempt_id: str,
                  student_id: str) -> dict[str, Any] | None:
    """What the sitting's proctors are pushed of a stored event (never to students)."""
    event = recorded.event
    if not recorded.stored or event is None:
        return None
    return {"attempt_id": attempt_id, "student_id": student_id, "type": event.type,
            "severity": event.severity, "server_at": iso(event.server_at),
            "duration_ms": event.duration_ms, "flags": [f.rule for f in recorded.flags],
            "paused": recorded.paused}
