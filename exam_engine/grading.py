"""Auto-grading of objective items and the results a student may see once released."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from exam_engine.attempts import get_attempt, slots_of
from exam_engine.models import Attempt, AttemptState, Sitting
from item_bank.registry import ItemTypeRegistry, default_registry
from item_bank.types.base import Content, Score
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


def grade_attempt(
    session: Session, attempt_id: str, now: datetime, registry: ItemTypeRegistry | None = None,
) -> Attempt:
    """Score every slot of a submitted attempt and total it. Safe to run twice."""
    registry = registry or default_registry()
    attempt = get_attempt(session, attempt_id, for_update=True)
    if attempt.state is not AttemptState.SUBMITTED:
        return attempt
    slots = slots_of(session, attempt.id)
    # Item versions never change once written: a cohort's attempts share a few dozen of
    # them, so they come from the process's version cache rather than from a query each.
    graded = score_slots(registry, [
        (*slot_content(session, s.item_version_id, s.variant, registry), s.response)
        for s in slots])
    marked = 0.0
    awaiting = 0
    for s, result in zip(slots, graded.scores, strict=True):
        s.max_points = result.max_points
        s.manual = result.manual
        if result.manual and s.marked_at is not None:
            # A person's mark (exam_engine.marking) survives grading again.
            marked += s.points or 0.0
        elif result.manual:
            # Awaiting a grader: neither right nor wrong, and no points yet.
            s.points, s.correct = None, None
            awaiting += 1
        else:
            s.points, s.correct = result.points, result.correct
    attempt.score = round(graded.total + marked, 4)
    attempt.max_score = graded.maximum
    attempt.awaiting_marks = awaiting
    attempt.graded_at = now
    session.flush()
    return attempt


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
