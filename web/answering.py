"""The answer path as the web layer runs it, shared by Socket.IO events and the REST API."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask
from sqlalchemy.orm import Session

from ardoise.batching import GroupCommit
from ardoise.clock import iso, utcnow
from ardoise.db import Database
from ardoise.errors import DomainError
from ardoise.worker.tasks import grade_attempt
from exam_engine import answer_log, attempts, uploads
from exam_engine.attempts import AttemptRefused
from exam_engine.grading import released_result
from exam_engine.models import Attempt, AttemptSlot, AttemptState
from exam_engine.sittings import get_sitting
from item_bank.rich_text import payload_html
from student_records.models import Person
from web.access import may_read_attempt


def slot_answers(session: Session, attempt: Attempt,
                 slots: list[AttemptSlot] | None = None) -> list[dict[str, Any]]:
    return [{"slot": s.slot, "seq": s.seq, "response": s.response}
            for s in (slots if slots is not None else attempts.slots_of(session, attempt.id))]


def clock_view(attempt: Attempt) -> dict[str, Any]:
    view: dict[str, Any] = {
        "deadline": iso(attempt.deadline),
        "server_now": iso(utcnow()),
        "paused": attempt.paused_at is not None,
        "locked": attempt.locked_at is not None,
    }
    if attempt.paused_at is not None:
        # The clock stopped at paused_at: this much is left when it restarts.
        left = (attempt.deadline - attempt.paused_at).total_seconds()
        view["remaining_ms"] = max(0, round(left * 1000))
    return view


def join_view(session: Session, attempt: Attempt) -> dict[str, Any]:
    return {"ok": True, "state": attempt.state.value, **clock_view(attempt),
            "slots": slot_answers(session, attempt)}


def attempt_view(session: Session, attempt: Attempt, *, with_slots: bool = False
                 ) -> dict[str, Any]:
    sitting = get_sitting(session, attempt.sitting_id)
    result = released_result(session, attempt, sitting)
    slots = attempts.slots_of(session, attempt.id)
    view: dict[str, Any] = {
        "id": attempt.id,
        "sitting_id": attempt.sitting_id,
        "state": attempt.state.value,
        "started_at": iso(attempt.started_at),
        "deadline": iso(attempt.deadline),
        "server_now": iso(utcnow()),
        "paused": attempt.paused_at is not None,
        "submitted_at": iso(attempt.submitted_at),
        "receipt": attempt.receipt,
        "answers": slot_answers(session, attempt, slots),
        "result": asdict(result) if result else None,
    }
    if with_slots:
        view["slots"] = [
            {"slot": s.slot, "item_type": s.item_type, "points": s.points,
             "render": payload_html(s.render)}
            for s in attempts.render_slots(session, attempt, slots=slots)
        ]
    return view


def readable_attempt(session: Session, user: Person, attempt_id: str) -> Attempt:
    """The attempt if ``user`` may read it; otherwise the same refusal as a missing one."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise AttemptRefused("not_found")
    if not may_read_attempt(session, user, attempt, get_sitting(session, attempt.sitting_id)):
        raise AttemptRefused("forbidden")
    return attempt


class SaveGroup:
    """A web process's group commit of saves (:mod:`ardoise.batching`): the saves that arrive
    while a batch is being written share the next transaction, each still acknowledged only
    after that commit. A batch that fails as a whole (a lost connection) is retried one save
    per transaction, so that one save's trouble is never another's refusal."""

    def __init__(self, database: Database, grace: float, data_dir: Path) -> None:
        self.database, self.grace, self.data_dir = database, grace, data_dir
        self.group: GroupCommit[answer_log.SaveRequest, answer_log.SaveAck] = \
            GroupCommit(self._apply, max_batch=MAX_SAVE_BATCH, name="saves")

    def _write(self, requests: Sequence[answer_log.SaveRequest], *, skip_locked: bool
               ) -> list[answer_log.SaveAck | DomainError | answer_log.Busy]:
        with self.database.session() as session:
            def check(request: answer_log.SaveRequest) -> None:
                uploads.check_saved_reference(session, self.data_dir, request.attempt_id,
                                              request.slot, request.response)

            return answer_log.save_many(session, requests, grace_seconds=self.grace,
                                        check=check, skip_locked=skip_locked)

    def _apply(self, requests: Sequence[answer_log.SaveRequest]
               ) -> list[answer_log.SaveAck | DomainError | answer_log.Busy]:
        # A batch never waits for an attempt that another transaction holds.
        return self._write(requests, skip_locked=True)

    def save(self, request: answer_log.SaveRequest) -> answer_log.SaveAck:
        """Write ``request`` in the next batch, or on its own (waiting for its attempt) when
        another transaction held its attempt as the batch was written."""
        try:
            return self.group.submit(request)
        except answer_log.Busy:
            outcome = self._write([request], skip_locked=False)[0]
        if isinstance(outcome, DomainError | answer_log.Busy):
            raise outcome
        return outcome


