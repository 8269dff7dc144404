"""Where an item has been used: the exams that hold its versions and the sittings that showed them.

An item's history matters years later (which version did the 2026 ministry sitting show,
how did students do on it); everything here is read from what attempts recorded, the exact
version of each slot, so a revised item never rewrites its past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from exam_engine.models import Attempt, AttemptSlot, Exam, ExamItem, Sitting
from item_bank.models import ItemVersion


@dataclass(frozen=True)
class ExamUse:
    """An exam that holds a version of the item as a fixed question."""

    exam_id: str
    exam_title: str
    version: int
    position: int


@dataclass(frozen=True)
class SittingUse:
    """How one version of the item fared in one sitting."""

    sitting_id: str
    sitting_title: str
    exam_title: str
    version: int
    attempts: int
    #: Answers with a verdict (objective answers once graded, manual ones once marked).
    graded: int
    correct: int
    first_seen: datetime
    last_seen: datetime

    @property
    def rate(self) -> float | None:
        """Share of graded answers that were right, or ``None`` before any verdict."""
        return self.correct / self.graded if self.graded else None


@dataclass(frozen=True)
class ItemUsage:
    exams: list[ExamUse]
    sittings: list[SittingUse]

    @property
    def attempts(self) -> int:
        return sum(s.attempts for s in self.sittings)


def item_usage(session: Session, item_id: str, organisation_ids: set[str]) -> ItemUsage:
    """The exams and sittings of ``organisation_ids`` that used any version of ``item_id``.

    Sittings of other organisations are left out: their titles are theirs to see. Sittings
    come most recent first, one row per (sitting, version).
    """
    versions = select(ItemVersion.id).where(ItemVersion.item_id == item_id)
    exam_rows = session.execute(
        select(Exam.id, Exam.title, ItemVersion.number, ExamItem.position)
        .join(ExamItem, ExamItem.exam_id == Exam.id)
        .join(ItemVersion, ItemVersion.id == ExamItem.item_version_id)
        .where(ExamItem.item_version_id.in_(versions),
               Exam.organisation_id.in_(organisation_ids))
        .order_by(Exam.created_at.desc(), Exam.id, ExamItem.position))
    exams = [ExamUse(exam_id, title, number, position)
             for exam_id, title, number, position in exam_rows]
    sitting_rows = session.execute(
        select(Sitting.id, Sitting.title, Exam.title, ItemVersion.number,
               func.count(func.distinct(Attempt.id)),
               func.sum(case((AttemptSlot.correct.is_not(None), 1), else_=0)),
               func.sum(case((AttemptSlot.correct.is_(True), 1), else_=0)),
               func.min(Attempt.started_at), func.max(Attempt.started_at))
        .select_from(AttemptSlot)
        .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
        .join(Sitting, Sitting.id == Attempt.sitting_id)
        .join(Exam, Exam.id == Sitting.exam_id)
        .join(ItemVersion, ItemVersion.id == AttemptSlot.item_version_id)
        .where(AttemptSlot.item_version_id.in_(versions),
               Sitting.organisation_id.in_(organisation_ids))
        .group_by(Sitting.id, Sitting.title, Exam.title, ItemVersion.number)
        .order_by(func.max(Attempt.started_at).desc(), Sitting.id, ItemVersion.number))
    sittings = [SittingUse(sitting_id, title, exam_title, number, int(attempts),
                           int(graded or 0), int(correct or 0), first, last)
                for sitting_id, title, exam_title, number, attempts, graded, correct, first, last
                in sitting_rows]
    return ItemUsage(exams, sittings)
