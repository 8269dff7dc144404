"""Starting, resuming, pausing, extending and submitting attempts."""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ardoise.errors import DomainError, Forbidden, Invalid, NotFound
from exam_engine import chain
from exam_engine.deadline import compute_deadline, is_late
from exam_engine.exams import exam_entries, get_exam
from exam_engine.models import Attempt, AttemptSlot, AttemptState, Exam, PreparedSeed, Sitting
from exam_engine.sittings import get_sitting, is_candidate, is_open
from item_bank import pools, variants
from item_bank.models import Item, ItemVersion
from item_bank.registry import ItemTypeRegistry, default_registry
from student_records import service as records

# A device seen this recently keeps the attempt; another device is refused meanwhile.
DEVICE_HOLD_SECONDS = 60


class AttemptRefused(DomainError):
    """A refusal of the answer path; ``code`` is one of ARCHITECTURE.md's refusal codes."""

    STATUS_BY_CODE = {"forbidden": 403, "not_found": 404, "invalid_response": 422}

    def __init__(self, code: str, detail: str = "", **params: Any) -> None:
        super().__init__(code, detail, **params)
        self.status = self.STATUS_BY_CODE.get(code, 409)


def question_order(seed: int, count: int, shuffle: bool) -> list[int]:
    """The attempt's fixed order of exam positions, derived from its seed alone."""
    order = list(range(count))
    if shuffle:
        random.Random(seed).shuffle(order)
    return order


