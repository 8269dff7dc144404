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
    stats: dict[tuple[int | None, str], tuple[int, int]] = {
        (position, version_id): (int(graded or 0), int(correct or 0))
        for position, version_id, graded, correct in session.execute(
            select(AttemptSlot.exam_position, AttemptSlot.item_version_id,
                   func.sum(case((AttemptSlot.correct.is_not(None), 1), else_=0)),
                   func.sum(case((AttemptSlot.correct.is_(True), 1), else_=0)))
            .join(Attempt, Attempt.id == AttemptSlot.attempt_id)
            .where(Attempt.sitting_id == sitting.id)
            .group_by(AttemptSlot.exam_position, AttemptSlot.item_version_id)
        )
    }
    # A pinned item is listed even before anyone answered it; a section lists the items
    # it drew, each under the section's position.
    keys = set(stats) | {(position, version_id) for position, version_id in session.execute(
        select(ExamItem.position, ExamItem.item_version_id)
        .where(ExamItem.exam_id == sitting.exam_id, ExamItem.item_version_id.is_not(None))
    ).all() if version_id is not None}
    titles = dict(session.execute(
        select(ItemVersion.id, Item.title).join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id.in_({version_id for _p, version_id in keys}))).all())
    result = []
    for position, version_id in sorted(keys, key=lambda k: (k[0] is None, k[0] or 0,
                                                            titles.get(k[1], ""), k[1])):
        graded, correct = stats.get((position, version_id), (0, 0))
        result.append(QuestionSuccess(position if position is not None else -1,
                                      titles.get(version_id, ""), graded, correct))
    return result
