"""Auto-grading of submitted attempts and the results a student may see once released.

Grading comes in two parts, so that no attempt's row lock is held while student code runs:

1. :func:`grade_attempt`, under the attempt's lock, scores every slot whose item type
   needs no sandbox and totals the attempt. A slot whose type ``needs_sandbox`` (a
   ``code`` item) is left *awaiting the sandbox*: its ``max_points`` known, its
   ``points`` and ``correct`` empty (neither right nor wrong), the attempt's ``score``
   and ``graded_at`` empty while any slot awaits it.
2. :func:`score_awaiting_sandbox` (the ``ardoise.grade_attempt_code`` task, on the
   ``sandbox`` queue) reads those slots, runs each one's scoring with no transaction
   open, then takes the attempt's lock only to write the slot's points and total the
   attempt again (:func:`store_sandbox_score`); ``graded_at`` is set once none awaits.

Both are safe to run twice or concurrently: a slot scored by the sandbox keeps its points
when the attempt is graded again (its answer and item version never change once
submitted), a second score for it is dropped, and a person's mark survives either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ardoise.db import Database
from exam_engine.attempts import get_attempt, slots_of
from exam_engine.models import Attempt, AttemptSlot, AttemptState, Sitting
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.types.base import Content, Score, points_of
from item_bank.variants import slot_content


@dataclass(frozen=True)
class AttemptScores:
    """The score of every slot in slot order, and the attempt's totals (rounded)."""

    scores: list[Score]
    total: float
    maximum: float


def score_slots(
    registry: ItemTypeRegistry, answered: Iterable[tuple[str, Content, Any]],
) -> AttemptScores:
    """Score ``(item_type, content, response)`` per slot: the pure part of grading, no I/O.

    A manually graded answer awaiting its grader counts towards the maximum only.
    """
    scores = []
    total = maximum = 0.0
    for item_type, content, response in answered:
        result = registry.get(item_type).score(content, response)
        scores.append(result)
        maximum += result.max_points
        if not result.manual:
            total += result.points
    return AttemptScores(scores, round(total, 4), round(maximum, 4))


def awaits_sandbox(slot: AttemptSlot) -> bool:
    """Whether a graded slot still waits for its sandbox score (never a person's answer)."""
    return not slot.manual and slot.max_points is not None and slot.points is None


def _total(attempt: Attempt, slots: list[AttemptSlot], now: datetime) -> None:
    """Total the attempt from its slots: no score and no ``graded_at`` while a slot
    awaits the sandbox; an answer awaiting a person's mark counts towards the maximum only."""
    attempt.max_score = round(sum(s.max_points or 0.0 for s in slots), 4)
    attempt.awaiting_marks = sum(1 for s in slots if s.awaiting_marking)
    if any(awaits_sandbox(s) for s in slots):
        attempt.score, attempt.graded_at = None, None
        return
    attempt.score = round(sum(s.points or 0.0 for s in slots if not s.awaiting_marking), 4)
    attempt.graded_at = now


def grade_attempt(
    session: Session, attempt_id: str, now: datetime, registry: ItemTypeRegistry | None = None,
) -> Attempt:
    """Score the slots of a submitted attempt that need no sandbox and total it; leave each
    slot whose item type ``needs_sandbox`` awaiting :func:`score_awaiting_sandbox` (unless
    it holds its sandbox score already). Safe to run twice."""
    registry = registry or default_registry()
    attempt = get_attempt(session, attempt_id, for_update=True)
    if attempt.state is not AttemptState.SUBMITTED:
        return attempt
    slots = slots_of(session, attempt.id)
    # Item versions never change once written: a cohort's attempts share a few dozen of
    # them, so they come from the process's version cache rather than from a query each.
    contents = [slot_content(session, s.item_version_id, s.variant, registry) for s in slots]
    objective = [(s, (item_type, content, s.response))
                 for s, (item_type, content) in zip(slots, contents, strict=True)
                 if not registry.get(item_type).needs_sandbox]
    graded = score_slots(registry, [answered for _s, answered in objective])
    for (s, _answered), result in zip(objective, graded.scores, strict=True):
        s.max_points = result.max_points
        s.manual = result.manual
        if result.manual and s.marked_at is not None:
            pass  # a person's mark (exam_engine.marking) survives grading again
        elif result.manual:
            # Awaiting a grader: neither right nor wrong, and no points yet.
            s.points, s.correct = None, None
        else:
            s.points, s.correct = result.points, result.correct
    for s, (item_type, content) in zip(slots, contents, strict=True):
        if registry.get(item_type).needs_sandbox and s.points is None:
            # Awaiting the sandbox: worth the item's points, neither right nor wrong yet.
            s.manual, s.correct, s.max_points = False, None, points_of(content)
    _total(attempt, slots, now)
    session.flush()
    return attempt