def option_seed(seed: int, item_version_id: str) -> int:
    """A per-question seed for option order, stable for the attempt and the item version."""
    digest = hashlib.sha256(f"{seed}:{item_version_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def get_attempt(session: Session, attempt_id: str, *, for_update: bool = False) -> Attempt:
    query = select(Attempt).where(Attempt.id == attempt_id)
    if for_update:
        query = query.with_for_update()
    attempt = session.scalar(query)
    if attempt is None:
        raise AttemptRefused("not_found")
    return attempt


def slots_of(session: Session, attempt_id: str) -> list[AttemptSlot]:
    return list(
        session.scalars(
            select(AttemptSlot).where(AttemptSlot.attempt_id == attempt_id)
            .order_by(AttemptSlot.slot)
        )
    )


def refresh_deadline(attempt: Attempt, sitting: Sitting) -> datetime:
    attempt.deadline = compute_deadline(
        started_at=attempt.started_at, closes_at=sitting.closes_at,
        time_limit_seconds=sitting.time_limit_seconds,
        extra_time_percent=attempt.extra_time_percent,
        extension_seconds=attempt.extension_seconds, paused_seconds=attempt.paused_seconds,
    )
    return attempt.deadline


def start_or_resume(
    session: Session, sitting_id: str, student_id: str, now: datetime,
    access_code: str | None = None,
) -> Attempt:
    """Return the student's attempt for the sitting, creating it if the window is open."""
    sitting = get_sitting(session, sitting_id)
    if not is_candidate(session, sitting, student_id):
        raise Forbidden("forbidden")
    existing = session.scalar(
        select(Attempt).where(Attempt.sitting_id == sitting_id, Attempt.student_id == student_id)
    )
    if existing is not None:
        return existing
    if not is_open(sitting, now):
        raise AttemptRefused("sitting_closed" if now >= sitting.closes_at else "sitting_not_open")
    if sitting.access_code and not hmac.compare_digest(
        (access_code or "").strip().upper().encode(), sitting.access_code.upper().encode()
    ):
        raise Invalid("bad_access_code")
    exam = get_exam(session, sitting.exam_id)
    prepared = session.scalar(select(PreparedSeed.seed).where(
        PreparedSeed.sitting_id == sitting.id, PreparedSeed.student_id == student_id))
    seed = prepared if prepared is not None else secrets.randbits(31)
    plan = plan_questions(session, exam, seed, student_id)
    # Parametrised items' variants: prepared ahead of the sitting, or generated now.
    chosen = [variants.variant_for(session, seed, q.item_version_id) for q in plan]
    attempt = Attempt(
        sitting_id=sitting.id, student_id=student_id, seed=seed, started_at=now,
        extra_time_percent=records.extra_time_percent(session, student_id),
        extension_seconds=0, paused_seconds=0.0, last_seq=0, last_hash="",
        state=AttemptState.IN_PROGRESS,
    )
    refresh_deadline(attempt, sitting)
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Two tabs (or two nodes) started at once and the other one committed first:
        # only the savepoint is undone, and its attempt is the student's attempt.
        winner = session.scalar(
            select(Attempt).where(Attempt.sitting_id == sitting_id,
                                  Attempt.student_id == student_id))
        if winner is None:
            raise
        return winner
    attempt.last_hash = chain.genesis(attempt.id)
    for slot, (question, variant) in enumerate(zip(plan, chosen, strict=True)):
        session.add(
            AttemptSlot(
                attempt_id=attempt.id, slot=slot, item_version_id=question.item_version_id,
                exam_position=question.exam_position,
                option_seed=option_seed(seed, question.item_version_id)
                if exam.shuffle_options else None,
                variant_seed=variant[0] if variant else None,
                variant=variant[1] if variant else None,
            )
        )
    session.flush()
    return attempt


@dataclass(frozen=True)
class PlannedQuestion:
    exam_position: int
    item_version_id: str


def seen_items(session: Session, student_id: str) -> set[str]:
    """The items the student was shown in any attempt so far."""
    return set(session.scalars(
        select(ItemVersion.item_id).distinct()
        .join(AttemptSlot, AttemptSlot.item_version_id == ItemVersion.id)
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(Attempt.student_id == student_id)))


def plan_questions(
    session: Session, exam: Exam, seed: int, student_id: str,
) -> list[PlannedQuestion]:
    """An attempt's questions in the order it shows them, fixed by its seed: the exam's
    pinned items, and for each section the items drawn from its pool (unseen ones first)."""
    entries = exam_entries(session, exam.id)
    fixed = [e.item_version_id for e in entries if e.item_version_id]
    exclude = set(session.scalars(select(ItemVersion.item_id).where(
        ItemVersion.id.in_(fixed)))) if fixed else set()
    seen = seen_items(session, student_id) if any(e.pool_id for e in entries) else set()
    planned: list[PlannedQuestion] = []
    for entry in entries:
        if entry.item_version_id is not None:
            planned.append(PlannedQuestion(entry.position, entry.item_version_id))
            continue
        pool = pools.get_pool(session, entry.pool_id or "")
        band = pools.Band(entry.difficulty_min, entry.difficulty_max)
        candidates = pools.eligible(session, pool, band)
        drawn = pools.draw([item_id for item_id, _n in candidates], entry.draw_count or 0,
                           seed, entry.position, exclude, seen)
        exclude.update(drawn)
        latest = dict(session.execute(
            select(ItemVersion.item_id, ItemVersion.id)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(ItemVersion.item_id.in_(drawn), ItemVersion.number == Item.latest_version)
        ).all()) if drawn else {}
        planned.extend(PlannedQuestion(entry.position, latest[i]) for i in drawn)
    return [planned[i] for i in question_order(seed, len(planned), exam.shuffle_questions)]


@dataclass(frozen=True)
class SlotView:
    slot: int
    item_type: str
    item_version_id: str
    render: dict[str, Any]
    points: float


def render_slots(
    session: Session, attempt: Attempt, registry: ItemTypeRegistry | None = None,
    slots: list[AttemptSlot] | None = None,
) -> list[SlotView]:
    """What the student's page needs to show each question: never the key."""
    registry = registry or default_registry()
    views = []
    for s in slots if slots is not None else slots_of(session, attempt.id):
        item_type, content = variants.slot_content(session, s.item_version_id, s.variant,
                                                   registry)
        views.append(
            SlotView(
                slot=s.slot, item_type=item_type, item_version_id=s.item_version_id,
                render=registry.get(item_type).render(content, s.option_seed),
                points=float(content.get("points", 1)),
            )
        )
    return views


def is_paused(attempt: Attempt) -> bool:
    return attempt.paused_at is not None


def submit(
    session: Session, attempt: Attempt, now: datetime, reason: str, grace_seconds: float,
) -> str:
    """Close the attempt; returns the receipt (the last hash of its log). Idempotent."""
    if attempt.state is AttemptState.SUBMITTED:
        return attempt.receipt or attempt.last_hash
    if reason == "student" and is_late(now, attempt.deadline, grace_seconds):
        reason = "deadline"
    if attempt.paused_at is not None:
        attempt.paused_seconds += (now - attempt.paused_at).total_seconds()
        attempt.paused_at = None
    attempt.state = AttemptState.SUBMITTED
    attempt.submitted_at = now
    attempt.submitted_reason = reason
    attempt.receipt = attempt.last_hash
    session.flush()
    return attempt.receipt


def pause(session: Session, attempt: Attempt, now: datetime) -> None:
    if attempt.state is AttemptState.SUBMITTED:
        raise AttemptRefused("submitted")
    if attempt.paused_at is None:
        attempt.paused_at = now


def resume(session: Session, attempt: Attempt, now: datetime) -> None:
    if attempt.paused_at is None:
        return
    attempt.paused_seconds += (now - attempt.paused_at).total_seconds()
    attempt.paused_at = None
    refresh_deadline(attempt, get_sitting(session, attempt.sitting_id))


def extend(session: Session, attempt: Attempt, seconds: int) -> None:
    """A proctor's extension; it may pass the sitting's close."""
    if attempt.state is AttemptState.SUBMITTED:
        raise AttemptRefused("submitted")
    if not -3600 * 6 <= seconds <= 3600 * 6 or seconds == 0:
        raise Invalid("extension_invalid")
    attempt.extension_seconds += seconds
    refresh_deadline(attempt, get_sitting(session, attempt.sitting_id))


def claim_device(attempt: Attempt, device_id: str, now: datetime) -> None:
    """Bind the attempt to ``device_id`` unless another device was active just now."""
    if attempt.device_id and attempt.device_id != device_id and attempt.device_seen_at and \
            (now - attempt.device_seen_at).total_seconds() < DEVICE_HOLD_SECONDS:
        raise AttemptRefused("other_device")
    attempt.device_id = device_id
    attempt.device_seen_at = now


def release_device(attempt: Attempt) -> None:
    """A proctor's unlock: the attempt no longer belongs to a device (the next to join it
    does) and is no longer locked. The answers stay; the device that held it may join again.
    A lock's pause stays until the proctor resumes the attempt."""
    attempt.device_id = None
    attempt.device_seen_at = None
    attempt.locked_at = None


def lock(session: Session, attempt: Attempt, now: datetime) -> bool:
    """Lock the attempt (and stop its clock) until a proctor unlocks it; False when it is
    submitted or locked already."""
    if attempt.state is AttemptState.SUBMITTED or attempt.locked_at is not None:
        return False
    attempt.locked_at = now
    pause(session, attempt, now)
    return True


def expired_attempt_ids(session: Session, now: datetime, grace_seconds: float) -> list[str]:
    cutoff = now - timedelta(seconds=grace_seconds)
    return list(
        session.scalars(
            select(Attempt.id).where(
                Attempt.state == AttemptState.IN_PROGRESS, Attempt.paused_at.is_(None),
                Attempt.deadline < cutoff,
            ).limit(500)
        )
    )


def sweep_one(session: Session, attempt_id: str, now: datetime, grace_seconds: float) -> bool:
    """Submit one expired attempt under its row lock; False if it changed meanwhile."""
    attempt = get_attempt(session, attempt_id, for_update=True)
    if attempt.state is not AttemptState.IN_PROGRESS or attempt.paused_at is not None or \
            not is_late(now, attempt.deadline, grace_seconds):
        return False
    submit(session, attempt, now, "deadline", grace_seconds)
    return True


def attempt_for_student(session: Session, attempt_id: str, student_id: str) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("attempt_not_found")
    if attempt.student_id != student_id:
        raise Forbidden("forbidden")
    return attempt