#: Saves written in one transaction at most.
MAX_SAVE_BATCH = 64
_save_groups: WeakKeyDictionary[Database, dict[tuple[float, Path], SaveGroup]] = \
    WeakKeyDictionary()
_groups_lock = threading.Lock()


def save_group(database: Database, grace: float, data_dir: Path) -> SaveGroup:
    """The process's group of saves for this database (made on the first save)."""
    with _groups_lock:
        groups = _save_groups.setdefault(database, {})
        group = groups.get((grace, data_dir))
        if group is None:
            group = groups[(grace, data_dir)] = SaveGroup(database, grace, data_dir)
        return group


def save(database: Database, grace: float, user: Person, payload: dict[str, Any],
         device_id: str | None, *, data_dir: Path) -> dict[str, Any]:
    """Apply one save; the acknowledgement is built only after the commit.

    A file-upload answer must name a file that the attempt's slot received: checked
    after the save's own checks, in its transaction, so a refusal writes nothing.
    """
    attempt_id = payload.get("attempt_id")
    if not isinstance(attempt_id, str):
        raise AttemptRefused("not_found")
    request = answer_log.SaveRequest(attempt_id, user.id, payload.get("slot"),
                                     payload.get("seq"), payload.get("response"), utcnow(),
                                     device_id)
    ack = save_group(database, grace, data_dir).save(request)
    result = {"ok": True, "seq": ack.seq, "saved_at": ack.saved_at, "hash": ack.hash}
    if ack.stale:
        result["stale_seq"] = True
    if ack.duplicate:
        result["duplicate"] = True
    return result


def submit(database: Database, grace: float, user: Person, attempt_id: str,
           device_id: str | None = None) -> tuple[dict[str, Any], bool]:
    """Submit the caller's attempt; returns the ack and whether this call closed it."""
    with database.session() as session:
        attempt = attempts.get_attempt(session, attempt_id, for_update=True)
        if attempt.student_id != user.id:
            raise AttemptRefused("forbidden")
        if device_id is not None and attempt.device_id not in (None, device_id) and \
                attempt.state is AttemptState.IN_PROGRESS:
            raise AttemptRefused("other_device")
        closed_now = attempt.state is AttemptState.IN_PROGRESS
        if closed_now and attempt.locked_at is not None:
            raise AttemptRefused("locked")  # a proctor unlocks it first (or ends it)
        receipt = attempts.submit(session, attempt, utcnow(), "student", grace)
    if closed_now:
        grade_attempt.delay(attempt_id)
    return {"ok": True, "receipt": receipt}, closed_now


def run_sweeper_pass(app: Flask, notify: Any) -> list[str]:
    """Submit every open attempt past its deadline; ``notify(attempt_id)`` after each commit."""
    database: Database = app.extensions["ardoise.db"]
    grace = app.extensions["ardoise.config"].save_grace_seconds
    now = utcnow()
    with database.session() as session:
        candidates = attempts.expired_attempt_ids(session, now, grace)
    closed = []
    for attempt_id in candidates:
        with database.session() as session:
            if not attempts.sweep_one(session, attempt_id, now, grace):
                continue
        closed.append(attempt_id)
        grade_attempt.delay(attempt_id)
        notify(attempt_id)
    return closed
