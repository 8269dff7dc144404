"""Saving answers: the log append and the current answer in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.clock import iso
from ardoise.errors import DomainError, Invalid
from exam_engine import chain
from exam_engine.attempts import AttemptRefused, is_paused
from exam_engine.deadline import is_late
from exam_engine.models import AnswerLogEntry, Attempt, AttemptSlot, AttemptState
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.variants import slot_content

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class SaveAck:
    seq: int
    saved_at: str
    hash: str
    stale: bool = False
    duplicate: bool = False


def _truncate_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@dataclass(frozen=True)
class SaveRequest:
    """One save as the page sent it (``slot``, ``seq`` and ``response`` not yet checked),
    with the moment the server received it (its ``saved_at`` and its lateness)."""

    attempt_id: str
    student_id: str
    slot: Any
    seq: Any
    response: Any
    now: datetime
    device_id: str | None = None


def save(
    session: Session, attempt_id: str, student_id: str, *, slot: int, seq: int, response: Any,
    now: datetime, grace_seconds: float, device_id: str | None = None,
    registry: ItemTypeRegistry | None = None,
) -> SaveAck:
    """Record one save; see ARCHITECTURE.md, "The answer path", rules 2 and 3.

    The attempt row is locked for the whole transaction, so the chain has a
    single writer per attempt whatever the number of web nodes.
    """
    outcome = save_many(session, [SaveRequest(attempt_id, student_id, slot, seq, response, now,
                                              device_id)],
                        grace_seconds=grace_seconds, registry=registry)[0]
    if isinstance(outcome, DomainError | Busy):
        raise outcome
    return outcome


class Busy(Exception):
    """The save's attempt was locked by another transaction when its batch was written
    (``save_many(skip_locked=True)``): nothing was written; save it again on its own."""


def save_many(
    session: Session, requests: Sequence[SaveRequest], *, grace_seconds: float,
    registry: ItemTypeRegistry | None = None,
    check: Callable[[SaveRequest], None] | None = None, skip_locked: bool = False,
) -> list[SaveAck | DomainError | Busy]:
    """Record several saves (of one attempt or many) in the caller's unit of work, in order:
    each one's acknowledgement, or the refusal that left it unwritten (a refusal writes
    nothing and does not touch the others). ``check`` may refuse a save (by raising a
    :class:`DomainError`) after its own checks, before it is written.

    The attempts' rows are locked in id order, so that batches on several web nodes never
    wait on each other in a cycle; a save therefore costs a share of a few statements,
    however many are in the batch. With ``skip_locked`` (PostgreSQL; SQLite has one writer
    at a time anyway) a batch does not wait for an attempt another transaction holds (a
    submit, a grading, a join): that attempt's saves come back :class:`Busy`, unwritten, and
    the others are not held up behind it.
    """
    outcomes: list[SaveAck | DomainError | Busy | None] = [None] * len(requests)
    canonical: dict[int, str] = {}
    for index, request in enumerate(requests):
        seq, slot = request.seq, request.slot
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1 or \
                isinstance(slot, bool) or not isinstance(slot, int):
            outcomes[index] = AttemptRefused("invalid_response")
            continue
        try:
            canonical[index] = chain.canonical_json(request.response)
        except (TypeError, ValueError):
            outcomes[index] = AttemptRefused("invalid_response")
            continue
        if len(canonical[index].encode()) > MAX_RESPONSE_BYTES:
            outcomes[index] = AttemptRefused("invalid_response")
    wanted = [requests[i] for i in canonical if outcomes[i] is None]
    ids = sorted({r.attempt_id for r in wanted})
    found = {a.id: a for a in session.scalars(
        select(Attempt).where(Attempt.id.in_(ids)).order_by(Attempt.id)
        .with_for_update(skip_locked=skip_locked))
    } if ids else {}
    busy: set[str] = set()
    if skip_locked and len(found) < len(ids):
        busy = set(session.scalars(select(Attempt.id).where(
            Attempt.id.in_([i for i in ids if i not in found]))))
    logged = {(e.attempt_id, e.seq): e for e in session.scalars(
        select(AnswerLogEntry).where(AnswerLogEntry.attempt_id.in_(ids),
                                     AnswerLogEntry.seq.in_({r.seq for r in wanted})))
    } if ids else {}
    slots = {(s.attempt_id, s.slot): s for s in session.scalars(
        select(AttemptSlot).where(AttemptSlot.attempt_id.in_(ids),
                                  AttemptSlot.slot.in_({r.slot for r in wanted})))
    } if ids else {}
    for index, request in enumerate(requests):
        if outcomes[index] is not None:
            continue
        attempt = found.get(request.attempt_id)
        if request.attempt_id in busy:
            outcomes[index] = Busy(request.attempt_id)
            continue
        try:
            if attempt is None:
                raise AttemptRefused("not_found")
            outcomes[index] = _save_one(session, attempt, request, canonical[index],
                                        logged, slots, grace_seconds, registry, check)
        except DomainError as refusal:
            outcomes[index] = refusal
    session.flush()
    return [o for o in outcomes if o is not None]


def _save_one(session: Session, attempt: Attempt, request: SaveRequest, response_json: str,
              logged: dict[tuple[str, int], AnswerLogEntry],
              slots: dict[tuple[str, int], AttemptSlot], grace_seconds: float,
              registry: ItemTypeRegistry | None,
              check: Callable[[SaveRequest], None] | None) -> SaveAck:
    """One save of :func:`save_many`, its rows already loaded (and the attempt locked)."""
    if attempt.student_id != request.student_id:
        raise AttemptRefused("forbidden")
    seq, slot, now = request.seq, request.slot, request.now
    previous = logged.get((attempt.id, seq))
    if previous is not None:
        if previous.slot == slot and previous.response_json == response_json:
            return SaveAck(seq, iso(previous.saved_at) or "", previous.hash,
                           stale=not previous.applied, duplicate=True)
        raise AttemptRefused("seq_conflict")

    if attempt.state is AttemptState.SUBMITTED:
        raise AttemptRefused("submitted")
    if request.device_id is not None and attempt.device_id not in (None, request.device_id):
        raise AttemptRefused("other_device")
    if attempt.locked_at is not None:
        raise AttemptRefused("locked")
    if is_paused(attempt):
        raise AttemptRefused("paused")
    if is_late(now, attempt.deadline, grace_seconds):
        raise AttemptRefused("late")

    current = slots.get((attempt.id, slot))
    if current is None:
        raise AttemptRefused("invalid_response")
    item_type, content = slot_content(session, current.item_version_id, current.variant,
                                      registry)
    try:
        (registry or default_registry()).get(item_type).check_response(content, request.response)
    except Invalid:
        raise AttemptRefused("invalid_response") from None
    if check is not None:
        check(request)

    saved_at = _truncate_ms(now)
    saved_iso = iso(saved_at) or ""
    digest = chain.next_hash(
        attempt.last_hash,
        chain.canonical_entry(attempt.id, seq, slot, request.response, saved_iso),
    )
    stale = seq <= current.seq
    entry = AnswerLogEntry(attempt_id=attempt.id, seq=seq, slot=slot,
                           response_json=response_json, saved_at=saved_at, hash=digest,
                           applied=not stale)
    session.add(entry)
    logged[(attempt.id, seq)] = entry  # a repeat later in the same batch is a duplicate
    if not stale:
        current.response = request.response
        current.seq = seq
        current.saved_at = saved_at
    attempt.last_hash = digest
    attempt.last_seq = max(attempt.last_seq, seq)
    if request.device_id is not None:
        attempt.device_seen_at = now
    return SaveAck(seq, saved_iso, digest, stale=stale)


@dataclass(frozen=True)
class LogEntryView:
    seq: int
    slot: int
    response: Any
    saved_at: str
    hash: str
    applied: bool


def log_entries(session: Session, attempt: Attempt) -> list[LogEntryView]:
    """The chain in order, as the log endpoint shows it."""
    rows = session.scalars(
        select(AnswerLogEntry).where(AnswerLogEntry.attempt_id == attempt.id)
        .order_by(AnswerLogEntry.id)
    )
    return [
        LogEntryView(seq=r.seq, slot=r.slot, response=json.loads(r.response_json),
                     saved_at=iso(r.saved_at) or "", hash=r.hash, applied=r.applied)
        for r in rows
    ]
