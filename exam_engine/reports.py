"""Class results of a sitting: score distribution and success per question."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from exam_engine.models import Attempt, AttemptSlot, ExamItem, Sitting
from item_bank.models import Item, ItemVersion


@dataclass(frozen=True)
class QuestionSuccess:
    position: int
    title: str
    graded: int
    correct: int

    @property
    def rate(self) -> float:
        return self.correct / self.graded if self.graded else 0.0


def score_percentages(session: Session, sitting: Sitting) -> list[float]:
    """Scores of fully graded attempts: one still awaiting marks would drag the spread down."""
    rows = session.execute(
        select(Attempt.score, Attempt.max_score).where(
            Attempt.sitting_id == sitting.id, Attempt.graded_at.is_not(None),
            Attempt.awaiting_marks == 0)
    )
    return [100.0 * score / maximum for score, maximum in rows if maximum and score is not None]


def question_success(session: Session, sitting: Sitting) -> list[QuestionSuccess]:
    """For each exam question in authored order, how many graded answers were right.

    A manually graded answer counts once marked, as right when it got full marks.
    """
    stats = dict(
        (version_id, (graded, correct))
        for version_id, graded, correct in session.execute(
            select(AttemptSlot.item_version_id, func.count(),
                   func.sum(case((AttemptSlot.correct.is_(True), 1), else_=0)))
            .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .where(Attempt.sitting_id == sitting.id, AttemptSlot.correct.is_not(None))
            .group_by(AttemptSlot.item_version_id)
        )
    )
    rows = session.execute(
        select(ExamItem.position, ExamItem.item_version_id, Item.title)
        .join(ItemVersion, ItemVersion.id == ExamItem.item_version_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ExamItem.exam_id == sitting.exam_id).order_by(ExamItem.position)
    )
    result = []
    for position, version_id, title in rows:
        graded, correct = stats.get(version_id, (0, 0))
        result.append(QuestionSuccess(position, title, int(graded or 0), int(correct or 0)))
    return result
