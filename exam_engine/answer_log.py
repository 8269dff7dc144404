"""Saving answers: the log append and the current answer in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ardoise.clock import iso
from ardoise.errors import Invalid
from exam_engine import chain
from exam_engine.attempts import AttemptRefused, get_attempt, is_paused
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


def save(
    session: Session, attempt_id: str, student_id: str, *, slot: int, seq: int, response: Any,
    now: datetime, grace_seconds: float, device_id: str | None = None,
    registry: ItemTypeRegistry | None = None,
) -> SaveAck:
    """Record one save; see ARCHITECTURE.md, "The answer path", rules 2 and 3.

    The attempt row is locked for the whole transaction, so the chain has a
    single writer per attempt whatever the number of web nodes.
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1 or \
            isinstance(slot, bool) or not isinstance(slot, int):
        raise AttemptRefused("invalid_response")
    attempt = get_attempt(session, attempt_id, for_update=True)
    if attempt.student_id != student_id:
        raise AttemptRefused("forbidden")
    try:
        response_json = chain.canonical_json(response)
    except (TypeError, ValueError):
        raise AttemptRefused("invalid_response") from None
    if len(response_json.encode()) > MAX_RESPONSE_BYTES:
        raise AttemptRefused("invalid_response")

    previous = session.scalar(
        select(AnswerLogEntry).where(AnswerLogEntry.attempt_id == attempt.id,
                                     AnswerLogEntry.seq == seq)
    )
    if previous is not None:
        if previous.slot == slot and previous.response_json == response_json:
            return SaveAck(seq, iso(previous.saved_at) or "", previous.hash,
                           stale=not previous.applied, duplicate=True)
        raise AttemptRefused("seq_conflict")

    if attempt.state is AttemptState.SUBMITTED:
        raise AttemptRefused("submitted")
    if device_id is not None and attempt.device_id not in (None, device_id):
        raise AttemptRefused("other_device")
    if attempt.locked_at is not None:
        raise AttemptRefused("locked")
    if is_paused(attempt):
        raise AttemptRefused("paused")
    if is_late(now, attempt.deadline, grace_seconds):
        raise AttemptRefused("late")

    current = session.scalar(
        select(AttemptSlot).where(AttemptSlot.attempt_id == attempt.id, AttemptSlot.slot == slot)
    )
    if current is None:
        raise AttemptRefused("invalid_response")
    item_type, content = slot_content(session, current.item_version_id, current.variant,
                                      registry)
    try:
        (registry or default_registry()).get(item_type).check_response(content, response)
    except Invalid:
        raise AttemptRefused("invalid_response") from None

    saved_at = _truncate_ms(now)
    saved_iso = iso(saved_at) or ""
    digest = chain.next_hash(
        attempt.last_hash, chain.canonical_entry(attempt.id, seq, slot, response, saved_iso)
    )
    stale = seq <= current.seq
    session.add(
        AnswerLogEntry(attempt_id=attempt.id, seq=seq, slot=slot, response_json=response_json,
                       saved_at=saved_at, hash=digest, applied=not stale)
    )
    if not stale:
        current.response = response
        current.seq = seq
        current.saved_at = saved_at
    attempt.last_hash = digest
    attempt.last_seq = max(attempt.last_seq, seq)
    if device_id is not None:
        attempt.device_seen_at = now
    session.flush()
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