@dataclass(frozen=True)
class SandboxSlot:
    """A slot awaiting the sandbox, read before its run so that no transaction stays open."""

    attempt_id: str
    slot: int
    item_type: str
    content: Content
    response: Any


def slots_awaiting_sandbox(
    session: Session, attempt_id: str, registry: ItemTypeRegistry | None = None,
) -> list[SandboxSlot]:
    """The slots of a graded attempt still waiting for their sandbox score (no lock taken)."""
    registry = registry or default_registry()
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.state is not AttemptState.SUBMITTED:
        return []
    awaiting = []
    for s in slots_of(session, attempt_id):
        if awaits_sandbox(s):
            item_type, content = slot_content(session, s.item_version_id, s.variant, registry)
            awaiting.append(SandboxSlot(attempt_id, s.slot, item_type, content, s.response))
    return awaiting


def store_sandbox_score(
    session: Session, attempt_id: str, slot: int, score: Score, now: datetime,
) -> bool:
    """Write one slot's sandbox score and total the attempt again, under the attempt's lock
    (held for this write only). ``False``, writing nothing, when the slot no longer awaits
    the sandbox: another delivery of the task scored it first."""
    attempt = get_attempt(session, attempt_id, for_update=True)
    slots = slots_of(session, attempt.id)
    target = next((s for s in slots if s.slot == slot), None)
    if target is None or not awaits_sandbox(target):
        return False
    target.points, target.correct = score.points, score.correct
    target.max_points = score.max_points
    _total(attempt, slots, now)
    session.flush()
    return True


def score_awaiting_sandbox(
    database: Database, attempt_id: str, clock: Callable[[], datetime],
    registry: ItemTypeRegistry | None = None,
) -> int:
    """Score every slot of the attempt awaiting the sandbox, one at a time; how many scores
    were stored.

    Each slot's answer is read and the read transaction closed before its code runs (the
    item type's ``score``, which may take seconds); the score is then stored in a unit of
    work of its own (:func:`store_sandbox_score`). Whatever the item type raises when the
    sandbox cannot score the answer (no backend can run code, the sandbox failed) comes out
    of here unchanged, and that slot and the ones after it keep awaiting the sandbox:
    never a zero for a program that did not run.
    """
    registry = registry or default_registry()
    with database.session() as session:
        awaiting = slots_awaiting_sandbox(session, attempt_id, registry)
    stored = 0
    for pending in awaiting:
        score = registry.get(pending.item_type).score(pending.content, pending.response)
        with database.session() as session:
            stored += store_sandbox_score(session, attempt_id, pending.slot, score, clock())
    return stored


def sandbox_backlog(session: Session, sitting_id: str) -> int:
    """How many answers of the sitting's submitted attempts await their sandbox score
    (what the teacher is told, so that such an answer never reads as a wrong one)."""
    return int(session.scalar(
        select(func.count()).select_from(AttemptSlot)
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .where(Attempt.sitting_id == sitting_id, Attempt.state == AttemptState.SUBMITTED,
               AttemptSlot.manual.is_(False), AttemptSlot.max_points.is_not(None),
               AttemptSlot.points.is_(None))) or 0)


@dataclass(frozen=True)
class SlotResult:
    slot: int
    points: float | None
    max_points: float | None
    correct: bool | None
    awaiting_marking: bool = False
    marked: bool = False  # marked by a person, with ``comment`` for the student
    comment: str | None = None


@dataclass(frozen=True)
class AttemptResult:
    """A released result; ``score`` stays ``None`` while any answer awaits marking."""

    score: float | None
    max_score: float
    slots: list[SlotResult]
    awaiting_marking: int = 0


def released_result(session: Session, attempt: Attempt, sitting: Sitting) -> AttemptResult | None:
    """The result, only once the teacher has released the sitting and grading is done.

    While answers await marking the student sees every other answer's points but no
    total: a partial total reads as a final grade (an essay worth half the exam would
    look failed), so it is withheld until the last mark is in.
    """
    if sitting.released_at is None or attempt.graded_at is None or attempt.score is None:
        return None
    return AttemptResult(
        score=None if attempt.awaiting_marks else attempt.score,
        max_score=attempt.max_score or 0.0,
        slots=[SlotResult(s.slot, s.points, s.max_points, s.correct,
                          awaiting_marking=s.awaiting_marking,
                          marked=s.manual and s.marked_at is not None,
                          comment=s.mark_comment if s.manual else None)
               for s in slots_of(session, attempt.id)],
        awaiting_marking=attempt.awaiting_marks,
    )
